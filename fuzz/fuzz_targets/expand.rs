//! Fuzz target: text → tokens → `#[kernel]` expansion.
//!
//! The input is UTF-8 text; a NUL byte separates the attribute's tokens from the item
//! (`params(N = 4)\0fn k() { ... }`), and without one the whole text is the item. Text that
//! does not lex as Rust tokens is skipped (rustc would never call the macro with it).
//!
//! Failures: a panic (the macro must never panic), a stack overflow or timeout (run with
//! `-timeout=10`), or an expansion that is neither code nor `compile_error!`s
//! (`oracle::check`). Span positions are not checked here: under `cfg(fuzzing)`
//! proc-macro2 records none; the proptest fuzzing in codegen/src/tests/fuzz.rs checks them.

#![no_main]

use libfuzzer_sys::fuzz_target;
use proc_macro2::TokenStream;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (attr, item) = text.split_once('\0').unwrap_or(("", text));
    let (Ok(attr), Ok(item)) = (attr.parse::<TokenStream>(), item.parse::<TokenStream>()) else {
        return;
    };
    let out = asmforge_fuzz::expand(attr.clone(), item.clone());
    if let Err(e) = asmforge_fuzz::oracle::check(&attr, &item, &out, false) {
        panic!("{e}\n  attr: {attr}\n  item: {item}");
    }
});
