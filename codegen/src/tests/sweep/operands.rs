//! The operand vocabulary of the sweep: what fills each kind of slot, the register choices
//! that exercise each encoding bit, and the addressing forms.

use iced_x86::{OpCodeInfo, OpCodeOperandKind as K, TupleType};

use crate::isa::forms;

/// What fills one written operand slot.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Class {
    Gpr(u8),
    Vec(u8),
    /// A vector register whose number is a multiple of 4 (`zmm2+3`, AVX512_4FMAPS).
    VecP3(u8),
    Mask,
    /// An even mask register (`k1+1`, VP2INTERSECT).
    MaskPair,
    Mm,
    Tmm,
    /// MPX bound registers.
    Bnd,
    Seg,
    Cr,
    Dr,
    St,
    Fixed(&'static str),
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum MemUse {
    No,
    Plain,
    /// VSIB with an index vector of this many bytes.
    Vsib(u8),
}

#[derive(Clone, Copy)]
pub(super) struct Slot {
    pub(super) kind: K,
    pub(super) reg: Option<Class>,
    pub(super) mem: MemUse,
    pub(super) imm: bool,
    pub(super) target: bool,
}

pub(super) fn slot(kind: K) -> Slot {
    let (reg, mem) = match kind {
        K::r8_reg | K::r8_opcode => (Some(Class::Gpr(1)), MemUse::No),
        K::r8_or_mem => (Some(Class::Gpr(1)), MemUse::Plain),
        K::r16_reg | K::r16_rm | K::r16_opcode => (Some(Class::Gpr(2)), MemUse::No),
        K::r16_or_mem => (Some(Class::Gpr(2)), MemUse::Plain),
        K::r32_reg | K::r32_rm | K::r32_opcode | K::r32_vvvv => (Some(Class::Gpr(4)), MemUse::No),
        K::r32_or_mem | K::r32_or_mem_mpx => (Some(Class::Gpr(4)), MemUse::Plain),
        // The register that holds a `movdir64b` / `enqcmd` destination address.
        K::r32_reg_mem => (Some(Class::Gpr(4)), MemUse::No),
        K::r64_reg | K::r64_rm | K::r64_opcode | K::r64_vvvv => (Some(Class::Gpr(8)), MemUse::No),
        K::r64_or_mem | K::r64_or_mem_mpx => (Some(Class::Gpr(8)), MemUse::Plain),
        K::r64_reg_mem => (Some(Class::Gpr(8)), MemUse::No),
        K::mm_reg | K::mm_rm => (Some(Class::Mm), MemUse::No),
        K::mm_or_mem => (Some(Class::Mm), MemUse::Plain),
        K::xmm_reg | K::xmm_rm | K::xmm_vvvv | K::xmm_is4 | K::xmm_is5 => {
            (Some(Class::Vec(16)), MemUse::No)
        }
        K::xmm_or_mem => (Some(Class::Vec(16)), MemUse::Plain),
        K::ymm_reg | K::ymm_rm | K::ymm_vvvv | K::ymm_is4 | K::ymm_is5 => {
            (Some(Class::Vec(32)), MemUse::No)
        }
        K::ymm_or_mem => (Some(Class::Vec(32)), MemUse::Plain),
        K::zmm_reg | K::zmm_rm | K::zmm_vvvv => (Some(Class::Vec(64)), MemUse::No),
        K::zmm_or_mem => (Some(Class::Vec(64)), MemUse::Plain),
        K::xmmp3_vvvv => (Some(Class::VecP3(16)), MemUse::No),
        K::zmmp3_vvvv => (Some(Class::VecP3(64)), MemUse::No),
        K::k_reg | K::k_rm | K::k_vvvv => (Some(Class::Mask), MemUse::No),
        K::k_or_mem => (Some(Class::Mask), MemUse::Plain),
        K::kp1_reg => (Some(Class::MaskPair), MemUse::No),
        K::tmm_reg | K::tmm_rm | K::tmm_vvvv => (Some(Class::Tmm), MemUse::No),
        K::bnd_reg => (Some(Class::Bnd), MemUse::No),
        K::bnd_or_mem_mpx => (Some(Class::Bnd), MemUse::Plain),
        K::seg_reg => (Some(Class::Seg), MemUse::No),
        K::cr_reg => (Some(Class::Cr), MemUse::No),
        K::dr_reg => (Some(Class::Dr), MemUse::No),
        K::sti_opcode => (Some(Class::St), MemUse::No),
        K::st0 => (Some(Class::Fixed("st0")), MemUse::No),
        K::al => (Some(Class::Fixed("al")), MemUse::No),
        K::cl => (Some(Class::Fixed("cl")), MemUse::No),
        K::ax => (Some(Class::Fixed("ax")), MemUse::No),
        K::dx => (Some(Class::Fixed("dx")), MemUse::No),
        K::eax => (Some(Class::Fixed("eax")), MemUse::No),
        K::rax => (Some(Class::Fixed("rax")), MemUse::No),
        K::fs => (Some(Class::Fixed("fs")), MemUse::No),
        K::gs => (Some(Class::Fixed("gs")), MemUse::No),
        K::mem | K::mem_mpx | K::mem_mib | K::sibmem | K::mem_offs => (None, MemUse::Plain),
        K::mem_vsib32x | K::mem_vsib64x => (None, MemUse::Vsib(16)),
        K::mem_vsib32y | K::mem_vsib64y => (None, MemUse::Vsib(32)),
        K::mem_vsib32z | K::mem_vsib64z => (None, MemUse::Vsib(64)),
        _ => (None, MemUse::No),
    };
    Slot {
        kind,
        reg,
        mem,
        imm: forms::is_imm_slot(kind),
        target: matches!(
            kind,
            K::br16_1 | K::br16_2 | K::br64_1 | K::br64_4 | K::xbegin_2 | K::xbegin_4 | K::brdisp_4
        ),
    }
}

/// Register choices, each exercising other encoding bits (Intel SDM Vol. 2, 2.2.1 REX, 2.3.5
/// VEX.R/X/B/vvvv, 2.7.1 EVEX.R'/V'/X as the fifth register bit).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Flavour {
    /// Numbers 1, 2, 3, ...: no extension bit.
    Low,
    /// Number 0 (the all-zero field).
    Zero,
    /// 9, 10, ...: REX/VEX R, X, B, vvvv bit 3.
    Ext,
    /// 15, 14, ...: every bit of the 4-bit field.
    Max,
    /// rsp/rbp/r12/r13 numbers, which are special in ModRM.rm and SIB.base.
    Sp,
    /// spl/sil/dil/bpl: byte registers that exist only with REX.
    RexByte,
    /// ah/ch/dh/bh: byte registers that exist only without REX.
    HighByte,
    /// 16, 17, ...: EVEX R'/V' (or X for rm) alone.
    High,
    /// 24, 25, ...: both extension bits.
    HighExt,
    /// 31, 30, ...: every bit.
    HighMax,
}

pub(super) const FLAVOURS: [Flavour; 10] = [
    Flavour::Low,
    Flavour::Zero,
    Flavour::Ext,
    Flavour::Max,
    Flavour::Sp,
    Flavour::RexByte,
    Flavour::HighByte,
    Flavour::High,
    Flavour::HighExt,
    Flavour::HighMax,
];

pub(super) fn is_high(f: Flavour) -> bool {
    matches!(f, Flavour::High | Flavour::HighExt | Flavour::HighMax)
}

const GPR64: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];

/// The GPR of number `n` at `size` bytes, in the DSL's spelling (`r9b`, `sil`).
fn gpr(n: usize, size: u8) -> String {
    let full = GPR64[n];
    match size {
        8 => full.to_owned(),
        4 if n >= 8 => format!("{full}d"),
        2 if n >= 8 => format!("{full}w"),
        1 if n >= 8 => format!("{full}b"),
        4 => format!("e{}", &full[1..]),
        2 => full[1..].to_owned(),
        _ => match n {
            0..=3 => format!("{}l", &full[1..2]),
            4 => "spl".into(),
            5 => "bpl".into(),
            6 => "sil".into(),
            _ => "dil".into(),
        },
    }
}

/// The register of `class` for slot `j` in `flavour`, or `None` where the class has no such
/// register (then the slot keeps its `Low` register).
pub(super) fn pick(class: Class, flavour: Flavour, j: usize) -> Option<String> {
    use Flavour as F;
    Some(match class {
        Class::Gpr(size) => {
            let n = match flavour {
                F::Low => [1, 2, 3, 6][j % 4],
                F::Zero => 0,
                F::Ext => 9 + j % 4,
                F::Max => 15 - j % 4,
                F::Sp => [4, 5, 12, 13][j % 4],
                F::RexByte if size == 1 => return Some(["sil", "dil", "spl", "bpl"][j % 4].into()),
                F::HighByte if size == 1 => return Some(["ah", "ch", "dh", "bh"][j % 4].into()),
                _ => return None,
            };
            if size == 1 && flavour == F::Low && n == 6 {
                return Some("al".into());
            }
            gpr(n, size)
        }
        Class::Vec(size) => {
            let n = match flavour {
                F::Low => 1 + j,
                F::Zero => 0,
                F::Ext => 9 + j,
                F::Max => 15 - j,
                F::High => 16 + j,
                F::HighExt => 24 + j,
                F::HighMax => 31 - j,
                _ => return None,
            };
            vec_name(size, n)
        }
        Class::VecP3(size) => {
            let n = match flavour {
                F::Low => 4,
                F::Zero => 0,
                F::Ext => 8,
                F::Max => 12,
                F::High => 16,
                F::HighMax => 28,
                _ => return None,
            };
            vec_name(size, n)
        }
        Class::Mask => match flavour {
            F::Low => format!("k{}", 1 + j % 3),
            F::Zero => "k0".into(),
            F::Max => format!("k{}", 7 - j % 3),
            _ => return None,
        },
        Class::MaskPair => match flavour {
            F::Low => "k2".into(),
            F::Zero => "k0".into(),
            F::Max => "k6".into(),
            _ => return None,
        },
        Class::Mm | Class::Tmm => {
            let n = match flavour {
                F::Low => 1 + j % 3,
                F::Zero => 0,
                F::Max => 7 - j % 3,
                _ => return None,
            };
            let stem = if class == Class::Mm { "mm" } else { "tmm" };
            format!("{stem}{n}")
        }
        Class::Bnd => match flavour {
            F::Low => format!("bnd{}", 1 + j % 3),
            F::Zero => "bnd0".into(),
            F::Max => "bnd3".into(),
            _ => return None,
        },
        Class::Seg => match flavour {
            F::Low => "fs".into(),
            F::Zero => "es".into(),
            F::Max => "gs".into(),
            F::Ext => "ds".into(),
            F::Sp => "ss".into(),
            F::RexByte => "cs".into(),
            _ => return None,
        },
        Class::Cr => match flavour {
            F::Low => "cr3".into(),
            F::Zero => "cr0".into(),
            F::Ext => "cr8".into(),
            F::Max => "cr4".into(),
            F::Sp => "cr2".into(),
            _ => return None,
        },
        Class::Dr => match flavour {
            F::Low => "dr1".into(),
            F::Zero => "dr0".into(),
            F::Max => "dr7".into(),
            F::Sp => "dr6".into(),
            _ => return None,
        },
        Class::St => match flavour {
            F::Low => "st1".into(),
            F::Zero => "st0".into(),
            F::Max => "st7".into(),
            _ => return None,
        },
        Class::Fixed(name) => match flavour {
            F::Low => name.into(),
            _ => return None,
        },
    })
}

pub(super) fn vec_name(size: u8, n: usize) -> String {
    let stem = match size {
        16 => "xmm",
        32 => "ymm",
        _ => "zmm",
    };
    format!("{stem}{n}")
}

/// `[base + index * scale + disp]`, or RIP-relative to the snippet's label.
#[derive(Clone, Default)]
pub(super) struct Addr {
    pub(super) base: Option<String>,
    pub(super) index: Option<String>,
    pub(super) scale: u32,
    pub(super) disp: i64,
    /// RIP-relative to the snippet's label, defined after (`Fwd`) or at (`Back`) the instruction.
    pub(super) rip: Option<Layout>,
    /// Bytes of the memory operand as the DSL sizes it, and as GNU as does (one element when
    /// broadcasting).
    pub(super) size: usize,
    pub(super) gnu_size: usize,
    /// `{1toN}`: the lane count.
    pub(super) bcst: Option<usize>,
    /// Broadcast written with the size of the whole vector (`ymmword[rax].bcst()`), which
    /// picks between forms that differ only in vector length (`vcvtpd2ps xmm, m64bcst`).
    pub(super) bcst_vector: bool,
}

pub(super) fn addr(base: Option<&str>, index: Option<&str>, scale: u32, disp: i64) -> Addr {
    Addr {
        base: base.map(str::to_owned),
        index: index.map(str::to_owned),
        scale,
        disp,
        ..Addr::default()
    }
}

pub(super) fn rip(layout: Layout) -> Addr {
    Addr {
        rip: Some(layout),
        scale: 1,
        ..Addr::default()
    }
}

/// The addressing forms (Intel SDM Vol. 2, Tables 2-2 and 2-3): base alone, the bases that
/// need a SIB byte (rsp, r12) or a zero disp8 (rbp, r13), each scale, extended index, no
/// base, absolute, disp8/disp32 boundaries (scaled by EVEX's N), and RIP-relative.
pub(super) fn addresses(n: i64) -> Vec<(&'static str, Addr)> {
    let mut v = vec![
        ("[base]", addr(Some("rax"), None, 1, 0)),
        ("[r9]", addr(Some("r9"), None, 1, 0)),
        ("[rbp]", addr(Some("rbp"), None, 1, 0)),
        ("[r13]", addr(Some("r13"), None, 1, 0)),
        ("[rsp]", addr(Some("rsp"), None, 1, 0)),
        ("[r12]", addr(Some("r12"), None, 1, 0)),
        ("[b+i*1]", addr(Some("rax"), Some("rcx"), 1, 0)),
        ("[b+i*2]", addr(Some("rdx"), Some("rbx"), 2, 0)),
        ("[b+r9*4]", addr(Some("rsi"), Some("r9"), 4, 0)),
        ("[r10+r15*8]", addr(Some("r10"), Some("r15"), 8, 0)),
        ("[rbp+i*4]", addr(Some("rbp"), Some("rax"), 4, 0)),
        ("[r13+r14*2]", addr(Some("r13"), Some("r14"), 2, 0)),
        ("[rsp+rbp]", addr(Some("rsp"), Some("rbp"), 1, 0)),
        ("[r12+r13*8+d]", addr(Some("r12"), Some("r13"), 8, 0x1234)),
        ("[i*8+d32]", addr(None, Some("rcx"), 8, 16)),
        ("[abs]", addr(None, None, 1, 0x1000)),
        ("disp8 max", addr(Some("rax"), None, 1, 127)),
        ("disp8 min", addr(Some("rax"), None, 1, -128)),
        ("disp32 +128", addr(Some("rax"), None, 1, 128)),
        ("disp32 -129", addr(Some("rax"), None, 1, -129)),
        ("disp32 max", addr(Some("rbx"), Some("rsi"), 2, 0x7fff_ffff)),
        ("disp32 min", addr(Some("rbx"), None, 1, -0x8000_0000)),
        ("[rip] forward", rip(Layout::Fwd)),
        ("[rip] backward", rip(Layout::Back)),
    ];
    if n > 1 {
        v.extend([
            ("disp8*N max", addr(Some("rcx"), None, 1, 127 * n)),
            ("disp8*N min", addr(Some("rcx"), Some("rdx"), 4, -128 * n)),
            ("disp8*N +1 (disp32)", addr(Some("rcx"), None, 1, 128 * n)),
            ("disp not *N", addr(Some("r11"), None, 1, n + n / 2)),
        ]);
    }
    v
}

/// EVEX compressed displacement scale (Intel SDM Vol. 2, 2.7.5, Tables 2-34/2-35), as iced's
/// encoder computes it.
pub(super) fn disp8_n(op: &OpCodeInfo, bcst: bool) -> i64 {
    use TupleType as T;
    let (n, nb) = match op.tuple_type() {
        T::N1 => (1, 1),
        T::N2 => (2, 2),
        T::N4 => (4, 4),
        T::N8 => (8, 8),
        T::N16 => (16, 16),
        T::N32 => (32, 32),
        T::N64 => (64, 64),
        T::N8b4 => (8, 4),
        T::N16b4 => (16, 4),
        T::N32b4 => (32, 4),
        T::N64b4 => (64, 4),
        T::N16b8 => (16, 8),
        T::N32b8 => (32, 8),
        T::N64b8 => (64, 8),
        T::N4b2 => (4, 2),
        T::N8b2 => (8, 2),
        T::N16b2 => (16, 2),
        T::N32b2 => (32, 2),
        T::N64b2 => (64, 2),
        _ => (1, 1),
    };
    if bcst { nb } else { n }
}

/// Where the snippet's label is, relative to the instruction under test.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Layout {
    Plain,
    /// The label is defined after the instruction (a forward branch or RIP reference).
    Fwd,
    /// The label is the instruction itself.
    Back,
    /// Forward, past 140 bytes of filler: out of rel8 range.
    FarFwd,
    /// Backward, past 140 bytes of filler.
    FarBack,
    /// Forward, past 33 000 bytes of filler: out of rel16 range (for XBEGIN, which iced's
    /// BlockEncoder shortens to rel16 when it reaches).
    VeryFar,
}
