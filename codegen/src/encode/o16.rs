//! The o16 near branches (`data16_jz`, `data16_jmp`, `data16_call`, `data16_loop`, …;
//! `forms::is_o16_branch`), laid out as GNU as lays them out.
//!
//! Takes each o16 branch of the instruction list; guarantees its bytes are GNU as' for the
//! same layout: the short form (`66 74 cb`) while the target is within rel8 reach, else the
//! near one (`66 0F 84 cw`; `data16_call` is near only, `data16_loop`/`data16_jrcxz` short
//! only and an error beyond rel8), and a rel16 of `(target − next instruction) mod 2^16`.
//! That is what the 16-bit operand size means where the CPU honours it (AMD): the new RIP is
//! `(RIP + rel16) AND FFFFh` (AMD64 APM Vol. 3, "JMP (Near)", "Jcc": "the target instruction
//! pointer is truncated to 16 bits"), so only the target's low 16 bits matter, and GNU as
//! writes them without complaint even when the distance exceeds ±32 KiB.
//!
//! iced's BlockEncoder cannot place them: it finds a branch's target by its full address,
//! and an o16 branch's target field holds 16 bits. So `encode` gives the block encoder a
//! placeholder of the branch's length (`db` bytes that no branch relaxation touches), and,
//! once the layout is final, [`resolve`] measures every o16 branch against its label's final
//! address: one that does not reach in its short form grows to the near form and the layout
//! runs again (sizes only grow, so this ends, as GNU as' relaxation does); otherwise the real
//! instruction is encoded at its final address and written over its placeholder.

use std::collections::{BTreeMap, BTreeSet};

use iced_x86::{Code, Encoder, Instruction};

use crate::frame::PInst;
use crate::ir::{LabelId, OperandKind};

/// Which o16 branches must take their near form (grown by [`resolve`]).
#[derive(Default)]
pub(super) struct Sizes {
    near: BTreeSet<usize>,
}

impl Sizes {
    /// The form of o16 branch `i` to place: short until it has grown (or has no short form).
    pub(super) fn form(&self, i: usize, code: Code) -> Code {
        if self.near.contains(&i) {
            code.as_near_branch()
        } else {
            code.as_short_branch()
        }
    }
}

/// A placeholder of `ins`'s encoded length (the target does not change the length).
pub(super) fn placeholder(ins: &Instruction) -> Result<Instruction, String> {
    let mut probe = *ins;
    probe.set_near_branch16(0);
    let len = Encoder::new(64)
        .encode(&probe, 0)
        .map_err(|e| format!("o16 branch: {e}"))?;
    Instruction::with_declare_byte(&vec![0xCC; len]).map_err(|e| e.to_string())
}

/// What the final layout says about the o16 branches.
pub(super) enum Resolved {
    /// These must grow to their near form: lay out again.
    Grow(Vec<usize>),
    /// `(code offset, bytes, instruction index, the instruction as encoded)` for each.
    Patch(Vec<(usize, Vec<u8>, usize, Instruction)>),
}

/// Measures every o16 branch (`placed`: instruction index → its instruction as placed, with
/// its final address) against its label's final address (`labels`: label → index of the
/// instruction it names; `addr`: final address of each instruction index).
pub(super) fn resolve(
    placed: &BTreeMap<usize, (Instruction, u64)>,
    insts: &[&PInst],
    labels: &BTreeMap<LabelId, usize>,
    addr: &BTreeMap<usize, u64>,
) -> syn::Result<Resolved> {
    let mut grow = Vec::new();
    let mut patch = Vec::new();
    for (&i, (ins, at)) in placed {
        let s = insts[i];
        let label = s.inst.operands.iter().find_map(|o| match o.kind {
            OperandKind::Label(l) => Some(l),
            _ => None,
        });
        let target = label
            .and_then(|l| labels.get(&l))
            .and_then(|t| addr.get(t))
            .copied();
        let Some(target) = target else {
            return Err(syn::Error::new(
                s.inst.span,
                format!(
                    "`{}` branches to a label of this kernel only: its 16-bit target cannot reach another symbol",
                    s.inst.mnemonic
                ),
            ));
        };
        let len = Encoder::new(64)
            .encode(&with_target(ins, 0), 0)
            .map_err(|e| crate::diag::internal(s.inst.span, e))?;
        let diff = target.wrapping_sub(at + len as u64) as i64;
        let short = ins.code().op_code().op_kind(0) == iced_x86::OpCodeOperandKind::br16_1;
        if short && !(-128..=127).contains(&diff) {
            if ins.code().as_near_branch() != ins.code() {
                grow.push(i);
                continue;
            }
            return Err(syn::Error::new(
                s.inst.span,
                format!(
                    "`{}`'s target is {diff} bytes away: it has a rel8 only (-128..=127), and unlike the 64-bit `loop` no longer form to fall back on",
                    s.inst.mnemonic
                ),
            ));
        }
        let real = with_target(ins, target);
        let mut enc = Encoder::new(64);
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

impl Sizes {
    pub(super) fn grow(&mut self, which: Vec<usize>) {
        self.near.extend(which);
    }
}

fn with_target(ins: &Instruction, target: u64) -> Instruction {
    let mut i = *ins;
    // Only the low 16 bits exist in the instruction (module docs).
    i.set_near_branch16(target as u16);
    i
}
