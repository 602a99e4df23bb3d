//! Stack slots in the DSL: `local(bytes)` / `local(bytes, align)`, and arguments that arrive
//! on the stack.
//!
//! Both are memory operands `[rsp + disp]` tagged with a [`FrameRef`] that the frame stage
//! resolves once it knows what it pushes (see `stack.rs`). A local is untyped, like a label:
//! size it where an instruction needs a size (`dword[buf + 4]`). A stack argument is sized by
//! its type (`a: u32` on the stack is `dword[...]`), so `mov(eax, a)` and `addss(xmm0, b)`
//! read it directly; a pointer on the stack must be loaded into a register before it can
//! address memory.

use std::rc::Rc;

use iced_x86::Register;
use proc_macro2::Span;
use syn::Expr;
use syn::spanned::Spanned;

use super::{Evaluator, Value};
use crate::ir::{Decor, Mem, MemSize};
use crate::ir::{FrameRef, Local, MAX_LOCAL_ALIGN, MAX_LOCAL_BYTES};
use crate::isa::abi::ArgLoc;
use crate::isa::regs::{self, Reg};
use crate::parse::{Arg, ValType};

/// The locals one evaluation has declared.
#[derive(Default)]
pub(super) struct Locals {
    count: u32,
    /// Their footprints, summed.
    bytes: u32,
}

/// Whether a call to `name` is the `local` builtin.
pub(super) fn is_slot_builtin(name: &str) -> bool {
    name == "local"
}

/// The value a kernel argument is bound to: its register (viewed at the argument's width), a
/// memory operand for a stack slot, or a slice of those.
pub(super) fn arg_value(arg: &Arg) -> Option<Value> {
    let part = |loc: ArgLoc, ty: &ValType| -> Option<Value> {
        match (loc, ty) {
            (ArgLoc::Reg(r), ValType::Int { bytes }) => {
                regs::gpr_of_size(r, *bytes).map(|r| Value::Reg(Reg::Phys(r), Decor::default()))
            }
            (ArgLoc::Reg(r), _) => Some(Value::Reg(Reg::Phys(r), Decor::default())),
            (ArgLoc::Stack(entry_offset), ty) => {
                let bytes = match ty {
                    ValType::Int { bytes } => *bytes,
                    ValType::F32 => 4,
                    ValType::F64 | ValType::Ptr | ValType::Slice => 8,
                };
                let mut m = Mem::empty();
                m.base = Some(Reg::Phys(Register::RSP));
                m.size = MemSize::from_bytes(bytes);
                m.frame = Some(FrameRef::Arg { entry_offset });
                Some(Value::Mem(m, Decor::default()))
            }
        }
    };
    match (&arg.ty, arg.loc, arg.len) {
        (ValType::Slice, ArgLoc::Reg(p), Some(ArgLoc::Reg(l))) => Some(Value::Slice(p, l)),
        (ValType::Slice, p, Some(l)) => {
            let word = ValType::Int { bytes: 8 };
            Some(Value::SliceParts(Rc::new([
                part(p, &ValType::Ptr)?,
                part(l, &word)?,
            ])))
        }
        (ty, loc, _) => part(loc, ty),
    }
}

impl Evaluator<'_> {
    /// `local(bytes)` or `local(bytes, align)`: a new stack slot. The alignment defaults to the
    /// size's natural alignment, at most 16.
    pub(super) fn local_builtin(&mut self, c: &syn::ExprCall) -> Option<Value> {
        if !(1..=2).contains(&c.args.len()) {
            self.error(
                c.span(),
                "write `local(bytes)` or `local(bytes, align)` for a stack slot",
            );
            return None;
        }
        let size_expr = &c.args[0];
        let bytes = self.int(size_expr)?;
        let max = i128::from(MAX_LOCAL_BYTES);
        if !(1..=max).contains(&bytes) {
            self.error(
                size_expr.span(),
                format!("a stack local has 1 to {max} bytes, not {bytes}"),
            );
            return None;
        }
        let bytes = bytes as u32;
        let align = match c.args.get(1) {
            None => bytes.next_power_of_two().min(16),
            Some(e) => {
                let a = self.int(e)?;
                if !(1..=i128::from(MAX_LOCAL_ALIGN)).contains(&a) || !(a as u32).is_power_of_two()
                {
                    self.error(
                        e.span(),
                        format!("the alignment of a stack local is a power of two from 1 to {MAX_LOCAL_ALIGN}, not {a}"),
                    );
                    return None;
                }
                a as u32
            }
        };
        let local = Local {
            id: self.locals.count,
            bytes,
            align,
        };
        let total = self.locals.bytes + local.footprint();
        if total > MAX_LOCAL_BYTES {
            self.error(
                size_expr.span(),
                format!(
                    "this stack local brings the kernel's locals to {total} bytes, over the limit of {MAX_LOCAL_BYTES} (64 KiB); put large buffers in memory the caller passes in"
                ),
            );
            return None;
        }
        self.locals.count += 1;
        self.locals.bytes = total;
        let mut m = Mem::empty();
        m.base = Some(Reg::Phys(Register::RSP));
        m.frame = Some(FrameRef::Local(local));
        Some(Value::Mem(m, Decor::default()))
    }

    /// Adds a stack-slot operand `m` to the address being built in `addr`: `[buf + 8]`,
    /// `dword[buf + rax * 4]`. The slot's rsp becomes the base; a register already in the
    /// address moves to the index.
    pub(super) fn add_stack_slot(
        &mut self,
        e: &Expr,
        sign: i64,
        m: &Mem,
        addr: &mut Mem,
    ) -> Option<()> {
        let span = e.span();
        let frame = m.frame?;
        if let FrameRef::Arg { .. } = frame {
            self.error(span, "this argument arrives on the stack, so it is already a memory operand: use it as one (`mov(rax, a)`), and to address memory through a pointer passed on the stack, load it into a register first");
            return None;
        }
        if sign < 0 {
            self.error(span, "a stack local cannot be subtracted in an address");
            return None;
        }
        if addr.frame.is_some() || addr.rip.is_some() {
            self.error(
                span,
                "an address holds one stack local, and no label or constant with it",
            );
            return None;
        }
        let index = match (addr.base, addr.index, m.index) {
            (None, None, None) => None,
            (Some(r), None, None) | (None, None, Some(r)) => Some((r, 1, m.scale)),
            (None, Some(r), None) => Some((r, addr.scale, 1)),
            _ => {
                self.error(span, "a stack local is addressed from rsp, which leaves room for one index register: `[buf + i * 4]`");
                return None;
            }
        };
        if let Some((r, own_scale, slot_scale)) = index {
            addr.index = Some(r);
            addr.scale = own_scale * slot_scale;
        }
        addr.base = Some(Reg::Phys(Register::RSP));
        addr.frame = Some(frame);
        addr.disp = match addr.disp.checked_add(m.disp) {
            Some(d) => d,
            None => {
                self.error(span, "displacement overflows");
                return None;
            }
        };
        if addr.size.is_none() {
            addr.size = m.size;
        }
        Some(())
    }

    /// The pointer half of a slice in an address: a register, or an error for one on the stack.
    pub(super) fn slice_pointer_in_address(
        &mut self,
        span: Span,
        parts: &[Value; 2],
    ) -> Option<Reg> {
        match &parts[0] {
            Value::Reg(r, _) => Some(*r),
            _ => {
                self.error(span, "this slice's pointer arrives on the stack: load it into a register first (`mov(rax, x.as_ptr())`) and address through that");
                None
            }
        }
    }
}
