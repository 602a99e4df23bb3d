//! The PeachPy README's examples in asmforge (`Maratyszcza/PeachPy`, README.rst): the
//! command-line tool's `DotProduct` and the inline assembler's `Add`.

use asmforge::kernel;

/// `float DotProduct(const float* x, const float* y)` over four floats with SSE4.1's `dpps`,
/// instructions up to SSE4.2 (PeachPy: `target=uarch.default + isa.sse4_2`). PeachPy loads
/// the arguments into virtual registers (`LOAD.ARGUMENT`); here a parameter is its register.
/// Like the README, it mixes a virtual register (`xmm_x`) and a physical one (`xmm2`).
///
/// # Safety
///
/// `x` and `y` must be 16-byte aligned and valid for reading four `f32`s.
#[kernel(targets(sse4.2))]
pub unsafe fn dot_product(x: *const f32, y: *const f32) -> f32 {
    let xmm_x = xmm();
    movaps(xmm_x, [x]);
    movaps(xmm2, [y]);
    dpps(xmm_x, xmm2, 0xF1);
    return xmm_x;
}

/// `int32_t Add(int32_t x, int32_t y)`, as the README's inline-assembler example: copy the
/// arguments into virtual registers (`LOAD.ARGUMENT` is `param`), add, return.
#[kernel]
pub fn add(x: i32, y: i32) -> i32 {
    let (reg_x, reg_y) = (param(x), param(y));
    add(reg_x, reg_y);
    return reg_x;
}
