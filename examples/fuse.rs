//! A fused elementwise pipeline built at run time from stencils:
//! `out[i] = max((x[i]·a + b)·x[i] + c, 0)` over f32, with a, b, c run-time constants.
//!
//! The stencils (`examples/stencils/mod.rs`) are AVX2+FMA kernels cut at their `ret`: a loop
//! head, loads, `acc = acc·a + b`, `acc = acc·x + c`, `acc = max(acc, c)`, a store, and
//! scalar twins for the tail. Stitching them with labels and two loops gives one function
//! that makes one pass over the data; the same stencils stitched one operation per function
//! give three passes. Both are checked against Rust.
//! `cargo run --release --example fuse -- 0.5 -1 0.25`.
//!
//! Unix only (executable memory through `mmap`/`mprotect`); elsewhere it says so.

#[cfg(all(unix, target_arch = "x86_64"))]
#[path = "stencils/mod.rs"]
mod stencils;

#[cfg(all(unix, target_arch = "x86_64"))]
include!("jit_impl/fuse.rs");

#[cfg(not(all(unix, target_arch = "x86_64")))]
fn main() {
    eprintln!("fuse: needs a Unix x86-64 target (asmforge::jit)");
}
