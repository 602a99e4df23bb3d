//! The multiply-by-constant JIT: a constant known only at run time becomes a fresh function.
//!
//! The stencil is `movabs rax, C; imul rax, rdi; ret`, written below with
//! `#[asmforge::stencil]` (the compiler records the hole's offset). Each constant is
//! specialized into its own page (mmap, copy, patch the 8-byte immediate, mprotect to
//! read+execute), called, checked against Rust, and unmapped; then 1,000 constants share one
//! region. `cargo run --release --example minijit -- 12345 0xdeadbeef`.
//!
//! Unix only (executable memory through `mmap`/`mprotect`); elsewhere it says so.

#[cfg(all(unix, target_arch = "x86_64"))]
include!("jit_impl/minijit.rs");

#[cfg(not(all(unix, target_arch = "x86_64")))]
fn main() {
    eprintln!("minijit: needs a Unix x86-64 target (asmforge::jit)");
}
