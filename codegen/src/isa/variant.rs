//! Variants: the feature sets a kernel is compiled for (`targets(sse2, avx2 + fma, avx512f)`).
//!
//! Takes the tokens inside `targets(...)`; guarantees a list of [`Variant`]s, each with the
//! features the author declared and their closure under the implications rustc uses for
//! `target_feature` (avx2 ⇒ avx ⇒ sse4.2 ⇒ …; avx512f ⇒ avx2 + fma + f16c; psABI levels
//! x86-64-v1..v4 as in the System V psABI §3.1.1). Feature names are iced-x86's
//! `CpuidFeature`s in lower case (so every feature an instruction can require can be named),
//! plus the usual spellings (`sse4.1`, `sse4_1`, `avx512vnni`, `bmi1`...). Unknown names are
//! spanned errors that suggest the closest.

use std::collections::BTreeSet;

use iced_x86::CpuidFeature as F;
use proc_macro2::Span;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, Token};

/// One compiled variant.
#[derive(Clone, Debug)]
pub struct Variant {
    /// The name as written, normalised: `"avx2+fma"`, `"x86-64-v3"`, `"baseline"`.
    pub name: String,
    /// `declared` plus everything it implies plus the x86-64 baseline. `None` for the
    /// implicit baseline variant, which accepts any instruction and checks at run time.
    pub allowed: Option<BTreeSet<F>>,
    pub span: Span,
}

impl Variant {
    /// The single variant of a kernel without `targets(...)`.
    pub fn baseline() -> Variant {
        Variant {
            name: "baseline".into(),
            allowed: None,
            span: Span::call_site(),
        }
    }

    /// Whether the variant guarantees `f` (for `has!(f)`); the baseline variant guarantees
    /// only the x86-64 baseline.
    pub fn has(&self, f: F) -> bool {
        match &self.allowed {
            Some(set) => set.contains(&f),
            None => BASELINE.contains(&f),
        }
    }

    /// The natural vector width in bytes: 64 with AVX-512F, 32 with AVX, else 16.
    pub fn vector_bytes(&self) -> u8 {
        if self.has(F::AVX512F) {
            64
        } else if self.has(F::AVX) {
            32
        } else {
            16
        }
    }

    /// Whether xmm16–31 may be allocated (EVEX is available).
    pub fn has_evex(&self) -> bool {
        self.has(F::AVX512F)
    }
}

/// What every x86-64 CPU has (the psABI's x86-64 baseline, "x86-64-v1").
pub const BASELINE: [F; 20] = [
    F::INTEL8086,
    F::INTEL186,
    F::INTEL286,
    F::INTEL386,
    F::INTEL486,
    F::X64,
    F::CPUID,
    F::FPU,
    F::FPU287,
    F::FPU387,
    F::CX8,
    F::CMOV,
    F::MMX,
    F::SSE,
    F::SSE2,
    F::FXSR,
    F::TSC,
    F::PAUSE,
    F::MULTIBYTENOP,
    F::SYSCALL,
];

/// Implications, as rustc's `target_feature` implies them (`rustc --print target-features`).
const IMPLIES: [(F, &[F]); 20] = [
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
    (F::VAES, &[F::AES, F::AVX2]),
    (F::VPCLMULQDQ, &[F::PCLMULQDQ, F::AVX]),
    (F::AVX512F, &[F::AVX2, F::FMA, F::F16C]),
    (F::AVX512CD, &[F::AVX512F]),
    (F::AVX512BW, &[F::AVX512F]),
    (F::AVX512DQ, &[F::AVX512F]),
    (F::AVX512VL, &[F::AVX512F]),
    (F::AVX512_VNNI, &[F::AVX512F]),
    (F::AVX512_BF16, &[F::AVX512BW]),
    (F::AVX512_FP16, &[F::AVX512BW, F::AVX512DQ, F::AVX512VL]),
];

/// psABI micro-architecture levels (System V AMD64 psABI, §3.1.1, Table 3.1).
fn level(n: u8) -> Option<Vec<F>> {
    let v2 = [
        F::CMPXCHG16B,
        F::POPCNT,
        F::SSE3,
        F::SSSE3,
        F::SSE4_1,
        F::SSE4_2,
    ];
    let v3 = [
        F::AVX,
        F::AVX2,
        F::BMI1,
        F::BMI2,
        F::F16C,
        F::FMA,
        F::LZCNT,
        F::MOVBE,
        F::XSAVE,
    ];
    let v4 = [
        F::AVX512F,
        F::AVX512BW,
        F::AVX512CD,
        F::AVX512DQ,
        F::AVX512VL,
    ];
    Some(match n {
        1 => vec![],
        2 => v2.to_vec(),
        3 => v2.iter().chain(&v3).copied().collect(),
        4 => v2.iter().chain(&v3).chain(&v4).copied().collect(),
        _ => return None,
    })
}

/// Common spellings that differ from iced's names.
const SPELLINGS: [(&str, F); 12] = [
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
];

/// The feature with this (lower-case) name.
pub fn feature_by_name(name: &str) -> Option<F> {
    let n = name.to_ascii_lowercase().replace('.', "_");
    if let Some((_, f)) = SPELLINGS.iter().find(|(s, _)| *s == n) {
        return Some(*f);
    }
    F::values().find(|f| format!("{f:?}").to_ascii_lowercase() == n)
}

/// Every accepted feature name, for suggestions.
fn all_names() -> Vec<String> {
    let mut names: Vec<String> = F::values()
        .map(|f| format!("{f:?}").to_ascii_lowercase())
        .collect();
    names.extend(SPELLINGS.iter().map(|(s, _)| (*s).to_owned()));
    names.extend(
        [
            "sse4.1",
            "sse4.2",
            "x86_64_v1",
            "x86_64_v2",
            "x86_64_v3",
            "x86_64_v4",
        ]
        .map(String::from),
    );
    names
}

/// `declared` closed under implication, plus the baseline.
pub fn closure(declared: &[F]) -> BTreeSet<F> {
    let mut set: BTreeSet<F> = BASELINE
        .iter()
        .copied()
        .chain(declared.iter().copied())
        .collect();
    loop {
        let before = set.len();
        for (f, implied) in IMPLIES {
            if set.contains(&f) {
                set.extend(implied.iter().copied());
            }
        }
        if set.len() == before {
            return set;
        }
    }
}

/// The rustc `target_feature` name of a feature, when rustc has one; used to call the best
/// variant directly when the crate is compiled with those features enabled.
pub fn rustc_name(f: F) -> Option<&'static str> {
    Some(match f {
        F::SSE3 => "sse3",
        F::SSSE3 => "ssse3",
        F::SSE4_1 => "sse4.1",
        F::SSE4_2 => "sse4.2",
        F::POPCNT => "popcnt",
        F::AVX => "avx",
        F::AVX2 => "avx2",
        F::FMA => "fma",
        F::F16C => "f16c",
        F::BMI1 => "bmi1",
        F::BMI2 => "bmi2",
        F::LZCNT => "lzcnt",
        F::MOVBE => "movbe",
        F::AES => "aes",
        F::PCLMULQDQ => "pclmulqdq",
        F::SHA => "sha",
        F::ADX => "adx",
        F::RDRAND => "rdrand",
        F::RDSEED => "rdseed",
        F::XSAVE => "xsave",
        F::CMPXCHG16B => "cmpxchg16b",
        F::GFNI => "gfni",
        F::VAES => "vaes",
        F::VPCLMULQDQ => "vpclmulqdq",
        F::AVX512F => "avx512f",
        F::AVX512CD => "avx512cd",
        F::AVX512BW => "avx512bw",
        F::AVX512DQ => "avx512dq",
        F::AVX512VL => "avx512vl",
        F::AVX512_VNNI => "avx512vnni",
        F::AVX512_BF16 => "avx512bf16",
        F::AVX512_FP16 => "avx512fp16",
        F::AVX512_IFMA => "avx512ifma",
        F::AVX512_VBMI => "avx512vbmi",
        F::AVX512_VBMI2 => "avx512vbmi2",
        F::AVX512_BITALG => "avx512bitalg",
        F::AVX512_VPOPCNTDQ => "avx512vpopcntdq",
        _ => return None,
    })
}

/// `targets(a, b + c, x86-64-v3)`: the list inside the parentheses.
pub struct Targets(pub Vec<Variant>);

impl Parse for Targets {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut variants = Vec::new();
        while !input.is_empty() {
            variants.push(parse_variant(input)?);
            if input.is_empty() {
                break;
            }
            input.parse::<Token![,]>()?;
        }
        if variants.is_empty() {
            return Err(input.error("list at least one target, e.g. `targets(sse2, avx2 + fma)`"));
        }
        for (i, v) in variants.iter().enumerate() {
            if variants[..i].iter().any(|w| w.name == v.name) {
                return Err(syn::Error::new(
                    v.span,
                    format!("target `{}` is listed twice", v.name),
                ));
            }
        }
        Ok(Targets(variants))
    }
}

fn parse_variant(input: ParseStream) -> syn::Result<Variant> {
    let start = input.span();
    let mut declared = Vec::new();
    let mut names = Vec::new();
    loop {
        let (name, feats) = parse_feature(input)?;
        names.push(name);
        declared.extend(feats);
        if !input.peek(Token![+]) {
            break;
        }
        input.parse::<Token![+]>()?;
    }
    let allowed = Some(closure(&declared));
    Ok(Variant {
        name: names.join("+"),
        allowed,
        span: start,
    })
}

/// One feature name or psABI level: `avx2`, `sse4.1`, `sse4_1`, `x86_64_v3`, `x86-64-v3`.
fn parse_feature(input: ParseStream) -> syn::Result<(String, Vec<F>)> {
    let ident: Ident = input.parse()?;
    let span = ident.span();
    let mut name = ident.to_string().to_ascii_lowercase();
    // `x86-64-v3` arrives as `x86` `-` `64` `-` `v3`.
    if name == "x86" && input.peek(Token![-]) {
        input.parse::<Token![-]>()?;
        let bits: syn::LitInt = input.parse()?;
        input.parse::<Token![-]>()?;
        let lvl: Ident = input.parse()?;
        name = format!(
            "x86_{}_{}",
            bits.base10_digits(),
            lvl.to_string().to_ascii_lowercase()
        );
    }
    // `sse4.1` arrives as `sse4` `.1`-ish tokens: a `.` then an integer literal.
    if input.peek(Token![.]) {
        input.parse::<Token![.]>()?;
        let minor: syn::LitInt = input.parse()?;
        name = format!("{name}.{}", minor.base10_digits());
    }
    if let Some(n) = name
        .strip_prefix("x86_64_v")
        .and_then(|n| n.parse::<u8>().ok())
    {
        return match level(n) {
            Some(feats) => Ok((format!("x86-64-v{n}"), feats)),
            None => Err(syn::Error::new(
                span,
                "psABI levels are x86-64-v1 to x86-64-v4",
            )),
        };
    }
    match feature_by_name(&name) {
        Some(f) => Ok((name, vec![f])),
        None => {
            let names = all_names();
            let hints = crate::diag::closest(&name, names.iter().map(String::as_str), 3);
            let hint = if hints.is_empty() {
                String::new()
            } else {
                let h: Vec<String> = hints.iter().map(|h| format!("`{h}`")).collect();
                format!("; did you mean {}?", crate::diag::join_or(&h))
            };
            Err(syn::Error::new(
                span,
                format!("unknown target feature `{name}`{hint}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn targets(t: proc_macro2::TokenStream) -> syn::Result<Vec<Variant>> {
        syn::parse2::<Targets>(t).map(|t| t.0)
    }

    #[test]
    fn parses_sets_levels_and_spellings() {
        let v = targets(quote!(sse2, sse4.1, avx2 + fma, x86 - 64 - v4, avx512vnni)).unwrap();
        let names: Vec<&str> = v.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            ["sse2", "sse4.1", "avx2+fma", "x86-64-v4", "avx512vnni"]
        );
        assert!(v[1].has(F::SSSE3) && !v[1].has(F::SSE4_2));
        assert!(v[2].has(F::AVX) && v[2].has(F::SSE4_2) && !v[2].has(F::AVX512F));
        assert!(v[3].has(F::AVX512VL) && v[3].has(F::BMI2) && v[3].has(F::MOVBE));
        assert!(v[4].has(F::AVX512F) && v[4].has(F::AVX2));
        assert_eq!(v[0].vector_bytes(), 16);
        assert_eq!(v[2].vector_bytes(), 32);
        assert_eq!(v[3].vector_bytes(), 64);
    }

    #[test]
    fn unknown_names_suggest() {
        let e = targets(quote!(avx3)).err().unwrap().to_string();
        assert!(
            e.contains("unknown target feature `avx3`") && e.contains("`avx2`"),
            "{e}"
        );
        let e = targets(quote!(avx, avx)).err().unwrap().to_string();
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn every_rustc_name_round_trips() {
        for f in F::values() {
            if let Some(n) = rustc_name(f) {
                assert_eq!(feature_by_name(n), Some(f), "{n}");
            }
        }
    }
}
