//! Building an `iced_x86::Instruction` from a selected form and the author's operands.
//!
//! Takes a `Code` that `select` matched and operands on physical registers; guarantees that
//! every operand slot of the form is filled (implicit string operands included), that
//! immediates take the op-kind the form's slot demands, and that labels and pool constants
//! become branch targets / RIP-relative displacements that `BlockEncoder` resolves.

use iced_x86::{Code, Instruction, OpCodeOperandKind as K, OpKind, Register};

use crate::forms;
use crate::ir::{ConstId, LabelId, Mem, Operand, OperandKind, Prefix, RipTarget};
use crate::regs::Reg;

/// Where labels and constants are, in the address space `BlockEncoder` sees.
pub trait Addresses {
    fn label(&self, id: LabelId) -> u64;
    fn constant(&self, id: ConstId) -> u64;
}

/// Addresses for measuring encodings, where only lengths matter.
pub struct Dummy;

impl Addresses for Dummy {
    fn label(&self, _: LabelId) -> u64 {
        0
    }
    fn constant(&self, _: ConstId) -> u64 {
        0
    }
}

/// Builds the instruction; errors are internal (selection guarantees the fit).
pub fn build(
    code: Code,
    operands: &[Operand],
    prefix: Option<Prefix>,
    addrs: &dyn Addresses,
) -> Result<Instruction, String> {
    let op = code.op_code();
    let mut ins = Instruction::default();
    ins.set_code(code);
    let mut written = operands
        .iter()
        .filter(|o| !matches!(o.kind, OperandKind::Rounding(_) | OperandKind::Sae));
    let mut prev_imm = false;
    for i in 0..op.op_count() {
        let kind = op.op_kind(i);
        match kind {
            K::seg_rSI => ins.set_op_kind(i, OpKind::MemorySegRSI),
            K::es_rDI => ins.set_op_kind(i, OpKind::MemoryESRDI),
            K::seg_rDI => ins.set_op_kind(i, OpKind::MemorySegRDI),
            K::seg_rBX_al => {
                ins.set_op_kind(i, OpKind::Memory);
                ins.set_memory_base(Register::RBX);
                ins.set_memory_index(Register::AL);
            }
            _ => {
                let o = written
                    .next()
                    .ok_or("too few operands for the selected form")?;
                fill(&mut ins, i, kind, o, prev_imm, addrs)?;
                prev_imm = forms::is_imm_slot(kind);
            }
        }
    }
    for o in operands {
        match &o.kind {
            OperandKind::Reg(_, d) | OperandKind::Mem(_, d) => {
                if let Some(m) = d.mask {
                    ins.set_op_mask(phys(m)?);
                }
                ins.set_zeroing_masking(d.zero);
            }
            OperandKind::Rounding(rc) => ins.set_rounding_control(*rc),
            OperandKind::Sae => ins.set_suppress_all_exceptions(true),
            _ => {}
        }
    }
    match prefix {
        Some(Prefix::Rep) | Some(Prefix::Repe) => ins.set_has_repe_prefix(true),
        Some(Prefix::Repne) => ins.set_has_repne_prefix(true),
        Some(Prefix::Lock) => ins.set_has_lock_prefix(true),
        None => {}
    }
    Ok(ins)
}

fn phys(r: Reg) -> Result<Register, String> {
    r.phys()
        .ok_or_else(|| "a virtual register reached encoding unallocated".to_owned())
}

fn fill(
    ins: &mut Instruction,
    i: u32,
    kind: K,
    o: &Operand,
    prev_imm: bool,
    addrs: &dyn Addresses,
) -> Result<(), String> {
    match &o.kind {
        OperandKind::Reg(r, _) => {
            ins.set_op_kind(i, OpKind::Register);
            ins.set_op_register(i, phys(*r)?);
        }
        OperandKind::Mem(m, _) => {
            ins.set_op_kind(i, OpKind::Memory);
            set_memory(ins, m, addrs)?;
        }
        OperandKind::Imm(v) => set_immediate(ins, i, kind, *v, prev_imm)?,
        OperandKind::Label(l) => {
            ins.set_op_kind(i, OpKind::NearBranch64);
            ins.set_near_branch64(addrs.label(*l));
        }
        OperandKind::Rounding(_) | OperandKind::Sae => {
            return Err("decorator in an operand slot".into());
        }
    }
    Ok(())
}

fn set_memory(ins: &mut Instruction, m: &Mem, addrs: &dyn Addresses) -> Result<(), String> {
    if let Some(seg) = m.segment {
        ins.set_segment_prefix(seg);
    }
    ins.set_is_broadcast(m.bcst);
    if let Some(target) = m.rip {
        let addr = match target {
            RipTarget::Label(l) => addrs.label(l),
            RipTarget::Const(c) => addrs.constant(c),
        };
        ins.set_memory_base(Register::RIP);
        ins.set_memory_index(Register::None);
        ins.set_memory_index_scale(1);
        ins.set_memory_displacement64(addr.wrapping_add(m.disp as u64));
        ins.set_memory_displ_size(8);
        return Ok(());
    }
    let base = m.base.map(phys).transpose()?.unwrap_or(Register::None);
    let index = m.index.map(phys).transpose()?.unwrap_or(Register::None);
    ins.set_memory_base(base);
    ins.set_memory_index(index);
    ins.set_memory_index_scale(m.scale);
    ins.set_memory_displacement64(m.disp as u64);
    // iced: displacement size 0 = none, 1 = let the encoder pick disp8/disp32 (it still emits
    // the mandatory disp8 for rbp/r13 bases); an absolute address needs the full disp32.
    let displ_size = if base == Register::None && index == Register::None {
        8
    } else {
        u32::from(m.disp != 0)
    };
    ins.set_memory_displ_size(displ_size);
    Ok(())
}

fn set_immediate(
    ins: &mut Instruction,
    i: u32,
    kind: K,
    v: i128,
    prev_imm: bool,
) -> Result<(), String> {
    let kind = match kind {
        // The second of two imm8 slots (`enter`, `extrq`, `insertq`) is iced's Immediate8_2nd.
        K::imm8 if prev_imm => OpKind::Immediate8_2nd,
        K::imm8 | K::imm8_const_1 | K::imm4_m2z => OpKind::Immediate8,
        K::imm8sex16 => OpKind::Immediate8to16,
        K::imm8sex32 => OpKind::Immediate8to32,
        K::imm8sex64 => OpKind::Immediate8to64,
        K::imm16 => OpKind::Immediate16,
        K::imm32 => OpKind::Immediate32,
        K::imm32sex64 => OpKind::Immediate32to64,
        K::imm64 => OpKind::Immediate64,
        _ => return Err(format!("immediate in a non-immediate slot {kind:?}")),
    };
    ins.set_op_kind(i, kind);
    // Truncation is the encoding: selection checked the value fits the slot.
    match kind {
        OpKind::Immediate8_2nd => ins.set_immediate8_2nd(v as u8),
        OpKind::Immediate8
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32
        | OpKind::Immediate8to64 => ins.set_immediate8(v as u8),
        OpKind::Immediate16 => ins.set_immediate16(v as u16),
        OpKind::Immediate32 | OpKind::Immediate32to64 => ins.set_immediate32(v as u32),
        _ => ins.set_immediate64(v as u64),
    }
    Ok(())
}
