//! MXCSR, the SSE control and status register, through `stmxcsr` / `ldmxcsr`.
//!
//! Both instructions take only a 32-bit memory operand, so the kernels go through the red
//! zone: the 128 bytes below rsp that a leaf function may use without moving rsp (System V
//! AMD64 ABI §3.2.2).

use asmforge::kernel;

/// MXCSR bit 15, flush to zero (the bits [`add_ftz_daz`] sets): a result that would be denormal becomes a signed zero.
pub const FTZ: u32 = 1 << 15;
/// MXCSR bit 6, denormals are zero: denormal inputs are read as signed zeros.
pub const DAZ: u32 = 1 << 6;

/// The current MXCSR.
#[kernel]
pub fn get_mxcsr() -> u32 {
    stmxcsr(dword[rsp - 8]);
    mov(eax, dword[rsp - 8]);
    return eax;
}

/// Loads `v` into MXCSR.
///
/// # Safety
///
/// Rust code assumes the default floating-point environment (round to nearest, no FTZ/DAZ,
/// exceptions masked). Changing anything but the sticky status flags (bits 0–5) changes the
/// results of the caller's floating-point code; setting a reserved bit raises #GP.
#[kernel]
pub unsafe fn set_mxcsr(v: u32) {
    mov(dword[rsp - 8], v);
    ldmxcsr(dword[rsp - 8]);
}

/// `a + b` computed with FTZ and DAZ on, restoring the caller's MXCSR before returning.
#[kernel]
pub fn add_ftz_daz(a: f32, b: f32) -> f32 {
    const FTZ: u32 = 1 << 15;
    const DAZ: u32 = 1 << 6;
    stmxcsr(dword[rsp - 8]); // the caller's MXCSR, restored below
    mov(eax, dword[rsp - 8]);
    or(eax, FTZ | DAZ);
    mov(dword[rsp - 4], eax);
    ldmxcsr(dword[rsp - 4]);
    addss(xmm0, xmm1);
    ldmxcsr(dword[rsp - 8]);
    return xmm0;
}

/// A denormal becomes a zero of the same sign.
pub fn flush(x: f32) -> f32 {
    if x.is_subnormal() {
        0.0f32.copysign(x)
    } else {
        x
    }
}

/// The reference for [`add_ftz_daz`]: flush the inputs (DAZ), add, flush the result (FTZ).
///
/// Exact: a sum that lands in the denormal range is exact (both inputs are multiples of the
/// smallest denormal), so "tiny before rounding" and "tiny after rounding" agree, and
/// flushing Rust's result equals the hardware's flush.
pub fn add_ftz_daz_ref(a: f32, b: f32) -> f32 {
    flush(flush(a) + flush(b))
}
