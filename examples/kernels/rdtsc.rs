//! The time-stamp counter as one `u64`.

use asmforge::kernel;

/// Reads the time-stamp counter (`rdtsc` leaves it split across edx:eax).
#[kernel]
pub fn rdtsc() -> u64 {
    rdtsc(); // writes the high half to edx and the low half to eax, zeroing both upper halves
    shl(rdx, 32);
    or(rax, rdx);
    return rax;
}

/// The reference: the compiler intrinsic.
pub fn rdtsc_ref() -> u64 {
    // SAFETY: `rdtsc` is available on every x86-64 CPU.
    unsafe { core::arch::x86_64::_rdtsc() }
}
