//! The `#[asmforge::kernel]` and `#[asmforge::dispatch]` attributes.
//!
//! A thin shim: a proc-macro crate can only export macros, so the compiler lives in
//! `asmforge-codegen`, an ordinary library that the fuzz target, the encoding sweep and any
//! tool call directly. Users depend on the `asmforge` facade, which re-exports these
//! attributes and documents the DSL.

use proc_macro::TokenStream;

/// Compiles the body of a function, written as x86-64 assembly in Rust syntax, into machine
/// code placed in the binary; the function calls it. See the `asmforge` crate for the DSL.
#[proc_macro_attribute]
pub fn kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    asmforge_codegen::expand_kernel(attr.into(), item.into()).into()
}

/// Groups separately written kernels with one signature into one dispatched function:
/// `#[asmforge::dispatch(dot_sse2, dot_avx2, fallback = dot_rust)] pub fn dot(x: &[f32], y:
/// &[f32]) -> f32;` — members listed least to most capable. See the `asmforge` crate.
#[proc_macro_attribute]
pub fn dispatch(attr: TokenStream, item: TokenStream) -> TokenStream {
    asmforge_codegen::expand_dispatch(attr.into(), item.into()).into()
}

/// Makes a function whose body is kernel DSL a custom instruction: kernels import it with
/// `use path::name;` at the top of their body and call it like an instruction. See the
/// `asmforge` crate.
#[proc_macro_attribute]
pub fn instruction(attr: TokenStream, item: TokenStream) -> TokenStream {
    asmforge_codegen::expand_instruction(attr.into(), item.into()).into()
}

/// One step of a kernel's expansion that fetches its custom instructions (generated code
/// only).
#[doc(hidden)]
#[proc_macro]
pub fn kernel_continue(input: TokenStream) -> TokenStream {
    asmforge_codegen::expand_kernel_continue(input.into()).into()
}

/// A copy-and-patch stencil: a kernel body with named holes (`hole!(imm64 c)`), compiled into
/// `mod name { STENCILS, VARIANTS, best() }` with each hole's exact byte offset. See the
/// `asmforge` crate's `jit` module.
#[proc_macro_attribute]
pub fn stencil(attr: TokenStream, item: TokenStream) -> TokenStream {
    asmforge_codegen::expand_stencil(attr.into(), item.into()).into()
}
