//! ISA caps: run as if the CPU were older, to test and debug lower variants.
//!
//! `ASMFORGE_ISA=<level>` (read once, on first use; needs the `std` feature) or [`set`]
//! (before the first kernel call) caps the features dispatch may use to those of a level:
//!
//! | level | features allowed (besides those outside the level ladder) |
//! |---|---|
//! | `sse2`, `baseline`, `x86-64-v1` | the x86-64 baseline |
//! | `sse3`, `ssse3`, `sse4.1`, `sse4.2`, `x86-64-v2` | + the SSE3..SSE4.2 steps, POPCNT, CMPXCHG16B |
//! | `avx` | + AVX |
//! | `avx2`, `x86-64-v3` | + AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE |
//! | `avx512`, `x86-64-v4` | + every AVX-512 feature |
//!
//! A feature is usable when the CPU has it and the cap does not mask it; features that are on
//! no step of the ladder (AES, SHA, RDRAND, ...) are never masked. `force:<level>` caps the
//! same way and additionally makes dispatch fail, with a message, on a CPU that lacks any
//! feature of the level — so a test run that asked for AVX2 cannot silently run SSE2 code.
//! A cap only lowers what dispatch picks; a variant the CPU cannot run is never picked.

use core::sync::atomic::{AtomicU8, Ordering};

use crate::Feature;
use crate::detect;

/// Steps of the ladder, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// x86-64 baseline (SSE2).
    Sse2 = 1,
    /// SSE3.
    Sse3,
    /// SSSE3.
    Ssse3,
    /// SSE4.1.
    Sse41,
    /// SSE4.2, POPCNT, CMPXCHG16B (x86-64-v2).
    Sse42,
    /// AVX.
    Avx,
    /// AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE (x86-64-v3).
    Avx2,
    /// AVX-512 (x86-64-v4 and every other AVX-512 feature).
    Avx512,
}

impl Level {
    /// The level a name (`avx2`, `x86-64-v3`, `sse4.1`, ...) denotes.
    pub fn from_name(name: &str) -> Option<Level> {
        const NAMES: [(&str, Level); 22] = [
            ("sse2", Level::Sse2),
            ("baseline", Level::Sse2),
            ("x86-64-v1", Level::Sse2),
            ("x86_64_v1", Level::Sse2),
            ("sse3", Level::Sse3),
            ("ssse3", Level::Ssse3),
            ("sse4.1", Level::Sse41),
            ("sse4_1", Level::Sse41),
            ("sse41", Level::Sse41),
            ("sse4.2", Level::Sse42),
            ("sse4_2", Level::Sse42),
            ("sse42", Level::Sse42),
            ("x86-64-v2", Level::Sse42),
            ("x86_64_v2", Level::Sse42),
            ("avx", Level::Avx),
            ("avx2", Level::Avx2),
            ("x86-64-v3", Level::Avx2),
            ("x86_64_v3", Level::Avx2),
            ("avx512", Level::Avx512),
            ("avx512f", Level::Avx512),
            ("x86-64-v4", Level::Avx512),
            ("x86_64_v4", Level::Avx512),
        ];
        let name = name.trim();
        NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, l)| *l)
    }

    /// The lowest level whose set contains `f`, or `None` if `f` is not on the ladder.
    pub fn of(f: Feature) -> Option<Level> {
        use Feature as F;
        Some(match f {
            F::SSE3 => Level::Sse3,
            F::SSSE3 => Level::Ssse3,
            F::SSE4_1 => Level::Sse41,
            F::SSE4_2 | F::POPCNT | F::CMPXCHG16B => Level::Sse42,
            F::AVX => Level::Avx,
            F::AVX2 | F::FMA | F::F16C | F::BMI1 | F::BMI2 | F::LZCNT | F::MOVBE => Level::Avx2,
            F::AVX512F
            | F::AVX512CD
            | F::AVX512BW
            | F::AVX512DQ
            | F::AVX512VL
            | F::AVX512_VNNI
            | F::AVX512_BF16
            | F::AVX512_FP16
            | F::AVX512_IFMA
            | F::AVX512_VBMI
            | F::AVX512_VBMI2
            | F::AVX512_BITALG
            | F::AVX512_VPOPCNTDQ
            | F::AVX512_VP2INTERSECT
            | F::AVX512_4FMAPS
            | F::AVX512_4VNNIW
            | F::AVX512ER
            | F::AVX512PF => Level::Avx512,
            _ => return None,
        })
    }

    /// The features that define this level (those whose [`Level::of`] is at most it).
    pub fn features(self) -> impl Iterator<Item = Feature> {
        Feature::ALL.iter().copied().filter(move |f| {
            matches!(Level::of(*f), Some(l) if l <= self)
                && !matches!(
                    f,
                    Feature::AVX512_VP2INTERSECT
                        | Feature::AVX512_4FMAPS
                        | Feature::AVX512_4VNNIW
                        | Feature::AVX512ER
                        | Feature::AVX512PF
                        | Feature::AVX512_BF16
                        | Feature::AVX512_FP16
                        | Feature::AVX512_IFMA
                        | Feature::AVX512_VBMI
                        | Feature::AVX512_VBMI2
                        | Feature::AVX512_BITALG
                        | Feature::AVX512_VPOPCNTDQ
                        | Feature::AVX512_VNNI
                )
        })
    }
}

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

/// The cap `ASMFORGE_ISA` asks for: `Ok(None)` when unset.
///
/// # Errors
///
/// The variable's value when it names no level.
#[cfg(feature = "std")]
pub fn from_env() -> Result<Option<Cap>, std::string::String> {
    match std::env::var("ASMFORGE_ISA") {
        Ok(v) => Cap::parse(&v).map(Some).ok_or(v),
        Err(_) => Ok(None),
    }
}

/// Without `std` there is no environment: no cap unless [`set`].
#[cfg(not(feature = "std"))]
pub fn from_env() -> Result<Option<Cap>, ()> {
    Ok(None)
}

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
            for f in level.features() {
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
        assert!(Level::Avx2.features().any(|f| f == Feature::AVX));
        assert!(!Level::Avx.features().any(|f| f == Feature::AVX2));
    }
}
