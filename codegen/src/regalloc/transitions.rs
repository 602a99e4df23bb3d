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
//! The analysis is a forward "may be dirty" dataflow over the crate's control-flow graph
//! (`cfg.rs`, the graph allocation's liveness walks too), so a loop that returns to SSE code
//! after AVX code is caught too. It reads the forms and the physical registers of the
//! [`Allocated`] program; no instruction is built.

use iced_x86::{Code, EncodingKind, Register};

use crate::cfg::Cfg;
use crate::ir::{Allocated, OperandKind, SItem, SelInst};

/// What an instruction does to the upper state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Effect {
    None,
    Dirties,
    Cleans,
}

pub fn check_sse_avx(sel: &Allocated) -> syn::Result<()> {
    let cfg = Cfg::build(&sel.items, sel.label_count);
    let n = cfg.nodes.len();
    let inst = |k: usize| match &sel.items[cfg.nodes[k].item] {
        SItem::Inst(s) => Some(s),
        _ => None,
    };
    let mut dirty_in = vec![false; n];
    let mut seen = vec![false; n];
    let mut work = if n > 0 { vec![0usize] } else { vec![] };
    if n > 0 {
        seen[0] = true;
    }
    while let Some(k) = work.pop() {
        // A return leaves through the epilogue, which cleans the state itself.
        let dirty_out = match inst(k).map_or(Effect::None, effect) {
            Effect::Cleans => false,
            Effect::Dirties => true,
            Effect::None => dirty_in[k],
        };
        for &s in &cfg.nodes[k].succs {
            if !seen[s] || (dirty_out && !dirty_in[s]) {
                seen[s] = true;
                dirty_in[s] |= dirty_out;
                work.push(s);
            }
        }
    }
    for (k, dirty) in dirty_in.iter().enumerate() {
        if let Some(s) = inst(k).filter(|s| *dirty && is_legacy_sse(s)) {
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

/// The registers written as operands (not addresses or masks): what iced reports as the
/// instruction's register operands.
fn operand_regs(s: &SelInst<Register>) -> impl Iterator<Item = Register> + '_ {
    s.inst.operands.iter().filter_map(|o| match o.kind {
        OperandKind::Reg(r, _) => Some(r),
        _ => None,
    })
}

fn effect(s: &SelInst<Register>) -> Effect {
    if matches!(s.code, Code::VEX_Vzeroupper | Code::VEX_Vzeroall) {
        return Effect::Cleans;
    }
    let wide = operand_regs(s).any(|r| (r.is_ymm() || r.is_zmm()) && r.number() < 16);
    if wide { Effect::Dirties } else { Effect::None }
}

fn is_legacy_sse(s: &SelInst<Register>) -> bool {
    s.code.op_code().encoding() == EncodingKind::Legacy && operand_regs(s).any(|r| r.is_xmm())
}
