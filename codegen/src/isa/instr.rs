//! Building an `iced_x86::Instruction` from a chosen form and the author's operands.
//!
//! Takes a `Code` that `choose` bound and operands on physical registers — by type:
//! [`build`] takes `Operand<Register>`, so nothing virtual can reach iced; guarantees that
//! every operand slot of the form is filled (implicit string operands included), that
//! immediates take the op-kind the form's slot demands, and that labels and pool constants
//! become branch targets / RIP-relative displacements that `BlockEncoder` resolves. Before
//! allocation, [`with_standins`] gives virtual registers physical stand-ins so that iced can
//! measure an encoding or report the registers an instruction reads and writes.

use iced_x86::{Code, Instruction, OpCodeOperandKind as K, OpKind, Register};

use crate::ir::{ConstId, LabelId, Mem, Operand, OperandKind, Prefix, RipTarget};
use crate::isa::forms;
use crate::isa::regs::{self, RegClass, RegRef, VReg};

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

/// The encoded length of a form with these operands. Virtual registers are measured as
/// stand-ins (the allocator re-binds forms afterwards); labels sit at the dummy address 0,
/// where rel8-only branches (`loop`, `jrcxz`) still reach.
pub fn measure<R: RegRef>(
    code: Code,
    operands: &[Operand<R>],
    prefix: Option<Prefix>,
) -> Result<usize, String> {
    let ins = match with_standins(operands) {
        Some((ops, _)) => build(code, &ops, prefix, &Dummy)?,
        None => return Err("too many virtual registers in one instruction".into()),
    };
    ENCODER.with_borrow_mut(|e| e.encode(&ins, 0).map_err(|e| e.to_string()))
}

thread_local! {
    /// One encoder per thread for measuring: `Encoder::new` allocates its buffer.
    static ENCODER: std::cell::RefCell<iced_x86::Encoder> =
        std::cell::RefCell::new(iced_x86::Encoder::new(64));
}

/// Builds the instruction; errors are internal (selection guarantees the fit).
pub fn build(
    code: Code,
    operands: &[Operand<Register>],
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
            k if forms::implicit_reg(op, k).is_some() => {
                ins.set_op_kind(i, OpKind::Register);
                ins.set_op_register(i, forms::implicit_reg(op, k).unwrap_or_default());
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
                    ins.set_op_mask(m);
                }
                // Only the destination carries `{z}`; a later operand must not clear it.
                if d.zero {
                    ins.set_zeroing_masking(true);
                }
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

fn fill(
    ins: &mut Instruction,
    i: u32,
    kind: K,
    o: &Operand<Register>,
    prev_imm: bool,
    addrs: &dyn Addresses,
) -> Result<(), String> {
    match &o.kind {
        OperandKind::Reg(r, _) => {
            ins.set_op_kind(i, OpKind::Register);
            ins.set_op_register(i, *r);
        }
        OperandKind::Mem(m, _) => {
            ins.set_op_kind(i, OpKind::Memory);
            set_memory(ins, m, addrs)?;
        }
        OperandKind::Imm(v) => set_immediate(ins, i, kind, *v, prev_imm)?,
        // An o16 branch (`data16_jz`) holds the target's low 16 bits, which is all its rel16
        // can reach (`encode` lays it out and patches it, `forms::is_o16_branch`).
        OperandKind::Label(l) if matches!(kind, K::br16_1 | K::br16_2) => {
            ins.set_op_kind(i, OpKind::NearBranch16);
            ins.set_near_branch16(addrs.label(*l) as u16);
        }
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

fn set_memory(
    ins: &mut Instruction,
    m: &Mem<Register>,
    addrs: &dyn Addresses,
) -> Result<(), String> {
    if let Some(seg) = m.segment {
        ins.set_segment_prefix(seg);
    }
    ins.set_is_broadcast(m.bcst);
    if let Some(target) = m.rip {
        // iced's BlockEncoder relocates a RIP-relative target only when it is exactly an
        // instruction's (pre-layout) address: a label's displacement, and `[rip + disp]`
        // (whose target `encode` sets to the instruction's own address), are added to the
        // encoded rel32 afterwards (`encode::rip_displacements`). Constants sit at final
        // addresses already.
        let addr = match target {
            RipTarget::Label(l) => addrs.label(l),
            RipTarget::Const(c) => addrs.constant(c).wrapping_add(m.disp as u64),
            RipTarget::Next => 0,
        };
        ins.set_memory_base(Register::RIP);
        ins.set_memory_index(Register::None);
        ins.set_memory_index_scale(1);
        ins.set_memory_displacement64(addr);
        ins.set_memory_displ_size(8);
        return Ok(());
    }
    let base = m.base.unwrap_or(Register::None);
    let index = m.index.unwrap_or(Register::None);
    ins.set_memory_base(base);
    ins.set_memory_index(index);
    ins.set_memory_index_scale(m.scale);
    ins.set_memory_displacement64(m.disp as u64);
    // iced: displacement size 0 = none, 1 = let the encoder pick disp8/disp32 (it still emits
    // the mandatory disp8 for rbp/r13 bases). Without a base the address always carries a
    // disp32 (ModRM.mod = 00 with SIB.base = 101, Intel SDM Vol. 2, Table 2-3), which EVEX
    // never scales (disp8*N applies to disp8 only, 2.7.5): given size 1 there, iced divides
    // the displacement by N anyway and `[rcx*8 + 16]` silently becomes `[rcx*8 + 1]`.
    let displ_size = if base == Register::None {
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

/// Placeholder physical registers that stand in for virtual ones while iced computes the
/// instruction's register accesses. None of them is ever an implicit operand, and those the
/// instruction names explicitly are skipped.
const GPR_STANDINS: [Register; 6] = [
    Register::R12,
    Register::R13,
    Register::R14,
    Register::R15,
    Register::RBX,
    Register::RBP,
];
const VEC_STANDINS: [Register; 8] = [
    Register::XMM8,
    Register::XMM9,
    Register::XMM10,
    Register::XMM11,
    Register::XMM12,
    Register::XMM13,
    Register::XMM14,
    Register::XMM15,
];
const MASK_STANDINS: [Register; 4] = [Register::K4, Register::K5, Register::K6, Register::K7];

/// Which physical stand-in replaced which virtual register.
pub type Standins = Vec<(Register, VReg)>;

/// Replaces virtual registers by stand-ins; returns the operands and the stand-in map, or
/// `None` if an instruction names more virtual registers of a class than there are stand-ins.
pub fn with_standins<R: RegRef>(ops: &[Operand<R>]) -> Option<(Vec<Operand<Register>>, Standins)> {
    // Physical registers only (most instructions, and all after allocation): nothing to stand
    // in for, and no clash to look for.
    if let Some(phys) = ops
        .iter()
        .map(|o| o.map_regs(RegRef::phys))
        .collect::<Option<Vec<_>>>()
    {
        return Some((phys, Vec::new()));
    }
    let mut map: Standins = Vec::new();
    let present: Vec<Register> = ops
        .iter()
        .flat_map(Operand::regs)
        .filter_map(RegRef::phys)
        .collect();
    let clashes = |r: Register| {
        present.iter().any(|p| {
            p.full_register() == r.full_register()
                || (p.is_vector_register() && r.is_vector_register() && p.number() == r.number())
        })
    };
    let mut next = [0usize; 3];
    let mut standin = |v: VReg| -> Option<Register> {
        let full = match map.iter().find(|(_, w)| w.id == v.id) {
            Some((r, _)) => *r,
            None => {
                let (pool, k): (&[Register], usize) = match v.class {
                    RegClass::Gpr => (&GPR_STANDINS, 0),
                    RegClass::Vec => (&VEC_STANDINS, 1),
                    RegClass::Mask => (&MASK_STANDINS, 2),
                };
                let r = loop {
                    let r = *pool.get(next[k])?;
                    next[k] += 1;
                    if !clashes(r) {
                        break r;
                    }
                };
                map.push((r, v));
                r
            }
        };
        match v.class {
            RegClass::Gpr => regs::gpr_of_size(full, usize::from(v.size)),
            RegClass::Vec => regs::vec_of_size(full, usize::from(v.size)),
            RegClass::Mask => Some(full),
        }
    };
    let out = ops
        .iter()
        .map(|o| {
            o.map_regs(|r| match (r.phys(), r.virt()) {
                (Some(p), _) => Some(p),
                (None, Some(v)) => standin(v),
                (None, None) => None,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some((out, map))
}
