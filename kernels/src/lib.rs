//! Production kernels written with asmforge: BLAS-1 (`blas`), GEMM (`gemm`) and vector math
//! (`vmath`). Each public function takes slices, dispatches to the best variant the CPU runs,
//! and falls back to Rust elsewhere.

pub mod blas;
pub mod gemm;
pub mod vmath;
