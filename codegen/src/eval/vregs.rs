//! Virtual registers: `gp64()`, `xmm()`, `ymms(4)`, ... and their names for diagnostics.
//!
//! A virtual register is one value of a class (general-purpose, vector, mask) that the
//! allocator later binds to a physical register. `gp64()` gives its 64-bit view; `.r32()`,
//! `.r8()` etc. are other views of the *same* register, as `.xmm()`/`.ymm()`/`.zmm()` are for
//! vectors. A binding `let acc = ymm();` names it `acc` (arrays: `acc[0]`, `acc[1]`, ...).

use std::rc::Rc;

use proc_macro2::Span;
use syn::spanned::Spanned;

use super::{Evaluator, Value};
use crate::ir::{Decor, VRegInfo};
use crate::isa::regs::{Reg, RegClass, VReg};

/// Constructors: name → (class, view width in bytes, takes a count).
const BUILTINS: [(&str, RegClass, u8, bool); 16] = [
    ("gp64", RegClass::Gpr, 8, false),
    ("gp32", RegClass::Gpr, 4, false),
    ("gp16", RegClass::Gpr, 2, false),
    ("gp8", RegClass::Gpr, 1, false),
    ("xmm", RegClass::Vec, 16, false),
    ("ymm", RegClass::Vec, 32, false),
    ("zmm", RegClass::Vec, 64, false),
    ("vreg", RegClass::Vec, 0, false),
    ("kreg", RegClass::Mask, 8, false),
    ("gp64s", RegClass::Gpr, 8, true),
    ("gp32s", RegClass::Gpr, 4, true),
    ("xmms", RegClass::Vec, 16, true),
    ("ymms", RegClass::Vec, 32, true),
    ("zmms", RegClass::Vec, 64, true),
    ("vregs", RegClass::Vec, 0, true),
    ("kregs", RegClass::Mask, 8, true),
];

/// Virtual registers one kernel may create.
const MAX_VREGS: usize = 4096;

/// Compile-time queries about the variant being built.
const QUERIES: [&str; 2] = ["vector_bytes", "lanes"];

/// `like(r)`: a new virtual register of `r`'s class and width (a private temporary of a
/// custom instruction that works for whatever register it is given).
const LIKE: &str = "like";

pub(super) fn is_vreg_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|(n, ..)| *n == name) || QUERIES.contains(&name) || name == LIKE
}

impl Evaluator<'_> {
    pub(super) fn vreg_builtin(&mut self, name: &str, c: &syn::ExprCall) -> Option<Value> {
        if QUERIES.contains(&name) {
            return self.variant_query(name, c);
        }
        if name == LIKE {
            return self.like(c);
        }
        let (_, class, size, counted) = *BUILTINS.iter().find(|(n, ..)| *n == name)?;
        // `vreg()`: the variant's natural vector width (xmm, ymm with AVX, zmm with AVX-512F).
        let size = if size == 0 {
            self.variant.vector_bytes()
        } else {
            size
        };
        let span = c.func.span();
        if !counted {
            if !c.args.is_empty() {
                self.error(
                    c.span(),
                    format!("`{name}()` takes no arguments; `{name}s(n)` makes n of them"),
                );
                return None;
            }
            return self
                .new_vreg(class, size, span)
                .map(|v| Value::Reg(Reg::Virt(v), Decor::default()));
        }
        if c.args.len() != 1 {
            self.error(
                c.span(),
                format!("`{name}(n)` takes the number of registers"),
            );
            return None;
        }
        let n = self.int(&c.args[0])?;
        if !(0..=64).contains(&n) {
            self.error(
                c.args[0].span(),
                format!("`{name}` makes 0 to 64 registers, not {n}"),
            );
            return None;
        }
        let mut regs = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let v = self.new_vreg(class, size, span)?;
            regs.push(Value::Reg(Reg::Virt(v), Decor::default()));
        }
        Some(Value::Array(Rc::new(regs)))
    }

    fn like(&mut self, c: &syn::ExprCall) -> Option<Value> {
        if c.args.len() != 1 {
            self.error(c.span(), "`like(reg)` takes one register");
            return None;
        }
        let arg = &c.args[0];
        let (class, size) = match self.value_expr(arg)? {
            Value::Reg(Reg::Virt(v), _) => (v.class, v.size),
            Value::Reg(Reg::Phys(p), _) if p.is_gpr() => (RegClass::Gpr, p.size() as u8),
            Value::Reg(Reg::Phys(p), _) if p.is_vector_register() => {
                (RegClass::Vec, p.size() as u8)
            }
            Value::Reg(Reg::Phys(p), _) if p.is_k() => (RegClass::Mask, 8),
            other => {
                self.error(
                    arg.span(),
                    format!(
                        "`like(..)` takes a general-purpose, vector or mask register, not {}",
                        other.kind()
                    ),
                );
                return None;
            }
        };
        self.new_vreg(class, size, c.func.span())
            .map(|v| Value::Reg(Reg::Virt(v), Decor::default()))
    }

    /// `vector_bytes()`: the natural vector width in bytes; `lanes(elem_bytes)`: how many
    /// elements of that size fill it.
    fn variant_query(&mut self, name: &str, c: &syn::ExprCall) -> Option<Value> {
        let bytes = i128::from(self.variant.vector_bytes());
        match (name, c.args.len()) {
            ("vector_bytes", 0) => Some(Value::Int(bytes)),
            ("lanes", 1) => {
                let elem = self.int(&c.args[0])?;
                if !matches!(elem, 1 | 2 | 4 | 8) {
                    self.error(
                        c.args[0].span(),
                        "`lanes(n)` takes the element size in bytes: 1, 2, 4 or 8",
                    );
                    return None;
                }
                Some(Value::Int(bytes / elem))
            }
            _ => {
                self.error(c.span(), "write `vector_bytes()` or `lanes(element_bytes)`");
                None
            }
        }
    }

    /// `has!(avx2)`: whether the variant being built guarantees the feature.
    pub(super) fn has(&mut self, mac: &syn::Macro) -> Option<Value> {
        let ident = match mac.parse_body::<syn::Ident>() {
            Ok(i) => i,
            Err(_) => {
                self.error(mac.path.span(), "write `has!(feature)`, e.g. `has!(fma)`");
                return None;
            }
        };
        match crate::isa::variant::feature_by_name(&ident.to_string()) {
            Some(f) => Some(Value::Bool(self.variant.has(f))),
            None => {
                self.error(ident.span(), format!("unknown CPU feature `{ident}` (names are iced-x86's, e.g. `avx2`, `fma`, `avx512f`, `sse4_1`)"));
                None
            }
        }
    }

    pub(super) fn new_vreg(&mut self, class: RegClass, size: u8, span: Span) -> Option<VReg> {
        if self.vregs.len() >= MAX_VREGS {
            self.error(
                span,
                format!("a kernel may create at most {MAX_VREGS} virtual registers"),
            );
            return None;
        }
        let id = self.vregs.len() as u32;
        self.vregs.push(VRegInfo {
            name: String::new(),
            class,
            span,
        });
        Some(VReg { id, class, size })
    }

    /// Names unnamed virtual registers after the binding that first holds them.
    pub(super) fn name_vregs(&mut self, name: &str, value: &Value) {
        match value {
            Value::Reg(Reg::Virt(v), _) => {
                if let Some(info) = self.vregs.get_mut(v.id as usize)
                    && info.name.is_empty()
                {
                    info.name = name.to_owned();
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.name_vregs(&format!("{name}[{i}]"), item);
                }
            }
            _ => {}
        }
    }

    pub(super) fn virtual_view(&mut self, v: VReg, view: &str, span: Span) -> Option<VReg> {
        let size = match (v.class, view) {
            (RegClass::Gpr, "r64") => 8,
            (RegClass::Gpr, "r32") => 4,
            (RegClass::Gpr, "r16") => 2,
            (RegClass::Gpr, "r8") => 1,
            (RegClass::Vec, "xmm") => 16,
            (RegClass::Vec, "ymm") => 32,
            (RegClass::Vec, "zmm") => 64,
            _ => {
                self.error(
                    span,
                    format!("a {:?} register has no `{view}` view", v.class).to_lowercase(),
                );
                return None;
            }
        };
        Some(v.view(size))
    }
}
