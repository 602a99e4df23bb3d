//! The two functions of PeachPy's README, in asmforge.

use asmforge::kernel;

/// PeachPy's `Add`: `x + y` on 32-bit integers.
#[kernel]
pub fn add_i32(x: i32, y: i32) -> i32 {
    mov(eax, x);
    add(eax, y);
    return eax;
}

/// The reference for [`add_i32`]: `add` wraps.
pub fn add_i32_ref(x: i32, y: i32) -> i32 {
    x.wrapping_add(y)
}

/// PeachPy's `DotProduct`: the dot product of two 4-element `f32` vectors with SSE4.1 `dpps`.
///
/// # Safety
///
/// `x` and `y` must be valid for reading 4 `f32`s each (any alignment).
#[kernel]
pub unsafe fn dot_sse41(x: *const f32, y: *const f32) -> f32 {
    movups(xmm0, [x]);
    movups(xmm1, [y]);
    dpps(xmm0, xmm1, 0xf1); // multiply all four lanes (0xf_), write the sum to lane 0 (0x_1)
    return xmm0;
}

/// The reference for [`dot_sse41`], in the order `dpps` adds (Intel SDM Vol. 2, DPPS): the
/// four products rounded to `f32`, then `(p0 + p1) + (p2 + p3)`. Exact.
pub fn dot_sse41_ref(x: &[f32; 4], y: &[f32; 4]) -> f32 {
    let p: [f32; 4] = core::array::from_fn(|i| x[i] * y[i]);
    (p[0] + p[1]) + (p[2] + p[3])
}
