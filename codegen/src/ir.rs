//! The intermediate representation that `eval` produces and later stages refine.
//!
//! A [`Program`] is a flat list of [`Item`]s — instructions, label definitions, alignment
//! requests and returns — in execution order, after every compile-time loop has been unrolled
//! and every `if` decided. Operands keep the span of the user's token; registers may still be
//! virtual ([`Reg::Virt`]). Labels are resolved to [`LabelId`]s; constants live in
//! [`Program::consts`] and are referenced by [`ConstId`].

use iced_x86::{Register, RoundingControl};
use proc_macro2::Span;

use crate::isa::regs::Reg;

/// A label, unique within one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelId(pub u32);

/// A pool constant, index into [`Program::consts`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConstId(pub u32);

/// The memory-size qualifiers of the DSL (`dword[rdi]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MemSize {
    Byte,
    Word,
    Dword,
    Fword,
    Qword,
    Tbyte,
    Xmmword,
    Ymmword,
    Zmmword,
}

impl MemSize {
    pub const ALL: [(&'static str, MemSize); 11] = [
        ("byte", MemSize::Byte),
        ("word", MemSize::Word),
        ("dword", MemSize::Dword),
        ("fword", MemSize::Fword),
        ("qword", MemSize::Qword),
        ("tbyte", MemSize::Tbyte),
        ("tword", MemSize::Tbyte),
        // `name` reports the first spelling: the one the DSL reference documents.
        ("xmmword", MemSize::Xmmword),
        ("oword", MemSize::Xmmword),
        ("ymmword", MemSize::Ymmword),
        ("zmmword", MemSize::Zmmword),
    ];

    pub fn from_name(name: &str) -> Option<MemSize> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }

    pub fn bytes(self) -> usize {
        match self {
            MemSize::Byte => 1,
            MemSize::Word => 2,
            MemSize::Dword => 4,
            MemSize::Fword => 6,
            MemSize::Qword => 8,
            MemSize::Tbyte => 10,
            MemSize::Xmmword => 16,
            MemSize::Ymmword => 32,
            MemSize::Zmmword => 64,
        }
    }

    pub fn from_bytes(n: usize) -> Option<MemSize> {
        Self::ALL
            .iter()
            .find(|(_, s)| s.bytes() == n)
            .map(|(_, s)| *s)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("?", |(n, _)| n)
    }
}

/// What a RIP-relative memory operand points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RipTarget {
    Label(LabelId),
    Const(ConstId),
}

/// `[base + index * scale + disp]`, or RIP-relative to a label or constant.
#[derive(Clone, Debug, PartialEq)]
pub struct Mem {
    pub base: Option<Reg>,
    pub index: Option<Reg>,
    pub scale: u32,
    pub disp: i64,
    pub size: Option<MemSize>,
    /// `{1toN}`: the element is broadcast to every lane.
    pub bcst: bool,
    pub segment: Option<Register>,
    pub rip: Option<RipTarget>,
    /// A stack slot (`local(..)` or a stack argument): `base` is rsp and `disp` the offset
    /// within the slot until the frame stage resolves it.
    pub frame: Option<crate::frame::stack::FrameRef>,
    /// Addressed through a read-only parameter (`&[T]`, `*const T`), named here: writing
    /// this memory is an error (`eval/provenance.rs`).
    pub read_only: Option<std::rc::Rc<str>>,
}

impl Mem {
    pub fn empty() -> Self {
        Mem {
            base: None,
            index: None,
            scale: 1,
            disp: 0,
            size: None,
            bcst: false,
            segment: None,
            rip: None,
            frame: None,
            read_only: None,
        }
    }
}

/// AVX-512 decorations on a register or memory operand: `{k1}` and `{z}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decor {
    pub mask: Option<Reg>,
    pub zero: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum OperandKind {
    Reg(Reg, Decor),
    Mem(Mem, Decor),
    Imm(i128),
    /// A branch target.
    Label(LabelId),
    /// `{rn-sae}` etc.: embedded rounding (implies SAE).
    Rounding(RoundingControl),
    /// `{sae}`: suppress all exceptions.
    Sae,
}

#[derive(Clone, Debug)]
pub struct Operand {
    pub kind: OperandKind,
    pub span: Span,
}

/// Instruction prefixes written as part of the mnemonic (`rep_movsb`, `lock_xadd`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prefix {
    Rep,
    Repe,
    Repne,
    Lock,
}

/// One instruction as the author wrote it, with compile-time values substituted.
#[derive(Clone, Debug)]
pub struct Inst {
    /// Lower-case mnemonic without prefix (aliases already applied by `select`).
    pub mnemonic: String,
    pub prefix: Option<Prefix>,
    pub operands: Vec<Operand>,
    /// The span of the mnemonic token.
    pub span: Span,
    /// 1-based source line of the mnemonic (0 when unknown).
    pub line: u32,
    /// "in iteration `i = 3`" context from unrolled loops, for diagnostics.
    pub note: Option<std::rc::Rc<str>>,
}

/// What `return` hands back, already in the ABI return register's class.
#[derive(Clone, Debug)]
pub enum RetValue {
    None,
    /// Integer or pointer: the register holding the value, and the return type's width.
    Gpr(Reg, usize, Span),
    /// `f32`/`f64`: the vector register whose low lane is the value.
    Float(Reg, Span),
}

#[derive(Clone, Debug)]
pub enum Item {
    Inst(Inst),
    Label(LabelId),
    /// Pad with NOPs so that the next instruction starts at a multiple of this many bytes.
    Align(u32),
    Return(RetValue, Span),
}

/// Bytes of a pool constant, with the alignment it asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct Const {
    pub bytes: Vec<u8>,
    pub align: u32,
}

#[derive(Clone, Debug, Default)]
pub struct Program {
    pub items: Vec<Item>,
    pub consts: Vec<Const>,
    pub label_count: u32,
    /// Virtual registers, indexed by `VReg::id`.
    pub vregs: Vec<VRegInfo>,
}

/// What diagnostics say about a virtual register: its name and where it was created.
#[derive(Clone, Debug)]
pub struct VRegInfo {
    pub name: String,
    pub class: crate::isa::regs::RegClass,
    pub span: Span,
}
