//! A check between allocation and frame: no legacy-SSE instruction may run while the upper
//! halves of ymm/zmm0–15 may be dirty.
//!
//! Takes the allocated program; guarantees that on every path from the kernel's entry, an
//! instruction with a legacy (non-VEX) encoding and an xmm operand is preceded by
//! `vzeroupper`/`vzeroall` if a 256- or 512-bit instruction wrote ymm/zmm0–15 before it.
//! Mixing them costs a state transition of ~70 cycles on Intel cores before Skylake and a
//! false dependency on every SSE instruction after it on later ones (Intel 64 and IA-32
//! Architectures Optimization Reference Manual, §15.3 "Mixing AVX code with SSE code"). It is
//! a compile error — not a warning, which proc macros cannot emit on stable — that says to
//! insert `vzeroupper()` or use the VEX form. The epilogue's own `vzeroupper` (frame) covers
//! the return to the caller.
//!
//! The analysis is a forward "may be dirty" dataflow over the control-flow graph (labels,
//! jumps, fall-through), so a loop that returns to SSE code after AVX code is caught too.

use iced_x86::{Code, EncodingKind, FlowControl, Instruction, OpKind};

use crate::ir::OperandKind;
use crate::isa::instr;
use crate::select::{SItem, Selected};

/// What an instruction does to the upper state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    None,
    Dirties,
    Cleans,
}

pub fn check_sse_avx(sel: &Selected) -> syn::Result<()> {
    // Node per instruction; labels name the next instruction.
    let mut insts: Vec<(usize, Instruction)> = Vec::new();
    let mut label_at = vec![usize::MAX; sel.label_count as usize];
    let mut pending = Vec::new();
    for (i, item) in sel.items.iter().enumerate() {
        match item {
            SItem::Label(l) => pending.push(l.0 as usize),
            SItem::Inst(s) => {
                let Ok(ins) = instr::build(s.code, &s.inst.operands, s.inst.prefix, &instr::Dummy)
                else {
                    continue;
                };
                for l in pending.drain(..) {
                    if let Some(slot) = label_at.get_mut(l) {
                        *slot = insts.len();
                    }
                }
                insts.push((i, ins));
            }
            // A return leaves through the epilogue, which cleans the state itself.
            SItem::Return(..) => {
                for l in pending.drain(..) {
                    if let Some(slot) = label_at.get_mut(l) {
                        *slot = usize::MAX;
                    }
                }
                insts.push((i, Instruction::with(Code::Retnq)));
            }
            _ => {}
        }
    }
    let n = insts.len();
    let mut dirty_in = vec![false; n];
    let mut seen = vec![false; n];
    let mut work = if n > 0 { vec![0usize] } else { vec![] };
    if n > 0 {
        seen[0] = true;
    }
    while let Some(k) = work.pop() {
        let (item, ins) = &insts[k];
        let dirty_out = match effect(ins) {
            Effect::Cleans => false,
            Effect::Dirties => true,
            Effect::None => dirty_in[k],
        };
        let target = match &sel.items[*item] {
            SItem::Inst(s) => s.inst.operands.iter().find_map(|o| match o.kind {
                OperandKind::Label(l) => label_at.get(l.0 as usize).copied(),
                _ => None,
            }),
            _ => None,
        };
        let next = (k + 1 < n).then_some(k + 1);
        let succs: Vec<usize> = match ins.flow_control() {
            FlowControl::UnconditionalBranch => target.into_iter().collect(),
            FlowControl::ConditionalBranch | FlowControl::XbeginXabortXend => {
                next.into_iter().chain(target).collect()
            }
            FlowControl::Return | FlowControl::IndirectBranch | FlowControl::Exception => vec![],
            _ => next.into_iter().collect(),
        };
        for s in succs.into_iter().filter(|s| *s < n) {
            if !seen[s] || (dirty_out && !dirty_in[s]) {
                seen[s] = true;
                dirty_in[s] |= dirty_out;
                work.push(s);
            }
        }
    }
    for (k, (item, ins)) in insts.iter().enumerate() {
        if let (true, SItem::Inst(s)) = (dirty_in[k] && is_legacy_sse(ins), &sel.items[*item]) {
            return Err(syn::Error::new(
                s.inst.span,
                format!(
                    "`{}` is a legacy-SSE instruction, and 256/512-bit AVX code before it (on some path) left the upper register halves dirty: insert `vzeroupper();` before it, or use its VEX form (`v{}`), to avoid the SSE/AVX transition penalty",
                    s.inst.mnemonic, s.inst.mnemonic
                ),
            ));
        }
    }
    Ok(())
}

fn effect(ins: &Instruction) -> Effect {
    if matches!(ins.code(), Code::VEX_Vzeroupper | Code::VEX_Vzeroall) {
        return Effect::Cleans;
    }
    let wide = (0..ins.op_count()).any(|i| {
        ins.op_kind(i) == OpKind::Register && {
            let r = ins.op_register(i);
            (r.is_ymm() || r.is_zmm()) && r.number() < 16
        }
    });
    if wide { Effect::Dirties } else { Effect::None }
}

fn is_legacy_sse(ins: &Instruction) -> bool {
    ins.code().op_code().encoding() == EncodingKind::Legacy
        && (0..ins.op_count())
            .any(|i| ins.op_kind(i) == OpKind::Register && ins.op_register(i).is_xmm())
}
