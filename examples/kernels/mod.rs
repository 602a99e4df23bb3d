//! The example kernels, each next to the plain Rust reference it is tested against.
//!
//! One source serves two crates: the `tour` example (`mod kernels;`) and the integration
//! test `tests/examples.rs` (`#[path = "../examples/kernels/mod.rs"] mod kernels;`). Each
//! crate gets its own copy of the machine code under its own symbols.

pub mod add_f32;
pub mod mul_const;
pub mod mxcsr;
pub mod peachpy;
pub mod rdtsc;
pub mod sdot;
pub mod vector_op;
pub mod vector_sum;
