//! # asmforge-codegen: the asmforge compiler as an ordinary library
//!
//! Attribute and function tokens in; per-variant machine code, metadata and diagnostics out.
//! The proc-macro crate `asmforge-macros` is a shim over [`expand_kernel`] and
//! [`expand_dispatch`]; the fuzz target, the encoding sweep and tools (export, build scripts)
//! call [`compile`] or the expanders directly. This follows the `thiserror-impl` /
//! `serde_derive_internals` pattern: a proc-macro crate cannot be linked as a library.
//!
//! The folders below read as the pipeline (see `expand.rs` for the order and
//! `ARCHITECTURE.md` at the repository root for the types that pass between stages):
//!
//! ```text
//! parse (ast) → eval → select → regalloc → (transitions) → frame → encode → emit
//!                 Program   Selected   Allocated           Framed   Encoded
//! ```
//!
//! Below the stages, and naming none of them: `isa` (the queries every stage may ask), `ir`
//! (the values that pass between stages), `cfg` (the control-flow graph), `diag` (errors).
//!
//! ```
//! use quote::quote;
//! let compiled = asmforge_codegen::compile(
//!     quote!(targets(sse2, avx2)),
//!     quote!(fn add1(x: u64) -> u64 { lea(rax, [x + 1]); return rax; }),
//! )
//! .unwrap();
//! assert_eq!(compiled.name, "add1");
//! // Variants come best first, as dispatch tries them.
//! assert_eq!(compiled.variants[0].name, "avx2");
//! assert!(compiled.variants.iter().all(|v| v.bytes.ends_with(&[0xc3])));
//! ```

mod cfg;
mod diag;
mod emit;
mod encode;
mod eval;
mod expand;
mod frame;
mod ir;
mod isa;
mod parse;
mod regalloc;
mod select;
mod stencil;

#[cfg(test)]
mod tests;

pub use expand::{Compiled, CompiledVariant, Diagnostic, compile, write_listings};

use proc_macro2::TokenStream;

/// The expansion of `#[asmforge::kernel(attr)] item`: the function, its module `k` (variants,
/// `INFO`, `DISPATCH`, `call`) and the machine code, or the function with an unreachable body
/// plus every `compile_error!`. Never panics on any input.
pub fn expand_kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr, item)
}

/// The expansion of `#[asmforge::instruction] fn name(..) {..}`: a custom instruction that
/// kernels import with `use path::name;` at the top of their body.
pub fn expand_instruction(attr: TokenStream, item: TokenStream) -> TokenStream {
    parse::helper::expand_instruction(attr, item)
}

/// One link of the chain through which a kernel fetches its custom instructions (the
/// expansion of `::asmforge::__private::kernel_continue!`; see `parse/chain.rs`).
pub fn expand_kernel_continue(input: TokenStream) -> TokenStream {
    expand::expand_continue(input)
}

/// The expansion of `#[asmforge::dispatch(members...)] fn f(...) -> T;`.
pub fn expand_dispatch(attr: TokenStream, item: TokenStream) -> TokenStream {
    emit::group::expand(attr, item)
}

/// The expansion of `#[asmforge::stencil(attr)] item`: a module named like the function with
/// the copy-and-patch stencils of each variant (see `stencil/mod.rs`).
pub fn expand_stencil(attr: TokenStream, item: TokenStream) -> TokenStream {
    stencil::expand(attr, item)
}
