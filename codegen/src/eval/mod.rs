//! Stage 2, **eval**: run the compile-time metaprogram and produce the instruction list.
//!
//! Takes the parsed [`Kernel`]; interprets its body — `let`/`const`, integer and boolean
//! arithmetic with overflow checks, `for` over ranges and arrays (unrolled), `if`/`else`,
//! `match`, arrays of registers, kernel parameters — and emits a [`Program`]. Guarantees:
//!
//! * every instruction, label and constant in the program comes from a user token and keeps
//!   its span; errors inside unrolled loops name the iteration (`i = 3`);
//! * labels are lexically scoped to blocks, so a label inside an unrolled loop body is a new
//!   label in every iteration; references resolve to the innermost definition, forward or
//!   backward, when the defining block closes;
//! * evaluation is bounded ([`MAX_STEPS`] evaluation steps, [`MAX_INSTS`] instructions), so a
//!   runaway loop is an error, not a hang;
//! * Rust constructs outside the DSL (`while`, `loop`, closures, ...) are spanned errors.

mod call;
mod expr;
mod operand;
mod params;
pub mod provenance;
mod slots;
mod streams;
mod value;
mod vregs;

use std::collections::BTreeMap;
use std::rc::Rc;

use proc_macro2::Span;
use syn::spanned::Spanned;

use crate::diag::{self, Errors};
use crate::ir::{
    Const, ConstId, Decor, Inst, Item, LabelId, OperandKind, Program, RetValue, RipTarget,
};
use crate::isa::regs::{self, Reg};
use crate::isa::variant::Variant;
use crate::parse::{Kernel, ParamValue, ValType};
pub use value::Value;

/// Evaluation steps (statements, loop iterations, expression nodes) before giving up.
pub const MAX_STEPS: u64 = 2_000_000;
/// Instructions one kernel may unroll to.
pub const MAX_INSTS: usize = 100_000;

/// Runs the body of `kernel`.
#[cfg_attr(
    not(test),
    allow(dead_code, reason = "the pipeline uses `eval_partial`")
)]
pub fn eval(kernel: &Kernel, variant: &Variant) -> syn::Result<Program> {
    let (program, errors, _) = eval_partial(kernel, variant);
    match errors {
        Some(e) => Err(e),
        None => Ok(program),
    }
}

/// Runs the body of `kernel`, returning the program of every statement that evaluated even
/// when others failed, so that later stages can report their own errors in the same compile.
/// A failed statement contributes nothing; the statements after it still run (a failed `let`
/// poisons its names, so their uses add no errors).
pub fn eval_partial(
    kernel: &Kernel,
    variant: &Variant,
) -> (Program, Option<syn::Error>, provenance::ParamReads) {
    let mut ev = Evaluator::new(kernel, variant);
    ev.bind_arguments();
    ev.push_scope();
    ev.block_stmts(&kernel.func.block.stmts);
    ev.pop_scope();
    // The arguments' scope is the outermost: closing it reports the label references that
    // no block defined (left open, they would silently encode as jumps to address 0).
    ev.pop_scope();
    ev.check_final_return(&kernel.func.block);
    ev.finish()
}

struct Binding {
    value: Value,
    mutable: bool,
}

#[derive(Default)]
struct Scope {
    vars: BTreeMap<String, Binding>,
    labels: BTreeMap<String, (LabelId, Span)>,
    pending: Vec<(String, Span, LabelId)>,
}

/// Control-flow outcome of a statement.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    /// A runaway limit was hit: stop evaluating.
    Abort,
}

struct Evaluator<'k> {
    kernel: &'k Kernel,
    /// The variant being built: `has!(...)`, `vector_bytes()` and `vreg()` consult it.
    variant: &'k Variant,
    scopes: Vec<Scope>,
    items: Vec<Item>,
    consts: Vec<Const>,
    errors: Errors,
    /// For each label id: the definition it stands for (refs are resolved later).
    label_target: Vec<Option<LabelId>>,
    all_label_names: Vec<String>,
    iterations: Vec<(String, String)>,
    steps: u64,
    aborted: bool,
    /// Errors already reported, by (line, column, message) — one per token, not per iteration.
    seen: Vec<(usize, usize, String)>,
    vregs: Vec<crate::ir::VRegInfo>,
    /// The `local(..)` stack slots declared so far.
    locals: slots::Locals,
    /// The custom instructions being evaluated, outermost first.
    calls: Vec<call::Frame>,
    /// Set when calls nested too deep: the error says so, without a note per level.
    aborted_calls: bool,
    /// Kernel parameters the current statement names (see `provenance.rs`).
    reading: Vec<String>,
    /// For each active custom-instruction call: the parameters its arguments named.
    helper_reads: Vec<Vec<String>>,
    /// Instructions (by the position of their mnemonic) that name a kernel parameter.
    param_reads: provenance::ParamReads,
}

impl<'k> Evaluator<'k> {
    fn new(kernel: &'k Kernel, variant: &'k Variant) -> Self {
        Evaluator {
            kernel,
            variant,
            scopes: Vec::new(),
            items: Vec::new(),
            consts: Vec::new(),
            errors: Errors::new(),
            label_target: Vec::new(),
            all_label_names: Vec::new(),
            iterations: Vec::new(),
            steps: 0,
            aborted: false,
            seen: Vec::new(),
            vregs: Vec::new(),
            locals: slots::Locals::default(),
            calls: Vec::new(),
            aborted_calls: false,
            reading: Vec::new(),
            helper_reads: Vec::new(),
            param_reads: Default::default(),
        }
    }

    fn finish(mut self) -> (Program, Option<syn::Error>, provenance::ParamReads) {
        // A runaway limit stops the kernel with that one error: the instructions evaluated so
        // far are a truncated program (labels defined after the cut are missing, loops are
        // cut open), and selecting or allocating it would only report the cut.
        if self.aborted {
            self.items.clear();
        }
        // Rewrite references to the labels they resolved to.
        let target = |id: LabelId, t: &[Option<LabelId>]| {
            t.get(id.0 as usize).copied().flatten().unwrap_or(id)
        };
        for item in &mut self.items {
            if let Item::Inst(inst) = item {
                for op in &mut inst.operands {
                    match &mut op.kind {
                        OperandKind::Label(l) => *l = target(*l, &self.label_target),
                        OperandKind::Mem(m, _) => {
                            if let Some(RipTarget::Label(l)) = &mut m.rip {
                                *l = target(*l, &self.label_target);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
        let program = Program {
            items: self.items,
            consts: self.consts,
            label_count: self.label_target.len() as u32,
            vregs: self.vregs,
        };
        (program, self.errors.finish().err(), self.param_reads)
    }

    /// Reports an error once per token, with the unrolling context.
    fn error(&mut self, span: Span, msg: impl Into<String>) {
        let msg = msg.into();
        let start = span.start();
        // Inside unrolled loops the message names values that change per iteration
        // ("index 3 is out of bounds"); the first failing iteration speaks for the token.
        let key_msg = if self.iterations.is_empty() {
            msg.clone()
        } else {
            String::new()
        };
        let key = (start.line, start.column, key_msg);
        if self.seen.contains(&key) {
            return;
        }
        self.seen.push(key);
        match self.note() {
            Some(note) => self.errors.push(span, format!("{msg} ({note})")),
            None => self.errors.push(span, msg),
        }
    }

    fn note(&self) -> Option<Rc<str>> {
        let calls = self.call_note();
        if self.iterations.is_empty() {
            return calls.map(Into::into);
        }
        let parts: Vec<String> = self
            .iterations
            .iter()
            .map(|(n, v)| format!("`{n} = {v}`"))
            .collect();
        let iterations = format!("in unrolled iteration {}", parts.join(", "));
        Some(match calls {
            Some(c) => format!("{iterations}, {c}").into(),
            None => iterations.into(),
        })
    }

    /// Counts one evaluation step; `span` is computed only when the limit is hit, because
    /// `Spanned::span` re-tokenizes the node.
    fn step(&mut self, span: impl FnOnce() -> Span) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS && !self.aborted {
            self.aborted = true;
            self.errors.push(span(), format!("compile-time evaluation exceeded {MAX_STEPS} steps; is a loop bound far larger than intended?"));
        }
        !self.aborted
    }

    // ----- scopes and bindings -------------------------------------------------------------

    fn push_scope(&mut self) {
        self.scopes.push(Scope::default());
    }

    /// Closes a scope: resolves pending label references against its labels; the rest move
    /// outwards, and at the outermost scope they are errors.
    fn pop_scope(&mut self) {
        let Some(scope) = self.scopes.pop() else {
            return;
        };
        // An unrolled loop repeats a reference once per iteration: one hint per name.
        let mut hints: BTreeMap<String, String> = BTreeMap::new();
        for (name, span, id) in scope.pending {
            if let Some((def, _)) = scope.labels.get(&name) {
                if let Some(slot) = self.label_target.get_mut(id.0 as usize) {
                    *slot = Some(*def);
                }
            } else if !self.scopes.is_empty() {
                if let Some(parent) = self.scopes.last_mut() {
                    parent.pending.push((name, span, id));
                }
            } else if let Some(k) = self.rel32_hole(&name) {
                // A stencil's rel32 hole: a branch target outside the code.
                if let Some(slot) = self.label_target.get_mut(id.0 as usize) {
                    *slot = Some(LabelId(crate::ir::EXTERN_LABEL + k));
                }
            } else if self.aborted {
                // Evaluation stopped early: the definitions it never reached are not errors.
            } else if self.all_label_names.contains(&name) {
                self.error(span, format!("label `{name}` is not visible here: it is defined in another block, and a label is scoped to the block that defines it (in a loop body, a new one every iteration)"));
            } else {
                let hint = hints
                    .entry(name.clone())
                    .or_insert_with(|| self.label_hint(&name))
                    .clone();
                // `self.error`: a reference inside an unrolled loop arrives once per iteration.
                self.error(
                    span,
                    format!("cannot find label or value `{name}` in this kernel{hint}"),
                );
            }
        }
    }

    /// "did you mean" for an unknown name: labels first; failing those, a misspelt register
    /// (`rbxx`).
    fn label_hint(&self, name: &str) -> String {
        let near_label = diag::closest(name, self.all_label_names.iter().map(String::as_str), 1)
            .first()
            .map(|h| (*h).to_owned());
        let near = near_label.or_else(|| {
            diag::closest(name, regs::names(), 1)
                .first()
                .map(|h| (*h).to_owned())
        });
        match near {
            Some(h) => format!("; did you mean `{h}`?"),
            None => "; define it with `label!(name);`".to_owned(),
        }
    }

    fn bind(&mut self, name: String, value: Value, mutable: bool) {
        match self.calls.last() {
            Some(f) => {
                let qualified = format!("{}::{name}", f.name);
                self.name_vregs(&qualified, &value);
            }
            None => self.name_vregs(&name, &value),
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.vars.insert(name, Binding { value, mutable });
        }
    }

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.vars.get(name))
    }

    fn new_label(&mut self) -> LabelId {
        let id = LabelId(self.label_target.len() as u32);
        self.label_target.push(None);
        id
    }

    fn define_label(&mut self, ident: &syn::Ident) {
        let name = ident.to_string();
        let id = self.new_label();
        let Some(scope) = self.scopes.last_mut() else {
            return;
        };
        if let Some((_, first)) = scope.labels.get(&name) {
            let line = first.start().line;
            self.error(ident.span(), format!("label `{name}` is defined twice in this block (first at line {line}); rename one"));
            return;
        }
        scope.labels.insert(name.clone(), (id, ident.span()));
        if let Some(slot) = self.label_target.get_mut(id.0 as usize) {
            *slot = Some(id);
        }
        self.all_label_names.push(name);
        self.items.push(Item::Label(id));
    }

    /// The hole number of `__asmforge_rel32_hole_<k>` in a stencil (`crate::stencil`).
    fn rel32_hole(&self, name: &str) -> Option<u32> {
        if !self.kernel.options.rel32_holes {
            return None;
        }
        let k: u32 = name.strip_prefix("__asmforge_rel32_hole_")?.parse().ok()?;
        (k < 1 << 20).then_some(k)
    }

    /// A reference to a label that may be defined later.
    fn label_ref(&mut self, name: String, span: Span) -> LabelId {
        let id = self.new_label();
        if let Some(scope) = self.scopes.last_mut() {
            scope.pending.push((name, span, id));
        }
        id
    }

    fn bind_arguments(&mut self) {
        self.push_scope();
        for arg in &self.kernel.args {
            let Some(value) = slots::arg_value(arg) else {
                continue;
            };
            self.bind(arg.name.to_string(), value, false);
        }
        for p in &self.kernel.options.params {
            let value = match &p.value {
                ParamValue::Int(v) => Value::Int(*v),
                ParamValue::Bool(b) => Value::Bool(*b),
                ParamValue::Symbol(s) => match regs::by_name(s) {
                    Some(r) => Value::Reg(Reg::Phys(r), Decor::default()),
                    None => Value::Symbol(s.clone()),
                },
            };
            self.bind(p.name.to_string(), value, false);
        }
    }

    // ----- statements ----------------------------------------------------------------------

    fn block_stmts(&mut self, stmts: &[syn::Stmt]) -> Flow {
        for stmt in stmts {
            if self.stmt(stmt) == Flow::Abort {
                return Flow::Abort;
            }
        }
        Flow::Normal
    }

    fn block(&mut self, block: &syn::Block) -> Flow {
        self.push_scope();
        let flow = self.block_stmts(&block.stmts);
        self.pop_scope();
        flow
    }

    fn stmt(&mut self, stmt: &syn::Stmt) -> Flow {
        if !self.step(|| stmt.span()) {
            return Flow::Abort;
        }
        self.reading.clear();
        match stmt {
            syn::Stmt::Local(local) => self.local(local),
            syn::Stmt::Item(syn::Item::Const(c)) => {
                if let Some(v) = self.expr(&c.expr) {
                    self.bind(c.ident.to_string(), v, false);
                }
            }
            syn::Stmt::Item(syn::Item::Use(u)) => self.use_item(u),
            syn::Stmt::Item(item) => {
                self.error(
                    item.span(),
                    "only `const` items are allowed in a kernel body",
                );
            }
            s if is_empty_stmt(s) => {}
            syn::Stmt::Expr(e, _) => {
                self.stmt_expr(e);
            }
            syn::Stmt::Macro(m) => self.macro_stmt(&m.mac),
        }
        if self.aborted {
            Flow::Abort
        } else {
            Flow::Normal
        }
    }

    fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.error(
                local.span(),
                "a `let` in a kernel needs a value: `let x = ...;`",
            );
            return;
        };
        if let Some((else_token, _)) = &init.diverge {
            self.error(
                else_token.span,
                "`let ... else` is not supported in a kernel body",
            );
            return;
        }
        let Some(value) = self.value_expr(&init.expr) else {
            self.bind_pattern(&local.pat, Value::Poison);
            return;
        };
        self.bind_pattern(&local.pat, value);
    }

    fn bind_pattern(&mut self, pat: &syn::Pat, value: Value) {
        match pat {
            syn::Pat::Ident(pi) if pi.subpat.is_none() => {
                self.bind(pi.ident.to_string(), value, pi.mutability.is_some());
            }
            syn::Pat::Type(pt) => self.bind_pattern(&pt.pat, value),
            syn::Pat::Wild(_) => {}
            syn::Pat::Slice(syn::PatSlice { elems, .. })
            | syn::Pat::Tuple(syn::PatTuple { elems, .. })
                if matches!(value, Value::Poison) =>
            {
                for p in elems {
                    self.bind_pattern(p, Value::Poison);
                }
            }
            syn::Pat::Slice(syn::PatSlice { elems, .. })
            | syn::Pat::Tuple(syn::PatTuple { elems, .. }) => match value {
                Value::Array(items) if items.len() == elems.len() => {
                    for (p, v) in elems.iter().zip(items.iter()) {
                        self.bind_pattern(p, v.clone());
                    }
                }
                other => self.error(
                    pat.span(),
                    format!("cannot destructure {} with this pattern", other.kind()),
                ),
            },
            _ => self.error(
                pat.span(),
                "unsupported pattern: use a name, `_`, `[a, b, ...]` or `(a, b, ...)`",
            ),
        }
    }

    fn macro_stmt(&mut self, mac: &syn::Macro) {
        let name = mac
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        match name.as_str() {
            n if streams::MACROS.contains(&n) => self.stream_macro(n, mac),
            "label" => match mac.parse_body::<syn::Ident>() {
                Ok(ident) => self.define_label(&ident),
                Err(_) => self.error(body_span(mac), "write `label!(name);` with a single identifier"),
            },
            "align" => match mac.parse_body::<syn::Expr>() {
                Ok(e) => {
                    if let Some(Value::Int(n)) = self.value_expr(&e) {
                        if (1..=4096).contains(&n) && (n as u64).is_power_of_two() {
                            self.items.push(Item::Align(n as u32));
                        } else {
                            self.error(e.span(), format!("alignment must be a power of two from 1 to 4096, not {n}"));
                        }
                    } else {
                        self.error(e.span(), "`align!` takes a compile-time integer");
                    }
                }
                Err(_) => self.error(body_span(mac), "write `align!(16);`"),
            },
            _ => self.error(mac.path.span(), format!("unknown macro `{name}!` in a kernel body; the DSL has `label!(name)`, `align!(bytes)`, `stream!(s => {{..}})`, `interleave!(..)` and `pipeline!(..)`")),
        }
    }

    fn push_inst(&mut self, inst: Inst) -> bool {
        if self.items.len() >= MAX_INSTS {
            if !self.aborted {
                self.aborted = true;
                self.errors.push(inst.span, format!("the kernel unrolls to more than {MAX_INSTS} instructions; reduce the loop bounds"));
            }
            return false;
        }
        let at = inst.span.start();
        for name in self
            .reading
            .iter()
            .chain(self.helper_reads.iter().flatten())
        {
            self.param_reads.insert((at.line, at.column, name.clone()));
        }
        self.items.push(Item::Inst(inst));
        true
    }

    fn intern_const(&mut self, c: Const) -> ConstId {
        if let Some(i) = self.consts.iter().position(|k| *k == c) {
            return ConstId(i as u32);
        }
        self.consts.push(c);
        ConstId(self.consts.len() as u32 - 1)
    }

    fn check_final_return(&mut self, block: &syn::Block) {
        if self.kernel.ret.is_none() || self.aborted {
            return;
        }
        let ends_in_return = matches!(
            block.stmts.iter().rfind(|s| !is_empty_stmt(s)),
            Some(syn::Stmt::Expr(syn::Expr::Return(_), _))
        );
        if !ends_in_return {
            let span = block.brace_token.span.close();
            self.error(
                span,
                "this kernel returns a value: end its body with `return <register>;`",
            );
        }
    }

    fn ret(&mut self, r: &syn::ExprReturn) {
        let span = r.return_token.span;
        if !self.calls.is_empty() {
            self.error(span, "`return` ends the kernel, and a custom instruction cannot end its caller: write the result to a register parameter");
            return;
        }
        let value = match (&self.kernel.ret, &r.expr) {
            (None, None) => RetValue::None,
            (None, Some(e)) => {
                self.error(
                    e.span(),
                    "this kernel returns `()`: write `return;`, or declare a return type",
                );
                return;
            }
            (Some(_), None) => {
                self.error(
                    span,
                    "this kernel returns a value: write `return <register>;`",
                );
                return;
            }
            (Some((ty, _)), Some(e)) => {
                let ty = ty.clone();
                let Some(v) = self.operand_value(e) else {
                    return;
                };
                let reg = match v {
                    Value::Reg(r, d) if d == Decor::default() => r,
                    Value::Slice(p, _) => Reg::Phys(p),
                    other => {
                        self.error(
                            e.span(),
                            format!(
                                "`return` takes a register holding the result, not {}; put the value in a register first (e.g. `mov(rax, ...)`) and return that",
                                other.kind()
                            ),
                        );
                        return;
                    }
                };
                // Virtual registers are checked by class like physical ones: the frame
                // stage can only move a result within its class.
                let (is_vec, is_gpr) = match reg {
                    Reg::Phys(p) => (p.is_vector_register(), p.is_gpr()),
                    Reg::Virt(v) => (
                        v.class == regs::RegClass::Vec,
                        v.class == regs::RegClass::Gpr,
                    ),
                };
                match (ty, reg) {
                    (ValType::F32 | ValType::F64, _) if !is_vec => {
                        self.error(e.span(), "a floating-point result is returned from a vector register (its low lane), e.g. `return xmm1;`");
                        return;
                    }
                    (ValType::F32 | ValType::F64, r) => RetValue::Float(r, e.span()),
                    (ValType::Int { .. } | ValType::Ptr, _) if !is_gpr => {
                        self.error(e.span(), "an integer or pointer result is returned from a general-purpose register, e.g. `return rax;`");
                        return;
                    }
                    // The result goes to rax at the type's width; ah..bh are bits 8–15 of
                    // another register and have no such view.
                    (ValType::Int { .. } | ValType::Ptr, Reg::Phys(p))
                        if matches!(
                            p,
                            iced_x86::Register::AH
                                | iced_x86::Register::BH
                                | iced_x86::Register::CH
                                | iced_x86::Register::DH
                        ) =>
                    {
                        self.error(e.span(), format!("`{}` cannot be returned directly (it is bits 8–15 of `{}`); zero-extend it first, e.g. `movzx(eax, {0}); return eax;`", regs::name(p), regs::name(p.full_register())));
                        return;
                    }
                    (ValType::Int { bytes }, r) => RetValue::Gpr(r, bytes, e.span()),
                    (_, r) => RetValue::Gpr(r, 8, e.span()),
                }
            }
        };
        self.items.push(Item::Return(value, span));
    }

    fn for_loop(&mut self, f: &syn::ExprForLoop) {
        if let Some(label) = &f.label {
            self.error(
                label.name.span(),
                "loop labels are not supported; compile-time loops always run to the end",
            );
            return;
        }
        let Some(iterable) = self.value_expr(&f.expr) else {
            return;
        };
        if let Some(n) = iterable.range_len()
            && n as u128 > u128::from(MAX_STEPS)
        {
            self.error(f.expr.span(), format!("this loop would unroll {n} times, more than the limit of {MAX_STEPS}; reduce the bound"));
            self.aborted = true;
            return;
        }
        let Some(elements) = iterable.iterate() else {
            let what = match iterable {
                Value::Reg(..) | Value::Slice(..) => "a runtime register: a compile-time `for` needs constant bounds — write a runtime loop with `label!`, `cmp` and a conditional jump".to_owned(),
                other => format!("{}; a compile-time `for` iterates over a range or an array", other.kind()),
            };
            self.error(f.expr.span(), format!("cannot unroll over {what}"));
            return;
        };
        // A name, `_`, or a tuple / slice pattern (`for (i, op) in [(0, add), (1, sub)]`).
        let var = match &*f.pat {
            syn::Pat::Ident(pi) => Some(pi.ident.to_string()),
            syn::Pat::Wild(_) => None,
            syn::Pat::Tuple(_) | syn::Pat::Slice(_) => {
                Some(quote::ToTokens::to_token_stream(&*f.pat).to_string())
            }
            other => {
                self.error(
                    other.span(),
                    "a `for` loop variable is a name, `_` or a tuple of names",
                );
                return;
            }
        };
        let destructure = matches!(&*f.pat, syn::Pat::Tuple(_) | syn::Pat::Slice(_));
        for v in elements {
            if !self.step(|| f.for_token.span) {
                return;
            }
            self.push_scope();
            if let Some(name) = &var {
                self.iterations.push((name.clone(), v.show()));
                if destructure {
                    self.bind_pattern(&f.pat, v);
                } else {
                    self.bind(name.clone(), v, false);
                }
            }
            let flow = self.block_stmts(&f.body.stmts);
            self.pop_scope();
            if var.is_some() {
                self.iterations.pop();
            }
            if flow == Flow::Abort {
                return;
            }
        }
    }

    fn if_expr(&mut self, e: &syn::ExprIf) {
        let Some(cond) = self.value_expr(&e.cond) else {
            return;
        };
        let Value::Bool(c) = cond else {
            let msg = match cond {
                Value::Reg(..) => "an `if` condition is evaluated at compile time and cannot test a register; test at run time with `cmp`/`test` and a conditional jump".to_owned(),
                other => format!("an `if` condition must be a compile-time boolean, not {}", other.kind()),
            };
            self.error(e.cond.span(), msg);
            return;
        };
        if c {
            self.block(&e.then_branch);
        } else if let Some((_, else_branch)) = &e.else_branch {
            self.stmt_expr(else_branch);
        }
    }
}

/// An empty statement (`;`), which syn keeps as an empty verbatim expression: it does
/// nothing, as in Rust.
fn is_empty_stmt(stmt: &syn::Stmt) -> bool {
    matches!(stmt, syn::Stmt::Expr(syn::Expr::Verbatim(v), Some(_)) if v.is_empty())
}

/// Where to report a malformed `label!(..)` / `align!(..)`: its tokens, or the parentheses
/// when there are none (an empty stream's span is the call site).
fn body_span(mac: &syn::Macro) -> proc_macro2::Span {
    if mac.tokens.is_empty() {
        mac.delimiter.span().join()
    } else {
        mac.tokens.span()
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;

    use crate::tests::errors;

    /// Errors of `fn k() { <body> }`, parsed from text so that tokens carry real positions.
    fn errors_of(body: &str) -> Vec<String> {
        let item: TokenStream = format!("fn k() {{ {body} }}").parse().unwrap();
        errors(TokenStream::new(), item)
    }

    #[test]
    fn undefined_labels_are_errors() {
        // Left open, the reference once encoded silently as a jump to address 0.
        let errs = errors_of("label!(top); jnz(tpo);");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("cannot find label or value `tpo`"),
            "{errs:?}"
        );
        assert!(errs[0].contains("did you mean `top`?"), "{errs:?}");
        let errs = errors_of("for _ in 0..2 { label!(inner); } jmp(inner);");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("label `inner` is not visible here"),
            "{errs:?}"
        );
    }

    #[test]
    fn unrolled_errors_are_reported_once_per_token() {
        let errs = errors_of("let r = [xmm0, xmm1]; for i in 0..4 { pxor(r[i], r[i]); }");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("`i = 2`"), "{errs:?}");
        let errs = errors_of("for _ in 0..3 { jmp(nowhere); }");
        assert_eq!(errs.len(), 1, "{errs:?}");
    }

    #[test]
    fn step_by_overflow_is_an_error_not_a_panic() {
        let errs = errors_of(
            "for _ in (0..9).step_by(1 << 62).step_by(1 << 62).step_by(1 << 62) { nop(); }",
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(errs[0].contains("`step_by` step overflows"), "{errs:?}");
    }

    /// Bytes of `body` (no prologue), or its errors.
    fn bytes(body: &str) -> Result<Vec<u8>, String> {
        crate::tests::encode_body(body.parse().unwrap())
    }

    #[test]
    fn mnemonics_are_values_in_lets_arrays_matches_and_ifs() {
        let want = bytes("add(rax, 1); sub(rax, 2); add(rcx, 3);").unwrap();
        let arrays = "let ops = [add, sub]; for (i, op) in [(1, ops[0]), (2, ops[1])] { op(rax, i); } \
                      let again = ops[0]; again(rcx, 3);";
        assert_eq!(bytes(arrays).unwrap(), want);
        let matched = "for k in 0..2 { let op = match (k, k == 0) { (0, true) => add, (_, _) => sub }; op(rax, k + 1); } \
                       let (a, r) = if true { (add, rcx) } else { (sub, rdx) }; a(r, 3);";
        assert_eq!(bytes(matched).unwrap(), want);
    }

    #[test]
    fn integer_methods() {
        let want =
            bytes("add(rax, 3); add(rax, 1); add(rax, 8); add(rax, 2); add(rax, 16);").unwrap();
        let got = bytes(
            "const N: usize = 8; add(rax, N.ilog2()); add(rax, N.is_power_of_two() as u8); \
             add(rax, N.max(3)); add(rax, N.min(2)); add(rax, 9.next_power_of_two());",
        );
        assert_eq!(got.unwrap(), want);
        let errs = errors_of("add(rax, 0.ilog2());");
        assert!(errs[0].contains("must be positive"), "{errs:?}");
    }

    /// Compiles `body` with custom instructions defined by `helpers` (function items).
    fn with_helpers(helpers: &[&str], body: &str) -> Result<Vec<u8>, Vec<String>> {
        let item: TokenStream = format!("fn k() {{ {body} }}").parse().unwrap();
        let mut kernel = crate::parse::parse(TokenStream::new(), item).unwrap();
        for h in helpers {
            let f: syn::ItemFn = syn::parse_str(h).unwrap();
            let name = f.sig.ident.to_string();
            kernel
                .helpers
                .push(crate::parse::helper::parse_helper(name, &f).unwrap());
        }
        let variant = crate::isa::variant::Variant::baseline();
        crate::expand::compile_variant(&kernel, &variant)
            .map(|e| e.bytes)
            .map_err(|e| e.into_iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn custom_instructions_expand_in_their_own_scope() {
        let twice = "fn twice(op: Mnemonic, r: Gp, n: Imm) { op(r, n); op(r, n); }";
        let got = with_helpers(
            &[twice],
            "let n = 5; twice(add, rax, 1); twice(sub, rcx, n);",
        );
        let want = with_helpers(&[], "add(rax, 1); add(rax, 1); sub(rcx, 5); sub(rcx, 5);");
        assert_eq!(got, want);
        // The body does not see the caller's names.
        let peek = "fn peek(r: Gp) { add(r, secret); }";
        let errs = with_helpers(&[peek], "let secret = 1; peek(rax);").unwrap_err();
        assert!(errs[0].contains("`secret`"), "{errs:?}");
        assert!(errs[0].contains("in `peek` called at line 1"), "{errs:?}");
    }

    #[test]
    fn selection_errors_are_reported_with_evaluation_errors() {
        let errs = errors_of("mov(eax, 1 / 0); addps(xmm0, 5); mov(ecx, 1 << 70);");
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("addps")), "{errs:?}");
    }

    #[test]
    fn no_label_errors_after_the_instruction_limit() {
        let errs = errors_of("for _ in 0..200000 { nop(); } jmp(later); label!(later);");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("more than 100000 instructions"),
            "{errs:?}"
        );
    }

    #[test]
    fn a_misspelt_operand_is_one_error() {
        let errs = errors_of("mov(rax, rbxx); addps(xmm0, 1);");
        assert_eq!(errs.len(), 2, "{errs:?}");
        assert!(errs[0].contains("did you mean `rbx`"), "{errs:?}");
        assert!(errs[1].contains("addps"), "{errs:?}");
    }

    #[test]
    fn ambiguous_sizes_through_pointers_are_errors() {
        let item: TokenStream = "unsafe fn k(p: *mut u32) { inc([p]); }".parse().unwrap();
        let errs = errors(TokenStream::new(), item);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("ambiguous memory operand size"),
            "{errs:?}"
        );
    }

    fn errors_of_fn(item: &str) -> Vec<String> {
        errors(TokenStream::new(), item.parse().unwrap())
    }

    #[test]
    fn writing_a_live_parameter_register_is_an_error_naming_it() {
        // The case: `d` arrives in rcx; `mov(ecx, ..)` destroyed it before its use.
        let errs = errors_of_fn(
            "fn k(a: u64, b: u64, c: u64, d: u64) -> u64 { mov(ecx, 2); lea(rax, [a + b]); add(rax, c); add(rax, d); return rax; }",
        );
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("where the parameter `d` arrived"),
            "{errs:?}"
        );
        assert!(errs[0].contains("let d = param(d);"), "{errs:?}");
        // Implicit writes count: `mul` writes rdx, where `c` arrived.
        let errs = errors_of_fn(
            "fn k(a: u64, b: u64, c: u64) -> u64 { mov(rax, a); mul(b); add(rax, c); return rax; }",
        );
        assert!(errs.iter().any(|e| e.contains("`c` arrived")), "{errs:?}");
        // After the last use, or naming the parameter, or through a copy: fine.
        assert!(errors_of_fn("fn k(a: u64, d: u64) -> u64 { mov(rax, d); mov(esi, 2); add(rax, rsi); return rax; }").is_empty());
        assert!(
            errors_of_fn("fn k(a: u64, d: u64) -> u64 { add(d, 1); mov(rax, d); return rax; }")
                .is_empty()
        );
        assert!(errors_of_fn("fn k(a: u64, d: u64) -> u64 { let d = param(d); mov(esi, 2); lea(rax, [d + rsi]); return rax; }").is_empty());
        // A use in a loop keeps the parameter live to the back edge.
        let errs = errors_of_fn(
            "fn k(n: u64) -> u64 { xor(eax, eax); label!(top); add(rax, n); mov(edi, 0); cmp(rax, 100); jb(top); return rax; }",
        );
        assert!(errs.iter().any(|e| e.contains("`n` arrived")), "{errs:?}");
    }
}
