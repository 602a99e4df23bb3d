//! MXCSR, the SSE/AVX control and status register (Intel SDM Vol. 1, §10.2.3).
//!
//! ```text
//! bit 15  FTZ   flush to zero: a denormal result becomes a zero of the same sign
//! 14..13  RC    rounding: 00 nearest-even, 01 down (-inf), 10 up (+inf), 11 toward zero
//! 12..7   masks for the six exceptions (all set by default: exceptions are not raised)
//! bit 6   DAZ   denormals are zero: denormal inputs read as zeros
//! 5..0    sticky exception flags
//! ```
//!
//! Rust and LLVM assume the default environment (0x1F80: round to nearest, exceptions
//! masked, no FTZ/DAZ) in code they compile and in the constants they fold, so changing
//! control bits is `unsafe`; its purpose is to run machine code (kernels, run-time code)
//! in another mode. [`MxcsrGuard`] scopes the change and restores the previous value on
//! drop, including on unwinding.

use core::arch::asm;

/// The value Rust code expects: exceptions masked, round to nearest, no FTZ/DAZ.
pub const DEFAULT: u32 = 0x1F80;
/// Flush to zero.
pub const FTZ: u32 = 1 << 15;
/// Denormals are zero.
pub const DAZ: u32 = 1 << 6;
/// The rounding-control field.
pub const RC_MASK: u32 = 0b11 << 13;
/// Bits that are reserved (must be zero) on every CPU without AVX512-era extensions; writing
/// one raises #GP, so [`write()`] refuses them.
pub const RESERVED: u32 = !0xFFFF;

/// Rounding mode (MXCSR.RC).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// Round to nearest, ties to even (the default).
    Nearest,
    /// Round toward negative infinity.
    Down,
    /// Round toward positive infinity.
    Up,
    /// Round toward zero (truncate).
    TowardZero,
}

impl Rounding {
    /// The mode encoded in an MXCSR value.
    pub const fn of(mxcsr: u32) -> Rounding {
        match (mxcsr >> 13) & 3 {
            0 => Rounding::Nearest,
            1 => Rounding::Down,
            2 => Rounding::Up,
            _ => Rounding::TowardZero,
        }
    }

    /// The RC field value, shifted into place.
    pub const fn bits(self) -> u32 {
        (match self {
            Rounding::Nearest => 0,
            Rounding::Down => 1,
            Rounding::Up => 2,
            Rounding::TowardZero => 3,
        }) << 13
    }
}

/// The current MXCSR.
#[inline]
pub fn read() -> u32 {
    let mut v: u32 = 0;
    // SAFETY: stmxcsr stores 4 bytes to the given, valid location (SSE is baseline x86-64).
    unsafe { asm!("stmxcsr [{}]", in(reg) &mut v, options(nostack, preserves_flags)) };
    v
}

/// Error from [`write()`]: the value sets reserved bits, which would raise #GP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReservedBits(pub u32);

impl core::fmt::Display for ReservedBits {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "MXCSR value {:#x} sets reserved bits {:#x}",
            self.0,
            self.0 & RESERVED
        )
    }
}

/// Loads `v` into MXCSR.
///
/// # Errors
///
/// [`ReservedBits`] when `v` sets a bit above 15 (the instruction would fault).
///
/// # Safety
///
/// Until the default is restored, Rust floating-point code in this thread may compute
/// results different from the ones the compiler assumed (constant folding uses round to
/// nearest without FTZ/DAZ), and unmasking an exception makes floating-point instructions
/// raise SIGFPE. The caller vouches that only code written for the new mode runs meanwhile.
#[inline]
pub unsafe fn write(v: u32) -> Result<(), ReservedBits> {
    if v & RESERVED != 0 {
        return Err(ReservedBits(v));
    }
    // SAFETY: no reserved bit is set, so ldmxcsr does not fault; the caller accepts the mode.
    unsafe { asm!("ldmxcsr [{}]", in(reg) &v, options(nostack, readonly, preserves_flags)) };
    Ok(())
}

/// The mode a [`MxcsrGuard`] sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mode {
    /// Flush denormal results to zero.
    pub ftz: bool,
    /// Read denormal inputs as zero.
    pub daz: bool,
    /// The rounding mode.
    pub rounding: Rounding,
}

impl Mode {
    /// Round to nearest, no FTZ/DAZ: the default mode.
    pub const DEFAULT: Mode = Mode {
        ftz: false,
        daz: false,
        rounding: Rounding::Nearest,
    };

    /// `base` with this mode's FTZ, DAZ and rounding bits (exception masks and flags kept).
    pub const fn apply(self, base: u32) -> u32 {
        let mut v = base & !(FTZ | DAZ | RC_MASK);
        if self.ftz {
            v |= FTZ;
        }
        if self.daz {
            v |= DAZ;
        }
        v | self.rounding.bits()
    }
}

/// Sets FTZ, DAZ and the rounding mode for a scope; restores the previous MXCSR on drop.
///
/// The guard is `!Send`: MXCSR is per thread, and the restore must run on the thread that
/// changed it.
#[must_use = "the previous MXCSR is restored when the guard is dropped"]
pub struct MxcsrGuard {
    saved: u32,
    _not_send: core::marker::PhantomData<*const ()>,
}

impl MxcsrGuard {
    /// Switches this thread to `mode`, keeping exception masks and flags.
    ///
    /// # Safety
    ///
    /// As for [`write()`]: while the guard lives, Rust floating-point code in this thread may
    /// give results the compiler did not assume; the caller vouches that only code written
    /// for `mode` (kernels, run-time code, or Rust whose results it does not rely on) runs.
    pub unsafe fn new(mode: Mode) -> MxcsrGuard {
        let saved = read();
        // SAFETY: `apply` only touches bits 6, 13..15; reserved bits come from a value the CPU
        // accepted. The caller accepts the mode.
        let _ = unsafe { write(mode.apply(saved)) };
        MxcsrGuard {
            saved,
            _not_send: core::marker::PhantomData,
        }
    }

    /// The MXCSR that will be restored.
    pub fn saved(&self) -> u32 {
        self.saved
    }
}

impl Drop for MxcsrGuard {
    fn drop(&mut self) {
        // SAFETY: restores a value read from MXCSR on this thread (no reserved bits).
        let _ = unsafe { write(self.saved) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `a / b` by `divss`, in asm so that LLVM cannot fold it under its default-mode
    /// assumption.
    fn divss(a: f32, b: f32) -> f32 {
        let mut x = a;
        // SAFETY: divss on registers.
        unsafe {
            asm!("divss {x}, {y}", x = inout(xmm_reg) x, y = in(xmm_reg) b, options(pure, nomem, nostack))
        };
        x
    }

    fn mulss(a: f32, b: f32) -> f32 {
        let mut x = a;
        // SAFETY: mulss on registers.
        unsafe {
            asm!("mulss {x}, {y}", x = inout(xmm_reg) x, y = in(xmm_reg) b, options(pure, nomem, nostack))
        };
        x
    }

    #[test]
    fn guard_restores_and_rounding_changes_results() {
        let before = read();
        let (up, down, zero) = {
            // SAFETY: only asm arithmetic runs under the guard.
            let g = unsafe {
                MxcsrGuard::new(Mode {
                    rounding: Rounding::Up,
                    ..Mode::DEFAULT
                })
            };
            assert_eq!(g.saved(), before);
            assert_eq!(Rounding::of(read()), Rounding::Up);
            let up = divss(1.0, 3.0);
            let down = {
                // SAFETY: as above; nested guards restore in order.
                let _g = unsafe {
                    MxcsrGuard::new(Mode {
                        rounding: Rounding::Down,
                        ..Mode::DEFAULT
                    })
                };
                divss(1.0, 3.0)
            };
            assert_eq!(
                Rounding::of(read()),
                Rounding::Up,
                "inner guard restored the outer mode"
            );
            let _g = unsafe {
                MxcsrGuard::new(Mode {
                    rounding: Rounding::TowardZero,
                    ..Mode::DEFAULT
                })
            };
            (up, down, divss(-1.0, 3.0))
        };
        assert_eq!(read(), before, "guard restored MXCSR");
        // 1/3 is not representable: rounding up and down give adjacent floats.
        assert_eq!(up.to_bits(), down.to_bits() + 1, "up {up:e} down {down:e}");
        let nearest = divss(1.0, 3.0);
        assert!(nearest == up || nearest == down);
        assert_eq!(zero, -down);
    }

    #[test]
    fn ftz_and_daz_flush_subnormals() {
        let tiny = f32::MIN_POSITIVE; // 2^-126
        let sub = mulss(tiny, 0.25);
        assert!(
            sub.is_subnormal(),
            "default mode keeps subnormal products: {sub:e}"
        );
        let before = read();
        let (ftz, daz) = {
            // SAFETY: only asm arithmetic runs under the guard.
            let _g = unsafe {
                MxcsrGuard::new(Mode {
                    ftz: true,
                    ..Mode::DEFAULT
                })
            };
            let ftz = mulss(tiny, 0.25);
            // SAFETY: as above.
            let _d = unsafe {
                MxcsrGuard::new(Mode {
                    daz: true,
                    ..Mode::DEFAULT
                })
            };
            (ftz, mulss(sub, 4.0))
        };
        assert_eq!(read(), before);
        assert_eq!(
            ftz.to_bits(),
            0,
            "FTZ flushes the subnormal product: {ftz:e}"
        );
        assert_eq!(
            daz.to_bits(),
            0,
            "DAZ reads the subnormal input as zero: {daz:e}"
        );
        assert_eq!(
            mulss(sub, 4.0),
            tiny,
            "outside the guards the input is kept"
        );
    }

    #[test]
    fn write_refuses_reserved_bits_and_restores_on_unwind() {
        let before = read();
        // SAFETY: refused before reaching ldmxcsr.
        assert_eq!(unsafe { write(1 << 16) }, Err(ReservedBits(1 << 16)));
        let r = std::panic::catch_unwind(|| {
            // SAFETY: nothing but the panic runs under the guard.
            let _g = unsafe {
                MxcsrGuard::new(Mode {
                    ftz: true,
                    daz: true,
                    rounding: Rounding::Up,
                })
            };
            assert_ne!(read(), before);
            panic!("unwind through the guard");
        });
        assert!(r.is_err());
        assert_eq!(read(), before);
        assert_eq!(Mode::DEFAULT.apply(DEFAULT), DEFAULT);
    }
}
