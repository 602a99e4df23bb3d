//! Instructions that asmforge encodes itself at their final address, because iced's
//! BlockEncoder cannot: the o16 near branches (`data16_jz`, `data16_jmp`, `data16_call`,
//! `data16_loop`, …; `forms::is_o16_branch`), `vex3_` instructions (GNU's `{vex3}`, an
//! encoder option the block encoder does not take), and branches from one `align!` block to
//! a label in another ([`Sizes::new`]). Also applies `disp8_`/`disp32_` to a built
//! instruction ([`displacement`]).
//!
//! Why the branches between blocks: the block encoder takes each block's start address as
//! given and shrinks branches from near to short in passes. A branch into another block
//! measured against that block's instructions as they stand; when an earlier pass had not yet
//! shrunk what lies between, a later pass moves the target away (a backward target in an
//! earlier block moves back while the branch's own block start stays put) and the short form
//! chosen no longer reaches: iced then fails ("Branch distance is too far away", about 1 in
//! 100 random programs with `align!`; `tests/relax.rs`). Placed here instead, such a branch
//! starts short and only grows, like the o16 branches below, so the layout converges.
//!
//! Takes the fixed instructions of the list; guarantees their bytes are GNU as' for the same
//! layout. An o16 branch is short (`66 74 cb`) while its target is within rel8 reach, else
//! near (`66 0F 84 cw`; `data16_call` is near only, `data16_loop`/`data16_jrcxz` short only
//! and an error beyond rel8), with a rel16 of `(target − next instruction) mod 2^16`. That
//! is what the 16-bit operand size means where the CPU honours it (AMD): the new RIP is
//! `(RIP + rel16) AND FFFFh` (AMD64 APM Vol. 3, "JMP (Near)", "Jcc": "the target instruction
//! pointer is truncated to 16 bits"), so only the target's low 16 bits matter, and GNU as
//! writes them without complaint even when the distance exceeds ±32 KiB.
//!
//! The block encoder finds a branch's target by its full address, and an o16 branch's target
//! field holds 16 bits. So `encode` gives it a placeholder of the instruction's length (`db`
//! bytes that no relaxation touches), and, once the layout is final, [`resolve`] measures
//! every o16 branch against its label's final address: one that does not reach in its short
//! form grows to the near form and the layout runs again (sizes only grow, so this ends, as
//! GNU as' relaxation does); otherwise every fixed instruction is encoded at its final
//! address, RIP-relative operands against their final targets, and written over its
//! placeholder.

use std::collections::{BTreeMap, BTreeSet};

use iced_x86::{Code, Encoder, Instruction, OpKind, Register};

use crate::frame::PInst;
use crate::ir::{LabelId, OperandKind, RipTarget};
use crate::isa::forms;
use crate::isa::spell::{self, Pseudo};

/// Whether `s` was spelled with pseudo-prefix `p` (`vex3_vaddps`).
pub(super) fn has(s: &PInst, p: Pseudo) -> bool {
    spell::pseudo_prefixes(&s.inst.mnemonic).is_some_and(|(ps, _)| ps.contains(&p))
}

/// Whether `encode` places `s` through this module.
pub(super) fn is_fixed(s: &PInst) -> bool {
    forms::is_o16_branch(s.code) || has(s, Pseudo::Vex3) || sized_branch(s).is_some()
}

/// `disp8_jz(l)`, `disp32_jmp(l)`: a 64-bit branch whose size GNU's `{disp8}`/`{disp32}`
/// fixes (no relaxation); `Some(true)` for rel8.
fn sized_branch(s: &PInst) -> Option<bool> {
    let label = s
        .inst
        .operands
        .iter()
        .any(|o| matches!(o.kind, OperandKind::Label(_)));
    let kind = s.code.op_code().op_kind(0);
    let branch = label
        && matches!(
            kind,
            iced_x86::OpCodeOperandKind::br64_1 | iced_x86::OpCodeOperandKind::br64_4
        );
    if !branch {
        return None;
    }
    if has(s, Pseudo::Disp8) {
        Some(true)
    } else if has(s, Pseudo::Disp32) {
        Some(false)
    } else {
        None
    }
}

/// `disp8_`/`disp32_`: the displacement size of the (base-register) memory operand, as
/// GNU's `{disp8}`/`{disp32}` (iced: displacement size 1 = disp8 even for 0, and disp8*N
/// when it compresses; 8 = disp32, ModRM.mod = 10).
pub(super) fn displacement(ins: &mut Instruction, s: &PInst) {
    let size = if has(s, Pseudo::Disp8) {
        1
    } else if has(s, Pseudo::Disp32) {
        8
    } else {
        return;
    };
    let mem = (0..ins.op_count()).any(|i| ins.op_kind(i) == OpKind::Memory);
    if mem && !matches!(ins.memory_base(), Register::None | Register::RIP) {
        ins.set_memory_displ_size(size);
    }
}

/// A 64-bit `jcc`/`jmp` to a label, with a short and a near form, no size fixed by a
/// pseudo-prefix: what the block encoder relaxes, and what [`Sizes::new`] takes over when
/// the label lies in another block.
pub(super) fn relaxable(s: &PInst) -> Option<LabelId> {
    let code = s.code;
    if forms::is_o16_branch(code)
        || sized_branch(s).is_some()
        || code.as_short_branch() == code.as_near_branch()
        || !matches!(
            code.op_code().op_kind(0),
            iced_x86::OpCodeOperandKind::br64_1 | iced_x86::OpCodeOperandKind::br64_4
        )
    {
        return None;
    }
    s.inst.operands.iter().find_map(|o| match o.kind {
        OperandKind::Label(l) => Some(l),
        _ => None,
    })
}

/// Which branches this module places beyond [`is_fixed`] ones (those between blocks), and
/// which of all must take their near form (grown by [`resolve`]).
#[derive(Default)]
pub(super) struct Sizes {
    near: BTreeSet<usize>,
    between: BTreeSet<usize>,
}

impl Sizes {
    /// `between`: the indices of the [`relaxable`] branches whose label is in another block.
    pub(super) fn new(between: BTreeSet<usize>) -> Sizes {
        Sizes {
            near: BTreeSet::new(),
            between,
        }
    }

    /// The placed branches between blocks.
    pub(super) fn between(&self) -> &BTreeSet<usize> {
        &self.between
    }

    /// Whether instruction `i` is placed through this module.
    pub(super) fn places(&self, i: usize, s: &PInst) -> bool {
        is_fixed(s) || self.between.contains(&i)
    }

    /// How many instructions may grow, each once: a bound on the layout rounds they add.
    pub(super) fn growable(&self, insts: &[&PInst]) -> usize {
        self.between.len()
            + insts
                .iter()
                .filter(|s| forms::is_o16_branch(s.code))
                .count()
    }

    /// The form of placed instruction `i`: an o16 branch or a branch between blocks short
    /// until it has grown (or has no short form).
    pub(super) fn form(&self, i: usize, s: &PInst) -> Code {
        let code = s.code;
        if self.between.contains(&i) {
            return if self.near.contains(&i) {
                code.as_near_branch()
            } else {
                code.as_short_branch()
            };
        }
        if let Some(short) = sized_branch(s) {
            if short {
                code.as_short_branch()
            } else {
                code.as_near_branch()
            }
        } else if !forms::is_o16_branch(code) {
            code
        } else if self.near.contains(&i) {
            code.as_near_branch()
        } else {
            code.as_short_branch()
        }
    }

    pub(super) fn grow(&mut self, which: Vec<usize>) {
        self.near.extend(which);
    }
}

fn encoder(s: &PInst) -> Encoder {
    let mut e = Encoder::new(64);
    e.set_prevent_vex2(has(s, Pseudo::Vex3));
    e
}

/// A placeholder of `ins`'s encoded length (neither a branch target nor a RIP-relative
/// target changes the length).
pub(super) fn placeholder(ins: &Instruction, s: &PInst) -> Result<Instruction, String> {
    let mut probe = *ins;
    if forms::is_o16_branch(ins.code()) {
        probe.set_near_branch16(0);
    } else if ins.op0_kind() == OpKind::NearBranch64 {
        probe.set_near_branch64(0);
    } else if ins.is_ip_rel_memory_operand() {
        probe.set_memory_displacement64(0);
    }
    let len = encoder(s)
        .encode(&probe, 0)
        .map_err(|e| format!("{}: {e}", s.inst.mnemonic))?;
    Instruction::with_declare_byte(&vec![0xCC; len]).map_err(|e| e.to_string())
}

/// What the final layout says about the fixed instructions.
pub(super) enum Resolved {
    /// These o16 branches must grow to their near form: lay out again.
    Grow(Vec<usize>),
    /// `(code offset, bytes, instruction index, the instruction as encoded)` for each.
    Patch(Vec<(usize, Vec<u8>, usize, Instruction)>),
}

/// Final addresses: of each instruction index, and of each label (its instruction's).
pub(super) struct Final<'a> {
    pub(super) addr: &'a BTreeMap<usize, u64>,
    pub(super) labels: &'a BTreeMap<LabelId, usize>,
    /// The placed branches between blocks.
    pub(super) between: &'a BTreeSet<usize>,
}

impl Final<'_> {
    fn label(&self, l: LabelId) -> Option<u64> {
        self.labels.get(&l).and_then(|i| self.addr.get(i)).copied()
    }
}

/// Measures every fixed instruction (`placed`: index → the instruction as built for this
/// round, and its final address) and encodes it there.
pub(super) fn resolve(
    placed: &BTreeMap<usize, (Instruction, u64)>,
    insts: &[&PInst],
    fin: &Final<'_>,
) -> syn::Result<Resolved> {
    let mut grow = Vec::new();
    let mut patch = Vec::new();
    for (&i, (ins, at)) in placed {
        let s = insts[i];
        let len = placeholder(ins, s)
            .map_err(|e| crate::diag::internal(s.inst.span, e))?
            .declare_data_len();
        let next = at + len as u64;
        let real = if fin.between.contains(&i) {
            match between(ins, s, fin, next)? {
                Some(real) => real,
                None => {
                    grow.push(i);
                    continue;
                }
            }
        } else if sized_branch(s).is_some() {
            branch64(ins, s, fin, next)?
        } else if forms::is_o16_branch(s.code) {
            match branch(ins, s, fin, next)? {
                Some(real) => real,
                None => {
                    grow.push(i);
                    continue;
                }
            }
        } else {
            rip_relative(ins, s, fin, next)?
        };
        let mut enc = encoder(s);
        enc.encode(&real, *at)
            .map_err(|e| crate::diag::internal(s.inst.span, e))?;
        patch.push((*at as usize, enc.take_buffer(), i, real));
    }
    Ok(if grow.is_empty() {
        Resolved::Patch(patch)
    } else {
        Resolved::Grow(grow)
    })
}

/// The final address of the label `s` branches to; an error (`` `mnemonic` why ``) when it
/// names no label of this kernel.
fn label_target(s: &PInst, fin: &Final<'_>, why: &str) -> syn::Result<u64> {
    let label = s.inst.operands.iter().find_map(|o| match o.kind {
        OperandKind::Label(l) => Some(l),
        _ => None,
    });
    label
        .and_then(|l| fin.label(l))
        .ok_or_else(|| syn::Error::new(s.inst.span, format!("`{}` {why}", s.inst.mnemonic)))
}

/// An o16 branch aimed at its label, or `None` when its short form must grow.
fn branch(
    ins: &Instruction,
    s: &PInst,
    fin: &Final<'_>,
    next: u64,
) -> syn::Result<Option<Instruction>> {
    let target = label_target(
        s,
        fin,
        "branches to a label of this kernel only: its 16-bit target cannot reach another symbol",
    )?;
    let diff = target.wrapping_sub(next) as i64;
    let short = ins.code().op_code().op_kind(0) == iced_x86::OpCodeOperandKind::br16_1;
    if short && !(-128..=127).contains(&diff) {
        if ins.code().as_near_branch() != ins.code() {
            return Ok(None);
        }
        return Err(syn::Error::new(
            s.inst.span,
            format!(
                "`{}`'s target is {diff} bytes away: it has a rel8 only (-128..=127), and unlike the 64-bit `loop` no longer form to fall back on",
                s.inst.mnemonic
            ),
        ));
    }
    let mut real = *ins;
    // Only the low 16 bits exist in the instruction (module docs).
    real.set_near_branch16(target as u16);
    Ok(Some(real))
}

/// A branch between blocks aimed at its label, or `None` when its short form must grow.
fn between(
    ins: &Instruction,
    s: &PInst,
    fin: &Final<'_>,
    next: u64,
) -> syn::Result<Option<Instruction>> {
    let Some(target) = relaxable(s).and_then(|l| fin.label(l)) else {
        // `between_blocks` chose it for a label that heads an instruction.
        return Err(crate::diag::internal(
            s.inst.span,
            "a branch between blocks without its label's address",
        ));
    };
    let diff = target.wrapping_sub(next) as i64;
    let short = ins.code().op_code().op_kind(0) == iced_x86::OpCodeOperandKind::br64_1;
    if short && !(-128..=127).contains(&diff) {
        return Ok(None);
    }
    let mut real = *ins;
    real.set_near_branch64(target);
    Ok(Some(real))
}

/// A `disp8_`/`disp32_` branch aimed at its label; a rel8 that does not reach is an error.
fn branch64(ins: &Instruction, s: &PInst, fin: &Final<'_>, next: u64) -> syn::Result<Instruction> {
    let target = label_target(
        s,
        fin,
        "branches to a label of this kernel only (a call to another symbol is always rel32)",
    )?;
    let diff = target.wrapping_sub(next) as i64;
    if sized_branch(s) == Some(true) && !(-128..=127).contains(&diff) {
        return Err(syn::Error::new(
            s.inst.span,
            format!(
                "`{}`'s target is {diff} bytes away, beyond the rel8 that `disp8_` asks for (-128..=127): drop `disp8_`",
                s.inst.mnemonic
            ),
        ));
    }
    let mut real = *ins;
    real.set_near_branch64(target);
    Ok(real)
}

/// The instruction with its RIP-relative operand aimed at the final target: a label's
/// address plus the written displacement, `[rip + disp]` the next instruction's plus disp
/// (constants are at final addresses already, `instr::build`).
fn rip_relative(
    ins: &Instruction,
    s: &PInst,
    fin: &Final<'_>,
    next: u64,
) -> syn::Result<Instruction> {
    let mut real = *ins;
    for o in &s.inst.operands {
        let OperandKind::Mem(m, _) = &o.kind else {
            continue;
        };
        let target = match m.rip {
            Some(RipTarget::Label(l)) => fin.label(l).map(|a| a.wrapping_add(m.disp as u64)),
            Some(RipTarget::Next) => Some(next.wrapping_add(m.disp as u64)),
            Some(RipTarget::Const(_)) | None => continue,
        };
        let Some(target) = target else {
            return Err(syn::Error::new(
                o.span,
                format!(
                    "`{}` addresses a label of this kernel only",
                    s.inst.mnemonic
                ),
            ));
        };
        real.set_memory_displacement64(target);
    }
    Ok(real)
}
