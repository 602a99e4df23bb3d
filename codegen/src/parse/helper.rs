//! Custom instructions: `#[asmforge::instruction] fn muladd(acc: Vec, a: Vec, b: Operand) {..}`.
//!
//! Takes a helper function (its parameters are typed by what they accept, its body is DSL);
//! guarantees that its signature is one eval can bind: plain parameter names, each with a
//! [`ParamKind`], no return type, no generics. Every error points at the offending token.
//!
//! A proc macro cannot read another item, so a helper travels as tokens: `#[instruction]`
//! turns the function into a `macro_rules!` that hands its own text to the next step of a
//! kernel's expansion (see `chain.rs`). The macro is reachable under the helper's name in the
//! helper's module (`use` with the function's visibility) and, for a `pub` helper, from other
//! crates (`#[macro_export]` under a hidden name).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Ident;
use syn::spanned::Spanned;

use crate::diag::Errors;

/// What a helper parameter accepts. The names are those written as the parameter's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// `Reg`: any register.
    Reg,
    /// `Gp`: a general-purpose register.
    Gp,
    /// `Vec`: an xmm, ymm or zmm register.
    Vec,
    /// `Mask`: a k register.
    Mask,
    /// `Mem`: a memory operand (including a pool constant or stack local).
    Mem,
    /// `Operand`: a register, memory operand or immediate.
    Operand,
    /// `Imm` or an integer type (`u32`, `usize`, ...): a compile-time integer.
    Int,
    /// `bool`: a compile-time boolean.
    Bool,
    /// `Mnemonic`: an instruction name, or another custom instruction, callable as `op(..)`.
    Mnemonic,
    /// `Label`: a branch target.
    Label,
    /// `[T]` or `[T; N]`: an array (of registers, integers, ...).
    Array,
    /// `Value` or `_`: any compile-time value.
    Any,
}

const KINDS: [(&str, ParamKind); 20] = [
    ("Reg", ParamKind::Reg),
    ("Gp", ParamKind::Gp),
    ("Vec", ParamKind::Vec),
    ("Mask", ParamKind::Mask),
    ("Mem", ParamKind::Mem),
    ("Operand", ParamKind::Operand),
    ("Imm", ParamKind::Int),
    ("i8", ParamKind::Int),
    ("u8", ParamKind::Int),
    ("i16", ParamKind::Int),
    ("u16", ParamKind::Int),
    ("i32", ParamKind::Int),
    ("u32", ParamKind::Int),
    ("i64", ParamKind::Int),
    ("u64", ParamKind::Int),
    ("isize", ParamKind::Int),
    ("usize", ParamKind::Int),
    ("bool", ParamKind::Bool),
    ("Mnemonic", ParamKind::Mnemonic),
    ("Label", ParamKind::Label),
];

impl ParamKind {
    /// What the parameter accepts, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ParamKind::Reg => "a register",
            ParamKind::Gp => "a general-purpose register",
            ParamKind::Vec => "a vector register",
            ParamKind::Mask => "a mask register (k1–k7)",
            ParamKind::Mem => "a memory operand",
            ParamKind::Operand => "a register, memory operand or immediate",
            ParamKind::Int => "a compile-time integer",
            ParamKind::Bool => "a compile-time boolean",
            ParamKind::Mnemonic => "a mnemonic",
            ParamKind::Label => "a label",
            ParamKind::Array => "an array",
            ParamKind::Any => "a compile-time value",
        }
    }
}

#[derive(Clone, Debug)]
pub struct HelperParam {
    pub name: Ident,
    pub kind: ParamKind,
}

/// A custom instruction, as a kernel that imported it sees it.
#[derive(Clone)]
pub struct Helper {
    /// The name the kernel calls it by (`use a::muladd as ma;` makes it `ma`).
    pub name: String,
    pub params: Vec<HelperParam>,
    pub body: syn::Block,
}

/// Checks a helper's signature.
pub fn parse_helper(name: String, func: &syn::ItemFn) -> syn::Result<Helper> {
    let mut errors = Errors::new();
    let sig = &func.sig;
    if let syn::ReturnType::Type(arrow, _) = &sig.output {
        errors.push(arrow.spans[0], "a custom instruction has no value, like an instruction; remove the return type and write results to a register parameter");
    }
    if !sig.generics.params.is_empty() {
        errors.push_err(syn::Error::new_spanned(
            &sig.generics,
            "a custom instruction is not generic: its parameters take registers, operands, integers or mnemonics as written (`op: Mnemonic`)",
        ));
    }
    let qualifiers = [
        (sig.constness.map(|t| t.span), "`const`"),
        (sig.asyncness.map(|t| t.span), "`async`"),
        (
            match &sig.safety {
                syn::Safety::Unsafe(t) => Some(t.span),
                _ => None,
            },
            "`unsafe`",
        ),
    ];
    for (span, what) in qualifiers {
        if let Some(span) = span {
            errors.push(
                span,
                format!("a custom instruction cannot be {what}: it is expanded into kernels"),
            );
        }
    }
    let mut params = Vec::new();
    for input in &sig.inputs {
        let syn::FnArg::Typed(pt) = input else {
            errors.push(
                input.span(),
                "a custom instruction is a free function; it cannot take `self`",
            );
            continue;
        };
        let name = match &*pt.pat {
            syn::Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => pi.ident.clone(),
            other => {
                errors.push(other.span(), "parameters are plain names, e.g. `acc: Vec`");
                continue;
            }
        };
        if params.iter().any(|p: &HelperParam| p.name == name) {
            errors.push(name.span(), format!("parameter `{name}` is declared twice"));
            continue;
        }
        match param_kind(&pt.ty) {
            Ok(kind) => params.push(HelperParam { name, kind }),
            Err(e) => errors.push_err(e),
        }
    }
    errors.finish()?;
    Ok(Helper {
        name,
        params,
        body: (*func.block).clone(),
    })
}

fn param_kind(ty: &syn::Type) -> syn::Result<ParamKind> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            let name = p.path.get_ident().map(ToString::to_string);
            let found = name
                .as_deref()
                .and_then(|n| KINDS.iter().find(|(k, _)| *k == n).map(|(_, v)| *v))
                .or_else(|| (name.as_deref() == Some("Value")).then_some(ParamKind::Any));
            found.ok_or_else(|| {
                syn::Error::new_spanned(
                    ty,
                    "unknown parameter type; a custom instruction takes `Reg`, `Gp`, `Vec`, `Mask`, `Mem`, `Operand`, `Imm` (or an integer type), `bool`, `Mnemonic`, `Label`, `[T]` or `Value`",
                )
            })
        }
        syn::Type::Infer(_) => Ok(ParamKind::Any),
        syn::Type::Slice(_) | syn::Type::Array(_) => Ok(ParamKind::Array),
        syn::Type::Group(g) => param_kind(&g.elem),
        syn::Type::Paren(p) => param_kind(&p.elem),
        other => Err(syn::Error::new_spanned(
            other,
            "unknown parameter type; a custom instruction takes `Reg`, `Gp`, `Vec`, `Mask`, `Mem`, `Operand`, `Imm`, `bool`, `Mnemonic`, `Label`, `[T]` or `Value`",
        )),
    }
}

/// The expansion of `#[asmforge::instruction] fn name(..) {..}`: a macro that forwards the
/// function's tokens to `::asmforge::__private::kernel_continue!`, and its import under
/// `name`. On a signature error: the error alone (the helper is not defined).
pub fn expand_instruction(attr: TokenStream, item: TokenStream) -> TokenStream {
    if !attr.is_empty() {
        return syn::Error::new_spanned(attr, "`#[asmforge::instruction]` takes no arguments")
            .to_compile_error();
    }
    let func: syn::ItemFn = match super::body::item_fn(item.clone()) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    if let Err(e) = parse_helper(func.sig.ident.to_string(), &func) {
        return e.to_compile_error();
    }
    let name = &func.sig.ident;
    let vis = &func.vis;
    // Unique per definition and identical across builds: two helpers of one name in two
    // modules of a crate must not meet at the crate root, where `#[macro_export]` puts them.
    let hidden = format_ident!(
        "__asmforge_instruction_{}_{:016x}",
        name,
        fnv(item.to_string().as_bytes())
    );
    let export = matches!(vis, syn::Visibility::Public(_)).then(|| quote!(#[macro_export]));
    quote! {
        #[doc(hidden)]
        #[allow(unused_macros)]
        #export
        macro_rules! #hidden {
            ($($state:tt)*) => {
                ::asmforge::__private::kernel_continue! { { #item } $($state)* }
            };
        }
        #[doc(hidden)]
        #[allow(unused_imports)]
        #vis use #hidden as #name;
    }
}

/// FNV-1a, 64 bits.
pub fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn helper(item: TokenStream) -> syn::Result<Helper> {
        let f: syn::ItemFn = syn::parse2(item)?;
        parse_helper(f.sig.ident.to_string(), &f)
    }

    #[test]
    fn parameter_kinds_follow_their_types() {
        let h = helper(quote!(
            fn h(a: Reg, b: Vec, c: Operand, n: usize, op: Mnemonic, xs: [Vec], l: Label, v: _) {}
        ))
        .unwrap();
        let kinds: std::vec::Vec<_> = h.params.iter().map(|p| p.kind).collect();
        use ParamKind as K;
        let want = [
            K::Reg,
            K::Vec,
            K::Operand,
            K::Int,
            K::Mnemonic,
            K::Array,
            K::Label,
            K::Any,
        ];
        assert_eq!(kinds, want);
    }

    #[test]
    fn signature_errors_are_all_reported() {
        let err = helper(quote!(
            fn h<T>(a: String, a2: Reg) -> u32 {}
        ))
        .err()
        .unwrap();
        let all: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].contains("has no value"), "{all:?}");
        assert!(all[1].contains("not generic"), "{all:?}");
        assert!(all[2].contains("unknown parameter type"), "{all:?}");
    }

    #[test]
    fn expansion_exports_only_public_helpers() {
        let private = expand_instruction(
            quote!(),
            quote!(
                fn h(a: Reg) {
                    inc(a);
                }
            ),
        )
        .to_string();
        assert!(!private.contains("macro_export"), "{private}");
        assert!(
            private.contains("use __asmforge_instruction_h_"),
            "{private}"
        );
        let public = expand_instruction(
            quote!(),
            quote!(
                pub fn h(a: Reg) {
                    inc(a);
                }
            ),
        )
        .to_string();
        assert!(public.contains("macro_export"), "{public}");
        assert!(
            public.contains("pub use __asmforge_instruction_h_"),
            "{public}"
        );
        assert!(public.contains("kernel_continue"), "{public}");
    }
}
