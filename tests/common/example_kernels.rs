//! The example kernels' `INFO`s, for the tests that walk all of them (`golden.rs`,
//! `debuginfo.rs`); each includes `examples/kernels/mod.rs` as `kernels` and this file by
//! `#[path]`.

use asmforge::KernelInfo;

/// Every example kernel (`tests/golden.rs`'s `all_example_files_are_covered` checks no file is
/// left out).
pub fn kernels() -> [&'static KernelInfo; 15] {
    [
        &crate::kernels::add_f32::add_f32::INFO,
        &crate::kernels::mul_const::mul_const::INFO,
        &crate::kernels::mxcsr::get_mxcsr::INFO,
        &crate::kernels::mxcsr::set_mxcsr::INFO,
        &crate::kernels::mxcsr::add_ftz_daz::INFO,
        &crate::kernels::peachpy::add_i32::INFO,
        &crate::kernels::peachpy::dot_sse41::INFO,
        &crate::kernels::rdtsc::rdtsc::INFO,
        &crate::kernels::sdot::sdot::INFO,
        &crate::kernels::vector_op::vector_add_i32::INFO,
        &crate::kernels::vector_op::vector_sub_i32::INFO,
        &crate::kernels::vector_op::vector_add_i64::INFO,
        &crate::kernels::vector_op::vector_sub_i64::INFO,
        &crate::kernels::vector_sum::vector_sum_u4_p256::INFO,
        &crate::kernels::vector_sum::vector_sum_u2::INFO,
    ]
}
