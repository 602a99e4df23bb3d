//! Calls of custom instructions (`parse/helper.rs`), evaluated like PeachPy's Python functions
//! that emit instructions: the arguments are evaluated at the call site and checked against
//! the parameters' kinds, the body runs in a scope of its own — it sees its parameters, not
//! the caller's names — so its `let t = xmm();` temporaries and its labels are private to each
//! call. Errors inside the body point at the helper's token and name the call site
//! ("in `muladd` called at line 12"); calls nest up to [`MAX_CALL_DEPTH`].

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::{Evaluator, Value};
use crate::isa::regs::{Reg, RegClass};
use crate::parse::helper::{Helper, ParamKind};

/// How deeply custom instructions may call one another (recursion ends in an error).
pub const MAX_CALL_DEPTH: usize = 32;

/// One active call: the helper's name and the line of the call.
pub(super) struct Frame {
    pub name: String,
    pub line: usize,
}

impl Evaluator<'_> {
    /// The custom instruction the kernel imported as `name`.
    pub(super) fn helper(&self, name: &str) -> Option<&'_ Helper> {
        self.kernel.helpers.iter().find(|h| h.name == name)
    }

    /// Whether `name` is a custom instruction of this kernel.
    pub(super) fn is_helper(&self, name: &str) -> bool {
        self.helper(name).is_some()
    }

    /// `name(args..)` where `name` is a custom instruction.
    pub(super) fn call_helper(&mut self, name: &str, c: &syn::ExprCall) {
        let Some(helper) = self.kernel.helpers.iter().find(|h| h.name == name) else {
            return;
        };
        let call_span = super::operand::first_span(&c.func);
        if c.args.len() != helper.params.len() {
            let list: Vec<String> = helper
                .params
                .iter()
                .map(|p| format!("{}: {}", p.name, p.kind.describe()))
                .collect();
            self.error(
                call_span,
                format!(
                    "`{name}` takes {} operand(s) ({}), not {}",
                    helper.params.len(),
                    list.join(", "),
                    c.args.len()
                ),
            );
            return;
        }
        if self.calls.len() >= MAX_CALL_DEPTH {
            let outer = self.calls.first().map_or(0, |f| f.line);
            // The message names the outermost call; a note per level would repeat it.
            self.aborted_calls = true;
            self.error(
                call_span,
                format!(
                    "custom instructions nest more than {MAX_CALL_DEPTH} deep; does `{name}` call itself without end? (the outermost call is at line {outer})"
                ),
            );
            return;
        }
        let read_before = self.reading.len();
        let mut bound = Vec::with_capacity(c.args.len());
        for (param, arg) in helper.params.iter().zip(&c.args) {
            let Some(v) = self.argument(name, param.kind, &param.name.to_string(), arg) else {
                return;
            };
            bound.push((param.name.to_string(), v));
        }
        // Instructions of the body act on the parameters its arguments named.
        let named = self.reading.get(read_before..).unwrap_or_default().to_vec();
        self.helper_reads.push(named);
        // The body sees only its parameters: the caller's scopes wait outside.
        let caller_scopes = std::mem::take(&mut self.scopes);
        self.calls.push(Frame {
            name: name.to_owned(),
            line: call_span.start().line,
        });
        self.push_scope();
        for (n, v) in bound {
            self.bind(n, v, false);
        }
        self.block_stmts(&helper.body.stmts);
        // Closing the outermost scope reports labels the helper used but never defined.
        self.pop_scope();
        self.calls.pop();
        self.helper_reads.pop();
        self.scopes = caller_scopes;
    }

    /// Evaluates one argument and checks it against what the parameter accepts.
    fn argument(
        &mut self,
        helper: &str,
        kind: ParamKind,
        param: &str,
        arg: &syn::Expr,
    ) -> Option<Value> {
        let span = super::operand::first_span(arg);
        let value = if kind == ParamKind::Mnemonic {
            self.mnemonic_argument(arg)?
        } else {
            self.operand_value(arg)?
        };
        let value = match value {
            Value::Slice(p, _) => Value::Reg(Reg::Phys(p), Default::default()),
            Value::Poison => return None,
            v => v,
        };
        if accepts(kind, &value) {
            return Some(value);
        }
        self.error(
            span,
            format!(
                "`{helper}` takes {} for `{param}`, not {}",
                kind.describe(),
                value.kind()
            ),
        );
        None
    }

    /// A mnemonic argument: a name bound to one, or an instruction or custom-instruction name.
    fn mnemonic_argument(&mut self, arg: &syn::Expr) -> Option<Value> {
        if let syn::Expr::Path(p) = arg
            && let Some(ident) = p.path.get_ident()
            && self.lookup(&ident.to_string()).is_none()
        {
            let name = ident.to_string();
            let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
            return match self.symbol(&name) {
                Some(v) => Some(v),
                None => {
                    self.error(
                        ident.span(),
                        format!("`{name}` is not an instruction or custom instruction"),
                    );
                    None
                }
            };
        }
        self.value_expr(arg)
    }

    /// The value of an instruction or custom-instruction name used as a value.
    pub(super) fn symbol(&self, name: &str) -> Option<Value> {
        (is_mnemonic(name) || self.is_helper(name)).then(|| Value::Symbol(name.to_owned()))
    }

    /// "in `muladd` called at line 12" for the innermost call, and the kernel's line of the
    /// outermost one when they differ.
    pub(super) fn call_note(&self) -> Option<String> {
        if self.aborted_calls {
            return None;
        }
        let inner = self.calls.last()?;
        let mut note = format!("in `{}` called at line {}", inner.name, inner.line);
        if let Some(outer) = self.calls.first().filter(|_| self.calls.len() > 1) {
            note.push_str(&format!(", from `{}` at line {}", outer.name, outer.line));
        }
        Some(note)
    }

    /// The source line an instruction is attributed to: the kernel's, so the line map stays
    /// in the kernel's file (the outermost call's line inside a custom instruction).
    pub(super) fn line_of(&self, span: Span) -> u32 {
        self.calls.first().map_or(span.start().line, |f| f.line) as u32
    }

    /// Reports a `use` item met during evaluation.
    pub(super) fn use_item(&mut self, u: &syn::ItemUse) {
        if !self.calls.is_empty() {
            self.error(
                u.span(),
                "a custom instruction calls the custom instructions its kernel imports; import them in the kernel (`use ...;` at the top of its body)",
            );
        }
    }
}

fn accepts(kind: ParamKind, v: &Value) -> bool {
    let class = |v: &Value| match v {
        Value::Reg(Reg::Phys(p), _) if p.is_gpr() => Some(RegClass::Gpr),
        Value::Reg(Reg::Phys(p), _) if p.is_vector_register() => Some(RegClass::Vec),
        Value::Reg(Reg::Phys(p), _) if p.is_k() => Some(RegClass::Mask),
        Value::Reg(Reg::Virt(v), _) => Some(v.class),
        _ => None,
    };
    match kind {
        ParamKind::Reg => matches!(v, Value::Reg(..)),
        ParamKind::Gp => class(v) == Some(RegClass::Gpr),
        ParamKind::Vec => class(v) == Some(RegClass::Vec),
        ParamKind::Mask => class(v) == Some(RegClass::Mask),
        ParamKind::Mem => matches!(v, Value::Mem(..)),
        ParamKind::Operand => matches!(
            v,
            Value::Reg(..) | Value::Mem(..) | Value::Int(_) | Value::SliceParts(_)
        ),
        ParamKind::Int => matches!(v, Value::Int(_)),
        ParamKind::Bool => matches!(v, Value::Bool(_)),
        ParamKind::Mnemonic => matches!(v, Value::Symbol(_)),
        ParamKind::Label => matches!(v, Value::Label(_)),
        ParamKind::Array => matches!(v, Value::Array(_)),
        ParamKind::Any => true,
    }
}

/// Prefixes written as part of a mnemonic (`rep_movsb`), as `select` reads them.
const PREFIXES: [&str; 6] = ["rep_", "repe_", "repz_", "repne_", "repnz_", "lock_"];

/// Whether `name` names an instruction (after aliases and prefixes).
pub(super) fn is_mnemonic(name: &str) -> bool {
    let known = |n: &str| crate::isa::forms::lookup(n).is_some();
    known(name)
        || PREFIXES
            .iter()
            .any(|p| name.strip_prefix(p).is_some_and(known))
}
