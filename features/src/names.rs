//! Feature names: iced-x86's (`Feature::name`), the spellings users write in
//! `targets(...)` and `has!(...)`, and rustc's `target_feature` names.

use crate::Feature;

use Feature as F;

/// Spellings accepted besides iced's names (which are accepted in any case, with `.` for `_`:
/// `sse4.1`, `avx512f`, `cmpxchg16b`).
pub const SPELLINGS: &[(&str, Feature)] = &[
    ("sse41", F::SSE4_1),
    ("sse42", F::SSE4_2),
    ("avx512vnni", F::AVX512_VNNI),
    ("avx512bf16", F::AVX512_BF16),
    ("avx512fp16", F::AVX512_FP16),
    ("avx512ifma", F::AVX512_IFMA),
    ("avx512vbmi", F::AVX512_VBMI),
    ("avx512vbmi2", F::AVX512_VBMI2),
    ("avx512bitalg", F::AVX512_BITALG),
    ("avx512vpopcntdq", F::AVX512_VPOPCNTDQ),
    ("cx16", F::CMPXCHG16B),
    ("avxvnni", F::AVX_VNNI),
    ("avx512vp2intersect", F::AVX512_VP2INTERSECT),
    ("avxifma", F::AVX_IFMA),
    ("avxneconvert", F::AVX_NE_CONVERT),
    ("avxvnniint8", F::AVX_VNNI_INT8),
    ("avxvnniint16", F::AVX_VNNI_INT16),
    ("widekl", F::WIDE_KL),
];

/// rustc's `target_feature` name of each feature that has one (those the compiler can test
/// with `cfg(target_feature = ...)` to call a variant without detection).
pub const RUSTC_NAMES: &[(Feature, &str)] = &[
    (F::SSE, "sse"),
    (F::SSE2, "sse2"),
    (F::FXSR, "fxsr"),
    (F::SSE3, "sse3"),
    (F::SSSE3, "ssse3"),
    (F::SSE4_1, "sse4.1"),
    (F::SSE4_2, "sse4.2"),
    (F::POPCNT, "popcnt"),
    (F::AVX, "avx"),
    (F::AVX2, "avx2"),
    (F::FMA, "fma"),
    (F::F16C, "f16c"),
    (F::BMI1, "bmi1"),
    (F::BMI2, "bmi2"),
    (F::LZCNT, "lzcnt"),
    (F::MOVBE, "movbe"),
    (F::AES, "aes"),
    (F::PCLMULQDQ, "pclmulqdq"),
    (F::SHA, "sha"),
    (F::ADX, "adx"),
    (F::RDRAND, "rdrand"),
    (F::RDSEED, "rdseed"),
    (F::XSAVE, "xsave"),
    (F::XSAVEOPT, "xsaveopt"),
    (F::XSAVEC, "xsavec"),
    (F::XSAVES, "xsaves"),
    (F::CMPXCHG16B, "cmpxchg16b"),
    (F::GFNI, "gfni"),
    (F::VAES, "vaes"),
    (F::VPCLMULQDQ, "vpclmulqdq"),
    (F::AVX512F, "avx512f"),
    (F::AVX512CD, "avx512cd"),
    (F::AVX512BW, "avx512bw"),
    (F::AVX512DQ, "avx512dq"),
    (F::AVX512VL, "avx512vl"),
    (F::AVX512_VNNI, "avx512vnni"),
    (F::AVX512_BF16, "avx512bf16"),
    (F::AVX512_FP16, "avx512fp16"),
    (F::AVX512_IFMA, "avx512ifma"),
    (F::AVX512_VBMI, "avx512vbmi"),
    (F::AVX512_VBMI2, "avx512vbmi2"),
    (F::AVX512_BITALG, "avx512bitalg"),
    (F::AVX512_VPOPCNTDQ, "avx512vpopcntdq"),
    (F::AVX512_VP2INTERSECT, "avx512vp2intersect"),
    (F::AVX_VNNI, "avxvnni"),
    (F::AVX_IFMA, "avxifma"),
    (F::AVX_NE_CONVERT, "avxneconvert"),
    (F::AVX_VNNI_INT8, "avxvnniint8"),
    (F::AVX_VNNI_INT16, "avxvnniint16"),
    (F::SHA512, "sha512"),
    (F::SM3, "sm3"),
    (F::SM4, "sm4"),
    (F::SSE4A, "sse4a"),
    (F::TBM, "tbm"),
    (F::KL, "kl"),
    (F::WIDE_KL, "widekl"),
];

/// rustc's `target_feature` name of `f`, if it has one.
pub fn rustc_name(f: Feature) -> Option<&'static str> {
    RUSTC_NAMES.iter().find(|(g, _)| *g == f).map(|(_, n)| *n)
}

/// The feature a user's spelling names: iced's name in any case with `.` for `_`
/// (`sse4.1`, `AVX2`), or one of [`SPELLINGS`].
pub fn by_name(name: &str) -> Option<Feature> {
    if let Some((_, f)) = SPELLINGS.iter().find(|(s, _)| s.eq_ignore_ascii_case(name)) {
        return Some(*f);
    }
    Feature::ALL
        .iter()
        .copied()
        .find(|f| same_name(f.name(), name))
}

/// Whether `iced` (upper case, `_`) and `user` name the same feature ignoring ASCII case and
/// reading `.` as `_`.
fn same_name(iced: &str, user: &str) -> bool {
    let norm = |b: u8| {
        if b == b'.' {
            b'_'
        } else {
            b.to_ascii_lowercase()
        }
    };
    iced.len() == user.len()
        && iced
            .bytes()
            .zip(user.bytes())
            .all(|(a, b)| norm(a) == norm(b))
}
