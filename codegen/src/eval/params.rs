//! `param(x)`: PeachPy's `LOAD.ARGUMENT` — a copy of a kernel parameter in a new virtual
//! register, which the allocator places anywhere, so the body may then reuse the register
//! the parameter arrived in (`rdi`, `xmm0`) or the parameter may live across code that
//! writes it. A parameter on the stack is loaded from its slot.

use syn::spanned::Spanned;

use super::{Evaluator, Value};
use crate::ir::{Decor, Inst, Operand, OperandKind};
use crate::isa::regs::{Reg, RegClass};
use crate::parse::ValType;

pub(super) fn is_param_builtin(name: &str) -> bool {
    name == "param"
}

impl Evaluator<'_> {
    pub(super) fn param_builtin(&mut self, c: &syn::ExprCall) -> Option<Value> {
        let span = c.func.span();
        let [arg] = c.args.iter().collect::<Vec<_>>()[..] else {
            self.error(c.span(), "`param(x)` takes one kernel parameter");
            return None;
        };
        let named = match arg {
            syn::Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|id| self.kernel.args.iter().find(|a| a.name == *id)),
            _ => None,
        };
        let ty = named.map(|a| a.ty.clone());
        let value = self.value_expr(arg)?;
        let value = match value {
            Value::Slice(p, _) => Value::Reg(Reg::Phys(p), Decor::default()),
            Value::SliceParts(parts) => parts[0].clone(),
            v => v,
        };
        let avx = self.variant.has(iced_x86::CpuidFeature::AVX);
        let (class, size, mnemonic) = match (&value, &ty) {
            (Value::Reg(Reg::Phys(p), _), _) if p.is_gpr() => (RegClass::Gpr, p.size(), "mov"),
            (Value::Reg(Reg::Phys(p), _), _) if p.is_xmm() => {
                (RegClass::Vec, 16, if avx { "vmovaps" } else { "movaps" })
            }
            (Value::Mem(m, _), Some(ty)) if m.frame.is_some() => match ty {
                ValType::F32 => (RegClass::Vec, 16, if avx { "vmovss" } else { "movss" }),
                ValType::F64 => (RegClass::Vec, 16, if avx { "vmovsd" } else { "movsd" }),
                ValType::Int { bytes } => (RegClass::Gpr, *bytes, "mov"),
                ValType::Ptr | ValType::Slice => (RegClass::Gpr, 8, "mov"),
            },
            (other, _) => {
                self.error(
                    arg.span(),
                    format!(
                        "`param(x)` copies a kernel parameter (a register or stack argument), not {}",
                        other.kind()
                    ),
                );
                return None;
            }
        };
        let source = match value {
            Value::Reg(r, d) => OperandKind::Reg(r, d),
            Value::Mem(m, d) => OperandKind::Mem(m, d),
            _ => return None,
        };
        let v = self.new_vreg(class, size as u8, span)?;
        let at = super::operand::first_span(arg);
        let inst = Inst {
            mnemonic: mnemonic.to_owned(),
            prefix: None,
            operands: vec![
                Operand {
                    kind: OperandKind::Reg(Reg::Virt(v), Decor::default()),
                    span,
                },
                Operand {
                    kind: source,
                    span: at,
                },
            ],
            span,
            line: self.line_of(span),
            note: self.note(),
        };
        self.push_inst(inst);
        Some(Value::Reg(Reg::Virt(v), Decor::default()))
    }
}
