//! Tests that drive several stages through the same entry points the macro uses.

mod alloc;
mod determinism;
mod dump;
mod emit;
mod encoding;
mod frames;
mod fuzz;
mod gnu;
mod modules;
mod oracle;
mod parse_body;
mod pipeline;
mod regressions;
mod relax;
mod roundtrip;
mod sources;
mod sweep;

use proc_macro2::TokenStream;
use quote::quote;

use crate::{encode, eval, expand, frame, parse, regalloc, select};

/// Compiles `fn k(<args>) <ret> { <body> }` with the kernel attribute `attr` through every
/// stage (frame included) and returns the encoded variant.
pub fn compile(attr: TokenStream, item: TokenStream) -> Result<encode::Encoded, String> {
    let kernel = parse::parse(attr, item).map_err(|e| e.to_string())?;
    let variant = kernel
        .options
        .targets
        .as_ref()
        .and_then(|t| t.last().cloned())
        .unwrap_or_else(crate::isa::variant::Variant::baseline);
    expand::compile_variant(&kernel, &variant).map_err(|e| e.to_string())
}

/// Encodes the instructions of `body` exactly as a kernel would — same parse, eval, select
/// and encode — but without prologue, epilogue or `ret`, so the bytes can be compared with
/// what GNU as makes of the same instructions.
pub fn encode_body(body: TokenStream) -> Result<Vec<u8>, String> {
    let item = quote!(fn k() { #body });
    let kernel = parse::parse(quote!(), item).map_err(|e| e.to_string())?;
    let baseline = crate::isa::variant::Variant::raw();
    let program = eval::eval(&kernel, &baseline).map_err(|e| e.to_string())?;
    let selected = select::select(program, &baseline).map_err(|e| e.to_string())?;
    let allocated = regalloc::allocate(selected, &regalloc::MachineEnv::sysv(), &baseline)
        .map_err(|e| e.to_string())?;
    let encoded = encode::encode(frame::bare(allocated)).map_err(|e| e.to_string())?;
    Ok(encoded.bytes)
}

/// All error messages of compiling `item`, in order.
pub fn errors(attr: TokenStream, item: TokenStream) -> Vec<String> {
    let result = parse::parse(attr, item)
        .and_then(|k| expand::compile_variant(&k, &crate::isa::variant::Variant::baseline()));
    match result {
        Ok(_) => vec![],
        Err(e) => e.into_iter().map(|e| e.to_string()).collect(),
    }
}
