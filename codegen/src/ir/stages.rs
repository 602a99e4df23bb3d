//! The values that pass between the stages after selection: instructions bound to their
//! forms, over possibly virtual registers ([`Selected`], from `select` to `regalloc`) or over
//! physical ones only ([`Allocated`], from `regalloc` to the transition check and `frame`).

use iced_x86::{Code, Register};
use proc_macro2::Span;

use super::{Const, Inst, LabelId, Reg, RetValue, VRegInfo};

/// An instruction bound to its form (an iced `Code` whose slots accept the operands).
#[derive(Clone, Debug)]
pub struct SelInst<R = Reg> {
    pub code: Code,
    pub inst: Inst<R>,
}

/// One line of a selected program.
#[derive(Clone, Debug)]
pub enum SItem<R = Reg> {
    Inst(SelInst<R>),
    Label(LabelId),
    Align(u32),
    Return(RetValue<R>, Span),
}

impl<R> SItem<R> {
    /// The span diagnostics point at: the instruction's mnemonic or the `return`.
    pub fn span(&self) -> Span {
        match self {
            SItem::Inst(s) => s.inst.span,
            SItem::Return(_, span) => *span,
            _ => Span::call_site(),
        }
    }
}

/// What `select` hands to `regalloc`: every instruction bound to a form; registers may still
/// be virtual.
pub struct Selected {
    pub items: Vec<SItem<Reg>>,
    pub consts: Vec<Const>,
    pub label_count: u32,
    pub vregs: Vec<VRegInfo>,
}

/// What `regalloc` hands to the transition check and `frame`: every register physical, by
/// type ([`Register`] has no virtual variant), every instruction bound to a form that takes
/// the registers it was given.
pub struct Allocated {
    pub items: Vec<SItem<Register>>,
    pub consts: Vec<Const>,
    pub label_count: u32,
}
