//! The instruction-form table: every 64-bit-mode form iced-x86 knows, by mnemonic, and the
//! rules for whether a written operand fits a form's operand slot.
//!
//! Takes nothing but iced's tables (`Code::values()`, `OpCodeInfo`); guarantees that a form
//! accepts an operand only if iced can encode it *as written*: vector registers 16–31, masks,
//! `{z}`, broadcast and embedded rounding only on EVEX forms; VSIB only where the form has it;
//! immediates only within the slot's range (signed or unsigned reading of the slot's width,
//! as GNU as accepts them).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use iced_x86::{Code, EncodingKind, MemorySize, OpCodeInfo, OpCodeOperandKind as K, Register};

use crate::ir::{Decor, Mem, OperandKind};
use crate::isa::regs::{RegClass, RegRef};
use crate::isa::spell;

/// Mnemonic aliases that iced spells differently (Intel SDM Vol. 2, "Jcc", "SETcc", "CMOVcc"
/// list the synonyms); `movabs` is GNU as' name for the 64-bit-immediate `mov`.
const CONDITION_ALIASES: [(&str, &str); 14] = [
    ("z", "e"),
    ("nz", "ne"),
    ("c", "b"),
    ("nae", "b"),
    ("nc", "ae"),
    ("nb", "ae"),
    ("na", "be"),
    ("nbe", "a"),
    ("pe", "p"),
    ("po", "np"),
    ("nge", "l"),
    ("nl", "ge"),
    ("ng", "le"),
    ("nle", "g"),
];

/// Plain names that GNU as and NASM read at the default operand size, where iced's mnemonic
/// of the same spelling is the 16-bit form (Intel SDM Vol. 2B, PUSHF/PUSHFD/PUSHFQ: "some
/// assemblers may force the operand size to 16 when PUSHF is used"): in 64-bit code `pushf`
/// is `9C` (PUSHFQ), not `66 9C`, and `iret` is `CF` (IRETD). The 16-bit forms keep GNU's
/// `w` names. (alias, iced mnemonic)
const SIZE_ALIASES: [(&str, &str); 6] = [
    ("pushf", "pushfq"),
    ("popf", "popfq"),
    ("iret", "iretd"),
    ("pushfw", "pushf"),
    ("popfw", "popf"),
    ("iretw", "iret"),
];

/// Whether the two operands of `mnemonic` may be written either way round: XCHG exchanges
/// and TEST ANDs without storing (Intel SDM Vol. 2B), but iced lists each form one way only.
pub fn is_commutative(mnemonic: &str) -> bool {
    matches!(mnemonic, "xchg" | "test")
}

/// Forms by lower-case mnemonic, in iced's `Code` order.
fn table() -> &'static BTreeMap<String, Vec<Code>> {
    &tables().by_mnemonic
}

/// Forms by lower-case mnemonic including the o16 near branches ([`is_o16_branch`]), which
/// only a `data16_` spelling reaches (`isa::spell`).
fn table_with_o16() -> &'static BTreeMap<String, Vec<Code>> {
    &tables().with_o16
}

/// A near branch with a 16-bit operand size (`66 74 cb`, `66 0F 84 cw`, `66 E8 cw`, `66 E2
/// cb`): in 64-bit mode AMD CPUs truncate the new RIP to 16 bits, Intel CPUs ignore the 66
/// (AMD64 APM Vol. 3, "Jcc": "the operand size is forced to 64 bits … 16-bit operands may be
/// used with a 66 prefix"; Intel SDM Vol. 2A, Jcc: "In 64-bit mode, operand size is fixed at
/// 64 bits"; iced decodes them only with `DecoderOptions::AMD`). Selected only when spelled
/// `data16_jz` & co., as GNU as spells them (`data16 jz`).
pub fn is_o16_branch(code: Code) -> bool {
    let op = code.op_code();
    (0..op.op_count()).any(|i| matches!(op.op_kind(i), K::br16_1 | K::br16_2))
}

/// What the form queries read for every expansion, built once per process (a proc macro's
/// statics live as long as the compiler process that loaded it, so every kernel of a crate
/// shares them).
struct Tables {
    by_mnemonic: BTreeMap<String, Vec<Code>>,
    /// `by_mnemonic` with the o16 branches.
    with_o16: BTreeMap<String, Vec<Code>>,
    /// Explicit slots of every form, indexed by `Code as usize`.
    slots: Vec<Box<[(u32, K)]>>,
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        let mut by_mnemonic: BTreeMap<String, Vec<Code>> = BTreeMap::new();
        let mut with_o16: BTreeMap<String, Vec<Code>> = BTreeMap::new();
        let slots = Code::values()
            .map(|c| explicit_slots(c.op_code()).into_boxed_slice())
            .collect();
        for code in Code::values() {
            let op = code.op_code();
            if !op.is_instruction() || !op.mode64() {
                continue;
            }
            if !matches!(
                op.encoding(),
                EncodingKind::Legacy
                    | EncodingKind::VEX
                    | EncodingKind::EVEX
                    | EncodingKind::XOP
                    | EncodingKind::D3NOW
            ) {
                continue;
            }
            let name = format!("{:?}", code.mnemonic()).to_ascii_lowercase();
            with_o16.entry(name.clone()).or_default().push(code);
            if !is_o16_branch(code) {
                by_mnemonic.entry(name).or_default().push(code);
            }
        }
        Tables {
            by_mnemonic,
            with_o16,
            slots,
        }
    })
}

/// The slots of a form that the author writes ([`explicit_slots`]), from the table built once
/// per process.
pub fn slots(code: Code) -> &'static [(u32, K)] {
    // `Code::values()` yields every code in order, so the index exists.
    tables().slots.get(code as usize).map_or(&[], |s| s)
}

/// The forms of a mnemonic, after applying aliases. `movabs` keeps only the imm64 form and
/// the 64-bit absolute addresses (`A0`–`A3`, moffs), as in GNU as.
pub fn lookup(mnemonic: &str) -> Option<(String, &'static [Code])> {
    lookup_in(mnemonic, table())
}

/// [`lookup`] in `table` (with or without the o16 branches).
fn lookup_in(
    mnemonic: &str,
    table: &'static BTreeMap<String, Vec<Code>>,
) -> Option<(String, &'static [Code])> {
    const MOVABS: [Code; 9] = [
        Code::Mov_r64_imm64,
        Code::Mov_AL_moffs8,
        Code::Mov_AX_moffs16,
        Code::Mov_EAX_moffs32,
        Code::Mov_RAX_moffs64,
        Code::Mov_moffs8_AL,
        Code::Mov_moffs16_AX,
        Code::Mov_moffs32_EAX,
        Code::Mov_moffs64_RAX,
    ];
    if mnemonic == "movabs" {
        return Some(("mov".into(), &MOVABS));
    }
    if mnemonic == "sal" {
        return table.get("shl").map(|f| ("shl".into(), f.as_slice()));
    }
    if let Some((_, iced)) = SIZE_ALIASES.iter().find(|(a, _)| *a == mnemonic) {
        return table
            .get(*iced)
            .map(|f| (mnemonic.to_owned(), f.as_slice()));
    }
    if let Some(f) = table.get(mnemonic) {
        return Some((mnemonic.to_owned(), f.as_slice()));
    }
    for stem in ["j", "set", "cmov"] {
        if let Some(cond) = mnemonic.strip_prefix(stem)
            && let Some((_, canon)) = CONDITION_ALIASES.iter().find(|(a, _)| *a == cond)
        {
            let name = format!("{stem}{canon}");
            return table.get(&name).map(|f| (name, f.as_slice()));
        }
    }
    // GNU as' spellings (`spell`): a size spelling keeps its name, so that re-binding the
    // instruction after allocation selects among the same forms; a compare pseudo-op becomes
    // its base mnemonic, and `choose` appends the predicate ([`implied_imm`]).
    if let Some(f) =
        spell::size_spelling(mnemonic, |b| lookup_in(b, table_with_o16()).map(|(_, f)| f))
    {
        return Some((mnemonic.to_owned(), f));
    }
    if let Some((base, _)) = spell::pseudo_op(mnemonic) {
        return table.get(&base).map(|f| (base, f.as_slice()));
    }
    None
}

/// The predicate immediate a compare pseudo-op implies (`cmpltps` is `cmpps` with 1), for a
/// name that is not itself an instruction (`vpcmpeqb` is).
pub fn implied_imm(mnemonic: &str) -> Option<u8> {
    if table().contains_key(mnemonic) {
        return None;
    }
    spell::pseudo_op(mnemonic).map(|(_, imm)| imm)
}

/// Forms whose REX.W, VEX/EVEX.W1 or 66 prefix changes nothing but how the register is
/// spelled: the GPR is a zero-extended destination or a source of which only the low bits
/// are read, so the 32-bit twin (same opcode, no prefix) does the same. Intel SDM Vol. 2:
/// MOVMSKPS/PMOVMSKB/PEXTRW "the default operand size is 64-bit in 64-bit mode", PEXTRB/
/// PINSRB/PINSRW/EXTRACTPS `reg/m8` … `WIG`, MOV Sreg "zero-extended", LLDT/LTR/VERR/VERW/
/// LMSW "operand-size attribute has no effect", LKGS (like LLDT) reads a 16-bit selector,
/// TPAUSE/UMWAIT list r32 only. GNU as encodes
/// these without the prefix (its `NoRex64`/`IgnoreSize` templates, i386-opc.tbl) and so does
/// asmforge (`tpause rcx`, which GNU as rejects, is LLVM's `66 0F AE F1`); the forms where the
/// width does matter (`mov cx, fs`, `sldt cx`, `smsw rcx`) are not listed.
const NARROWABLE: [Code; 43] = [
    Code::Tpause_r64,
    Code::Umwait_r64,
    Code::Movmskps_r64_xmm,
    Code::Movmskpd_r64_xmm,
    Code::VEX_Vmovmskps_r64_xmm,
    Code::VEX_Vmovmskps_r64_ymm,
    Code::VEX_Vmovmskpd_r64_xmm,
    Code::VEX_Vmovmskpd_r64_ymm,
    Code::Pmovmskb_r64_mm,
    Code::Pmovmskb_r64_xmm,
    Code::VEX_Vpmovmskb_r64_xmm,
    Code::VEX_Vpmovmskb_r64_ymm,
    Code::Pextrw_r64_mm_imm8,
    Code::Pextrw_r64_xmm_imm8,
    Code::VEX_Vpextrw_r64_xmm_imm8,
    Code::EVEX_Vpextrw_r64_xmm_imm8,
    Code::Pextrw_r64m16_xmm_imm8,
    Code::VEX_Vpextrw_r64m16_xmm_imm8,
    Code::EVEX_Vpextrw_r64m16_xmm_imm8,
    Code::Pinsrw_mm_r64m16_imm8,
    Code::Pinsrw_xmm_r64m16_imm8,
    Code::VEX_Vpinsrw_xmm_xmm_r64m16_imm8,
    Code::EVEX_Vpinsrw_xmm_xmm_r64m16_imm8,
    Code::Pextrb_r64m8_xmm_imm8,
    Code::VEX_Vpextrb_r64m8_xmm_imm8,
    Code::EVEX_Vpextrb_r64m8_xmm_imm8,
    Code::Pinsrb_xmm_r64m8_imm8,
    Code::VEX_Vpinsrb_xmm_xmm_r64m8_imm8,
    Code::EVEX_Vpinsrb_xmm_xmm_r64m8_imm8,
    Code::Extractps_r64m32_xmm_imm8,
    Code::VEX_Vextractps_r64m32_xmm_imm8,
    Code::EVEX_Vextractps_r64m32_xmm_imm8,
    Code::Mov_r64m16_Sreg,
    Code::Mov_Sreg_rm16,
    Code::Mov_Sreg_r64m16,
    Code::Sldt_r64m16,
    Code::Str_r64m16,
    Code::Lldt_rm16,
    Code::Ltr_rm16,
    Code::Verr_rm16,
    Code::Verw_rm16,
    Code::Lmsw_rm16,
    Code::Lkgs_rm16,
];

/// The 32-bit twin of a [`NARROWABLE`] form: the form of the same mnemonic and encoding
/// whose slots are the same but for 32-bit GPRs where `code` has 16- or 64-bit ones.
pub fn narrow_twin(code: Code) -> Option<Code> {
    if !NARROWABLE.contains(&code) {
        return None;
    }
    let op = code.op_code();
    let name = format!("{:?}", code.mnemonic()).to_ascii_lowercase();
    let narrow = |k: K| match k {
        K::r16_or_mem | K::r64_or_mem => K::r32_or_mem,
        K::r16_reg | K::r64_reg => K::r32_reg,
        K::r16_rm | K::r64_rm => K::r32_rm,
        other => other,
    };
    table().get(&name)?.iter().copied().find(|c| {
        let o = c.op_code();
        *c != code
            && o.encoding() == op.encoding()
            && o.op_code() == op.op_code()
            && o.op_count() == op.op_count()
            && (0..op.op_count()).all(|i| o.op_kind(i) == narrow(op.op_kind(i)))
    })
}

/// Every mnemonic the table knows, for suggestions.
pub fn mnemonics() -> impl Iterator<Item = &'static str> {
    table().keys().map(String::as_str)
}

/// Operand slots an author never writes: string-instruction memory operands.
pub fn is_implicit(kind: K) -> bool {
    matches!(kind, K::seg_rSI | K::es_rDI | K::seg_rDI | K::seg_rBX_al)
}

/// The fixed register of a string instruction's accumulator or port slot (`stosq` is iced's
/// `STOSQ [rdi], rax`), which GNU as and Intel's mnemonics leave unwritten.
pub fn implicit_reg(op: &OpCodeInfo, kind: K) -> Option<Register> {
    let string = (0..op.op_count()).any(|i| is_implicit(op.op_kind(i)));
    let reg = match kind {
        K::al => Register::AL,
        K::ax => Register::AX,
        K::eax => Register::EAX,
        K::rax => Register::RAX,
        K::dx => Register::DX,
        _ => return None,
    };
    string.then_some(reg)
}

/// The slots of a form that the author writes, with their operand index in iced's numbering.
pub fn explicit_slots(op: &OpCodeInfo) -> Vec<(u32, K)> {
    (0..op.op_count())
        .map(|i| (i, op.op_kind(i)))
        .filter(|(_, k)| !is_implicit(*k) && implicit_reg(op, *k).is_none())
        .collect()
}

/// How strictly to match: `Strict` is what selection uses; `Loose` ignores decorations,
/// register banks 16–31 and memory sizes so diagnostics can say *why* nothing matched.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    Strict,
    Loose,
}

pub fn is_evex(op: &OpCodeInfo) -> bool {
    op.encoding() == EncodingKind::EVEX
}

/// Whether embedded rounding means something for the form. iced lets four exact
/// conversions (`vcvtdq2pd zmm`, `vcvtudq2pd zmm`, `vcvtsi2sd`/`vcvtusi2sd` from r32) carry
/// {er} because the CPU ignores it rather than faulting (`ignores_rounding_control`); the
/// Intel SDM lists no {er} for them and GNU as rejects it, so asmforge does too.
pub fn takes_rounding(op: &OpCodeInfo) -> bool {
    op.can_use_rounding_control() && !op.ignores_rounding_control()
}

/// Whether `operand` fits the slot `kind` of form `op` at explicit position `pos`.
pub fn fits<R: RegRef>(
    op: &OpCodeInfo,
    kind: K,
    operand: &OperandKind<R>,
    strict: Strictness,
) -> bool {
    let strict = strict == Strictness::Strict;
    match operand {
        OperandKind::Reg(reg, decor) => {
            (!strict || decor_ok(op, decor)) && reg_fits(op, kind, *reg, strict)
        }
        OperandKind::Mem(mem, decor) => {
            (!strict || decor_ok(op, decor)) && mem_fits(op, kind, mem, strict)
        }
        OperandKind::Imm(v) => imm_fits(kind, *v),
        OperandKind::Label(_) => matches!(
            kind,
            K::br64_1 | K::br64_4 | K::br16_1 | K::br16_2 | K::xbegin_4 | K::brdisp_4
        ),
        OperandKind::Rounding(_) | OperandKind::Sae => false,
    }
}

fn decor_ok<R>(op: &OpCodeInfo, decor: &Decor<R>) -> bool {
    decor.mask.is_none() && !decor.zero || is_evex(op)
}

fn reg_fits<R: RegRef>(op: &OpCodeInfo, kind: K, reg: R, strict: bool) -> bool {
    let r = match (reg.phys(), reg.virt()) {
        (Some(r), _) => r,
        (None, Some(v)) => return virt_fits(kind, v.class, v.size),
        (None, None) => return false,
    };
    let high_ok = !strict || is_evex(op) || !(r.is_vector_register() && r.number() >= 16);
    let class_ok = match kind {
        // `90` is NOP in 64-bit mode, not `xchg eax, eax`, which clears rax[63:32] (Intel SDM
        // Vol. 2B, XCHG): that pair needs `87 /r`.
        K::r32_opcode if op.op_code() == 0x90 && r == Register::EAX => false,
        // MOV cannot load CS: `8E /r` with reg = 1 is #UD (Intel SDM Vol. 2B, MOV, "the MOV
        // instruction cannot be used to load the CS register").
        K::seg_reg if op.op_kind(0) == K::seg_reg && r == Register::CS => false,
        K::r8_or_mem | K::r8_reg | K::r8_opcode => r.is_gpr8(),
        K::r16_or_mem | K::r16_reg | K::r16_reg_mem | K::r16_rm | K::r16_opcode => r.is_gpr16(),
        K::r32_or_mem
        | K::r32_or_mem_mpx
        | K::r32_reg
        | K::r32_reg_mem
        | K::r32_rm
        | K::r32_opcode
        | K::r32_vvvv => r.is_gpr32(),
        K::r64_or_mem
        | K::r64_or_mem_mpx
        | K::r64_reg
        | K::r64_reg_mem
        | K::r64_rm
        | K::r64_opcode
        | K::r64_vvvv => r.is_gpr64(),
        K::mm_or_mem | K::mm_reg | K::mm_rm => r.is_mm(),
        K::xmm_or_mem | K::xmm_reg | K::xmm_rm | K::xmm_vvvv | K::xmm_is4 | K::xmm_is5 => {
            r.is_xmm()
        }
        K::xmmp3_vvvv => r.is_xmm() && r.number() % 4 == 0,
        K::ymm_or_mem | K::ymm_reg | K::ymm_rm | K::ymm_vvvv | K::ymm_is4 | K::ymm_is5 => {
            r.is_ymm()
        }
        K::zmm_or_mem | K::zmm_reg | K::zmm_rm | K::zmm_vvvv => r.is_zmm(),
        K::zmmp3_vvvv => r.is_zmm() && r.number() % 4 == 0,
        K::k_or_mem | K::k_reg | K::k_rm | K::k_vvvv => r.is_k(),
        K::kp1_reg => r.is_k() && r.number() % 2 == 0,
        K::tmm_reg | K::tmm_rm | K::tmm_vvvv => r.is_tmm(),
        K::bnd_reg | K::bnd_or_mem_mpx => r.is_bnd(),
        K::seg_reg => r.is_segment_register(),
        K::cr_reg => r.is_cr(),
        K::dr_reg => r.is_dr(),
        K::sti_opcode => r.is_st(),
        K::st0 => r == Register::ST0,
        K::al => r == Register::AL,
        K::cl => r == Register::CL,
        K::ax => r == Register::AX,
        K::dx => r == Register::DX,
        K::eax => r == Register::EAX,
        K::rax => r == Register::RAX,
        K::es => r == Register::ES,
        K::cs => r == Register::CS,
        K::ss => r == Register::SS,
        K::ds => r == Register::DS,
        K::fs => r == Register::FS,
        K::gs => r == Register::GS,
        _ => false,
    };
    class_ok && high_ok
}

fn virt_fits(kind: K, class: RegClass, size: u8) -> bool {
    match class {
        RegClass::Gpr => matches!(
            (kind, size),
            (K::r8_or_mem | K::r8_reg | K::r8_opcode, 1)
                | (
                    K::r16_or_mem | K::r16_reg | K::r16_reg_mem | K::r16_rm | K::r16_opcode,
                    2
                )
                | (
                    K::r32_or_mem
                        | K::r32_reg
                        | K::r32_reg_mem
                        | K::r32_rm
                        | K::r32_opcode
                        | K::r32_vvvv,
                    4
                )
                | (
                    K::r64_or_mem
                        | K::r64_reg
                        | K::r64_reg_mem
                        | K::r64_rm
                        | K::r64_opcode
                        | K::r64_vvvv,
                    8
                )
        ),
        RegClass::Vec => matches!(
            (kind, size),
            (
                K::xmm_or_mem | K::xmm_reg | K::xmm_rm | K::xmm_vvvv | K::xmm_is4 | K::xmm_is5,
                16
            ) | (
                K::ymm_or_mem | K::ymm_reg | K::ymm_rm | K::ymm_vvvv | K::ymm_is4 | K::ymm_is5,
                32
            ) | (K::zmm_or_mem | K::zmm_reg | K::zmm_rm | K::zmm_vvvv, 64)
        ),
        RegClass::Mask => matches!(kind, K::k_or_mem | K::k_reg | K::k_rm | K::k_vvvv),
    }
}

/// Whether an address is a bare number: no register, label, constant or stack slot.
pub fn is_absolute<R>(mem: &Mem<R>) -> bool {
    mem.base.is_none() && mem.index.is_none() && mem.rip.is_none() && mem.frame.is_none()
}

fn mem_fits<R: RegRef>(op: &OpCodeInfo, kind: K, mem: &Mem<R>, strict: bool) -> bool {
    // A 64-bit absolute address (moffs) only where the form has one; every other address
    // holds a disp32 (a ModRM displacement is sign-extended, Intel SDM Vol. 2, 2.2.1.3).
    if kind == K::mem_offs {
        return is_absolute(mem) && !mem.bcst;
    }
    if i32::try_from(mem.disp).is_err() {
        return false;
    }
    let vsib = match kind {
        K::mem_vsib32x | K::mem_vsib64x => Some(16),
        K::mem_vsib32y | K::mem_vsib64y => Some(32),
        K::mem_vsib32z | K::mem_vsib64z => Some(64),
        K::mem
        | K::mem_mpx
        | K::mem_mib
        | K::sibmem
        | K::r8_or_mem
        | K::r16_or_mem
        | K::r32_or_mem
        | K::r32_or_mem_mpx
        | K::r64_or_mem
        | K::r64_or_mem_mpx
        | K::mm_or_mem
        | K::xmm_or_mem
        | K::ymm_or_mem
        | K::zmm_or_mem
        | K::k_or_mem
        | K::bnd_or_mem_mpx => None,
        _ => return false,
    };
    let index = mem.index.map(|i| (i.phys(), i.virt()));
    let index_ok = match (vsib, index) {
        (None, None) => true,
        (None, Some((Some(r), _))) => r.is_gpr64(),
        (None, Some((None, Some(v)))) => v.class == RegClass::Gpr,
        (Some(_), None) => false,
        (Some(bytes), Some((Some(r), _))) => r.is_vector_register() && r.size() == bytes,
        (Some(bytes), Some((None, Some(v)))) => {
            v.class == RegClass::Vec && usize::from(v.size) == bytes
        }
        (_, Some((None, None))) => false,
    };
    if !index_ok {
        return false;
    }
    if !strict {
        return true;
    }
    if let Some(r) = mem.index.and_then(RegRef::phys)
        && r.is_vector_register()
        && r.number() >= 16
        && !is_evex(op)
    {
        return false;
    }
    if mem.bcst {
        if !(is_evex(op) && op.can_broadcast()) {
            return false;
        }
        // The size names the element (`dword[rax].bcst()`, GNU's `dword ptr [rax]{1to16}`)
        // or the whole vector it stands for (`ymmword[rax].bcst()`), which tells apart forms
        // that differ only in vector length (`vcvtpd2ps xmm, m64bcst` {1to2} or {1to4}).
        return match mem.size {
            None => true,
            Some(s) => {
                op.broadcast_memory_size().size() == s.bytes()
                    || op.memory_size().size() == s.bytes()
            }
        };
    }
    match mem.size {
        None => true,
        Some(s) => {
            let form = op.memory_size();
            form == MemorySize::Unknown || form.size() == s.bytes()
        }
    }
}

/// Immediate ranges, read as GNU as reads them: a slot of width w accepts the signed and the
/// unsigned values of w bits; sign-extended slots accept what sign-extends to the operand.
fn imm_fits(kind: K, v: i128) -> bool {
    let sext = |bits: u32, opbits: u32| {
        let lo = -(1i128 << (bits - 1));
        let hi = (1i128 << (bits - 1)) - 1;
        let full = 1i128 << opbits;
        (lo..=hi).contains(&v) || (full + lo..full).contains(&v)
    };
    let width = |bits: u32| (-(1i128 << (bits - 1))..(1i128 << bits)).contains(&v);
    match kind {
        K::imm8 => width(8),
        K::imm8_const_1 => v == 1,
        K::imm4_m2z => (0..=15).contains(&v),
        K::imm8sex16 => sext(8, 16),
        K::imm8sex32 => sext(8, 32),
        K::imm8sex64 => sext(8, 64),
        K::imm16 => width(16),
        K::imm32 => width(32),
        K::imm32sex64 => sext(32, 64),
        K::imm64 => width(64),
        _ => false,
    }
}

/// Whether a slot takes an immediate.
pub fn is_imm_slot(kind: K) -> bool {
    matches!(
        kind,
        K::imm8
            | K::imm8_const_1
            | K::imm4_m2z
            | K::imm8sex16
            | K::imm8sex32
            | K::imm8sex64
            | K::imm16
            | K::imm32
            | K::imm32sex64
            | K::imm64
    )
}

/// The ISA tier of a form: selection prefers legacy, then VEX (and XOP/3DNow!), then EVEX.
pub fn tier(op: &OpCodeInfo) -> u8 {
    match op.encoding() {
        EncodingKind::Legacy => 0,
        EncodingKind::EVEX => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::regs::Reg;

    #[test]
    fn looks_up_aliases() {
        assert_eq!(lookup("jz").map(|f| f.0), Some("je".to_owned()));
        assert_eq!(lookup("cmovnae").map(|f| f.0), Some("cmovb".to_owned()));
        assert_eq!(lookup("setnz").map(|f| f.0), Some("setne".to_owned()));
        let movabs = lookup("movabs").map(|f| f.1.to_vec()).unwrap_or_default();
        assert_eq!(movabs[0], Code::Mov_r64_imm64);
        assert!(movabs.contains(&Code::Mov_moffs64_RAX) && movabs.len() == 9);
        assert_eq!(lookup("pushw").map(|f| f.0), Some("pushw".to_owned()));
        assert_eq!(lookup("vcmpgeps").map(|f| f.0), Some("vcmpps".to_owned()));
        assert_eq!(implied_imm("vcmpgeps"), Some(13));
        assert_eq!(implied_imm("vpcmpeqd"), None);
        let a32 = lookup("addr32_monitor").map(|f| f.1.to_vec());
        assert_eq!(a32, Some(vec![Code::Monitord]));
        assert!(
            lookup("addr32_nop").is_none(),
            "no a32 form: not a spelling"
        );
        assert!(lookup("vfmadd231ps").is_some());
        assert!(lookup("vaddpz").is_none());
    }

    #[test]
    fn immediate_ranges() {
        assert!(imm_fits(K::imm8sex32, -128));
        assert!(imm_fits(K::imm8sex32, 0xFFFF_FFF0));
        assert!(!imm_fits(K::imm8sex32, 128));
        assert!(imm_fits(K::imm8, 255));
        assert!(!imm_fits(K::imm8, 256));
        assert!(imm_fits(K::imm32sex64, -1));
        assert!(!imm_fits(K::imm32sex64, 0xFFFF_FFFF));
        assert!(imm_fits(K::imm64, u64::MAX as i128));
        assert!(!imm_fits(K::imm64, u64::MAX as i128 + 1));
    }

    #[test]
    fn high_vector_registers_need_evex() {
        let vex = Code::VEX_Vaddps_xmm_xmm_xmmm128.op_code();
        let evex = Code::EVEX_Vaddps_xmm_k1z_xmm_xmmm128b32.op_code();
        let x17 = Reg::Phys(Register::XMM17);
        assert!(!reg_fits(vex, K::xmm_reg, x17, true));
        assert!(reg_fits(vex, K::xmm_reg, x17, false));
        assert!(reg_fits(evex, K::xmm_reg, x17, true));
    }
}
