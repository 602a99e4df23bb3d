//! The x86-64 baseline and the ladder of ISA levels, with the System V psABI's
//! micro-architecture levels x86-64-v1..v4 as four of its steps.
//!
//! Source: System V AMD64 psABI §3.1.1, "Processor Architecture", table "Micro-Architecture
//! Levels" (x86-64-psABI 1.0 and later):
//!
//! | level | CPU features (psABI names) |
//! |---|---|
//! | x86-64 (v1) | CMOV, CX8, FPU, FXSR, MMX, OSFXSR, SCE, SSE, SSE2 |
//! | x86-64-v2 | CMPXCHG16B, LAHF-SAHF, POPCNT, SSE3, SSE4_1, SSE4_2, SSSE3 |
//! | x86-64-v3 | AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE, OSXSAVE |
//! | x86-64-v4 | AVX512F, AVX512BW, AVX512CD, AVX512DQ, AVX512VL |
//!
//! Mapped onto iced-x86's features: SCE is `SYSCALL`; OSFXSR (the OS enables SSE) has no
//! instruction feature; LAHF-SAHF (LAHF/SAHF in 64-bit mode) has none either (iced files
//! LAHF/SAHF under 8086). OSXSAVE is `XSAVE`: CR4.OSXSAVE can only be set on a CPU with XSAVE,
//! and it is what makes `XGETBV`/`XSAVE`/`XRSTOR` executable; rustc's `-C
//! target-cpu=x86-64-v3` enables `xsave` for the same reason. (Before this table was shared,
//! the runtime's copy of v3 lacked XSAVE while the compiler's had it.)
//!
//! The runtime's ISA caps (`ASMFORGE_ISA=avx2`) climb finer steps than the psABI (SSE3,
//! SSSE3, SSE4.1, AVX in between); each psABI level is exactly the union of the steps up to
//! its own, which `tests/psabi.rs` checks against the table above and against rustc.

use crate::{Feature, FeatureSet};

/// What every x86-64 CPU has: the psABI baseline (x86-64-v1), what it implies (8086..486,
/// x87, CPUID, long mode), TSC (every AMD64 CPU), PAUSE (`F3 90`, a NOP before the Pentium 4)
/// and the `0F 1F` NOPs (Linux sets NOPL on every x86-64 CPU).
pub const BASELINE: FeatureSet = FeatureSet::of(&[
    Feature::INTEL8086,
    Feature::INTEL186,
    Feature::INTEL286,
    Feature::INTEL386,
    Feature::INTEL486,
    Feature::X64,
    Feature::CPUID,
    Feature::FPU,
    Feature::FPU287,
    Feature::FPU387,
    Feature::CX8,
    Feature::CMOV,
    Feature::MMX,
    Feature::SSE,
    Feature::SSE2,
    Feature::FXSR,
    Feature::TSC,
    Feature::PAUSE,
    Feature::MULTIBYTENOP,
    Feature::SYSCALL,
]);

/// A step of the ISA ladder, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The x86-64 baseline (SSE2): psABI x86-64-v1.
    Sse2 = 1,
    /// SSE3.
    Sse3,
    /// SSSE3.
    Ssse3,
    /// SSE4.1.
    Sse41,
    /// SSE4.2, POPCNT, CMPXCHG16B: psABI x86-64-v2.
    Sse42,
    /// AVX.
    Avx,
    /// AVX2, FMA, F16C, BMI1, BMI2, LZCNT, MOVBE, XSAVE: psABI x86-64-v3.
    Avx2,
    /// AVX-512 F, BW, CD, DQ, VL: psABI x86-64-v4 (a cap at this step also allows every other
    /// AVX-512 extension).
    Avx512,
}

/// The AVX-512 extensions beyond x86-64-v4: no step requires them, but a cap below
/// [`Level::Avx512`] masks them with the rest of AVX-512.
const AVX512_EXTENSIONS: FeatureSet = FeatureSet::of(&[
    Feature::AVX512_VNNI,
    Feature::AVX512_BF16,
    Feature::AVX512_FP16,
    Feature::AVX512_IFMA,
    Feature::AVX512_VBMI,
    Feature::AVX512_VBMI2,
    Feature::AVX512_BITALG,
    Feature::AVX512_VPOPCNTDQ,
    Feature::AVX512_VP2INTERSECT,
    Feature::AVX512_4FMAPS,
    Feature::AVX512_4VNNIW,
    Feature::AVX512ER,
    Feature::AVX512PF,
]);

/// Names accepted by [`Level::from_name`] (compared ignoring ASCII case).
pub const LEVEL_NAMES: &[(&str, Level)] = &[
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

impl Level {
    /// Every step, lowest first.
    pub const ALL: [Level; 8] = [
        Level::Sse2,
        Level::Sse3,
        Level::Ssse3,
        Level::Sse41,
        Level::Sse42,
        Level::Avx,
        Level::Avx2,
        Level::Avx512,
    ];

    /// The features this step requires beyond the step below it (the baseline for
    /// [`Level::Sse2`], which adds nothing to it).
    pub const fn adds(self) -> FeatureSet {
        use Feature as F;
        FeatureSet::of(match self {
            Level::Sse2 => &[],
            Level::Sse3 => &[F::SSE3],
            Level::Ssse3 => &[F::SSSE3],
            Level::Sse41 => &[F::SSE4_1],
            Level::Sse42 => &[F::SSE4_2, F::POPCNT, F::CMPXCHG16B],
            Level::Avx => &[F::AVX],
            Level::Avx2 => &[
                F::AVX2,
                F::FMA,
                F::F16C,
                F::BMI1,
                F::BMI2,
                F::LZCNT,
                F::MOVBE,
                F::XSAVE,
            ],
            Level::Avx512 => &[
                F::AVX512F,
                F::AVX512BW,
                F::AVX512CD,
                F::AVX512DQ,
                F::AVX512VL,
            ],
        })
    }

    /// The features that define this level: what every step up to it adds (the baseline
    /// excluded). For a psABI level, exactly the psABI's list (mapped as the module says),
    /// cumulated.
    pub const fn features(self) -> FeatureSet {
        let mut set = FeatureSet::EMPTY;
        let mut i = 0;
        while i < Level::ALL.len() && Level::ALL[i] as u8 <= self as u8 {
            set = set.union(Level::ALL[i].adds());
            i += 1;
        }
        set
    }

    /// The lowest step at or above which a cap allows `f`, or `None` if no cap masks `f`
    /// (features off the ladder: AES, SHA, RDRAND, ...; and the baseline).
    pub fn of(f: Feature) -> Option<Level> {
        if AVX512_EXTENSIONS.contains(f) {
            return Some(Level::Avx512);
        }
        Level::ALL.into_iter().find(|l| l.adds().contains(f))
    }

    /// The psABI level this step is (1..=4), if it is one.
    pub const fn psabi(self) -> Option<u8> {
        match self {
            Level::Sse2 => Some(1),
            Level::Sse42 => Some(2),
            Level::Avx2 => Some(3),
            Level::Avx512 => Some(4),
            _ => None,
        }
    }

    /// The step that is psABI level x86-64-v`n`.
    pub const fn from_psabi(n: u8) -> Option<Level> {
        match n {
            1 => Some(Level::Sse2),
            2 => Some(Level::Sse42),
            3 => Some(Level::Avx2),
            4 => Some(Level::Avx512),
            _ => None,
        }
    }

    /// The level a name (`avx2`, `x86-64-v3`, `sse4.1`, ... — see [`LEVEL_NAMES`]) denotes,
    /// ignoring ASCII case and surrounding white space.
    pub fn from_name(name: &str) -> Option<Level> {
        let name = name.trim();
        LEVEL_NAMES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, l)| *l)
    }
}
