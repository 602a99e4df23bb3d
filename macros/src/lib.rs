//! The compiler behind `#[asmforge::kernel]`.
//!
//! This crate holds only the entry point; [`expand`] runs the pipeline stage by stage
//! (parse → eval → select → frame → encode → emit). Users depend on the `asmforge` facade,
//! which re-exports the attribute and documents the DSL.

mod abi;
mod ast;
mod cfi;
mod diag;
mod emit;
mod encode;
mod eval;
mod expand;
mod forms;
mod frame;
mod group;
mod instr;
mod ir;
mod prologue;
mod regalloc;
mod regs;
mod select;
mod stack;
mod transitions;
mod variant;

#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// Compiles the body of a function, written as x86-64 assembly in Rust syntax, into machine
/// code placed in the binary; the function calls it. See the `asmforge` crate for the DSL.
#[proc_macro_attribute]
pub fn kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(attr.into(), item.into()).into()
}

/// Groups separately written kernels with one signature into one dispatched function:
/// `#[asmforge::dispatch(dot_sse2, dot_avx2, fallback = dot_rust)] pub fn dot(x: &[f32], y:
/// &[f32]) -> f32;` — members listed least to most capable. See the `asmforge` crate.
#[proc_macro_attribute]
pub fn dispatch(attr: TokenStream, item: TokenStream) -> TokenStream {
    group::expand(attr.into(), item.into()).into()
}
