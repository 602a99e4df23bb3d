//! What the sweep covers: the forms (M), the extension families it reports on, and the
//! exclusions file with its reasons.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use iced_x86::{Code, CpuidFeature, EncodingKind};

/// The exclusions file: `<Code>  <reason>` per line.
const EXCLUSIONS: &str = include_str!("../../../tests/sweep-exclusions.txt");

/// Every form of the sweep: what `forms::lookup` can return, restricted to legacy, VEX and
/// EVEX (XOP and 3DNow! are selectable too but outside M).
pub(super) fn all_forms() -> Vec<Code> {
    Code::values()
        .filter(|c| {
            let op = c.op_code();
            op.is_instruction()
                && op.mode64()
                && matches!(
                    op.encoding(),
                    EncodingKind::Legacy | EncodingKind::VEX | EncodingKind::EVEX
                )
        })
        .collect()
}

/// Extension families for the coverage lines; the first thirteen must be fully covered or
/// explained.
pub(super) const FAMILIES: &[(&str, &[CpuidFeature])] = {
    use CpuidFeature as F;
    &[
        (
            "SSE-SSE4.2",
            &[F::SSE, F::SSE2, F::SSE3, F::SSSE3, F::SSE4_1, F::SSE4_2],
        ),
        ("AVX", &[F::AVX]),
        ("AVX2", &[F::AVX2]),
        ("FMA", &[F::FMA]),
        ("BMI1/BMI2", &[F::BMI1, F::BMI2]),
        ("AVX-512 F", &[F::AVX512F]),
        ("AVX-512 CD", &[F::AVX512CD]),
        ("AVX-512 BW", &[F::AVX512BW]),
        ("AVX-512 DQ", &[F::AVX512DQ]),
        ("AVX-512 VL", &[F::AVX512VL]),
        ("AVX-512 VNNI", &[F::AVX512_VNNI]),
        ("AVX-512 BF16", &[F::AVX512_BF16]),
        ("AVX-512 FP16", &[F::AVX512_FP16]),
        ("x87", &[F::FPU, F::FPU287, F::FPU387]),
        ("MMX", &[F::MMX]),
        (
            "base integer",
            &[
                F::INTEL8086,
                F::INTEL186,
                F::INTEL286,
                F::INTEL386,
                F::INTEL486,
                F::X64,
                F::CMOV,
            ],
        ),
    ]
};

pub(super) fn families(code: Code) -> Vec<&'static str> {
    let features = code.cpuid_features();
    let mut out: Vec<&'static str> = FAMILIES
        .iter()
        .filter(|(_, fs)| fs.iter().any(|f| features.contains(f)))
        .map(|(n, _)| *n)
        .collect();
    if out.is_empty() {
        out.push(match code.op_code().encoding() {
            EncodingKind::Legacy => "other legacy",
            EncodingKind::VEX => "other VEX",
            _ => "other EVEX",
        });
    }
    out
}

/// The reasons a form may be excluded, as the exclusions file spells them (its header says
/// what each means).
const REASONS: &[&str] = &[
    "alias",
    "narrowed",
    "size-variant",
    "ret",
    "gnu-rejects",
    "gnu-lacks",
    "knc",
];

/// Reasons that depend on the installed GNU as: a listed form it now checks is only reported.
pub(super) const GNU_DEPENDENT: &[&str] = &["gnu-rejects", "gnu-lacks"];

/// What asmforge may reject that GNU as assembles, on purpose: (message fragment, why).
pub(super) const DELIBERATE_REJECTIONS: &[(&str, &str)] = &[
    (
        "ambiguous broadcast",
        "`qword[m].bcst()` fits {1to2} and {1to4}: the DSL asks for the vector size",
    ),
    ("instead of `ret()`", "`ret` would skip the epilogue"),
    (
        "must equal memory addressing mode",
        "a32 forms need 32-bit address registers; DSL addresses are 64-bit",
    ),
    ("takes operands (cs,", "MOV to CS is #UD"),
];

/// `Code` name → reason, from the exclusions file.
pub(super) fn exclusions(forms: &[Code]) -> Result<BTreeMap<Code, String>, String> {
    let by_name: BTreeMap<String, Code> = forms.iter().map(|c| (format!("{c:?}"), *c)).collect();
    let mut out = BTreeMap::new();
    let mut errors = String::new();
    for (n, line) in EXCLUSIONS.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let mut words = line.split_whitespace();
        let (Some(name), Some(reason)) = (words.next(), words.next()) else {
            let _ = writeln!(errors, "line {}: expected `<Code> <reason>`", n + 1);
            continue;
        };
        match by_name.get(name) {
            Some(c) if REASONS.contains(&reason) => {
                if out.insert(*c, reason.to_owned()).is_some() {
                    let _ = writeln!(errors, "line {}: `{name}` listed twice", n + 1);
                }
            }
            Some(_) => {
                let _ = writeln!(errors, "line {}: unknown reason `{reason}`", n + 1);
            }
            None => {
                let _ = writeln!(
                    errors,
                    "line {}: `{name}` is not a form of the sweep",
                    n + 1
                );
            }
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}
