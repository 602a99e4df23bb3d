//! The compiler behind `#[asmforge::kernel]`.
//!
//! This crate holds only the entry point; [`expand`] runs the pipeline stage by stage
//! (parse → eval → select → frame → encode → emit). Users depend on the `asmforge` facade,
//! which re-exports the attribute and documents the DSL.

mod ast;
mod diag;
mod emit;
mod encode;
mod eval;
mod expand;
mod forms;
mod frame;
mod instr;
mod ir;
mod regalloc;
mod regs;
mod select;
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
