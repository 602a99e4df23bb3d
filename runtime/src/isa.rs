//! ISA caps: run as if the CPU were older, to test and debug lower variants.
//!
//! `ASMFORGE_ISA=<level>` (read once, on first use; with the `std` feature) or [`set`]
//! (before the first kernel call) caps the features dispatch may use to those of a level:
//!
//! | level | features allowed (besides those outside the level ladder) |
//! |---|---|
//! | `sse2`, `baseline`, `x86-64-v1` | the x86-64 baseline |
//! | `sse3`, `ssse3`, `sse4.1`, `sse4.2`, `x86-64-v2` | + the SSE3..SSE4.2 steps, POPCNT, CMPXCHG16B |
//! | `avx` | + AVX |
//! | `avx2`, `x86-64-v3` | + AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE, XSAVE |
//! | `avx512`, `x86-64-v4` | + AVX-512 F/BW/CD/DQ/VL (and a cap here allows every other AVX-512 extension) |
//!
//! A feature is usable when the CPU has it and the cap does not mask it; features that are on
//! no step of the ladder (AES, SHA, RDRAND, ...) are never masked. `force:<level>` caps the
//! same way and additionally makes dispatch fail, with a message, on a CPU that lacks any
//! feature of the level — so a test run that asked for AVX2 cannot silently run SSE2 code.
//! A cap only lowers what dispatch picks; a variant the CPU cannot run is never picked.

use core::sync::atomic::{AtomicU8, Ordering};

use crate::Feature;
use crate::detect;

/// The ladder's steps, with the psABI levels among them: defined once in asmforge-features,
/// which the compiler reads too, so `x86-64-v3` means the same features in `targets(...)` and
/// in `ASMFORGE_ISA`.
pub use asmforge_features::Level;

/// The cap in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// Use whatever the CPU has.
    None,
    /// Mask features above the level.
    Cap(Level),
    /// Mask features above the level and require the level's features.
    Force(Level),
}

impl Cap {
    /// Parses `avx2`, `force:avx2`, `native` / `none` / empty.
    pub fn parse(s: &str) -> Option<Cap> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("native") || s.eq_ignore_ascii_case("none") {
            return Some(Cap::None);
        }
        match s.strip_prefix("force:") {
            Some(level) => Level::from_name(level).map(Cap::Force),
            None => Level::from_name(s).map(Cap::Cap),
        }
    }

    fn level(self) -> Option<Level> {
        match self {
            Cap::None => None,
            Cap::Cap(l) | Cap::Force(l) => Some(l),
        }
    }

    fn encode(self) -> u8 {
        match self {
            Cap::None => 1,
            Cap::Cap(l) => 2 + (l as u8) * 2,
            Cap::Force(l) => 3 + (l as u8) * 2,
        }
    }

    fn decode(v: u8) -> Cap {
        let level = |n: u8| match n {
            1 => Level::Sse2,
            2 => Level::Sse3,
            3 => Level::Ssse3,
            4 => Level::Sse41,
            5 => Level::Sse42,
            6 => Level::Avx,
            7 => Level::Avx2,
            _ => Level::Avx512,
        };
        match v {
            0 | 1 => Cap::None,
            v if v % 2 == 0 => Cap::Cap(level((v - 2) / 2)),
            v => Cap::Force(level((v - 3) / 2)),
        }
    }
}

/// 0 = not read yet.
static CAP: AtomicU8 = AtomicU8::new(0);

/// The cap in force: set by [`set`], else read once from `ASMFORGE_ISA` (std builds).
///
/// An unparsable `ASMFORGE_ISA` is ignored rather than fatal (dispatch must not fail because
/// of a typo in a debugging knob); [`from_env`] reports it.
pub fn current() -> Cap {
    match CAP.load(Ordering::Relaxed) {
        0 => {
            let cap = from_env().ok().flatten().unwrap_or(Cap::None);
            // A concurrent `set` wins over the environment.
            let _ = CAP.compare_exchange(0, cap.encode(), Ordering::Relaxed, Ordering::Relaxed);
            Cap::decode(CAP.load(Ordering::Relaxed))
        }
        v => Cap::decode(v),
    }
}

/// The cap `ASMFORGE_ISA` asks for: `Ok(None)` when unset, and always without the `std`
/// feature (there is no environment to read; [`set`] still caps).
///
/// # Errors
///
/// [`InvalidIsa`] when the variable names no level.
pub fn from_env() -> Result<Option<Cap>, InvalidIsa> {
    #[cfg(feature = "std")]
    if let Some(value) = std::env::var_os("ASMFORGE_ISA") {
        let value = value.to_string_lossy();
        return match Cap::parse(&value) {
            Some(cap) => Ok(Some(cap)),
            None => Err(InvalidIsa {
                value: value.into_owned(),
            }),
        };
    }
    Ok(None)
}

/// `ASMFORGE_ISA` holds something that is not a level (see [`from_env`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct InvalidIsa {
    #[cfg(feature = "std")]
    value: std::string::String,
}

impl InvalidIsa {
    /// The variable's value (lossily decoded as UTF-8).
    pub fn value(&self) -> &str {
        #[cfg(feature = "std")]
        return &self.value;
        #[cfg(not(feature = "std"))]
        ""
    }
}

impl core::fmt::Display for InvalidIsa {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "ASMFORGE_ISA={:?} names no level (try x86-64-v2, avx2, force:x86-64-v3, native)",
            self.value()
        )
    }
}

impl core::error::Error for InvalidIsa {}

/// Sets the cap. Kernels resolve their variant on first call, so set it before calling any.
pub fn set(cap: Cap) {
    CAP.store(cap.encode(), Ordering::Relaxed);
}

/// Whether dispatch may use `f`: the CPU has it and the cap does not mask it.
pub fn is_usable(f: Feature) -> bool {
    if !detect::is_detected(f) {
        return false;
    }
    match (current().level(), Level::of(f)) {
        (Some(cap), Some(needs)) => needs <= cap,
        _ => true,
    }
}

/// Under `force:<level>`, the level's features this CPU lacks.
pub fn forced_but_missing() -> Option<(Level, crate::MissingFeatures)> {
    match current() {
        Cap::Force(level) => {
            let mut required = [Feature::X64; 64];
            let mut n = 0;
            for f in level.features().iter() {
                if n < required.len() {
                    required[n] = f;
                    n += 1;
                }
            }
            let missing = crate::MissingFeatures::of(&required[..n]);
            (!missing.is_empty()).then_some((level, missing))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_and_force() {
        assert_eq!(Cap::parse("avx2"), Some(Cap::Cap(Level::Avx2)));
        assert_eq!(Cap::parse("x86-64-v2"), Some(Cap::Cap(Level::Sse42)));
        assert_eq!(Cap::parse("force:sse2"), Some(Cap::Force(Level::Sse2)));
        assert_eq!(Cap::parse(""), Some(Cap::None));
        assert_eq!(Cap::parse("avx3"), None);
        for cap in [
            Cap::None,
            Cap::Cap(Level::Sse2),
            Cap::Force(Level::Avx512),
            Cap::Cap(Level::Avx),
        ] {
            assert_eq!(Cap::decode(cap.encode()), cap);
        }
    }

    #[test]
    fn ladder() {
        assert_eq!(Level::of(Feature::FMA), Some(Level::Avx2));
        assert_eq!(Level::of(Feature::AES), None);
        assert!(Level::Avx2.features().contains(Feature::AVX));
        assert!(!Level::Avx.features().contains(Feature::AVX2));
    }

    #[test]
    fn a_cap_masks_what_the_level_lacks() {
        // x86-64-v3 means the same here as in `targets(x86-64-v3)`: XSAVE is in it.
        assert_eq!(Cap::parse("x86-64-v3"), Some(Cap::Cap(Level::Avx2)));
        assert_eq!(Level::of(Feature::XSAVE), Some(Level::Avx2));
        assert_eq!(Level::of(Feature::AVX512_VNNI), Some(Level::Avx512));
    }

    #[test]
    fn invalid_isa_says_what_was_wrong() {
        let e = InvalidIsa {
            #[cfg(feature = "std")]
            value: "avx3".into(),
        };
        let text = std::format!("{e}");
        assert!(text.contains("names no level"), "{text}");
        #[cfg(feature = "std")]
        assert!(text.contains("\"avx3\""), "{text}");
    }
}
