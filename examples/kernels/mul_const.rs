//! Multiplication by a 40-bit constant: `movabs` loads the 64-bit immediate, `imul` multiplies.

use asmforge::kernel;

/// The constant: more than 32 bits, so no `imul r64, r/m64, imm32` form can carry it.
pub const FACTOR: u64 = 0xde_adbe_efed;

/// `x * 0xdeadbeefed`, modulo 2^64.
#[kernel]
pub fn mul_const(x: u64) -> u64 {
    movabs(rax, 0xde_adbe_efed);
    imul(rax, x);
    return rax;
}

/// The reference: wrapping multiplication (the low 64 bits of the product, signed or not).
pub fn mul_const_ref(x: u64) -> u64 {
    x.wrapping_mul(FACTOR)
}
