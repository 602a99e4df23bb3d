//! Compile-time values of the DSL.

use std::rc::Rc;

use iced_x86::{Register, RoundingControl};

use crate::ir::{Decor, LabelId, Mem, MemSize};
use crate::isa::regs::Reg;

#[derive(Clone, Debug)]
pub enum Value {
    Unit,
    /// What a `let` binds when its value failed: uses of it report nothing more (the first
    /// error was reported), so one mistake does not cascade.
    Poison,
    Int(i128),
    Bool(bool),
    /// Only meaningful as an argument of a constant constructor (`f32x8(0.5)`).
    Float(f64),
    Reg(Reg, Decor),
    Mem(Mem, Decor),
    /// A reference to a label (resolved when its scope closes).
    Label(LabelId),
    Array(Rc<Vec<Value>>),
    /// `start..end` by `step` (step may be negative after `.rev()`).
    Range {
        start: i128,
        end: i128,
        step: i128,
        rev: bool,
    },
    /// An identifier given as a kernel parameter, e.g. a mnemonic.
    Symbol(String),
    Rounding(RoundingControl),
    Sae,
    /// A size qualifier not yet applied to an address (`dword`).
    Size(MemSize),
    /// A slice argument: pointer and length registers.
    Slice(Register, Register),
    /// A slice argument of which a half arrived on the stack: pointer and length, each a
    /// register or a stack-slot memory operand.
    SliceParts(Rc<[Value; 2]>),
    /// Recorded code: rows of items (`streams.rs`).
    Stream(Rc<Vec<Vec<crate::ir::Item>>>),
}

impl Value {
    /// What the value is, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Unit => "`()`",
            Value::Poison => "an erroneous value",
            Value::Int(_) => "an integer",
            Value::Bool(_) => "a boolean",
            Value::Float(_) => "a floating-point literal",
            Value::Reg(..) => "a register",
            Value::Mem(..) => "a memory operand",
            Value::Label(_) => "a label",
            Value::Array(_) => "an array",
            Value::Range { .. } => "a range",
            Value::Symbol(_) => "a symbol",
            Value::Rounding(_) => "a rounding mode",
            Value::Sae => "`sae`",
            Value::Size(_) => "a size qualifier",
            Value::Slice(..) | Value::SliceParts(_) => "a slice",
            Value::Stream(_) => "an instruction stream",
        }
    }

    /// The elements a `for` loop visits.
    pub fn iterate(&self) -> Option<Vec<Value>> {
        match self {
            Value::Array(items) => Some(items.as_ref().clone()),
            Value::Range {
                start,
                end,
                step,
                rev,
            } => {
                let mut out = Vec::new();
                if *step <= 0 {
                    return None;
                }
                let mut i = *start;
                while i < *end {
                    out.push(Value::Int(i));
                    i += step;
                    if out.len() > super::MAX_STEPS as usize {
                        break;
                    }
                }
                if *rev {
                    out.reverse();
                }
                Some(out)
            }
            _ => None,
        }
    }

    /// Number of elements a range visits, without materialising it.
    pub fn range_len(&self) -> Option<i128> {
        match self {
            Value::Range {
                start, end, step, ..
            } if *step > 0 => Some(if end > start {
                (end - start + step - 1) / step
            } else {
                0
            }),
            _ => None,
        }
    }

    /// A short rendering for "in iteration `i = 3`" notes.
    pub fn show(&self) -> String {
        match self {
            Value::Int(v) => v.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Reg(Reg::Phys(r), _) => crate::isa::regs::name(*r),
            Value::Symbol(s) => s.clone(),
            Value::Array(items) if items.len() <= 4 => {
                let parts: Vec<String> = items.iter().map(Value::show).collect();
                format!("({})", parts.join(", "))
            }
            other => other.kind().to_owned(),
        }
    }
}
