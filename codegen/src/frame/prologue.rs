//! The instructions that build and tear down a [`Plan`]'s frame, each followed by the
//! call-frame directives ([`CfiOp`]) that describe its effect.
//!
//! Prologue: pushes, the static allocation (page by page with a touch of each page when the
//! plan probes), vector saves, then — for a realigning frame — `mov rbp, rsp`,
//! `and rsp, -align` and the locals' allocation. The epilogue undoes it in reverse with one
//! `add rsp` (releasing memory needs no probe). See `frame.rs` for the resulting layout.

use iced_x86::Register;

use crate::frame::cfi::CfiOp;
use crate::frame::stack::{PAGE, Plan};
use crate::frame::{FItem, reg_op, synth};
use crate::ir::{Decor, Mem, MemSize, OperandKind};

type Operand = crate::ir::Operand<Register>;

/// Appends the prologue of `plan`; `vex` picks `vmovaps` over `movaps` for vector saves.
pub fn prologue(plan: &Plan, vex: bool, items: &mut Vec<FItem>) -> syn::Result<()> {
    let mut cfa = 8u32;
    for r in &plan.pushes {
        inst(items, "push", vec![reg(*r)])?;
        cfa += 8;
        items.push(FItem::Cfi(CfiOp::DefCfaOffset(cfa)));
        items.push(FItem::Cfi(CfiOp::Offset(*r, -(cfa as i32))));
    }
    allocate(items, plan.static_bytes, plan.probe, Some(&mut cfa))?;
    let mov = if vex { "vmovaps" } else { "movaps" };
    for (r, off) in &plan.vec_saves {
        inst(items, mov, vec![rsp_mem(*off, None), reg(*r)])?;
        items.push(FItem::Cfi(CfiOp::Offset(*r, *off as i32 - cfa as i32)));
    }
    if let Some(ra) = plan.realign {
        inst(items, "mov", vec![reg(Register::RBP), reg(Register::RSP)])?;
        items.push(FItem::Cfi(CfiOp::DefCfaRegister(Register::RBP)));
        let mask = -i128::from(ra.align);
        inst(items, "and", vec![reg(Register::RSP), imm(mask)])?;
        if plan.probe {
            touch(items)?;
        }
        allocate(items, ra.bytes, plan.probe, None)?;
    }
    Ok(())
}

/// Appends the epilogue of `plan`, up to but not including `ret`.
pub fn epilogue(plan: &Plan, vex: bool, items: &mut Vec<FItem>) -> syn::Result<()> {
    let mut cfa = plan.static_cfa_offset();
    if plan.realign.is_some() {
        inst(items, "mov", vec![reg(Register::RSP), reg(Register::RBP)])?;
        items.push(FItem::Cfi(CfiOp::DefCfaRegister(Register::RSP)));
    }
    let mov = if vex { "vmovaps" } else { "movaps" };
    for (r, off) in &plan.vec_saves {
        inst(items, mov, vec![reg(*r), rsp_mem(*off, None)])?;
        items.push(FItem::Cfi(CfiOp::Restore(*r)));
    }
    if plan.static_bytes > 0 {
        let n = i128::from(plan.static_bytes);
        inst(items, "add", vec![reg(Register::RSP), imm(n)])?;
        cfa -= plan.static_bytes;
        items.push(FItem::Cfi(CfiOp::DefCfaOffset(cfa)));
    }
    for r in plan.pushes.iter().rev() {
        inst(items, "pop", vec![reg(*r)])?;
        cfa -= 8;
        items.push(FItem::Cfi(CfiOp::DefCfaOffset(cfa)));
        items.push(FItem::Cfi(CfiOp::Restore(*r)));
    }
    Ok(())
}

/// `sub rsp, bytes`; when probing, a page at a time, each followed by a touch of the new
/// top of stack, so successive touches are never more than a page apart. `cfa` tracks the
/// CFA offset while rsp is the CFA register.
fn allocate(
    items: &mut Vec<FItem>,
    bytes: u32,
    probe: bool,
    mut cfa: Option<&mut u32>,
) -> syn::Result<()> {
    let mut left = bytes;
    while left > 0 {
        let step = if probe { left.min(PAGE) } else { left };
        inst(
            items,
            "sub",
            vec![reg(Register::RSP), imm(i128::from(step))],
        )?;
        left -= step;
        if let Some(cfa) = cfa.as_deref_mut() {
            *cfa += step;
            items.push(FItem::Cfi(CfiOp::DefCfaOffset(*cfa)));
        }
        if probe {
            touch(items)?;
        }
    }
    Ok(())
}

/// `or qword [rsp], 0`: commits the page without changing it (what GCC's
/// `-fstack-clash-protection` emits).
fn touch(items: &mut Vec<FItem>) -> syn::Result<()> {
    inst(items, "or", vec![rsp_mem(0, Some(MemSize::Qword)), imm(0)])
}

fn inst(items: &mut Vec<FItem>, mnemonic: &str, operands: Vec<Operand>) -> syn::Result<()> {
    let site = proc_macro2::Span::call_site();
    items.push(FItem::Inst(synth(mnemonic, operands, site)?));
    Ok(())
}

fn reg(r: Register) -> Operand {
    reg_op(r, proc_macro2::Span::call_site())
}

fn imm(v: i128) -> Operand {
    Operand {
        kind: OperandKind::Imm(v),
        span: proc_macro2::Span::call_site(),
    }
}

fn rsp_mem(disp: u32, size: Option<MemSize>) -> Operand {
    let mut m = Mem::empty();
    m.base = Some(Register::RSP);
    m.disp = i64::from(disp);
    m.size = size;
    Operand {
        kind: OperandKind::Mem(m, Decor::default()),
        span: proc_macro2::Span::call_site(),
    }
}
