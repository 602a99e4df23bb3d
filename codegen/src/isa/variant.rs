//! Variants: the feature sets a kernel is compiled for (`targets(sse2, avx2 + fma, avx512f)`).
//!
//! Takes the tokens inside `targets(...)`; guarantees a list of [`Variant`]s, each with the
//! features the author declared and their closure under the implications rustc uses for
//! `target_feature` (avx2 ⇒ avx ⇒ sse4.2 ⇒ …; avx512f ⇒ avx2 + fma + f16c; psABI levels
//! x86-64-v1..v4 as in the System V psABI §3.1.1). Feature names are iced-x86's
//! `CpuidFeature`s in lower case (so every feature an instruction can require can be named),
//! plus the usual spellings (`sse4.1`, `sse4_1`, `avx512vnni`, `bmi1`...). Unknown names are
//! spanned errors that suggest the closest.
//!
//! Every fact about features here — the baseline, the implications, the psABI levels, the
//! names and rustc's names — comes from asmforge-features, the tables the runtime reads too;
//! this module only converts between its `Feature` and iced's `CpuidFeature` (the same list in
//! the same order: asmforge-features generates its list from iced's and tests it).

use std::collections::BTreeSet;
use std::sync::LazyLock;

use asmforge_features::{self as features, Feature, FeatureSet, Level};
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
    /// The instruction encoder's own variant (tests comparing single instructions with GNU
    /// as): any instruction, and where encodings under unrelated features compete
    /// (`vpdpbusd ymm`: AVX-VNNI or AVX512-VNNI + AVX512VL) the least demanding, as GNU as'
    /// `{vex}` would give, instead of the error a kernel without `targets` gets.
    pub raw: bool,
}

impl Variant {
    /// The single variant of a kernel without `targets(...)`.
    pub fn baseline() -> Variant {
        Variant {
            name: "baseline".into(),
            allowed: None,
            span: Span::call_site(),
            raw: false,
        }
    }

    /// The encoder's variant: like [`Variant::baseline`], but choosing freely among
    /// encodings under unrelated features (see [`Variant::raw`]).
    #[cfg(test)]
    pub fn raw() -> Variant {
        Variant {
            raw: true,
            ..Variant::baseline()
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
pub static BASELINE: LazyLock<Vec<F>> =
    LazyLock::new(|| to_iced(features::BASELINE).into_iter().collect());

/// Our feature for iced's (the same index: see the module docs).
fn from_iced(f: F) -> Option<Feature> {
    Feature::from_index(f as usize)
}

/// iced's features for ours.
fn to_iced(set: FeatureSet) -> BTreeSet<F> {
    F::values()
        .filter(|&f| from_iced(f).is_some_and(|g| set.contains(g)))
        .collect()
}

/// psABI micro-architecture level x86-64-v`n` (System V AMD64 psABI, §3.1.1), without the
/// baseline every variant has anyway.
fn level(n: u8) -> Option<Vec<F>> {
    Level::from_psabi(n).map(|l| to_iced(l.features()).into_iter().collect())
}

/// The feature with this name: iced's in any case (`.` for `_`), or a usual spelling.
pub fn feature_by_name(name: &str) -> Option<F> {
    let f = features::by_name(name)?;
    F::values().find(|&c| from_iced(c) == Some(f))
}

/// Every accepted feature name, for suggestions.
fn all_names() -> Vec<String> {
    let mut names: Vec<String> = F::values()
        .map(|f| format!("{f:?}").to_ascii_lowercase())
        .collect();
    names.extend(features::SPELLINGS.iter().map(|(s, _)| (*s).to_owned()));
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
    let declared: FeatureSet = declared.iter().filter_map(|&f| from_iced(f)).collect();
    to_iced(features::closure(declared))
}

/// The rustc `target_feature` name of a feature, when rustc has one; used to call the best
/// variant directly when the crate is compiled with those features enabled.
pub fn rustc_name(f: F) -> Option<&'static str> {
    from_iced(f).and_then(features::rustc_name)
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
        raw: false,
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
    fn iceds_list_is_the_shared_list() {
        assert_eq!(F::values().len(), Feature::ALL.len());
        for f in F::values() {
            assert_eq!(
                from_iced(f).map(Feature::name),
                Some(format!("{f:?}").as_str())
            );
        }
    }

    #[test]
    fn levels_and_baseline_come_from_the_shared_tables() {
        let v3: BTreeSet<F> = level(3).unwrap().into_iter().collect();
        assert!(v3.contains(&F::XSAVE) && v3.contains(&F::MOVBE) && !v3.contains(&F::AVX512F));
        assert_eq!(v3.len(), Level::Avx2.features().len());
        assert_eq!(BASELINE.len(), features::BASELINE.len());
        assert!(level(5).is_none() && level(0).is_none());
        let v = targets(quote!(x86 - 64 - v3)).unwrap();
        assert!(v[0].has(F::XSAVE) && v[0].has(F::SSE4_2) && !v[0].has(F::AVX512F));
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
