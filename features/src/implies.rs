//! Which features imply which, as rustc's `target_feature` implies them: enabling the left one
//! enables the right ones (`rustc --print cfg -C target-feature=+avx512f` lists avx2, fma,
//! f16c, ...). `tests/psabi.rs` asks the rustc running the tests and fails on any difference
//! for the features both sides can name, but one (AVX512-FP16, below).

use crate::{BASELINE, Feature, FeatureSet};

use Feature as F;

/// `(feature, what enabling it enables)`; [`closure`] follows chains.
pub const IMPLIES: &[(Feature, &[Feature])] = &[
    (F::SSE3, &[F::SSE2]),
    (F::SSSE3, &[F::SSE3]),
    (F::SSE4_1, &[F::SSSE3]),
    (F::SSE4_2, &[F::SSE4_1]),
    (F::AVX, &[F::SSE4_2]),
    (F::AVX2, &[F::AVX]),
    (F::FMA, &[F::AVX]),
    (F::F16C, &[F::AVX]),
    (F::AES, &[F::SSE2]),
    (F::PCLMULQDQ, &[F::SSE2]),
    (F::SHA, &[F::SSE2]),
    (F::GFNI, &[F::SSE2]),
    (F::VAES, &[F::AES, F::AVX2]),
    (F::VPCLMULQDQ, &[F::PCLMULQDQ, F::AVX]),
    (F::XSAVEOPT, &[F::XSAVE]),
    (F::XSAVEC, &[F::XSAVE]),
    (F::XSAVES, &[F::XSAVE]),
    (F::AVX512F, &[F::AVX2, F::FMA, F::F16C]),
    (F::AVX512CD, &[F::AVX512F]),
    (F::AVX512BW, &[F::AVX512F]),
    (F::AVX512DQ, &[F::AVX512F]),
    (F::AVX512VL, &[F::AVX512F]),
    (F::AVX512_VNNI, &[F::AVX512F]),
    (F::AVX512_IFMA, &[F::AVX512F]),
    (F::AVX512_VPOPCNTDQ, &[F::AVX512F]),
    (F::AVX512_VBMI, &[F::AVX512BW]),
    (F::AVX512_VBMI2, &[F::AVX512BW]),
    (F::AVX512_BITALG, &[F::AVX512BW]),
    (F::AVX512_BF16, &[F::AVX512BW]),
    (F::AVX512_VP2INTERSECT, &[F::AVX512F]),
    (F::AVX_VNNI, &[F::AVX2]),
    (F::AVX_IFMA, &[F::AVX2]),
    (F::AVX_NE_CONVERT, &[F::AVX2]),
    (F::AVX_VNNI_INT8, &[F::AVX2]),
    (F::AVX_VNNI_INT16, &[F::AVX2]),
    (F::SHA512, &[F::AVX2]),
    (F::SM3, &[F::AVX]),
    (F::SM4, &[F::AVX2]),
    (F::SSE4A, &[F::SSE3]),
    (F::WIDE_KL, &[F::KL]),
    // rustc implies only avx512bw; every CPU with AVX512-FP16 (Sapphire Rapids and later) has
    // DQ and VL too, and LLVM's avx512fp16 implies them, so `targets(avx512fp16)` may use the
    // xmm/ymm forms (AVX512_FP16 + AVX512VL). The test lists this as its one exception.
    (F::AVX512_FP16, &[F::AVX512BW, F::AVX512DQ, F::AVX512VL]),
];

/// The features enabling `f` enables directly (empty when it implies nothing).
pub const fn implied_by(f: Feature) -> FeatureSet {
    let mut i = 0;
    while i < IMPLIES.len() {
        if IMPLIES[i].0 as u16 == f as u16 {
            return FeatureSet::of(IMPLIES[i].1);
        }
        i += 1;
    }
    FeatureSet::EMPTY
}

/// `declared` closed under [`IMPLIES`], plus the [`BASELINE`]: every feature a variant
/// declared for `declared` may use.
pub const fn closure(declared: FeatureSet) -> FeatureSet {
    let mut set = declared.union(BASELINE);
    loop {
        let mut next = set;
        let mut i = 0;
        while i < IMPLIES.len() {
            if set.contains(IMPLIES[i].0) {
                next = next.union(FeatureSet::of(IMPLIES[i].1));
            }
            i += 1;
        }
        if next.is_subset(set) {
            return set;
        }
        set = next;
    }
}
