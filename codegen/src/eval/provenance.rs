//! Memory a kernel may only read: what `&[T]` and `*const T` parameters point at.
//!
//! Eval marks a memory operand addressed through such a parameter *by name* (`[x + i * 4]`
//! where `x: &[f32]`) with the parameter's name; once selection has fixed the form, this
//! pass asks iced-x86 which operands the form writes (`InstructionInfo::op_access`) and
//! reports a store through a read-only parameter at the operand, naming the parameter. A
//! copy of the pointer in another register (`mov(rax, x)`) is not followed: provenance is by
//! name, so the check has no false positives from registers reused for other pointers.

use iced_x86::{InstructionInfoFactory, OpAccess, OpKind};
use syn::Expr;

use super::Evaluator;
use crate::diag::Errors;
use crate::ir::OperandKind;
use crate::ir::{SItem, Selected};
use crate::isa::instr;

impl Evaluator<'_> {
    /// The name of the read-only kernel parameter `e` names, if it does (and is not shadowed).
    pub(super) fn read_only_param(&self, e: &Expr) -> Option<std::rc::Rc<str>> {
        let Expr::Path(p) = e else { return None };
        let name = p.path.get_ident()?.to_string();
        if !self.calls.is_empty() {
            return None;
        }
        let arg = self
            .kernel
            .args
            .iter()
            .find(|a| a.read_only && a.name == name)?;
        // Shadowed by a `let` in an inner scope: not the parameter.
        let innermost = self
            .scopes
            .iter()
            .rposition(|s| s.vars.contains_key(&name))?;
        (innermost == 0).then(|| arg.name.to_string().into())
    }
}

/// Reports every instruction that writes memory marked read-only.
pub fn check_stores(selected: &Selected) -> syn::Result<()> {
    let mut errors = Errors::new();
    let mut factory = InstructionInfoFactory::new();
    for item in &selected.items {
        let SItem::Inst(s) = item else { continue };
        let Some((op, name)) = s.inst.operands.iter().find_map(|o| match &o.kind {
            OperandKind::Mem(m, _) => m.read_only.as_ref().map(|n| (o, n)),
            _ => None,
        }) else {
            continue;
        };
        let Some((ops, _)) = instr::with_standins(&s.inst.operands) else {
            continue;
        };
        let Ok(ins) = instr::build(s.code, &ops, s.inst.prefix, &instr::Dummy) else {
            continue;
        };
        let info = factory.info(&ins);
        let writes = (0..ins.op_count()).any(|i| {
            ins.op_kind(i) == OpKind::Memory
                && matches!(
                    info.op_access(i),
                    OpAccess::Write
                        | OpAccess::CondWrite
                        | OpAccess::ReadWrite
                        | OpAccess::ReadCondWrite
                )
        });
        if writes {
            errors.push(
                op.span,
                format!(
                    "`{}` writes memory through `{name}`, which the kernel may only read (`&[T]` or `*const T`); take `&mut [T]` / `*mut T` to write it",
                    s.inst.mnemonic
                ),
            );
        }
    }
    errors.finish()
}
