//! Which form of an instruction to use: the query every stage asks of the instruction-form
//! table. `select` binds the author's instructions with it, `regalloc` asks it whether a
//! value may live in xmm16–31 and re-binds an instruction after replacing its virtual
//! registers, `frame` binds the instructions it adds. None of them calls another stage.
//!
//! Takes an instruction over any register type ([`RegRef`]: possibly virtual before
//! allocation, physical after) and the CPU features a variant may use; guarantees a `Code`
//! whose operand slots accept the operands as written, chosen by (1) the least demanding
//! encoding — legacy, then VEX, then EVEX, so writing an AVX instruction never silently
//! requires AVX-512 — and (2) the shortest encoding, ties going to iced's table order (which
//! matches GNU as). Then it checks what iced's encoder would silently accept: write masks,
//! `{z}`, broadcast, embedded rounding and SAE only on forms that allow them
//! (`OpCodeInfo::can_*`), `{z}` only with a mask and a register destination, k0 never as a
//! mask, gathers with their required mask and distinct registers, prefixes only where the
//! form takes them. Every refusal is a spanned error that says why.

use iced_x86::{Code, OpCodeInfo};
use proc_macro2::Span;

use crate::diag;
use crate::ir::{Inst, Operand, OperandKind, Prefix, SelInst};
use crate::isa::forms::{self, Strictness};
use crate::isa::instr;
use crate::isa::regs::RegRef;
use crate::isa::spell::{self, Pseudo};
use crate::isa::variant::Variant;

/// The CPU features a variant may use (`None`: any; the baseline variant checks at run time).
pub type Allowed<'a> = Option<&'a Variant>;

/// The restriction of `variant`: its features, or for a kernel without `targets(..)` none but
/// the rule that an encoding it uses may not be one of several under unrelated features
/// ([`check_decided`]); `None` for [`Variant::raw`], which takes any encoding.
pub fn allowed(variant: &Variant) -> Allowed<'_> {
    (!variant.raw).then_some(variant)
}

const PREFIXES: [(&str, Prefix); 6] = [
    ("rep_", Prefix::Rep),
    ("repe_", Prefix::Repe),
    ("repz_", Prefix::Repe),
    ("repne_", Prefix::Repne),
    ("repnz_", Prefix::Repne),
    ("lock_", Prefix::Lock),
];

/// Splits `rep_movsb` into (`Rep`, forms of `movsb`).
fn resolve_mnemonic<R>(inst: &Inst<R>) -> syn::Result<(String, Option<Prefix>, &'static [Code])> {
    // Checked before the table, which knows `ret`: a hand-written `ret` would skip the epilogue.
    if inst.mnemonic == "ret" {
        return Err(err(inst, inst.span, "write `return;` (or `return reg;`) instead of `ret()`: the epilogue restores saved registers before returning".to_owned()));
    }
    if let Some((name, forms)) = forms::lookup(&inst.mnemonic) {
        return Ok((name, inst.prefix, forms));
    }
    for (p, prefix) in PREFIXES {
        if let Some(rest) = inst.mnemonic.strip_prefix(p)
            && let Some((name, forms)) = forms::lookup(rest)
        {
            return Ok((name, Some(prefix), forms));
        }
    }
    let hints = diag::closest(&inst.mnemonic, forms::mnemonics(), 3);
    let msg = if hints.is_empty() {
        format!("unknown instruction `{}`", inst.mnemonic)
    } else {
        let hints: Vec<String> = hints.iter().map(|h| format!("`{h}`")).collect();
        format!(
            "unknown instruction `{}`; did you mean {}?",
            inst.mnemonic,
            diag::join_or(&hints)
        )
    };
    Err(err(inst, inst.span, msg))
}

/// Keeps the forms whose CPU features the variant has; if none, the error names what the
/// closest encoding lacks — the one missing the fewest features, then the one of which the
/// variant already has the most (`targets(avx512f + avx512vnni)` with a ymm `vpdpbusd` is
/// one `+ avx512vl` from its EVEX form) — and the encodings under features neither of which
/// implies the other's, as alternatives.
fn within_variant<R>(
    inst: &Inst<R>,
    codes: Vec<Code>,
    allowed: Allowed<'_>,
) -> syn::Result<Vec<Code>> {
    let Some(variant) = allowed.filter(|v| v.allowed.is_some()) else {
        return Ok(codes);
    };
    let fits = |c: &Code| c.cpuid_features().iter().all(|f| variant.has(*f));
    let kept: Vec<Code> = codes.iter().copied().filter(fits).collect();
    if !kept.is_empty() {
        return Ok(kept);
    }
    let mut encodings = encodings(&codes);
    let missing = |e: &Encoding| -> Vec<F> {
        e.features
            .iter()
            .copied()
            .filter(|f| !variant.has(*f))
            .collect()
    };
    encodings.sort_by_key(|e| {
        let lacks = missing(e).len();
        (lacks, std::cmp::Reverse(e.features.len() - lacks), e.tier)
    });
    let Some(closest) = encodings.first() else {
        return Err(diag::internal(inst.span, "no candidate forms"));
    };
    let lacks = missing(closest);
    let names: Vec<String> = lacks.iter().map(|f| format!("{f:?}")).collect();
    let plus = minimal(&lacks);
    // The guard: the missing feature that implies most of the others (`avx512vl` ⇒ `avx512f`).
    let guard = lacks
        .iter()
        .max_by_key(|f| {
            let closed = crate::isa::variant::closure(&[**f]);
            (
                lacks.iter().filter(|g| closed.contains(g)).count(),
                std::cmp::Reverse(**f as usize),
            )
        })
        .map(|f| feature_spelling(*f))
        .unwrap_or_default();
    let mut msg = format!(
        "`{}` needs {} which variant `{}` does not have: add `+ {}` to that target ({}), or guard the instruction with `if has!({}) {{ ... }}`",
        inst.mnemonic,
        names.join(" + "),
        variant.name,
        plus.join(" + "),
        closest.describe(),
        guard
    );
    let others: Vec<String> = encodings[1..]
        .iter()
        .filter(|e| !implies(&e.features, &closest.features))
        .filter(|e| !implies(&closest.features, &e.features))
        .map(|e| {
            let add = minimal(&missing(e));
            format!("{} (`+ {}`)", e.describe(), add.join(" + "))
        })
        .collect();
    if !others.is_empty() {
        msg.push_str(&format!("; alternatively, {}", others.join("; or ")));
    }
    Err(err(inst, inst.span, msg))
}

type F = iced_x86::CpuidFeature;

/// One encoding of an instruction: its kind (legacy, VEX, EVEX...) and the CPU features
/// it needs; several forms of different lengths may share one.
struct Encoding {
    tier: u8,
    kind: &'static str,
    features: Vec<F>,
    form: Code,
}

impl Encoding {
    /// "its EVEX form needs AVX512_VNNI + AVX512VL".
    fn describe(&self) -> String {
        let f: Vec<String> = self.features.iter().map(|f| format!("{f:?}")).collect();
        format!("its {} form needs {}", self.kind, f.join(" + "))
    }
}

/// The distinct (encoding kind, feature set) pairs of `codes`, in table order. Knights
/// Corner's own forms (`popcnt r64, r64` under KNC) run on no CPU a kernel targets: they are
/// neither alternatives nor rivals, unless they are all there is.
fn encodings(codes: &[Code]) -> Vec<Encoding> {
    let knc = |c: &Code| c.cpuid_features().contains(&F::KNC);
    let mainstream: Vec<Code> = codes.iter().copied().filter(|c| !knc(c)).collect();
    let codes = if mainstream.is_empty() {
        codes
    } else {
        &mainstream
    };
    let mut out: Vec<Encoding> = Vec::new();
    for &c in codes {
        let op = c.op_code();
        let mut features = c.cpuid_features().to_vec();
        features.sort_by_key(|f| format!("{f:?}"));
        let kind = match op.encoding() {
            iced_x86::EncodingKind::Legacy => "legacy",
            iced_x86::EncodingKind::VEX => "VEX",
            iced_x86::EncodingKind::EVEX => "EVEX",
            iced_x86::EncodingKind::XOP => "XOP",
            iced_x86::EncodingKind::D3NOW => "3DNow!",
            _ => "other",
        };
        if !out.iter().any(|e| e.kind == kind && e.features == features) {
            out.push(Encoding {
                tier: forms::tier(op),
                kind,
                features,
                form: c,
            });
        }
    }
    out
}

/// Whether a CPU with features `a` (and what they imply) has every one of `b`.
fn implies(a: &[F], b: &[F]) -> bool {
    let closed = crate::isa::variant::closure(a);
    b.iter().all(|f| closed.contains(f))
}

/// The spellings of `features` without those another of them implies (`avx512vl` for
/// AVX512F + AVX512VL).
fn minimal(features: &[F]) -> Vec<String> {
    features
        .iter()
        .filter(|f| {
            !features
                .iter()
                .any(|g| g != *f && crate::isa::variant::closure(&[*g]).contains(f))
        })
        .map(|f| feature_spelling(*f))
        .collect()
}

/// How `targets(..)` and `has!(..)` spell a feature: iced's name in lower case.
fn feature_spelling(f: F) -> String {
    format!("{f:?}").to_ascii_lowercase()
}

/// A kernel without `targets(..)` (its variant requires at run time whatever it uses) may not
/// leave a choice between encodings whose CPU features do not imply each other to asmforge:
/// `vpdpbusd ymm` is AVX-VNNI (VEX) or AVX512-VNNI + AVX512VL (EVEX), and CPUs have either
/// (Zen 4 and Ice Lake have only the second): taking one silently makes the kernel refuse to
/// run where the other would. The targets decide; the error lists them.
fn check_decided<R: RegRef>(
    inst: &Inst<R>,
    chosen: Code,
    candidates: &[Code],
    allowed: Allowed<'_>,
) -> syn::Result<()> {
    if allowed.is_none_or(|v| v.allowed.is_some()) {
        return Ok(());
    }
    let usable: Vec<Code> = candidates
        .iter()
        .copied()
        .filter(|c| validate(inst, c.op_code()).is_ok())
        .filter(|c| instr::measure(*c, &inst.operands, inst.prefix).is_ok())
        .collect();
    let all = encodings(&usable);
    let mine: Vec<F> = {
        let mut f = chosen.cpuid_features().to_vec();
        f.sort_by_key(|f| format!("{f:?}"));
        f
    };
    let rivals: Vec<&Encoding> = all
        .iter()
        .filter(|e| !implies(&e.features, &mine) && !implies(&mine, &e.features))
        .collect();
    if rivals.is_empty() {
        return Ok(());
    }
    let Some(chosen) = all.iter().find(|e| e.features == mine) else {
        return Ok(());
    };
    let line = |e: &Encoding| {
        let f: Vec<String> = e.features.iter().map(|f| feature_spelling(*f)).collect();
        format!(
            "  {} ({}): `{}` — `targets({})`",
            e.kind,
            e.features
                .iter()
                .map(|f| format!("{f:?}"))
                .collect::<Vec<_>>()
                .join(" + "),
            e.form.op_code().instruction_string(),
            f.join(" + ")
        )
    };
    let mut lines = vec![line(chosen)];
    lines.extend(rivals.iter().map(|e| line(e)));
    Err(err(
        inst,
        inst.span,
        format!(
            "`{}` has encodings for CPU features neither of which implies the other, and a kernel without `targets(..)` does not say which CPUs it is for:\n{}\nname the variant in `targets(..)` (list both, least capable first, to run on either kind of CPU)",
            inst.mnemonic,
            lines.join("\n")
        ),
    ))
}

/// Appends the unrolling context to a message.
fn err<R>(inst: &Inst<R>, span: Span, msg: String) -> syn::Error {
    match &inst.note {
        Some(note) => syn::Error::new(span, format!("{msg} ({note})")),
        None => syn::Error::new(span, msg),
    }
}

/// Chooses the form of one instruction among those `allowed` permits. The operands of `xchg`
/// and `test` commute: like GNU as, take them swapped when only that order has a form or it
/// encodes shorter (`xchg rax, rbx` is `48 93`, `test eax, [rdi]` is `85 07`).
pub fn choose<R: RegRef>(inst: Inst<R>, allowed: Allowed<'_>) -> syn::Result<SelInst<R>> {
    // A pseudo-prefix (`store_`, `vex3_`, `disp32_`: `spell::Pseudo`) stays on the mnemonic
    // of the result, so that re-binding after allocation and `encode` see it.
    let Some((pseudo, bare)) = spell::pseudo_prefixes(&inst.mnemonic) else {
        return choose_bare(inst, allowed, &[]);
    };
    if pseudo.contains(&Pseudo::Disp8) && pseudo.contains(&Pseudo::Disp32) {
        return Err(err(
            &inst,
            inst.span,
            "`disp8_` and `disp32_` ask for two displacement sizes: write one".to_owned(),
        ));
    }
    let mut bare_inst = inst.clone();
    bare_inst.mnemonic = bare.to_owned();
    let mut sel = choose_bare(bare_inst, allowed, &pseudo)?;
    let words: String = pseudo.iter().map(|p| p.word()).collect();
    sel.inst.mnemonic = format!("{words}{}", sel.inst.mnemonic);
    Ok(sel)
}

fn choose_bare<R: RegRef>(
    inst: Inst<R>,
    allowed: Allowed<'_>,
    pseudo: &[Pseudo],
) -> syn::Result<SelInst<R>> {
    let (name, prefix, codes) = resolve_mnemonic(&inst)?;
    let mut inst = inst;
    if let Some(imm) = forms::implied_imm(&inst.mnemonic) {
        append_predicate(&mut inst, &name, imm)?;
    }
    let mut inst = written_implicit(inst, codes)?;
    inst.mnemonic = name;
    inst.prefix = prefix;
    // `store_xchg(eax, edx)` is `87 D0` as GNU's `{store} xchg eax, edx`: a direction
    // pseudo-prefix takes the operands as written.
    let directed = pseudo
        .iter()
        .any(|p| matches!(p, Pseudo::Load | Pseudo::Store));
    if !forms::is_commutative(&inst.mnemonic) || inst.operands.len() != 2 || directed {
        return select_written(inst, codes, allowed, pseudo);
    }
    let mut swapped = inst.clone();
    swapped.operands.swap(0, 1);
    let len = |s: &SelInst<R>| {
        instr::measure(s.code, &s.inst.operands, s.inst.prefix).unwrap_or(usize::MAX)
    };
    match (
        select_written(inst, codes, allowed, pseudo),
        select_written(swapped, codes, allowed, pseudo),
    ) {
        (Ok(a), Ok(b)) if len(&b) < len(&a) => Ok(b),
        (Err(_), Ok(b)) => Ok(b),
        (a, _) => a,
    }
}

/// A compare pseudo-op (`cmpltps`, `vcmpge_oqps`, `vpcmpnltud`: `isa::spell`) takes the
/// predicate its name implies as the last operand, as GNU as assembles it. Writing one more
/// immediate is one mistake, reported at that immediate.
fn append_predicate<R>(inst: &mut Inst<R>, base: &str, imm: u8) -> syn::Result<()> {
    let last = inst
        .operands
        .iter()
        .rev()
        .find(|o| !matches!(o.kind, OperandKind::Rounding(_) | OperandKind::Sae));
    if let Some(o) = last
        && matches!(o.kind, OperandKind::Imm(_))
    {
        return Err(err(
            inst,
            o.span,
            format!(
                "`{}` names its predicate (imm8 = {imm}): drop this immediate, or write `{base}(..., {imm})`",
                inst.mnemonic
            ),
        ));
    }
    inst.operands.push(Operand {
        kind: OperandKind::Imm(i128::from(imm)),
        span: inst.span,
    });
    Ok(())
}

/// The registers a form reads implicitly after its explicit operands, as iced's instruction
/// string lists them: `<XMM0>` in `BLENDVPS xmm1, xmm2/m128, <XMM0>`.
fn trailing_implicit(code: Code) -> Vec<iced_x86::Register> {
    let text = code.op_code().instruction_string();
    let ops = text.split_once(' ').map_or("", |(_, o)| o);
    let mut out = Vec::new();
    for part in ops.split(", ").collect::<Vec<_>>().into_iter().rev() {
        let Some(name) = part.strip_prefix('<').and_then(|p| p.strip_suffix('>')) else {
            break;
        };
        match crate::isa::regs::by_name(&name.to_ascii_lowercase()) {
            Some(r) => out.push(r),
            None => return Vec::new(),
        }
    }
    out.reverse();
    out
}

/// Implicit operands written out, as the Intel SDM, GNU as and LLVM allow
/// (`blendvps(xmm1, xmm2, xmm0)`, `sha256rnds2(xmm1, xmm2, xmm0)`): when no form takes as many
/// operands as are written but one takes the extra ones implicitly, each must be exactly
/// that register, and is dropped. A virtual register there is an error, not a constraint:
/// the instruction reads the physical register whatever the allocator does.
fn written_implicit<R: RegRef>(mut inst: Inst<R>, codes: &[Code]) -> syn::Result<Inst<R>> {
    let written: Vec<usize> = (0..inst.operands.len())
        .filter(|&i| {
            !matches!(
                inst.operands[i].kind,
                OperandKind::Rounding(_) | OperandKind::Sae
            )
        })
        .collect();
    let n = written.len();
    if codes.iter().any(|c| forms::slots(*c).len() == n) {
        return Ok(inst);
    }
    let Some((k, implicit)) = codes.iter().find_map(|c| {
        let k = forms::slots(*c).len();
        let imp = trailing_implicit(*c);
        (n > k && n <= k + imp.len()).then_some((k, imp))
    }) else {
        return Ok(inst);
    };
    const ORDINALS: [&str; 5] = ["first", "second", "third", "fourth", "fifth"];
    for (j, &pos) in written[k..].iter().enumerate() {
        let o = &inst.operands[pos];
        let want = implicit[j];
        let is_it = matches!(&o.kind, OperandKind::Reg(r, d)
            if r.phys() == Some(want) && d.mask.is_none() && !d.zero);
        if is_it {
            continue;
        }
        let reg = crate::isa::regs::name(want);
        let nth = ORDINALS.get(k + j).copied().unwrap_or("last");
        let virt = matches!(&o.kind, OperandKind::Reg(r, _) if r.virt().is_some());
        let hint = if virt {
            format!(
                "; a virtual register cannot stand here (the instruction reads `{reg}` whatever the allocator picks): copy the value into `{reg}` and write `{reg}`"
            )
        } else {
            ", or leave it out".to_owned()
        };
        return Err(err(
            &inst,
            o.span,
            format!(
                "the {nth} operand of `{}` is implicit and must be `{reg}`{hint}",
                inst.mnemonic
            ),
        ));
    }
    for &pos in written[k..].iter().rev() {
        inst.operands.remove(pos);
    }
    Ok(inst)
}

/// Chooses among `codes`, the forms of the instruction's (resolved) mnemonic.
fn select_written<R: RegRef>(
    inst: Inst<R>,
    codes: &[Code],
    allowed: Allowed<'_>,
    pseudo: &[Pseudo],
) -> syn::Result<SelInst<R>> {
    check_k0_mask(&inst)?;
    let written: Vec<&Operand<R>> = inst
        .operands
        .iter()
        .filter(|o| !matches!(o.kind, OperandKind::Rounding(_) | OperandKind::Sae))
        .collect();
    let matches = |code: &Code, strict: Strictness| {
        let slots = forms::slots(*code);
        slots.len() == written.len() && {
            let op = code.op_code();
            slots
                .iter()
                .zip(&written)
                .all(|((_, k), o)| forms::fits(op, *k, &o.kind, strict))
        }
    };
    let strict: Vec<Code> = codes
        .iter()
        .copied()
        .filter(|c| matches(c, Strictness::Strict))
        .collect();
    if strict.is_empty() {
        let loose: Vec<Code> = codes
            .iter()
            .copied()
            .filter(|c| matches(c, Strictness::Loose))
            .collect();
        return Err(explain_mismatch(&inst, &written, codes, &loose));
    }
    let strict = forms_taking_decorator(&inst, codes, strict)?;
    let mut strict = strict;
    for p in pseudo {
        strict = super::pseudo::forms_for(&inst, &written, *p, strict)?;
    }
    let strict = within_variant(&inst, strict, allowed)?;
    let candidates = strict.clone();
    let best_tier = strict
        .iter()
        .map(|c| forms::tier(c.op_code()))
        .min()
        .unwrap_or(0);
    let mut tiered: Vec<Code> = strict
        .into_iter()
        .filter(|c| forms::tier(c.op_code()) == best_tier)
        .collect();
    check_ambiguous_size(&inst, &written, &tiered)?;
    // Branches: take the near form; BlockEncoder shortens it to rel8 when the target reaches.
    // The o16 branches of `data16_jz` likewise: `encode` relaxes them as GNU as does.
    for (near, short) in [
        (
            iced_x86::OpCodeOperandKind::br64_4,
            iced_x86::OpCodeOperandKind::br64_1,
        ),
        (
            iced_x86::OpCodeOperandKind::br16_2,
            iced_x86::OpCodeOperandKind::br16_1,
        ),
    ] {
        if tiered.iter().any(|c| c.op_code().op_kind(0) == near) {
            tiered.retain(|c| c.op_code().op_kind(0) != short);
        }
    }
    // With no register or memory operand to size it, `push(128)` is the 64-bit push GNU as
    // assembles, never the shorter `66 68 imm16` (which moves rsp by 2).
    if written
        .iter()
        .all(|o| matches!(o.kind, OperandKind::Imm(_)))
        && tiered.iter().any(|c| c.op_code().operand_size() != 16)
    {
        tiered.retain(|c| c.op_code().operand_size() != 16);
    }
    // Validate before measuring: the encoder rejects some of what `validate` explains at the
    // right operand (a gather without its mask) with a bare message at the mnemonic.
    let valid: Vec<Code> = tiered
        .iter()
        .copied()
        .filter(|c| validate(&inst, c.op_code()).is_ok())
        .collect();
    if let ([], Some(first)) = (valid.as_slice(), tiered.first()) {
        validate(&inst, first.op_code())?;
    }
    let code = shortest(&inst, &valid)?;
    check_decided(&inst, code, &candidates, allowed)?;
    Ok(narrow(SelInst { code, inst }))
}

/// Re-spells the 16/64-bit GPR of a [`forms::narrow_twin`] form at 32 bits and takes the
/// twin: `movmskps rax, xmm0` is `0F 50 C0`, as GNU as assembles it, not `48 0F 50 C0`.
/// Spelled with the prefix (`rex64_movmskps`, `data16_lldt`: `isa::spell`), the form stays.
fn narrow<R: RegRef>(sel: SelInst<R>) -> SelInst<R> {
    if ["rex64_", "data16_"]
        .iter()
        .any(|p| sel.inst.mnemonic.starts_with(p))
    {
        return sel;
    }
    let Some(twin) = forms::narrow_twin(sel.code) else {
        return sel;
    };
    let view32 = |r: R| r.view(4);
    let mut inst = sel.inst.clone();
    let written = inst
        .operands
        .iter_mut()
        .filter(|o| !matches!(o.kind, OperandKind::Rounding(_) | OperandKind::Sae));
    for (o, (_, kind)) in written.zip(forms::slots(twin)) {
        use iced_x86::OpCodeOperandKind as K;
        if let (K::r32_or_mem | K::r32_reg | K::r32_rm, OperandKind::Reg(r, _)) =
            (kind, &mut o.kind)
        {
            match view32(*r) {
                Some(r32) => *r = r32,
                None => return sel,
            }
        }
    }
    SelInst { code: twin, inst }
}

/// Embedded rounding and `sae` fill no operand slot, so matching ignores them: keep only the
/// forms that take the one written (Intel SDM Vol. 2, 2.7.3 "Static Rounding Support in
/// EVEX"), and say so at the decorator when none does — before any encoding is measured.
fn forms_taking_decorator<R>(
    inst: &Inst<R>,
    all: &[Code],
    fit: Vec<Code>,
) -> syn::Result<Vec<Code>> {
    let Some(d) = inst
        .operands
        .iter()
        .find(|o| matches!(o.kind, OperandKind::Rounding(_) | OperandKind::Sae))
    else {
        return Ok(fit);
    };
    let rounding = matches!(d.kind, OperandKind::Rounding(_));
    let takes = |c: &Code, rounding: bool| {
        let op = c.op_code();
        forms::is_evex(op)
            && if rounding {
                forms::takes_rounding(op)
            } else {
                op.can_suppress_all_exceptions()
            }
    };
    let kept: Vec<Code> = fit.iter().copied().filter(|c| takes(c, rounding)).collect();
    if !kept.is_empty() {
        return Ok(kept);
    }
    let m = &inst.mnemonic;
    let what = if rounding {
        "embedded rounding"
    } else {
        "`sae` (suppress all exceptions)"
    };
    let mut able: Vec<String> = all
        .iter()
        .filter(|c| takes(c, rounding))
        .map(|c| format!("  {}", c.op_code().instruction_string()))
        .collect();
    able.dedup();
    let msg = if !able.is_empty() {
        format!(
            "`{m}` cannot take {what} with these operands; the forms that can are:\n{}",
            able.join("\n")
        )
    } else if rounding && all.iter().any(|c| takes(c, false)) {
        format!(
            "`{m}` has no form with embedded rounding (it does not round); its EVEX forms take `sae` alone"
        )
    } else {
        format!("`{m}` has no form that takes {what}")
    };
    Err(err(inst, d.span, msg))
}

/// Among encodings of equal length, GNU as takes the sign-extended imm8 over a wider
/// immediate (`add ax, 3` is `66 83 C0 03`, not `66 05 03 00`) and the form without REX.W /
/// VEX.W1 (`movq xmm1, [r9]` is `F3 41 0F 7E 09`, not `66 49 0F 6E 09`); so does asmforge.
fn tie_rank(code: Code) -> (usize, bool) {
    let op = code.op_code();
    let imm_bytes = (0..op.op_count())
        .map(|i| match op.op_kind(i) {
            iced_x86::OpCodeOperandKind::imm16 => 2,
            iced_x86::OpCodeOperandKind::imm32 | iced_x86::OpCodeOperandKind::imm32sex64 => 4,
            iced_x86::OpCodeOperandKind::imm64 => 8,
            k if forms::is_imm_slot(k) => 1,
            _ => 0,
        })
        .sum();
    (imm_bytes, op.operand_size() == 64 || op.w() == 1)
}

/// Encoded length, then [`tie_rank`].
type Rank = (usize, (usize, bool));

fn shortest<R: RegRef>(inst: &Inst<R>, codes: &[Code]) -> syn::Result<Code> {
    let mut best: Option<(Rank, Code)> = None;
    let mut first_err = None;
    for &code in codes {
        let measured =
            instr::measure(code, &inst.operands, inst.prefix).map(|l| (l, tie_rank(code)));
        match measured {
            Ok(len) if best.is_none_or(|(l, _)| len < l) => best = Some((len, code)),
            Ok(_) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match (best, first_err) {
        (Some((_, code)), _) => Ok(code),
        (None, Some(e)) => Err(err(
            inst,
            inst.span,
            format!(
                "`{}` cannot be encoded with these operands: {e}",
                inst.mnemonic
            ),
        )),
        (None, None) => Err(diag::internal(inst.span, "no candidate forms")),
    }
}

/// A memory operand must leave exactly one memory size. Without a qualifier the fitting
/// forms may not differ in size — except in sizes no qualifier names (the 14/28-byte x87
/// environments of the o16/o32 `fldenv` forms), which nobody can ask for: then the shortest
/// form, GNU as' default operand size, is taken. A broadcast must also leave one vector
/// length: `qword[rax].bcst()` fits `vcvtpd2ps xmm, m64bcst` as {1to2} and as {1to4}, which
/// GNU as tells apart by `{1toN}` and the DSL by naming the vector, `ymmword[rax].bcst()`.
fn check_ambiguous_size<R>(
    inst: &Inst<R>,
    written: &[&Operand<R>],
    codes: &[Code],
) -> syn::Result<()> {
    let Some((mem_op, mem)) = written.iter().find_map(|o| match &o.kind {
        OperandKind::Mem(m, _) if m.size.is_none() || m.bcst => Some((o, m)),
        _ => None,
    }) else {
        return Ok(());
    };
    let distinct = |size: fn(&OpCodeInfo) -> usize| {
        let mut sizes: Vec<usize> = codes
            .iter()
            .map(|c| size(c.op_code()))
            .filter(|s| *s != 0)
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        sizes
    };
    let spell = |sizes: &[usize]| {
        let names: Vec<String> = sizes
            .iter()
            .filter_map(|s| crate::ir::MemSize::from_bytes(*s))
            .map(|s| format!("`{}[...]`", s.name()))
            .collect();
        diag::join_or(&names)
    };
    let m = &inst.mnemonic;
    if mem.size.is_none() {
        let sizes = if mem.bcst {
            distinct(|op| op.broadcast_memory_size().size())
        } else {
            distinct(|op| op.memory_size().size())
        };
        let nameable = sizes
            .iter()
            .any(|s| crate::ir::MemSize::from_bytes(*s).is_some());
        if sizes.len() > 1 && nameable {
            return Err(err(
                inst,
                mem_op.span,
                format!(
                    "ambiguous memory operand size for `{m}`: write {}{}",
                    spell(&sizes),
                    if mem.bcst { " before `.bcst()`" } else { "" }
                ),
            ));
        }
    }
    if mem.bcst {
        let vectors = distinct(|op| op.memory_size().size());
        if vectors.len() > 1 {
            return Err(err(
                inst,
                mem_op.span,
                format!(
                    "ambiguous broadcast for `{m}`: name the vector it fills, {} before `.bcst()`",
                    spell(&vectors)
                ),
            ));
        }
    }
    Ok(())
}

/// EVEX.aaa = 000 means "no mask" (Intel SDM Vol. 2, 2.7.1), so k0 cannot be written as one.
/// Checked before any form is measured: iced's `set_op_mask` asserts k1–k7.
fn check_k0_mask<R: RegRef>(inst: &Inst<R>) -> syn::Result<()> {
    for o in &inst.operands {
        if let OperandKind::Reg(_, d) | OperandKind::Mem(_, d) = &o.kind
            && d.mask.and_then(RegRef::phys) == Some(iced_x86::Register::K0)
        {
            return Err(err(
                inst,
                o.span,
                "k0 cannot be a write mask (it means \"no mask\"); use k1–k7".into(),
            ));
        }
    }
    Ok(())
}

fn validate<R: RegRef>(inst: &Inst<R>, op: &OpCodeInfo) -> syn::Result<()> {
    let m = &inst.mnemonic;
    let mut mem_operand = false;
    for (pos, o) in inst.operands.iter().enumerate() {
        let decor = match &o.kind {
            OperandKind::Reg(_, d) => Some(d),
            OperandKind::Mem(_, d) => {
                mem_operand = true;
                Some(d)
            }
            _ => None,
        };
        let Some(decor) = decor else { continue };
        if decor.mask.is_some() {
            if pos != 0 {
                return Err(err(
                    inst,
                    o.span,
                    "a write mask goes on the destination (first) operand".into(),
                ));
            }
            if !op.can_use_op_mask_register() {
                return Err(err(inst, o.span, format!("`{m}` cannot take a write mask")));
            }
        }
        if decor.zero {
            if decor.mask.is_none() {
                return Err(err(
                    inst,
                    o.span,
                    "`.z()` (zeroing) needs a write mask: write `.k(k1).z()`".into(),
                ));
            }
            if !op.can_use_zeroing_masking() || matches!(o.kind, OperandKind::Mem(..)) {
                return Err(err(
                    inst,
                    o.span,
                    format!(
                        "`{m}` cannot use zeroing-masking here (a memory destination only merges)"
                    ),
                ));
            }
        }
    }
    let has_mask = inst.operands.first().is_some_and(
        |o| matches!(&o.kind, OperandKind::Reg(_, d) | OperandKind::Mem(_, d) if d.mask.is_some()),
    );
    if op.require_op_mask_register() && !has_mask {
        return Err(err(
            inst,
            inst.span,
            format!("`{m}` requires a write mask on its destination, e.g. `zmm0.k(k1)`"),
        ));
    }
    let decorators: Vec<&Operand<R>> = inst
        .operands
        .iter()
        .filter(|o| matches!(o.kind, OperandKind::Rounding(_) | OperandKind::Sae))
        .collect();
    if decorators.len() > 1 {
        return Err(err(
            inst,
            decorators[1].span,
            "give at most one of the rounding modes / `sae`".into(),
        ));
    }
    if let Some(d) = decorators.first() {
        let (ok, what) = match d.kind {
            OperandKind::Rounding(_) => (forms::takes_rounding(op), "embedded rounding"),
            _ => (
                op.can_suppress_all_exceptions(),
                "`sae` (suppress all exceptions)",
            ),
        };
        if !forms::is_evex(op) || !ok {
            return Err(err(
                inst,
                d.span,
                format!(
                    "this form of `{m}` cannot take {what}; it needs an EVEX form that supports it (`{}`)",
                    op.instruction_string()
                ),
            ));
        }
        if mem_operand {
            return Err(err(
                inst,
                d.span,
                format!(
                    "{what} needs register operands: with a memory operand EVEX.b means broadcast"
                ),
            ));
        }
    }
    if op.requires_unique_reg_nums() {
        check_unique_regs(inst)?;
    }
    let prefix_ok = match inst.prefix {
        None => true,
        Some(Prefix::Rep | Prefix::Repe) => op.can_use_rep_prefix(),
        Some(Prefix::Repne) => op.can_use_repne_prefix(),
        Some(Prefix::Lock) => op.can_use_lock_prefix() && mem_operand,
    };
    if !prefix_ok {
        let why = match inst.prefix {
            Some(Prefix::Lock)
                if forms::lookup(m).is_some_and(|(_, codes)| {
                    codes.iter().any(|c| c.op_code().can_use_lock_prefix())
                }) && !mem_operand =>
            {
                format!("`lock_{m}` needs a memory destination, e.g. `lock_{m}([rdi], ...)`")
            }
            Some(Prefix::Lock) => format!(
                "`{m}` cannot be locked: `lock_` applies to read-modify-write instructions with a memory destination (`add`, `xadd`, `cmpxchg`, `inc`, ...)"
            ),
            Some(Prefix::Repne) => {
                format!("`{m}` cannot take `repne_`: it repeats only `cmps*` and `scas*`")
            }
            _ => format!(
                "`{m}` cannot take `rep_`/`repe_`: they repeat only string instructions (`movs*`, `stos*`, `lods*`, `ins*`, `outs*`, and `cmps*`/`scas*` for `repe_`)"
            ),
        };
        return Err(err(inst, inst.span, why));
    }
    Ok(())
}

/// Gathers and some AVX-512 forms #UD when destination, index and mask share a number
/// (Intel SDM Vol. 2, VGATHERDPS: "#UD if any pair of the index, mask, or destination
/// registers are the same").
fn check_unique_regs<R: RegRef>(inst: &Inst<R>) -> syn::Result<()> {
    let mut seen: Vec<(usize, Span)> = Vec::new();
    for o in &inst.operands {
        let regs: Vec<R> = match &o.kind {
            OperandKind::Reg(r, _) => vec![*r],
            OperandKind::Mem(m, _) => m.index.into_iter().collect(),
            _ => vec![],
        };
        for r in regs {
            if let Some(p) = r.phys()
                && p.is_vector_register()
            {
                if seen.iter().any(|(n, _)| *n == p.number()) {
                    return Err(err(
                        inst,
                        o.span,
                        format!(
                            "`{}` needs distinct destination, source and index registers",
                            inst.mnemonic
                        ),
                    ));
                }
                seen.push((p.number(), o.span));
            }
        }
    }
    Ok(())
}

fn describe<R: RegRef>(o: &Operand<R>) -> String {
    match &o.kind {
        OperandKind::Reg(r, _) => match (r.phys(), r.virt()) {
            (_, Some(v)) => format!("{:?}{}", v.class, v.size).to_lowercase(),
            (None, None) => "reg".into(),
            (Some(r), None) if r.is_gpr() => {
                format!("r{}", r.size() * 8)
            }
            (Some(r), None) if r.is_xmm() => "xmm".into(),
            (Some(r), None) if r.is_ymm() => "ymm".into(),
            (Some(r), None) if r.is_zmm() => "zmm".into(),
            (Some(r), None) if r.is_k() => "k".into(),
            (Some(r), None) => crate::isa::regs::name(r),
        },
        OperandKind::Mem(m, _) => match (m.size, m.bcst) {
            (Some(s), false) => format!("m{}", s.bytes() * 8),
            (Some(s), true) => format!("m{}bcst", s.bytes() * 8),
            (None, true) => "mbcst".into(),
            (None, false) => "mem".into(),
        },
        OperandKind::Imm(_) => "imm".into(),
        OperandKind::Label(_) => "label".into(),
        OperandKind::Rounding(_) => "{rounding}".into(),
        OperandKind::Sae => "{sae}".into(),
    }
}

/// Operands that no form of the mnemonic can take in any slot: a vector register used as an
/// address (only VSIB forms — gathers and scatters — index with one), or a label outside a
/// branch.
fn misplaced_operand<R: RegRef>(
    inst: &Inst<R>,
    written: &[&Operand<R>],
    codes: &[Code],
) -> Option<syn::Error> {
    use iced_x86::OpCodeOperandKind as K;
    let m = &inst.mnemonic;
    let any_slot = |pred: fn(K) -> bool| {
        codes
            .iter()
            .any(|c| forms::slots(*c).iter().any(|(_, k)| pred(*k)))
    };
    for o in written {
        match &o.kind {
            OperandKind::Mem(mem, _)
                if mem
                    .index
                    .and_then(RegRef::phys)
                    .is_some_and(|r| r.is_vector_register())
                    && !any_slot(|k| {
                        matches!(
                            k,
                            K::mem_vsib32x
                                | K::mem_vsib64x
                                | K::mem_vsib32y
                                | K::mem_vsib64y
                                | K::mem_vsib32z
                                | K::mem_vsib64z
                        )
                    }) =>
            {
                return Some(err(
                    inst,
                    o.span,
                    format!(
                        "`{m}` cannot address memory through a vector register (only gathers and scatters take a vector index); use 64-bit registers, e.g. `[rdi + rcx * 4]`"
                    ),
                ));
            }
            OperandKind::Label(_)
                if !any_slot(|k| {
                    matches!(k, K::br64_1 | K::br64_4 | K::xbegin_4 | K::brdisp_4)
                }) =>
            {
                return Some(err(
                    inst,
                    o.span,
                    format!(
                        "`{m}` does not take a label here: a bare label is a branch target; for its address write `lea(rax, [label])`, for the data at it `qword[label]`"
                    ),
                ));
            }
            _ => {}
        }
    }
    None
}

fn explain_mismatch<R: RegRef>(
    inst: &Inst<R>,
    written: &[&Operand<R>],
    codes: &[Code],
    loose: &[Code],
) -> syn::Error {
    let m = &inst.mnemonic;
    if let Some(e) = misplaced_operand(inst, written, codes) {
        return e;
    }
    for o in written {
        if let OperandKind::Mem(mem, _) = &o.kind
            && i32::try_from(mem.disp).is_err()
        {
            return err(
                inst,
                o.span,
                format!(
                    "address {:#x} does not fit in 32 bits (signed); only `movabs` to or from al, ax, eax or rax takes a 64-bit absolute address",
                    mem.disp
                ),
            );
        }
    }
    let evex_loose = loose.iter().any(|c| forms::is_evex(c.op_code()));
    for o in written {
        let (decor, is_mem) = match &o.kind {
            OperandKind::Reg(_, d) => (d, false),
            OperandKind::Mem(_, d) => (d, true),
            _ => continue,
        };
        if (decor.mask.is_some() || decor.zero) && !evex_loose {
            return err(
                inst,
                o.span,
                format!(
                    "`{m}` has no EVEX (AVX-512) form for these operands, so it cannot take a write mask or `.z()`"
                ),
            );
        }
        if let OperandKind::Mem(mem, _) = &o.kind
            && mem.bcst
            && !loose.iter().any(|c| c.op_code().can_broadcast())
        {
            return err(
                inst,
                o.span,
                format!(
                    "`{m}` cannot broadcast a memory operand here (`.bcst()` needs an EVEX form that supports it)"
                ),
            );
        }
        let high = match &o.kind {
            OperandKind::Reg(r, _) => r
                .phys()
                .is_some_and(|r| r.is_vector_register() && r.number() >= 16),
            OperandKind::Mem(mem, _) => mem
                .index
                .and_then(RegRef::phys)
                .is_some_and(|r| r.is_vector_register() && r.number() >= 16),
            _ => false,
        };
        if high && !loose.is_empty() && !evex_loose {
            return err(
                inst,
                o.span,
                format!(
                    "vector registers 16–31 need EVEX (AVX-512) encoding, and `{m}` has only legacy/VEX forms for these operands; use registers 0–15"
                ),
            );
        }
        if is_mem
            && !loose.is_empty()
            && let OperandKind::Mem(mem, _) = &o.kind
            && let Some(s) = mem.size
        {
            let mut sizes: Vec<String> = loose
                .iter()
                .map(|c| c.op_code().memory_size().size())
                .filter(|s| *s != 0)
                .filter_map(crate::ir::MemSize::from_bytes)
                .map(|s| format!("`{}`", s.name()))
                .collect();
            sizes.dedup();
            return err(
                inst,
                o.span,
                format!(
                    "`{m}` does not take a `{}` memory operand here; its forms take {}",
                    s.name(),
                    diag::join_or(&sizes)
                ),
            );
        }
    }
    if let Some(e) = immediate_out_of_range(inst, written, codes) {
        return e;
    }
    let desc: Vec<String> = written.iter().map(|o| describe(o)).collect();
    let mut forms_list: Vec<String> = codes
        .iter()
        .map(|c| format!("  {}", c.op_code().instruction_string()))
        .collect();
    forms_list.dedup();
    let total = forms_list.len();
    forms_list.truncate(12);
    if total > 12 {
        forms_list.push(format!("  ... and {} more", total - 12));
    }
    err(
        inst,
        inst.span,
        format!(
            "no form of `{m}` takes operands ({}); the forms are:\n{}",
            desc.join(", "),
            forms_list.join("\n")
        ),
    )
}

/// If the operands fit some form except for an immediate's value, say so at the immediate.
fn immediate_out_of_range<R: RegRef>(
    inst: &Inst<R>,
    written: &[&Operand<R>],
    codes: &[Code],
) -> Option<syn::Error> {
    let pos = written
        .iter()
        .position(|o| matches!(o.kind, OperandKind::Imm(_)))?;
    let OperandKind::Imm(v) = written[pos].kind else {
        return None;
    };
    let near: Vec<&Code> = codes
        .iter()
        .filter(|c| {
            let op = c.op_code();
            let slots = forms::slots(**c);
            slots.len() == written.len()
                && forms::is_imm_slot(slots[pos].1)
                && slots
                    .iter()
                    .zip(written)
                    .enumerate()
                    .all(|(i, ((_, k), o))| {
                        i == pos || forms::fits(op, *k, &o.kind, Strictness::Strict)
                    })
        })
        .collect();
    let widest = near
        .iter()
        .map(|c| c.op_code().instruction_string())
        .next()?;
    Some(err(
        inst,
        written[pos].span,
        format!(
            "immediate {v} is out of range for `{}` (`{widest}`)",
            inst.mnemonic
        ),
    ))
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::tests::{compile, encode_body, errors};

    /// The first byte of `vpdpbusd ymm0, ymm1, ymm2` in a kernel with `targets(attr)`: C4
    /// (VEX) or 62 (EVEX).
    fn prefix(attr: proc_macro2::TokenStream) -> Result<u8, String> {
        compile(
            attr,
            quote!(
                fn k() {
                    vpdpbusd(ymm0, ymm1, ymm2);
                }
            ),
        )
        .map(|e| e.bytes[0])
    }

    #[test]
    fn the_targets_choose_between_unrelated_encodings() {
        assert_eq!(prefix(quote!(targets(avx2 + avx_vnni))), Ok(0xc4));
        assert_eq!(
            prefix(quote!(targets(avx512f + avx512vl + avx512_vnni))),
            Ok(0x62)
        );
        // A variant with both takes the shorter, VEX.
        assert_eq!(
            prefix(quote!(targets(avx2 + avx_vnni + avx512vl + avx512_vnni))),
            Ok(0xc4)
        );
        // Without targets it is an error that lists both and how to pick.
        let e = errors(
            quote!(),
            quote!(
                fn k() {
                    vpdpbusd(ymm0, ymm1, ymm2);
                }
            ),
        )
        .join("\n");
        assert!(
            e.contains("`targets(avx_vnni)`") && e.contains("`targets(avx512vl + avx512_vnni)`"),
            "{e}"
        );
        // Related features are no choice: `vaddps ymm` is VEX (its EVEX form needs AVX-512,
        // which implies AVX), with or without targets.
        assert!(
            errors(
                quote!(),
                quote!(
                    fn k() {
                        vaddps(ymm0, ymm1, ymm2);
                    }
                )
            )
            .is_empty()
        );
        // The encoder's own variant (single instructions against GNU as) takes the least
        // demanding encoding, as GNU as' `{vex}` does.
        assert_eq!(
            encode_body(quote!(vpdpbusd(ymm0, ymm1, ymm2);)).map(|b| b[0]),
            Ok(0xc4)
        );
    }

    /// Every mnemonic with two forms that take the same operands under features neither of
    /// which implies the other: what a kernel without `targets` cannot write.
    #[test]
    fn the_undecided_instructions_are_these() {
        use super::{encodings, forms, implies};
        let norm = |k: &(u32, iced_x86::OpCodeOperandKind)| {
            format!("{:?}", k.1)
                .replace("_or_mem", "_reg")
                .replace("_rm", "_reg")
                .replace("_vvvv", "_reg")
                .replace("_is4", "_reg")
        };
        let mut found = std::collections::BTreeSet::new();
        for m in forms::mnemonics() {
            let Some((_, codes)) = forms::lookup(m) else {
                continue;
            };
            for (i, a) in codes.iter().enumerate() {
                for b in &codes[i + 1..] {
                    let same = forms::slots(*a)
                        .iter()
                        .map(norm)
                        .eq(forms::slots(*b).iter().map(norm));
                    let kinds = encodings(&[*a, *b]);
                    if same
                        && kinds.len() == 2
                        && !implies(&kinds[0].features, &kinds[1].features)
                        && !implies(&kinds[1].features, &kinds[0].features)
                    {
                        found.insert(m);
                    }
                }
            }
        }
        let found: Vec<&str> = found.into_iter().collect();
        assert_eq!(
            found,
            [
                "vcvtneps2bf16",
                "vpdpbusd",
                "vpdpbusds",
                "vpdpwssd",
                "vpdpwssds",
                "vpmadd52huq",
                "vpmadd52luq"
            ]
        );
    }

    #[test]
    fn a_feature_error_names_the_feature_that_completes_the_target() {
        let e = compile(
            quote!(targets(avx512f + avx512vnni)),
            quote!(
                fn k() {
                    vpdpbusd(ymm0, ymm1, ymm2);
                }
            ),
        )
        .err()
        .unwrap_or_default();
        assert!(
            e.contains("needs AVX512VL") && e.contains("add `+ avx512vl`"),
            "{e}"
        );
        assert!(
            e.contains("alternatively, its VEX form needs AVX_VNNI"),
            "{e}"
        );
        // One feature short of the only encoding: no alternative to name.
        let e = compile(
            quote!(targets(avx2)),
            quote!(
                fn k() {
                    vaddps(zmm0, zmm1, zmm2);
                }
            ),
        )
        .err()
        .unwrap_or_default();
        assert!(
            e.contains("add `+ avx512f`") && !e.contains("alternatively"),
            "{e}"
        );
        // AVX512VL implies AVX512F: the suggestion and the guard name VL alone.
        let e = compile(
            quote!(targets(avx2)),
            quote!(
                fn k() {
                    vaddps(xmm16, xmm1, xmm2);
                }
            ),
        )
        .err()
        .unwrap_or_default();
        assert!(
            e.contains("needs AVX512F + AVX512VL")
                && e.contains("add `+ avx512vl` to")
                && e.contains("has!(avx512vl)"),
            "{e}"
        );
    }
}
