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

impl Evaluator<'_> {
    /// Records that the current statement names a value held in a parameter's register: the
    /// parameter itself or an alias of it (`let n = x.len();`).
    pub(super) fn note_param_read(&mut self, name: &str) {
        let Some(b) = self.lookup(name) else { return };
        let held: Vec<iced_x86::Register> = match &b.value {
            super::Value::Reg(crate::isa::regs::Reg::Phys(r), _) => vec![r.full_register()],
            super::Value::Slice(p, l) => vec![p.full_register(), l.full_register()],
            _ => return,
        };
        let named: Vec<String> = self
            .kernel
            .args
            .iter()
            .filter(|a| arg_regs(a).iter().any(|r| held.contains(r)))
            .map(|a| a.name.to_string())
            .collect();
        self.reading.extend(named);
    }
}

/// The registers an argument arrives in (its full views).
fn arg_regs(arg: &crate::parse::Arg) -> Vec<iced_x86::Register> {
    [Some(arg.loc), arg.len]
        .into_iter()
        .flatten()
        .filter_map(|l| match l {
            crate::isa::abi::ArgLoc::Reg(r) => Some(r.full_register()),
            crate::isa::abi::ArgLoc::Stack(_) => None,
        })
        .collect()
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

/// Instructions that name a kernel parameter, by the position of their mnemonic (one source
/// token stands for all its unrolled copies): `(line, column, parameter)`.
pub type ParamReads = std::collections::BTreeSet<(usize, usize, String)>;

/// A parameter is live from the entry to the last instruction that names it (extended to the
/// end of any loop around that instruction). An instruction that does not name the parameter
/// and writes the register it arrived in, within that range, destroys it: an error naming the
/// parameter and where it is still used. An instruction that names it (`add(x, 1)`) means to
/// change it, and is not reported.
pub fn check_param_clobbers(
    kernel: &crate::parse::Kernel,
    selected: &Selected,
    reads: &ParamReads,
) -> syn::Result<()> {
    let items = &selected.items;
    let at = |s: &crate::ir::SelInst| {
        let p = s.inst.span.start();
        (p.line, p.column)
    };
    let names = |s: &crate::ir::SelInst| -> Vec<&str> {
        let (l, c) = at(s);
        reads
            .range((l, c, String::new())..)
            .take_while(|(rl, rc, _)| (*rl, *rc) == (l, c))
            .map(|(_, _, n)| n.as_str())
            .collect()
    };
    // Where each label is, for loops (a jump back to a label at or before an instruction).
    let label_at: std::collections::BTreeMap<_, usize> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match it {
            SItem::Label(l) => Some((*l, i)),
            _ => None,
        })
        .collect();
    let back_edges: Vec<(usize, usize)> = items
        .iter()
        .enumerate()
        .filter_map(|(i, it)| match it {
            SItem::Inst(s) => s.inst.operands.iter().find_map(|o| match o.kind {
                OperandKind::Label(l) => label_at.get(&l).filter(|t| **t <= i).map(|t| (*t, i)),
                _ => None,
            }),
            _ => None,
        })
        .collect();
    // Per instruction, computed once for all parameters: the parameters it names, and the
    // registers it writes (in iced's order), asked of iced only when a parameter needs it.
    let named: Vec<Vec<&str>> = items
        .iter()
        .map(|it| match it {
            SItem::Inst(s) => names(s),
            _ => Vec::new(),
        })
        .collect();
    let mut writes: Vec<Option<Vec<iced_x86::Register>>> = vec![None; items.len()];
    let mut errors = Errors::new();
    let mut factory = InstructionInfoFactory::new();
    for arg in &kernel.args {
        let name = arg.name.to_string();
        let regs = arg_regs(arg);
        let Some(mut last) = named.iter().rposition(|n| n.contains(&name.as_str())) else {
            continue;
        };
        // A use inside a loop keeps the parameter live to the loop's back edge.
        loop {
            let extended = back_edges
                .iter()
                .filter(|(head, jump)| *head <= last && *jump > last)
                .map(|(_, jump)| *jump)
                .max();
            match extended {
                Some(j) => last = j,
                None => break,
            }
        }
        let use_line = match &items[last] {
            SItem::Inst(s) => s.inst.line,
            _ => 0,
        };
        for (i, item) in items[..last].iter().enumerate() {
            let SItem::Inst(s) = item else { continue };
            if named[i].contains(&name.as_str()) {
                continue;
            }
            let written = writes[i].get_or_insert_with(|| written_registers(s, &mut factory));
            if let Some(r) = written.iter().find(|r| regs.contains(&r.full_register())) {
                errors.push(
                    s.inst.span,
                    format!(
                        "`{}` writes `{}`, where the parameter `{name}` arrived, but `{name}` is still used (line {use_line}); copy it first with `let {name} = param({name});`, or use another register",
                        s.inst.mnemonic,
                        crate::isa::regs::name(*r)
                    ),
                );
                break;
            }
        }
    }
    errors.finish()
}

/// The registers `s` writes, fully or conditionally, as iced lists them (none if its form
/// cannot be built with stand-ins for its virtual registers).
fn written_registers(
    s: &crate::ir::SelInst,
    factory: &mut InstructionInfoFactory,
) -> Vec<iced_x86::Register> {
    let Some((ops, _)) = instr::with_standins(&s.inst.operands) else {
        return Vec::new();
    };
    let Ok(ins) = instr::build(s.code, &ops, s.inst.prefix, &instr::Dummy) else {
        return Vec::new();
    };
    factory
        .info(&ins)
        .used_registers()
        .iter()
        .filter(|u| {
            matches!(
                u.access(),
                OpAccess::Write
                    | OpAccess::CondWrite
                    | OpAccess::ReadWrite
                    | OpAccess::ReadCondWrite
            )
        })
        .map(|u| u.register())
        .collect()
}
