//! Expressions: compile-time arithmetic, calls (instructions and builtins), methods, `match`.

use std::rc::Rc;

use syn::spanned::Spanned;
use syn::{BinOp, Expr, UnOp};

use super::{Evaluator, Value};
use crate::ir::{Decor, MemSize};
use crate::isa::regs::{self, Reg};

/// Where an expression is evaluated: as a compile-time value, or as an instruction operand
/// (where an unknown name is a label reference).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Ctx {
    Value,
    Operand,
}

/// The integer range compile-time arithmetic stays in (what fits an i64 or a u64).
const INT_MIN: i128 = i64::MIN as i128;
const INT_MAX: i128 = u64::MAX as i128;

impl Evaluator<'_> {
    /// Evaluates an expression in statement position.
    pub(super) fn stmt_expr(&mut self, e: &Expr) {
        match e {
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::If(i) => self.if_expr(i),
            Expr::Block(b) if b.label.is_none() => {
                self.block(&b.block);
            }
            Expr::Return(r) => self.ret(r),
            Expr::Macro(m) => self.macro_stmt(&m.mac),
            Expr::Call(c) => {
                if let Some(name) = self.instruction_name(c) {
                    self.instruction(name, c);
                } else {
                    self.expr(e);
                }
            }
            _ => {
                let _ = self.expr(e);
            }
        }
    }

    /// Evaluates to a compile-time value (labels are not allowed).
    pub(super) fn value_expr(&mut self, e: &Expr) -> Option<Value> {
        self.eval(e, Ctx::Value)
    }

    /// Evaluates an instruction operand (unknown names become label references).
    pub(super) fn operand_value(&mut self, e: &Expr) -> Option<Value> {
        self.eval(e, Ctx::Operand)
    }

    pub(super) fn expr(&mut self, e: &Expr) -> Option<Value> {
        self.eval(e, Ctx::Value)
    }

    pub(super) fn eval(&mut self, e: &Expr, ctx: Ctx) -> Option<Value> {
        if !self.step(|| e.span()) {
            return None;
        }
        match e {
            Expr::Lit(l) => self.literal(&l.lit),
            Expr::Path(p) => self.path(p, ctx),
            Expr::Paren(p) => self.eval(&p.expr, ctx),
            Expr::Group(g) => self.eval(&g.expr, ctx),
            Expr::Unary(u) => self.unary(u),
            Expr::Binary(b) => self.binary(b),
            Expr::Assign(a) => {
                self.assign(&a.left, &a.right, None);
                Some(Value::Unit)
            }
            Expr::Array(a) => self.array(a, ctx),
            Expr::Tuple(t) => {
                let mut items = Vec::with_capacity(t.elems.len());
                for e in &t.elems {
                    items.push(self.eval(e, Ctx::Value)?);
                }
                Some(Value::Array(Rc::new(items)))
            }
            Expr::Repeat(r) => {
                let v = self.value_expr(&r.expr)?;
                let n = self.int(&r.len)?;
                if !(0..=4096).contains(&n) {
                    self.error(r.len.span(), "array length must be between 0 and 4096");
                    return None;
                }
                Some(Value::Array(Rc::new(vec![v; n as usize])))
            }
            Expr::Index(i) => self.index(i),
            Expr::Call(c) => {
                if self.instruction_name(c).is_some() {
                    self.error(
                        c.func.span(),
                        "an instruction is a statement; it has no value",
                    );
                    return None;
                }
                self.builtin_call(c)
            }
            Expr::MethodCall(m) => self.method(m, ctx),
            Expr::Range(r) => self.range(r),
            Expr::If(i) => self.if_value(i, ctx),
            Expr::Match(m) => self.match_expr(m, ctx),
            Expr::Block(b) if b.label.is_none() => self.block_value(&b.block, ctx),
            Expr::ForLoop(f) => {
                self.for_loop(f);
                Some(Value::Unit)
            }
            Expr::Return(r) => {
                self.ret(r);
                Some(Value::Unit)
            }
            Expr::Macro(m) if m.mac.path.is_ident("has") => self.has(&m.mac),
            Expr::Macro(m) => {
                self.macro_stmt(&m.mac);
                Some(Value::Unit)
            }
            Expr::Cast(c) => self.cast(c),
            Expr::While(w) => {
                self.error(w.while_token.span, "`while` is not part of the kernel DSL: compile-time loops are `for` over a range or array; a runtime loop is a `label!` plus a conditional jump");
                None
            }
            Expr::Loop(l) => {
                self.error(l.loop_token.span, "`loop` is not part of the kernel DSL: write a runtime loop with `label!(top);` ... `jmp(top);` (the `loop` instruction is `r#loop(label)`)");
                None
            }
            Expr::Closure(c) => {
                self.error(c.inputs_begin.span, "closures are not part of the kernel DSL; use a `for` loop or a `macro_rules!` macro around the kernel");
                None
            }
            other => {
                self.error(
                    other.span(),
                    "this Rust expression is not part of the kernel DSL",
                );
                None
            }
        }
    }

    pub(super) fn int(&mut self, e: &Expr) -> Option<i128> {
        match self.value_expr(e)? {
            Value::Int(v) => Some(v),
            other => {
                self.error(
                    e.span(),
                    format!("expected a compile-time integer, found {}", other.kind()),
                );
                None
            }
        }
    }

    fn literal(&mut self, lit: &syn::Lit) -> Option<Value> {
        match lit {
            syn::Lit::Int(i) => match i.base10_parse::<u128>() {
                Ok(v) if v <= INT_MAX as u128 => Some(Value::Int(v as i128)),
                _ => {
                    self.error(i.span(), "integer literal does not fit in 64 bits");
                    None
                }
            },
            syn::Lit::Float(f) => match f.base10_parse::<f64>() {
                Ok(v) => Some(Value::Float(v)),
                Err(_) => {
                    self.error(f.span(), "invalid floating-point literal");
                    None
                }
            },
            syn::Lit::Bool(b) => Some(Value::Bool(b.value)),
            syn::Lit::Byte(b) => Some(Value::Int(i128::from(b.value()))),
            syn::Lit::Char(c) if c.value().is_ascii() => Some(Value::Int(c.value() as i128)),
            other => {
                self.error(
                    other.span(),
                    "this literal has no meaning in a kernel; use integers, floats or booleans",
                );
                None
            }
        }
    }

    fn path(&mut self, p: &syn::ExprPath, ctx: Ctx) -> Option<Value> {
        let Some(ident) = p.path.get_ident() else {
            self.error(
                p.span(),
                "paths are not part of the kernel DSL; use a plain name",
            );
            return None;
        };
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        if self.calls.is_empty() {
            self.note_param_read(&name);
        }
        if let Some(b) = self.lookup(&name) {
            // A poisoned binding: its error is already reported.
            return match &b.value {
                Value::Poison => None,
                v => Some(v.clone()),
            };
        }
        if let Some(r) = regs::by_name(&name) {
            return Some(Value::Reg(Reg::Phys(r), Decor::default()));
        }
        if let Some(v) = special_name(&name) {
            return Some(v);
        }
        // A mnemonic (or custom instruction) as a value: `let op = vpaddd;`, `[vaddps, vmulps]`.
        if ctx == Ctx::Value
            && let Some(v) = self.symbol(&name)
        {
            return Some(v);
        }
        if ctx == Ctx::Operand {
            return Some(Value::Label(self.label_ref(name, ident.span())));
        }
        let mut candidates: Vec<String> = self
            .scopes
            .iter()
            .flat_map(|s| s.vars.keys().cloned())
            .collect();
        candidates.extend(regs::names().map(str::to_owned));
        let hints = crate::diag::closest(&name, candidates.iter().map(String::as_str), 1);
        let hint = hints
            .first()
            .map(|h| format!("; did you mean `{h}`?"))
            .unwrap_or_default();
        self.error(
            ident.span(),
            format!("cannot find `{name}` in this kernel{hint}"),
        );
        None
    }

    fn unary(&mut self, u: &syn::ExprUnary) -> Option<Value> {
        let v = self.value_expr(&u.expr)?;
        match (&u.op, v) {
            (UnOp::Neg(_), Value::Int(i)) => self.checked(u.span(), Some(-i)),
            (UnOp::Neg(_), Value::Float(f)) => Some(Value::Float(-f)),
            (UnOp::Not(_), Value::Bool(b)) => Some(Value::Bool(!b)),
            (UnOp::Not(_), Value::Int(i)) => {
                Some(Value::Int(if i < 0 { !i } else { !(i as i64) as i128 }))
            }
            (_, other) => {
                self.error(
                    u.span(),
                    format!(
                        "this operator cannot be applied to {} at compile time",
                        other.kind()
                    ),
                );
                None
            }
        }
    }

    fn checked(&mut self, span: proc_macro2::Span, v: Option<i128>) -> Option<Value> {
        match v {
            Some(v) if (INT_MIN..=INT_MAX).contains(&v) => Some(Value::Int(v)),
            _ => {
                self.error(span, "compile-time arithmetic overflows 64 bits");
                None
            }
        }
    }

    fn binary(&mut self, b: &syn::ExprBinary) -> Option<Value> {
        if let Some(op) = compound_op(&b.op) {
            self.assign(&b.left, &b.right, Some(op));
            return Some(Value::Unit);
        }
        match b.op {
            BinOp::And(_) | BinOp::Or(_) => {
                let is_and = matches!(b.op, BinOp::And(_));
                let l = self.bool(&b.left)?;
                if l != is_and {
                    return Some(Value::Bool(l));
                }
                return self.bool(&b.right).map(Value::Bool);
            }
            _ => {}
        }
        let l = self.value_expr(&b.left)?;
        let r = self.value_expr(&b.right)?;
        self.apply(&b.op, l, r, b.span())
    }

    fn bool(&mut self, e: &Expr) -> Option<bool> {
        match self.value_expr(e)? {
            Value::Bool(v) => Some(v),
            other => {
                self.error(
                    e.span(),
                    format!("expected a compile-time boolean, found {}", other.kind()),
                );
                None
            }
        }
    }

    fn apply(&mut self, op: &BinOp, l: Value, r: Value, span: proc_macro2::Span) -> Option<Value> {
        use BinOp::*;
        match (l, r) {
            (Value::Int(a), Value::Int(b)) => {
                let v = match op {
                    Add(_) => a.checked_add(b),
                    Sub(_) => a.checked_sub(b),
                    Mul(_) => a.checked_mul(b),
                    Div(_) | Rem(_) if b == 0 => {
                        let op = quote::ToTokens::to_token_stream(op);
                        self.error(
                            span,
                            format!("division by zero in compile-time arithmetic: `{a} {op} 0`"),
                        );
                        return None;
                    }
                    Div(_) => a.checked_div(b),
                    Rem(_) => a.checked_rem(b),
                    Shl(_) => u32::try_from(b)
                        .ok()
                        .filter(|s| *s < 64)
                        .and_then(|s| a.checked_mul(1i128 << s)),
                    Shr(_) => u32::try_from(b).ok().filter(|s| *s < 128).map(|s| a >> s),
                    BitAnd(_) => Some(a & b),
                    BitOr(_) => Some(a | b),
                    BitXor(_) => Some(a ^ b),
                    Eq(_) => return Some(Value::Bool(a == b)),
                    Ne(_) => return Some(Value::Bool(a != b)),
                    Lt(_) => return Some(Value::Bool(a < b)),
                    Le(_) => return Some(Value::Bool(a <= b)),
                    Gt(_) => return Some(Value::Bool(a > b)),
                    Ge(_) => return Some(Value::Bool(a >= b)),
                    _ => None,
                };
                if matches!(op, Shl(_) | Shr(_)) && !(0..64).contains(&b) {
                    self.error(span, format!("shift amount {b} is out of range 0..=63"));
                    return None;
                }
                match v {
                    Some(v) if (INT_MIN..=INT_MAX).contains(&v) => Some(Value::Int(v)),
                    _ => {
                        let op = quote::ToTokens::to_token_stream(op);
                        self.error(span, format!("compile-time arithmetic overflows 64 bits: `{a} {op} {b}` is outside {INT_MIN}..={INT_MAX}"));
                        None
                    }
                }
            }
            (Value::Bool(a), Value::Bool(b)) => match op {
                Eq(_) => Some(Value::Bool(a == b)),
                Ne(_) => Some(Value::Bool(a != b)),
                BitAnd(_) => Some(Value::Bool(a & b)),
                BitOr(_) => Some(Value::Bool(a | b)),
                BitXor(_) => Some(Value::Bool(a ^ b)),
                _ => {
                    self.error(span, "this operator does not apply to booleans");
                    None
                }
            },
            (Value::Symbol(a), Value::Symbol(b)) if matches!(op, Eq(_) | Ne(_)) => {
                Some(Value::Bool((a == b) == matches!(op, Eq(_))))
            }
            (Value::Reg(a, _), Value::Reg(b, _)) if matches!(op, Eq(_) | Ne(_)) => {
                Some(Value::Bool((a == b) == matches!(op, Eq(_))))
            }
            (Value::Reg(..), _) | (_, Value::Reg(..))
                if matches!(op, Eq(_) | Ne(_) | Lt(_) | Le(_) | Gt(_) | Ge(_)) =>
            {
                self.error(span, "a register holds a run-time value, which a compile-time comparison cannot see: compare at run time with `cmp`/`test` and branch with a conditional jump (`jz`, `jb`, ...)");
                None
            }
            (Value::Reg(..), _) | (_, Value::Reg(..)) => {
                self.error(span, "registers are not compile-time numbers; inside `[...]` they form an address, and run-time arithmetic is written with instructions (`add`, `imul`, ...)");
                None
            }
            (l, r) => {
                self.error(
                    span,
                    format!(
                        "cannot combine {} and {} at compile time",
                        l.kind(),
                        r.kind()
                    ),
                );
                None
            }
        }
    }

    fn assign(&mut self, left: &Expr, right: &Expr, op: Option<BinOp>) {
        let Expr::Path(p) = left else {
            self.error(left.span(), "only a compile-time variable can be assigned");
            return;
        };
        let Some(name) = p.path.get_ident().map(ToString::to_string) else {
            self.error(left.span(), "only a compile-time variable can be assigned");
            return;
        };
        let Some(rhs) = self.value_expr(right) else {
            return;
        };
        let current = match self.lookup(&name) {
            Some(b) if b.mutable => b.value.clone(),
            Some(_) => {
                self.error(
                    left.span(),
                    format!("cannot assign twice to `{name}`: declare it with `let mut`"),
                );
                return;
            }
            None => {
                self.error(
                    left.span(),
                    format!("cannot find compile-time variable `{name}`"),
                );
                return;
            }
        };
        let new = match op {
            None => rhs,
            Some(op) => match self.apply(&op, current, rhs, right.span()) {
                Some(v) => v,
                None => return,
            },
        };
        for scope in self.scopes.iter_mut().rev() {
            if let Some(b) = scope.vars.get_mut(&name) {
                b.value = new;
                return;
            }
        }
    }

    fn array(&mut self, a: &syn::ExprArray, ctx: Ctx) -> Option<Value> {
        if a.elems.len() == 1 {
            // `[base + index * scale + disp]` is a memory operand.
            let elem = &a.elems[0];
            let mem = self.address(elem, a.bracket_token.span.join())?;
            let has_reg = mem.base.is_some() || mem.index.is_some() || mem.rip.is_some();
            if has_reg || ctx == Ctx::Operand {
                return Some(Value::Mem(mem, Decor::default()));
            }
            return Some(Value::Array(Rc::new(vec![Value::Int(i128::from(
                mem.disp,
            ))])));
        }
        let mut items = Vec::with_capacity(a.elems.len());
        for e in &a.elems {
            items.push(self.eval(e, Ctx::Value)?);
        }
        Some(Value::Array(Rc::new(items)))
    }

    fn index(&mut self, i: &syn::ExprIndex) -> Option<Value> {
        let base = self.value_expr(&i.expr)?;
        match base {
            Value::Size(size) => {
                let mut mem = self.address(&i.index, i.bracket_token.span.join())?;
                mem.size = Some(size);
                Some(Value::Mem(mem, Decor::default()))
            }
            Value::Array(items) => {
                let n = self.int(&i.index)?;
                match usize::try_from(n).ok().and_then(|n| items.get(n)) {
                    Some(v) => Some(v.clone()),
                    None => {
                        self.error(
                            i.index.span(),
                            format!(
                                "index {n} is out of bounds for an array of length {}",
                                items.len()
                            ),
                        );
                        None
                    }
                }
            }
            other => {
                self.error(i.expr.span(), format!("cannot index {}; `x[...]` indexes an array, and `dword[...]` etc. size a memory operand", other.kind()));
                None
            }
        }
    }

    fn range(&mut self, r: &syn::ExprRange) -> Option<Value> {
        let (Some(start), Some(end)) = (&r.start, &r.end) else {
            self.error(
                r.span(),
                "a compile-time range needs both bounds, e.g. `0..4`",
            );
            return None;
        };
        let start_v = self.value_expr(start)?;
        let end_v = self.value_expr(end)?;
        let (Value::Int(s), Value::Int(e)) = (&start_v, &end_v) else {
            let (bad, span) = if matches!(start_v, Value::Int(_)) {
                (end_v, end.span())
            } else {
                (start_v, start.span())
            };
            let why = match bad {
                Value::Reg(..) | Value::Slice(..) => "is a runtime register, not a compile-time integer: unrolled loops need constant bounds; write a runtime loop with `label!` and a conditional jump".to_owned(),
                other => format!("must be a compile-time integer, not {}", other.kind()),
            };
            self.error(span, format!("this range bound {why}"));
            return None;
        };
        let end = if matches!(r.limits, syn::RangeLimits::Closed(_)) {
            e + 1
        } else {
            *e
        };
        Some(Value::Range {
            start: *s,
            end,
            step: 1,
            rev: false,
        })
    }

    fn cast(&mut self, c: &syn::ExprCast) -> Option<Value> {
        let v = match self.value_expr(&c.expr)? {
            Value::Int(v) => v,
            Value::Bool(b) => i128::from(b),
            other => {
                self.error(
                    c.expr.span(),
                    format!("expected a compile-time integer, found {}", other.kind()),
                );
                return None;
            }
        };
        let ty = match &*c.ty {
            syn::Type::Path(p) => p
                .path
                .get_ident()
                .map(ToString::to_string)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let out = match ty.as_str() {
            "i8" => v as i8 as i128,
            "u8" => v as u8 as i128,
            "i16" => v as i16 as i128,
            "u16" => v as u16 as i128,
            "i32" => v as i32 as i128,
            "u32" => v as u32 as i128,
            "i64" | "isize" => v as i64 as i128,
            "u64" | "usize" => v as u64 as i128,
            _ => {
                self.error(c.ty.span(), "compile-time casts go to an integer type");
                return None;
            }
        };
        Some(Value::Int(out))
    }

    fn method(&mut self, m: &syn::ExprMethodCall, ctx: Ctx) -> Option<Value> {
        let name = m.method.to_string();
        let recv = self.eval(&m.receiver, ctx)?;
        let span = m.method.span();
        let argc = m.args.len();
        let want = |ev: &mut Self, n: usize| {
            if argc != n {
                ev.error(span, format!("`.{name}()` takes {n} argument(s)"));
                false
            } else {
                true
            }
        };
        match (name.as_str(), recv) {
            ("k", v @ (Value::Reg(..) | Value::Mem(..))) => {
                if !want(self, 1) {
                    return None;
                }
                let mask = match self.value_expr(&m.args[0])? {
                    Value::Reg(r, d)
                        if d == Decor::default() && r.phys().is_none_or(|p| p.is_k()) =>
                    {
                        r
                    }
                    other => {
                        let what = match other {
                            Value::Reg(Reg::Phys(r), _) => format!("`{}`", regs::name(r)),
                            other => other.kind().to_owned(),
                        };
                        self.error(
                            m.args[0].span(),
                            format!("a write mask is a k register (k1–k7), not {what}"),
                        );
                        return None;
                    }
                };
                Some(with_decor(v, |d| d.mask = Some(mask)))
            }
            ("z", v @ (Value::Reg(..) | Value::Mem(..))) => {
                want(self, 0).then(|| with_decor(v, |d| d.zero = true))
            }
            ("bcst", Value::Mem(mut mem, d)) => {
                if !want(self, 0) {
                    return None;
                }
                if let (Some(crate::ir::RipTarget::Const(_)), Some(size)) = (mem.rip, mem.size)
                    && size.bytes() > 8
                {
                    self.error(
                        span,
                        "broadcast takes a scalar constant, e.g. `f32(0.5).bcst()`",
                    );
                    return None;
                }
                mem.bcst = true;
                Some(Value::Mem(mem, d))
            }
            ("len", Value::Slice(_, len)) => {
                want(self, 0).then_some(Value::Reg(Reg::Phys(len), Decor::default()))
            }
            ("len", Value::SliceParts(parts)) => want(self, 0).then(|| parts[1].clone()),
            ("as_ptr", Value::SliceParts(parts)) => want(self, 0).then(|| parts[0].clone()),
            ("as_ptr", Value::Slice(ptr, _)) => {
                want(self, 0).then_some(Value::Reg(Reg::Phys(ptr), Decor::default()))
            }
            ("len", Value::Array(items)) => want(self, 0).then(|| Value::Int(items.len() as i128)),
            ("bytes", Value::Reg(r, _)) => want(self, 0).then(|| {
                Value::Int(match r {
                    Reg::Phys(p) => p.size() as i128,
                    Reg::Virt(v) => i128::from(v.size),
                })
            }),
            (
                "ilog2" | "is_power_of_two" | "next_power_of_two" | "count_ones" | "trailing_zeros"
                | "abs",
                Value::Int(v),
            ) => {
                if !want(self, 0) {
                    return None;
                }
                self.int_method(&name, v, span)
            }
            ("min" | "max" | "pow", Value::Int(a)) => {
                if !want(self, 1) {
                    return None;
                }
                let b = self.int(&m.args[0])?;
                match name.as_str() {
                    "min" => Some(Value::Int(a.min(b))),
                    "max" => Some(Value::Int(a.max(b))),
                    _ => {
                        let p = u32::try_from(b).ok().and_then(|b| a.checked_pow(b));
                        self.checked(span, p)
                    }
                }
            }
            ("iter" | "into_iter", v @ (Value::Array(_) | Value::Range { .. })) => {
                want(self, 0).then_some(v)
            }
            (
                "rev",
                Value::Range {
                    start,
                    end,
                    step,
                    rev,
                },
            ) => want(self, 0).then_some(Value::Range {
                start,
                end,
                step,
                rev: !rev,
            }),
            ("rev", Value::Array(items)) => {
                want(self, 0).then(|| Value::Array(Rc::new(items.iter().rev().cloned().collect())))
            }
            (
                "step_by",
                Value::Range {
                    start,
                    end,
                    step,
                    rev: false,
                },
            ) => {
                if !want(self, 1) {
                    return None;
                }
                let by = self.int(&m.args[0])?;
                if by <= 0 {
                    self.error(m.args[0].span(), "`step_by` needs a positive step");
                    return None;
                }
                let Some(step) = step.checked_mul(by).filter(|s| *s <= INT_MAX) else {
                    self.error(
                        m.args[0].span(),
                        "the combined `step_by` step overflows 64 bits",
                    );
                    return None;
                };
                Some(Value::Range {
                    start,
                    end,
                    step,
                    rev: false,
                })
            }
            (
                view @ ("r64" | "r32" | "r16" | "r8" | "xmm" | "ymm" | "zmm"),
                Value::Reg(Reg::Phys(r), d),
            ) => {
                if !want(self, 0) {
                    return None;
                }
                let out = match view {
                    "r64" => regs::gpr_of_size(r, 8),
                    "r32" => regs::gpr_of_size(r, 4),
                    "r16" => regs::gpr_of_size(r, 2),
                    "r8" => regs::gpr_of_size(r, 1),
                    "xmm" => regs::vec_of_size(r, 16),
                    "ymm" => regs::vec_of_size(r, 32),
                    _ => regs::vec_of_size(r, 64),
                };
                match out {
                    Some(r) => Some(Value::Reg(Reg::Phys(r), d)),
                    None => {
                        self.error(span, format!("`{}` has no `{view}` view", regs::name(r)));
                        None
                    }
                }
            }
            (
                view @ ("r64" | "r32" | "r16" | "r8" | "xmm" | "ymm" | "zmm"),
                Value::Reg(Reg::Virt(v), d),
            ) => {
                if !want(self, 0) {
                    return None;
                }
                self.virtual_view(v, view, span)
                    .map(|v| Value::Reg(Reg::Virt(v), d))
            }
            (_, other) => {
                self.error(span, format!("no method `{name}` on {} in the kernel DSL (operands have `.k(mask)`, `.z()`, `.bcst()`, register views `.r32()`/`.xmm()`..., slices `.len()`, ranges `.rev()`/`.step_by(n)`)", other.kind()));
                None
            }
        }
    }

    /// A block as a value: its statements, then its tail expression (`{ ..; vmovups }`).
    pub(super) fn block_value(&mut self, block: &syn::Block, ctx: Ctx) -> Option<Value> {
        let (init, tail) = match block.stmts.split_last() {
            Some((syn::Stmt::Expr(e, None), init)) => (init, Some(e)),
            _ => (&block.stmts[..], None),
        };
        self.push_scope();
        let flow = self.block_stmts(init);
        let value = match tail {
            Some(e) if flow == super::Flow::Normal => match e {
                // An instruction in tail position is a statement, as everywhere else.
                Expr::Call(c) if self.instruction_name(c).is_some() => {
                    self.stmt_expr(e);
                    Some(Value::Unit)
                }
                Expr::ForLoop(_) | Expr::Macro(_) | Expr::Return(_) => {
                    self.stmt_expr(e);
                    Some(Value::Unit)
                }
                e => self.eval(e, ctx),
            },
            _ => Some(Value::Unit),
        };
        self.pop_scope();
        value
    }

    /// `if c { a } else { b }` as a value.
    fn if_value(&mut self, e: &syn::ExprIf, ctx: Ctx) -> Option<Value> {
        let cond = self.value_expr(&e.cond)?;
        let Value::Bool(c) = cond else {
            // The statement form reports the error.
            self.if_expr(e);
            return None;
        };
        if c {
            self.block_value(&e.then_branch, ctx)
        } else if let Some((_, else_branch)) = &e.else_branch {
            self.eval(else_branch, ctx)
        } else {
            Some(Value::Unit)
        }
    }

    /// Integer methods without arguments, as Rust's on `u64`/`i64`.
    fn int_method(&mut self, name: &str, v: i128, span: proc_macro2::Span) -> Option<Value> {
        match name {
            "ilog2" if v <= 0 => {
                self.error(
                    span,
                    format!("`ilog2` of {v}: the argument must be positive"),
                );
                None
            }
            "ilog2" => Some(Value::Int(i128::from(v.ilog2()))),
            "is_power_of_two" => Some(Value::Bool(v > 0 && (v as u128).is_power_of_two())),
            "next_power_of_two" if v <= 0 => Some(Value::Int(1)),
            "next_power_of_two" => self.checked(
                span,
                (v as u128).checked_next_power_of_two().map(|p| p as i128),
            ),
            "count_ones" if v < 0 => Some(Value::Int(i128::from((v as i64).count_ones()))),
            "count_ones" => Some(Value::Int(i128::from((v as u64).count_ones()))),
            "trailing_zeros" if v == 0 => Some(Value::Int(64)),
            "trailing_zeros" => Some(Value::Int(i128::from(v.trailing_zeros()))),
            _ => self.checked(span, v.checked_abs()),
        }
    }

    fn match_expr(&mut self, m: &syn::ExprMatch, ctx: Ctx) -> Option<Value> {
        let scrutinee = self.value_expr(&m.expr)?;
        for arm in &m.arms {
            self.push_scope();
            let (pat, guard) = match &arm.pat {
                syn::Pat::Guard(g) => (&*g.pat, Some(&*g.guard)),
                p => (p, None),
            };
            let matched = self.pattern_matches(pat, &scrutinee);
            let guard_ok = match (matched, guard) {
                (Some(true), Some(g)) => self.bool(g),
                (m, _) => m,
            };
            match guard_ok {
                Some(true) => {
                    let v = match &*arm.body {
                        Expr::Block(b) => self.block_value(&b.block, ctx),
                        body => {
                            if let Expr::Call(c) = body
                                && let Some(name) = self.instruction_name(c)
                            {
                                self.instruction(name, c);
                                self.pop_scope();
                                return Some(Value::Unit);
                            }
                            self.eval(body, ctx)
                        }
                    };
                    self.pop_scope();
                    return v;
                }
                Some(false) => self.pop_scope(),
                None => {
                    self.pop_scope();
                    return None;
                }
            }
        }
        self.error(
            m.expr.span(),
            format!("no `match` arm matches {}", scrutinee.show()),
        );
        None
    }

    /// Whether `pat` matches `v`, binding names in the current scope.
    fn pattern_matches(&mut self, pat: &syn::Pat, v: &Value) -> Option<bool> {
        match pat {
            syn::Pat::Wild(_) => Some(true),
            syn::Pat::Or(o) => {
                for p in &o.cases {
                    if self.pattern_matches(p, v)? {
                        return Some(true);
                    }
                }
                Some(false)
            }
            syn::Pat::Ident(pi) if pi.subpat.is_none() => {
                let name = pi.ident.to_string();
                // A name that denotes a value (constant, parameter, register, symbol) compares;
                // any other name binds, as in Rust.
                let known = self.lookup(&name).map(|b| b.value.clone()).or_else(|| {
                    regs::by_name(&name).map(|r| Value::Reg(Reg::Phys(r), Decor::default()))
                });
                match (known, v) {
                    (Some(k), _) => Some(values_equal(&k, v)),
                    (None, Value::Symbol(s)) => Some(*s == name),
                    (None, _) => {
                        self.bind(name, v.clone(), false);
                        Some(true)
                    }
                }
            }
            syn::Pat::Tuple(syn::PatTuple { elems, .. })
            | syn::Pat::Slice(syn::PatSlice { elems, .. }) => {
                let Value::Array(items) = v else {
                    return Some(false);
                };
                if items.len() != elems.len() {
                    return Some(false);
                }
                for (p, item) in elems.iter().zip(items.iter()) {
                    if !self.pattern_matches(p, item)? {
                        return Some(false);
                    }
                }
                Some(true)
            }
            syn::Pat::Lit(_) | syn::Pat::Path(_) | syn::Pat::Range(_) => {
                let pe: Expr = match syn::parse2(quote::ToTokens::to_token_stream(pat)) {
                    Ok(e) => e,
                    Err(_) => {
                        self.error(pat.span(), "unsupported pattern");
                        return None;
                    }
                };
                match self.value_expr(&pe)? {
                    Value::Range { start, end, .. } => match v {
                        Value::Int(i) => Some((start..end).contains(i)),
                        _ => Some(false),
                    },
                    k => Some(values_equal(&k, v)),
                }
            }
            other => {
                self.error(
                    other.span(),
                    "unsupported pattern: use literals, ranges, names, tuples `(a, b)`, `_` and `|`",
                );
                None
            }
        }
    }

    /// The mnemonic of `c` if it is an instruction call (not a builtin, not a variable).
    pub(super) fn instruction_name(&self, c: &syn::ExprCall) -> Option<String> {
        let Expr::Path(p) = &*c.func else { return None };
        let ident = p.path.get_ident()?;
        let name = ident.to_string();
        let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
        match self.lookup(&name).map(|b| &b.value) {
            Some(Value::Symbol(s)) => return Some(s.clone()),
            Some(_) => return None,
            None => {}
        }
        if super::operand::is_builtin(&name) {
            return None;
        }
        Some(name)
    }
}

fn with_decor(v: Value, f: impl FnOnce(&mut Decor)) -> Value {
    match v {
        Value::Reg(r, mut d) => {
            f(&mut d);
            Value::Reg(r, d)
        }
        Value::Mem(m, mut d) => {
            f(&mut d);
            Value::Mem(m, d)
        }
        other => other,
    }
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Symbol(x), Value::Symbol(y)) => x == y,
        (Value::Reg(x, _), Value::Reg(y, _)) => x == y,
        _ => false,
    }
}

fn compound_op(op: &BinOp) -> Option<BinOp> {
    use BinOp::*;
    Some(match op {
        AddAssign(t) => Add(syn::Token![+](t.spans[0])),
        SubAssign(t) => Sub(syn::Token![-](t.spans[0])),
        MulAssign(t) => Mul(syn::Token![*](t.spans[0])),
        DivAssign(t) => Div(syn::Token![/](t.spans[0])),
        RemAssign(t) => Rem(syn::Token![%](t.spans[0])),
        ShlAssign(t) => Shl(syn::Token![<<](t.spans[0])),
        ShrAssign(t) => Shr(syn::Token![>>](t.spans[0])),
        BitAndAssign(t) => BitAnd(syn::Token![&](t.spans[0])),
        BitOrAssign(t) => BitOr(syn::Token![|](t.spans[0])),
        BitXorAssign(t) => BitXor(syn::Token![^](t.spans[0])),
        _ => return None,
    })
}

/// Names with a fixed meaning: rounding modes, `sae`, size qualifiers.
fn special_name(name: &str) -> Option<Value> {
    use iced_x86::RoundingControl as Rc;
    Some(match name {
        "rn_sae" => Value::Rounding(Rc::RoundToNearest),
        "rd_sae" => Value::Rounding(Rc::RoundDown),
        "ru_sae" => Value::Rounding(Rc::RoundUp),
        "rz_sae" => Value::Rounding(Rc::RoundTowardZero),
        "sae" => Value::Sae,
        _ => return MemSize::from_name(name).map(Value::Size),
    })
}
