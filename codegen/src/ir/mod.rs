//! The intermediate representation that the stages pass to each other.
//!
//! A [`Program`] is a flat list of [`Item`]s — instructions, label definitions, alignment
//! requests and returns — in execution order, after every compile-time loop has been unrolled
//! and every `if` decided. Operands keep the span of the user's token. Labels are resolved to
//! [`LabelId`]s; constants live in [`Program::consts`] and are referenced by [`ConstId`].
//!
//! Operands are generic over their register type `R`, and that type is the boundary between
//! allocation and everything after it:
//!
//! ```text
//!   Program, Selected   R = Reg       physical or virtual (`Reg::Virt`) — eval, select
//!   Allocated, Framed   R = Register  iced's physical register; no virtual one can be named
//! ```
//!
//! so a virtual register after allocation is a type error, not a run-time check. Stack slots
//! (`local(..)`, stack arguments) are memory operands tagged with a [`FrameRef`] until the
//! frame stage resolves them.

mod reg;
mod stages;

use iced_x86::{Register, RoundingControl};
use proc_macro2::Span;

pub use reg::{Reg, RegClass, VReg};
pub use stages::{Allocated, SItem, SelInst, Selected};

/// A label, unique within one program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LabelId(pub u32);

/// Label ids from here on are branch targets outside the code: a stencil's rel32 holes
/// (`crate::stencil`). Label `EXTERN_LABEL + k` sits at [`extern_address`]`(k)`, an absolute
/// address far enough from the code (which starts at 0) that every branch to it takes a rel32.
pub const EXTERN_LABEL: u32 = 0x8000_0000;

/// The absolute address of external label `id`, if it is one.
pub fn extern_address(id: LabelId) -> Option<u64> {
    (id.0 >= EXTERN_LABEL).then(|| 0x2000_0000 + u64::from(id.0 - EXTERN_LABEL) * 0x100)
}

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
    /// The end of the instruction itself: `[rip + disp]` (the displacement is `Mem::disp`).
    Next,
}

/// `[base + index * scale + disp]`, or RIP-relative to a label or constant.
#[derive(Clone, Debug, PartialEq)]
pub struct Mem<R = Reg> {
    pub base: Option<R>,
    pub index: Option<R>,
    pub scale: u32,
    pub disp: i64,
    pub size: Option<MemSize>,
    /// `{1toN}`: the element is broadcast to every lane.
    pub bcst: bool,
    pub segment: Option<Register>,
    pub rip: Option<RipTarget>,
    /// A stack slot (`local(..)` or a stack argument): `base` is rsp and `disp` the offset
    /// within the slot until the frame stage resolves it.
    pub frame: Option<FrameRef>,
    /// Addressed through a read-only parameter (`&[T]`, `*const T`), named here: writing
    /// this memory is an error (`eval/provenance.rs`).
    pub read_only: Option<std::rc::Rc<str>>,
}

impl<R> Mem<R> {
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decor<R = Reg> {
    pub mask: Option<R>,
    pub zero: bool,
}

impl<R> Default for Decor<R> {
    fn default() -> Self {
        Decor {
            mask: None,
            zero: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum OperandKind<R = Reg> {
    Reg(R, Decor<R>),
    Mem(Mem<R>, Decor<R>),
    Imm(i128),
    /// A branch target.
    Label(LabelId),
    /// `{rn-sae}` etc.: embedded rounding (implies SAE).
    Rounding(RoundingControl),
    /// `{sae}`: suppress all exceptions.
    Sae,
}

#[derive(Clone, Debug)]
pub struct Operand<R = Reg> {
    pub kind: OperandKind<R>,
    pub span: Span,
}

impl<R: Copy> Operand<R> {
    /// Every register the operand names: the register or the address's base and index, then
    /// the write mask.
    pub fn regs(&self) -> impl Iterator<Item = R> + '_ {
        let (a, b, mask) = match &self.kind {
            OperandKind::Reg(r, d) => (Some(*r), None, d.mask),
            OperandKind::Mem(m, d) => (m.base, m.index, d.mask),
            _ => (None, None, None),
        };
        a.into_iter().chain(b).chain(mask)
    }

    /// The same operand over another register type: `f` maps each register, and `None` from
    /// it gives `None` for the operand.
    pub fn map_regs<S>(&self, mut f: impl FnMut(R) -> Option<S>) -> Option<Operand<S>> {
        let mut opt = |r: Option<R>| -> Option<Option<S>> {
            match r {
                Some(r) => f(r).map(Some),
                None => Some(None),
            }
        };
        let kind = match &self.kind {
            OperandKind::Reg(r, d) => {
                let mask = opt(d.mask)?;
                let r = opt(Some(*r))??;
                OperandKind::Reg(r, Decor { mask, zero: d.zero })
            }
            OperandKind::Mem(m, d) => {
                let mask = opt(d.mask)?;
                let mem = Mem {
                    base: opt(m.base)?,
                    index: opt(m.index)?,
                    scale: m.scale,
                    disp: m.disp,
                    size: m.size,
                    bcst: m.bcst,
                    segment: m.segment,
                    rip: m.rip,
                    frame: m.frame,
                    read_only: m.read_only.clone(),
                };
                OperandKind::Mem(mem, Decor { mask, zero: d.zero })
            }
            OperandKind::Imm(v) => OperandKind::Imm(*v),
            OperandKind::Label(l) => OperandKind::Label(*l),
            OperandKind::Rounding(rc) => OperandKind::Rounding(*rc),
            OperandKind::Sae => OperandKind::Sae,
        };
        Some(Operand {
            kind,
            span: self.span,
        })
    }
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
pub struct Inst<R = Reg> {
    /// Lower-case mnemonic without prefix (aliases already applied by `select`).
    pub mnemonic: String,
    pub prefix: Option<Prefix>,
    pub operands: Vec<Operand<R>>,
    /// The span of the mnemonic token.
    pub span: Span,
    /// 1-based source line of the mnemonic (0 when unknown).
    pub line: u32,
    /// "in iteration `i = 3`" context from unrolled loops, for diagnostics.
    pub note: Option<std::rc::Rc<str>>,
}

impl<R: Copy> Inst<R> {
    /// The same instruction over another register type (see [`Operand::map_regs`]).
    pub fn map_regs<S>(&self, mut f: impl FnMut(R) -> Option<S>) -> Option<Inst<S>> {
        let operands = self
            .operands
            .iter()
            .map(|o| o.map_regs(&mut f))
            .collect::<Option<Vec<_>>>()?;
        Some(Inst {
            mnemonic: self.mnemonic.clone(),
            prefix: self.prefix,
            operands,
            span: self.span,
            line: self.line,
            note: self.note.clone(),
        })
    }
}

/// What `return` hands back, already in the ABI return register's class.
#[derive(Clone, Debug)]
pub enum RetValue<R = Reg> {
    None,
    /// Integer or pointer: the register holding the value, and the return type's width.
    Gpr(R, usize, Span),
    /// `f32`/`f64`: the vector register whose low lane is the value.
    Float(R, Span),
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
    pub class: RegClass,
    pub span: Span,
}

/// What a stack-slot memory operand refers to, until the frame stage resolves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FrameRef {
    /// A `local(bytes, align)`.
    Local(Local),
    /// An argument passed on the stack, this many bytes above rsp at entry.
    Arg { entry_offset: u32 },
}

/// One `local(bytes, align)`: unique per evaluation of the call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Local {
    pub id: u32,
    pub bytes: u32,
    pub align: u32,
}

impl Local {
    /// The bytes the local occupies in the frame: its size rounded up to its alignment.
    pub fn footprint(&self) -> u32 {
        self.bytes.next_multiple_of(self.align)
    }
}

/// Total bytes of `local(..)` slots one kernel may declare (each rounded up to its alignment).
pub const MAX_LOCAL_BYTES: u32 = 64 * 1024;
/// The largest alignment a local may ask for.
pub const MAX_LOCAL_ALIGN: u32 = 4096;
