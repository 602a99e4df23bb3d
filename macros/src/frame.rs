//! Stage 4, **frame**: prologue, epilogue and returns.
//!
//! Takes the selected instructions; guarantees that
//!
//! * every callee-saved register of the System V ABI (rbx, rbp, r12–r15; System V AMD64 ABI
//!   §3.2.1, Figure 3.4) that any instruction writes — explicitly or implicitly, as iced's
//!   `InstructionInfoFactory` reports — is pushed in the prologue and popped before `ret`;
//! * `vzeroupper` runs before returning from code that touched ymm/zmm0–15, so the caller's
//!   legacy-SSE code pays no transition penalty (Intel Optimization Manual §15.3);
//! * every `return` moves its value into rax / xmm0 (the width of the declared return type)
//!   and jumps to the single epilogue; falling off the end of the body returns too.
//!
//! ```text
//!   prologue:  push <saved callee-saved regs>      ; rsp stays 8 mod 16 + 8·n
//!   body ...   return v  =>  mov rax/xmm0, v ; jmp .exit
//!   .exit:     [vzeroupper] ; pop <saved, reversed> ; ret
//! ```

use iced_x86::{Code, InstructionInfoFactory, OpAccess, Register};
use proc_macro2::Span;

use crate::instr;
use crate::ir::{Decor, Inst, LabelId, Operand, OperandKind, RetValue};
use crate::regs::{self, Reg};
use crate::select::{self, SItem, SelInst, Selected};

/// Callee-saved GPRs in the System V ABI.
const CALLEE_SAVED: [Register; 6] = [
    Register::RBX,
    Register::RBP,
    Register::R12,
    Register::R13,
    Register::R14,
    Register::R15,
];

pub enum FItem {
    Inst(SelInst),
    Label(LabelId),
    Align(u32),
}

pub struct Framed {
    pub items: Vec<FItem>,
    pub consts: Vec<crate::ir::Const>,
    /// Callee-saved registers the prologue saves.
    pub saved: Vec<Register>,
    pub vzeroupper: bool,
}

/// Adds prologue and epilogue, and lowers returns.
pub fn lay_out_frame(sel: Selected) -> syn::Result<Framed> {
    let facts = analyse(&sel.items);
    let exit = LabelId(sel.label_count);
    let site = Span::call_site();
    let mut items = Vec::with_capacity(sel.items.len() + 16);
    for r in &facts.saved {
        items.push(FItem::Inst(synth("push", vec![reg_op(*r, site)], site)?));
    }
    let n = sel.items.len();
    for (i, item) in sel.items.into_iter().enumerate() {
        match item {
            SItem::Inst(s) => items.push(FItem::Inst(s)),
            SItem::Label(l) => items.push(FItem::Label(l)),
            SItem::Align(a) => items.push(FItem::Align(a)),
            SItem::Return(value, span) => {
                if let Some(mv) = return_move(&value, facts.vex)? {
                    items.push(FItem::Inst(mv));
                }
                if i + 1 != n {
                    let op = Operand {
                        kind: OperandKind::Label(exit),
                        span,
                    };
                    items.push(FItem::Inst(synth("jmp", vec![op], span)?));
                }
            }
        }
    }
    items.push(FItem::Label(exit));
    if facts.dirty_upper {
        items.push(FItem::Inst(synth("vzeroupper", vec![], site)?));
    }
    for r in facts.saved.iter().rev() {
        items.push(FItem::Inst(synth("pop", vec![reg_op(*r, site)], site)?));
    }
    items.push(FItem::Inst(SelInst {
        code: Code::Retnq,
        inst: Inst {
            mnemonic: "ret".into(),
            prefix: None,
            operands: vec![],
            span: site,
            line: 0,
            note: None,
        },
    }));
    Ok(Framed {
        items,
        consts: sel.consts,
        saved: facts.saved,
        vzeroupper: facts.dirty_upper,
    })
}

/// The selected instructions with no prologue, epilogue or returns: what encoding tests
/// compare with an assembler.
#[cfg(test)]
pub fn bare(sel: Selected) -> Framed {
    let items = sel
        .items
        .into_iter()
        .filter_map(|item| match item {
            SItem::Inst(s) => Some(FItem::Inst(s)),
            SItem::Label(l) => Some(FItem::Label(l)),
            SItem::Align(a) => Some(FItem::Align(a)),
            SItem::Return(..) => None,
        })
        .collect();
    Framed {
        items,
        consts: sel.consts,
        saved: vec![],
        vzeroupper: false,
    }
}

struct Facts {
    saved: Vec<Register>,
    dirty_upper: bool,
    /// The kernel already uses VEX/EVEX: return moves use `vmovaps`, not `movaps`.
    vex: bool,
}

fn analyse(items: &[SItem]) -> Facts {
    let mut factory = InstructionInfoFactory::new();
    let mut saved = Vec::new();
    let mut dirty_upper = false;
    let mut vex = false;
    for item in items {
        let SItem::Inst(s) = item else { continue };
        let Ok(ins) = instr::build(s.code, &s.inst.operands, s.inst.prefix, &instr::Dummy) else {
            continue;
        };
        vex |= !matches!(s.code.op_code().encoding(), iced_x86::EncodingKind::Legacy);
        // Upper halves become dirty only through 256/512-bit operands: VEX.128 and EVEX.128
        // writes zero them (Intel SDM Vol. 1, 14.1.3), which iced reports as a zmm write.
        dirty_upper |= (0..ins.op_count()).any(|i| {
            ins.op_kind(i) == iced_x86::OpKind::Register && {
                let r = ins.op_register(i);
                (r.is_ymm() || r.is_zmm()) && r.number() < 16
            }
        });
        for used in factory.info(&ins).used_registers() {
            let r = used.register();
            let writes = matches!(
                used.access(),
                OpAccess::Write
                    | OpAccess::CondWrite
                    | OpAccess::ReadWrite
                    | OpAccess::ReadCondWrite
            );
            let full = r.full_register();
            if writes && CALLEE_SAVED.contains(&full) && !saved.contains(&full) {
                saved.push(full);
            }
        }
    }
    saved.sort_by_key(|r| CALLEE_SAVED.iter().position(|c| c == r));
    Facts {
        saved,
        dirty_upper,
        vex,
    }
}

fn reg_op(r: Register, span: Span) -> Operand {
    Operand {
        kind: OperandKind::Reg(Reg::Phys(r), Decor::default()),
        span,
    }
}

/// An instruction the compiler adds, selected like the author's.
fn synth(mnemonic: &str, operands: Vec<Operand>, span: Span) -> syn::Result<SelInst> {
    select::select_inst(Inst {
        mnemonic: mnemonic.into(),
        prefix: None,
        operands,
        span,
        line: 0,
        note: None,
    })
}

/// `mov eax, ecx` / `vmovaps xmm0, xmm3` for `return`, or nothing when already in place.
fn return_move(value: &RetValue, vex: bool) -> syn::Result<Option<SelInst>> {
    match value {
        RetValue::None => Ok(None),
        RetValue::Gpr(Reg::Phys(r), bytes, span) => {
            let (Some(src), Some(dst)) = (
                regs::gpr_of_size(*r, *bytes),
                regs::gpr_of_size(Register::RAX, *bytes),
            ) else {
                return Err(crate::diag::internal(*span, "return register view"));
            };
            if src == dst {
                return Ok(None);
            }
            synth("mov", vec![reg_op(dst, *span), reg_op(src, *span)], *span).map(Some)
        }
        RetValue::Float(Reg::Phys(r), span) => {
            let Some(src) = regs::vec_of_size(*r, 16) else {
                return Err(crate::diag::internal(*span, "return register view"));
            };
            if src == Register::XMM0 {
                return Ok(None);
            }
            let m = if vex || src.number() >= 16 {
                "vmovaps"
            } else {
                "movaps"
            };
            synth(
                m,
                vec![reg_op(Register::XMM0, *span), reg_op(src, *span)],
                *span,
            )
            .map(Some)
        }
        RetValue::Gpr(Reg::Virt(_), _, span) | RetValue::Float(Reg::Virt(_), span) => Err(
            crate::diag::internal(*span, "virtual register reached the frame stage"),
        ),
    }
}
