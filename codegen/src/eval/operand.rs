//! Operands: memory addresses, pool constants, and instruction calls.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{BinOp, Expr};

use super::{Evaluator, Value};
use crate::ir::{Const, Decor, Inst, Mem, MemSize, Operand, OperandKind, RipTarget};
use crate::isa::regs::{Reg, RegClass};

/// Element types of constant constructors (`f32x8(0.5)`, `u64(7)`).
const ELEMS: [(&str, usize, Elem); 10] = [
    ("i8", 1, Elem::Signed),
    ("u8", 1, Elem::Unsigned),
    ("i16", 2, Elem::Signed),
    ("u16", 2, Elem::Unsigned),
    ("i32", 4, Elem::Signed),
    ("u32", 4, Elem::Unsigned),
    ("i64", 8, Elem::Signed),
    ("u64", 8, Elem::Unsigned),
    ("f32", 4, Elem::Float),
    ("f64", 8, Elem::Float),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Elem {
    Signed,
    Unsigned,
    Float,
}

/// `(element bytes, kind, lanes)` for a constructor name like `f32x8`.
fn constructor(name: &str) -> Option<(usize, Elem, usize)> {
    let (elem, lanes) = match name.split_once('x') {
        Some((e, n)) => (e, n.parse::<usize>().ok()?),
        None => (name, 1),
    };
    let (_, bytes, kind) = ELEMS.iter().find(|(n, _, _)| *n == elem)?;
    let total = bytes * lanes;
    (lanes >= 1 && total <= 64 && total.is_power_of_two()).then_some((*bytes, *kind, lanes))
}

/// Whether a call to `name` is a builtin rather than an instruction.
pub(super) fn is_builtin(name: &str) -> bool {
    constructor(name).is_some()
        || super::vregs::is_vreg_builtin(name)
        || super::slots::is_slot_builtin(name)
        || super::params::is_param_builtin(name)
}

/// Accumulates `[base + index * scale + disp]`.
struct Addr {
    mem: Mem,
}

impl Evaluator<'_> {
    /// Why `r` cannot be a base or index register.
    fn cannot_address(&self, r: Reg) -> String {
        match r {
            Reg::Phys(p) => format!(
                "`{}` cannot address memory; use a 64-bit register (e.g. `{}`)",
                crate::isa::regs::name(p),
                crate::isa::regs::gpr_of_size(p, 8)
                    .map(crate::isa::regs::name)
                    .unwrap_or_else(|| "rax".into())
            ),
            Reg::Virt(v) => {
                let name = match self.vregs.get(v.id as usize) {
                    Some(i) if !i.name.is_empty() => format!("`{}`", i.name),
                    _ => "this virtual register".to_owned(),
                };
                match v.class {
                    RegClass::Gpr => format!(
                        "{name} ({} bits) cannot address memory; use its 64-bit view, `.r64()`",
                        u32::from(v.size) * 8
                    ),
                    _ => format!(
                        "{name} cannot address memory: a base or index is a 64-bit general-purpose register"
                    ),
                }
            }
        }
    }

    /// Evaluates the inside of `[...]`.
    pub(super) fn address(&mut self, e: &Expr, whole: Span) -> Option<Mem> {
        let mut addr = Addr { mem: Mem::empty() };
        self.addr_term(e, 1, &mut addr)?;
        let mem = &mut addr.mem;
        if mem.rip.is_some() && (mem.base.is_some() || mem.index.is_some()) {
            let what = if mem.rip == Some(RipTarget::Next) {
                "`rip` is the base of a RIP-relative address"
            } else {
                "a label or constant is addressed RIP-relative"
            };
            self.error(
                whole,
                format!("{what} and cannot be combined with base or index registers"),
            );
            return None;
        }
        // [rsp + rax] is fine but rsp can never be an index (Intel SDM Vol. 2, Table 2-3:
        // SIB.index = 100b means "none"); with scale 1 the two swap, as GNU as does.
        let is_rsp =
            |r: Option<Reg>| matches!(r, Some(Reg::Phys(p)) if p == iced_x86::Register::RSP);
        if is_rsp(mem.index) {
            if mem.scale == 1 && !is_rsp(mem.base) {
                std::mem::swap(&mut mem.base, &mut mem.index);
            } else {
                self.error(whole, "rsp cannot be an index register; make it the base (scale 1), or use another register");
                return None;
            }
        }
        for r in [mem.base, mem.index].into_iter().flatten() {
            // A base is a 64-bit GPR; an index too, or a vector register (VSIB).
            let (ok_base, ok_index) = match r {
                Reg::Phys(p) => (p.is_gpr64(), p.is_gpr64() || p.is_vector_register()),
                Reg::Virt(v) => {
                    let gpr64 = v.class == RegClass::Gpr && v.size == 8;
                    (gpr64, gpr64 || v.class == RegClass::Vec)
                }
            };
            if (Some(r) == mem.base && !ok_base) || (Some(r) == mem.index && !ok_index) {
                let msg = self.cannot_address(r);
                self.error(whole, msg);
                return None;
            }
        }
        // A bare 64-bit address is for `movabs` (moffs); selection checks the form takes it.
        if i32::try_from(mem.disp).is_err() && !crate::isa::forms::is_absolute(mem) {
            self.error(
                whole,
                format!("displacement {} does not fit in 32 bits (signed)", mem.disp),
            );
            return None;
        }
        Some(addr.mem)
    }

    fn addr_term(&mut self, e: &Expr, sign: i64, addr: &mut Addr) -> Option<()> {
        match e {
            Expr::Paren(p) => return self.addr_term(&p.expr, sign, addr),
            Expr::Group(g) => return self.addr_term(&g.expr, sign, addr),
            Expr::Binary(b) if matches!(b.op, BinOp::Add(_)) => {
                self.addr_term(&b.left, sign, addr)?;
                return self.addr_term(&b.right, sign, addr);
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Sub(_)) => {
                self.addr_term(&b.left, sign, addr)?;
                return self.addr_term(&b.right, -sign, addr);
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
                let l = self.operand_value(&b.left)?;
                let r = self.operand_value(&b.right)?;
                return match (l, r) {
                    (Value::Int(a), Value::Int(c)) => {
                        self.add_disp(e, sign, a.checked_mul(c), addr)
                    }
                    (Value::Reg(reg, _), Value::Int(s)) | (Value::Int(s), Value::Reg(reg, _)) => {
                        self.add_index(e, sign, reg, s, addr)
                    }
                    (Value::Slice(p, _), Value::Int(s)) | (Value::Int(s), Value::Slice(p, _)) => {
                        self.add_index(e, sign, Reg::Phys(p), s, addr)
                    }
                    _ => {
                        self.error(
                            e.span(),
                            "in an address, `*` scales a register by 1, 2, 4 or 8",
                        );
                        None
                    }
                };
            }
            _ => {}
        }
        // `[rip + disp]`: RIP-relative with a plain displacement, as GNU as and LLVM write it
        // (`rip` is no register the DSL otherwise names, so a binding cannot shadow it).
        if let Expr::Path(p) = e
            && p.path.is_ident("rip")
            && self.lookup("rip").is_none()
        {
            if sign < 0 || addr.mem.rip == Some(RipTarget::Next) {
                self.error(
                    e.span(),
                    "`rip` is added once to an address: `[rip + disp]` or `[rip - disp]`",
                );
                return None;
            }
            // `[rip + label]` is GNU's spelling of `[label]`.
            addr.mem.rip.get_or_insert(RipTarget::Next);
            return Some(());
        }
        if let Some(name) = self.read_only_param(e) {
            addr.mem.read_only = Some(name);
        }
        match self.operand_value(e)? {
            Value::Int(v) => self.add_disp(e, sign, Some(v), addr),
            Value::Reg(r, d) if d == Decor::default() => self.add_reg(e, sign, r, addr),
            Value::Slice(p, _) => self.add_reg(e, sign, Reg::Phys(p), addr),
            Value::Label(l) if sign > 0 && matches!(addr.mem.rip, None | Some(RipTarget::Next)) => {
                addr.mem.rip = Some(RipTarget::Label(l));
                Some(())
            }
            Value::Mem(m, d) if m.frame.is_some() && d == Decor::default() => {
                self.add_stack_slot(e, sign, &m, &mut addr.mem)
            }
            Value::SliceParts(parts) => {
                let p = self.slice_pointer_in_address(e.span(), &parts)?;
                self.add_reg(e, sign, p, addr)
            }
            Value::Mem(m, _)
                if sign > 0
                    && matches!(addr.mem.rip, None | Some(RipTarget::Next))
                    && m.rip.is_some() =>
            {
                addr.mem.rip = m.rip;
                addr.mem.size = m.size;
                Some(())
            }
            other => {
                self.error(
                    e.span(),
                    format!(
                        "{} cannot be part of an address `[base + index * scale + disp]`",
                        other.kind()
                    ),
                );
                None
            }
        }
    }

    fn add_disp(&mut self, e: &Expr, sign: i64, v: Option<i128>, addr: &mut Addr) -> Option<()> {
        let total = v
            .and_then(|v| v.checked_mul(i128::from(sign)))
            .and_then(|v| v.checked_add(i128::from(addr.mem.disp)))
            .and_then(|v| i64::try_from(v).ok());
        match total {
            Some(t) => {
                addr.mem.disp = t;
                Some(())
            }
            None => {
                self.error(e.span(), "displacement overflows");
                None
            }
        }
    }

    fn add_reg(&mut self, e: &Expr, sign: i64, r: Reg, addr: &mut Addr) -> Option<()> {
        if sign < 0 {
            self.error(e.span(), "a register cannot be subtracted in an address");
            return None;
        }
        if let Reg::Phys(p) = r
            && p.is_vector_register()
        {
            return self.add_index(e, sign, r, 1, addr);
        }
        if addr.mem.base.is_none() {
            addr.mem.base = Some(r);
        } else if addr.mem.index.is_none() {
            addr.mem.index = Some(r);
            addr.mem.scale = 1;
        } else {
            self.error(
                e.span(),
                "an address has at most a base and an index register",
            );
            return None;
        }
        Some(())
    }

    fn add_index(
        &mut self,
        e: &Expr,
        sign: i64,
        r: Reg,
        scale: i128,
        addr: &mut Addr,
    ) -> Option<()> {
        if sign < 0 {
            self.error(e.span(), "a register cannot be subtracted in an address");
            return None;
        }
        if !matches!(scale, 1 | 2 | 4 | 8) {
            self.error(e.span(), format!("scale must be 1, 2, 4 or 8, not {scale}"));
            return None;
        }
        if addr.mem.index.is_some() {
            if scale == 1 && addr.mem.base.is_none() {
                addr.mem.base = Some(r);
                return Some(());
            }
            self.error(e.span(), "an address has at most one index register");
            return None;
        }
        addr.mem.index = Some(r);
        addr.mem.scale = scale as u32;
        Some(())
    }

    /// Calls that are not instructions: constant constructors.
    pub(super) fn builtin_call(&mut self, c: &syn::ExprCall) -> Option<Value> {
        let Expr::Path(p) = &*c.func else {
            self.error(c.func.span(), "call a mnemonic or builtin by name");
            return None;
        };
        let name = p
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        if super::vregs::is_vreg_builtin(&name) {
            return self.vreg_builtin(&name, c);
        }
        if super::slots::is_slot_builtin(&name) {
            return self.local_builtin(c);
        }
        if super::params::is_param_builtin(&name) {
            return self.param_builtin(c);
        }
        let Some((bytes, kind, lanes)) = constructor(&name) else {
            // A binding whose initializer failed: that error is already reported.
            if matches!(self.lookup(&name).map(|b| &b.value), Some(Value::Poison)) {
                return None;
            }
            self.error(
                c.func.span(),
                format!("`{name}` is a compile-time value, not an instruction"),
            );
            return None;
        };
        let args: Vec<&Expr> = c.args.iter().collect();
        if args.len() != 1 && args.len() != lanes {
            self.error(
                c.span(),
                format!("`{name}` takes one value (repeated in every lane) or {lanes} values"),
            );
            return None;
        }
        let mut data = Vec::with_capacity(bytes * lanes);
        for lane in 0..lanes {
            let e = args[if args.len() == 1 { 0 } else { lane }];
            let v = self.value_expr(e)?;
            let encoded = encode_elem(v, bytes, kind);
            match encoded {
                Ok(b) => data.extend(b),
                Err(msg) => {
                    self.error(e.span(), format!("{msg} for `{name}`"));
                    return None;
                }
            }
        }
        let size = data.len();
        let id = self.intern_const(Const {
            bytes: data,
            align: size as u32,
        });
        let mut mem = Mem::empty();
        mem.rip = Some(RipTarget::Const(id));
        mem.size = MemSize::from_bytes(size);
        Some(Value::Mem(mem, Decor::default()))
    }

    /// An instruction call: evaluate the operands, append the instruction.
    pub(super) fn instruction(&mut self, mnemonic: String, c: &syn::ExprCall) {
        // Inside a custom instruction named like an instruction (PeachPy's `HADDPD` emulation),
        // its own name is the instruction it stands in for.
        let shadowed = self.calls.last().is_some_and(|f| f.name == mnemonic)
            && super::call::is_mnemonic(&mnemonic);
        if self.is_helper(&mnemonic) && !shadowed {
            self.call_helper(&mnemonic, c);
            return;
        }
        let mut operands = Vec::with_capacity(c.args.len());
        let mut ok = true;
        for arg in &c.args {
            let span = first_span(arg);
            match self
                .operand_value(arg)
                .and_then(|v| self.operand_of(v, span))
            {
                Some(kind) => operands.push(Operand { kind, span }),
                None => {
                    // One error per instruction: `op(acc[i], acc[i])` repeats one mistake.
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            return;
        }
        let span = first_span(&c.func);
        let inst = Inst {
            mnemonic: mnemonic.to_ascii_lowercase(),
            prefix: None,
            operands,
            span,
            line: self.line_of(span),
            note: self.note(),
        };
        self.push_inst(inst);
    }

    fn operand_of(&mut self, v: Value, span: Span) -> Option<OperandKind> {
        Some(match v {
            Value::Reg(r, d) => OperandKind::Reg(r, d),
            Value::Slice(p, _) => OperandKind::Reg(Reg::Phys(p), Decor::default()),
            Value::SliceParts(parts) => return self.operand_of(parts[0].clone(), span),
            Value::Mem(m, d) => OperandKind::Mem(m, d),
            Value::Int(i) => OperandKind::Imm(i),
            Value::Bool(b) => OperandKind::Imm(i128::from(b)),
            Value::Label(l) => OperandKind::Label(l),
            Value::Rounding(rc) => OperandKind::Rounding(rc),
            Value::Sae => OperandKind::Sae,
            Value::Size(s) => {
                self.error(
                    span,
                    format!(
                        "`{}` sizes a memory operand: write `{}[address]`",
                        s.name(),
                        s.name()
                    ),
                );
                return None;
            }
            other => {
                self.error(
                    span,
                    format!("{} is not an instruction operand", other.kind()),
                );
                return None;
            }
        })
    }
}

fn encode_elem(v: Value, bytes: usize, kind: Elem) -> Result<Vec<u8>, String> {
    match (kind, v) {
        (Elem::Float, v) => {
            let f = match v {
                Value::Float(f) => f,
                Value::Int(i) => i as f64,
                other => return Err(format!("expected a number, found {}", other.kind())),
            };
            Ok(if bytes == 4 {
                (f as f32).to_le_bytes().to_vec()
            } else {
                f.to_le_bytes().to_vec()
            })
        }
        (_, Value::Int(i)) => {
            let bits = bytes as u32 * 8;
            let lo = if kind == Elem::Signed {
                -(1i128 << (bits - 1))
            } else {
                0
            };
            let hi = if kind == Elem::Signed {
                (1i128 << (bits - 1)) - 1
            } else {
                (1i128 << bits) - 1
            };
            if !(lo..=hi).contains(&i) {
                return Err(format!("{i} is out of range {lo}..={hi}"));
            }
            Ok(i.to_le_bytes()[..bytes].to_vec())
        }
        (_, other) => Err(format!("expected an integer, found {}", other.kind())),
    }
}

/// The span of an expression's first token. `Spanned::span` re-tokenizes the whole
/// expression to join its first and last spans — and on stable rustc the join is unavailable,
/// so it yields the first token's span anyway. This walks to that token directly, which keeps
/// evaluation linear in the size of the body.
pub(super) fn first_span(e: &Expr) -> Span {
    match e {
        Expr::Path(p) => p
            .path
            .segments
            .first()
            .map_or_else(|| p.span(), |s| s.ident.span()),
        Expr::Lit(l) => l.lit.span(),
        // The first token is the whole delimited group: `[rdi + 8]` underlines all of it.
        Expr::Array(a) => a.bracket_token.span.join(),
        Expr::Index(i) => first_span(&i.expr),
        Expr::MethodCall(m) => first_span(&m.receiver),
        Expr::Call(c) => first_span(&c.func),
        Expr::Binary(b) => first_span(&b.left),
        Expr::Paren(p) => p.paren_token.span.join(),
        Expr::Group(g) => first_span(&g.expr),
        Expr::Cast(c) => first_span(&c.expr),
        Expr::Field(f) => first_span(&f.base),
        other => other.span(),
    }
}
