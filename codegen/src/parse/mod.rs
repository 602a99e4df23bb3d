//! Stage 1, **parse**: the attribute and the function signature, typed.
//!
//! Takes the attribute tokens and the annotated `fn`; guarantees that every parameter and the
//! return type are ones the calling convention (`abi.rs`) passes in one register or stack slot
//! (integers, pointers, `f32`, `f64`, slices as pointer + length), that every argument is
//! bound to where that convention puts it — a register, or a slot on the caller's stack — and
//! that compile-time parameters have values. The body stays a `syn::Block`: it is ordinary
//! Rust syntax to which `eval` gives meaning. Every error points at the offending token.

use proc_macro2::{Span, TokenStream};
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, Token};

use crate::diag::Errors;
use crate::isa::abi::{Abi, ArgAssigner, ArgClass, ArgLoc};

pub mod body;
pub mod chain;
pub mod helper;
pub mod instances;

mod kw {
    syn::custom_keyword!(params);
    syn::custom_keyword!(abi);
    syn::custom_keyword!(targets);
    syn::custom_keyword!(fallback);
    syn::custom_keyword!(instances);
}

/// A compile-time parameter's value.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    Int(i128),
    Bool(bool),
    /// An identifier, e.g. a mnemonic (`OP = vpaddd`) or register name.
    Symbol(String),
}

#[derive(Clone, Debug)]
pub struct Param {
    pub name: Ident,
    pub value: ParamValue,
}

/// The options in `#[kernel(...)]`.
#[derive(Default)]
pub struct Options {
    pub params: Vec<Param>,
    /// `targets(...)`: the variants, in the order written (least to most capable).
    pub targets: Option<Vec<crate::isa::variant::Variant>>,
    /// `fallback = path`: a Rust function with the kernel's signature, called where no variant
    /// can run (another architecture, or a CPU that lacks every variant's features).
    pub fallback: Option<syn::Path>,
    /// `abi = "win64"`: the calling convention of the entry point (default `"sysv64"`).
    pub abi: Abi,
    /// `instances(name = (P = v, ...), ...)`: one function per instance (`instances.rs`).
    pub instances: Vec<instances::Instance>,
    /// Set by `#[stencil]` (never parsed): references to `__asmforge_rel32_hole_<k>` are
    /// external branch targets (`ir::EXTERN_LABEL`), a stencil's rel32 holes.
    pub rel32_holes: bool,
}

/// How an argument or return value travels.
#[derive(Clone, Debug, PartialEq)]
pub enum ValType {
    /// Integer of this many bytes.
    Int {
        bytes: usize,
    },
    Ptr,
    F32,
    F64,
    /// `&[T]` / `&mut [T]`: pointer, then length (`usize`).
    Slice,
}

#[derive(Clone, Debug)]
pub struct Arg {
    pub name: Ident,
    pub ty: ValType,
    /// Where the value arrives (for slices, the pointer).
    pub loc: ArgLoc,
    /// For slices, where the length arrives.
    pub len: Option<ArgLoc>,
    /// `&[T]` or `*const T`: memory the kernel may read through this argument but not write.
    pub read_only: bool,
}

pub struct Kernel {
    pub func: syn::ItemFn,
    pub options: Options,
    pub args: Vec<Arg>,
    /// `None` for `()`.
    pub ret: Option<(ValType, Span)>,
    /// The custom instructions the body imports (`use helpers::muladd;`), fetched by the
    /// expansion chain (`chain.rs`).
    pub helpers: Vec<helper::Helper>,
}

impl Parse for Options {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut options = Options::default();
        while !input.is_empty() {
            let look = input.lookahead1();
            if look.peek(kw::params) {
                input.parse::<kw::params>()?;
                let content;
                syn::parenthesized!(content in input);
                let list = Punctuated::<ParamSyntax, Token![,]>::parse_terminated(&content)?;
                for p in list {
                    if options.params.iter().any(|q| q.name == p.0.name) {
                        return Err(syn::Error::new(
                            p.0.name.span(),
                            format!("parameter `{}` is given twice", p.0.name),
                        ));
                    }
                    options.params.push(p.0);
                }
            } else if look.peek(kw::targets) {
                let kw: kw::targets = input.parse()?;
                let content;
                syn::parenthesized!(content in input);
                if options.targets.is_some() {
                    return Err(syn::Error::new(kw.span, "`targets(...)` is given twice"));
                }
                let targets = content.parse::<crate::isa::variant::Targets>()?.0;
                check_target_order(&targets)?;
                options.targets = Some(targets);
            } else if look.peek(kw::abi) {
                input.parse::<kw::abi>()?;
                input.parse::<Token![=]>()?;
                let name: syn::LitStr = input.parse()?;
                options.abi = Abi::from_name(&name.value()).ok_or_else(|| {
                    syn::Error::new(
                        name.span(),
                        format!(
                            "unknown calling convention \"{}\"; expected \"sysv64\" (the default) or \"win64\"",
                            name.value()
                        ),
                    )
                })?;
            } else if look.peek(kw::instances) {
                let kw: kw::instances = input.parse()?;
                let content;
                syn::parenthesized!(content in input);
                if !options.instances.is_empty() {
                    return Err(syn::Error::new(kw.span, "`instances(...)` is given twice"));
                }
                options.instances = instances::parse_list(&content)?;
            } else if look.peek(kw::fallback) {
                let kw: kw::fallback = input.parse()?;
                input.parse::<Token![=]>()?;
                if options.fallback.is_some() {
                    return Err(syn::Error::new(kw.span, "`fallback` is given twice"));
                }
                options.fallback = Some(input.parse()?);
            } else {
                let fork = input.fork();
                let msg = match fork.parse::<Ident>() {
                    Ok(id) if fork.peek(Token![=]) => format!(
                        "unknown kernel option `{id}`; compile-time parameters go inside `params(...)`: `params({id} = ...)`"
                    ),
                    Ok(id) => format!(
                        "unknown kernel option `{id}`; expected `params(NAME = value, ...)`, `targets(...)`, `instances(...)`, `fallback = path` or `abi = \"win64\"`"
                    ),
                    Err(_) => "unknown kernel option; expected `params(NAME = value, ...)`, `targets(...)`, `instances(...)`, `fallback = path` or `abi = \"win64\"`".into(),
                };
                return Err(syn::Error::new(input.span(), msg));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        Ok(options)
    }
}

/// Targets are written least to most capable and dispatch tries them from the last, so a
/// target whose features are a strict subset of an earlier one's would never run where the
/// earlier one can: an error, not a silent reordering, so the source reads as dispatch works.
/// Targets neither of which implies the other (`avx2`, `avx512f + avx512vl` vs `avx2 + vaes`)
/// keep the written order.
fn check_target_order(targets: &[crate::isa::variant::Variant]) -> syn::Result<()> {
    for (j, later) in targets.iter().enumerate() {
        let Some(l) = &later.allowed else { continue };
        for earlier in &targets[..j] {
            let Some(e) = &earlier.allowed else { continue };
            if l.is_subset(e) {
                let what = if l == e {
                    format!(
                        "`{}` has the same features as `{}` listed before it; list one of them",
                        later.name, earlier.name
                    )
                } else {
                    let mut fixed: Vec<&str> = targets.iter().map(|v| v.name.as_str()).collect();
                    fixed.swap(
                        j,
                        targets
                            .iter()
                            .position(|v| v.name == earlier.name)
                            .unwrap_or(j),
                    );
                    format!(
                        "targets are listed least to most capable (dispatch tries the last first), but `{}` is less capable than `{}` listed before it; write `targets({})`",
                        later.name,
                        earlier.name,
                        fixed.join(", ")
                    )
                };
                return Err(syn::Error::new(later.span, what));
            }
        }
    }
    Ok(())
}

pub struct ParamSyntax(pub Param);

impl Parse for ParamSyntax {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let neg = input.parse::<Option<Token![-]>>()?.is_some();
        let value = if input.peek(syn::LitInt) {
            let lit: syn::LitInt = input.parse()?;
            let v: i128 = lit
                .base10_parse()
                .map_err(|_| syn::Error::new(lit.span(), "integer parameter out of range"))?;
            ParamValue::Int(if neg { -v } else { v })
        } else if neg {
            return Err(syn::Error::new(
                input.span(),
                "expected an integer after `-`",
            ));
        } else if input.peek(syn::LitBool) {
            ParamValue::Bool(input.parse::<syn::LitBool>()?.value)
        } else if input.peek(Ident) {
            ParamValue::Symbol(input.parse::<Ident>()?.to_string())
        } else {
            return Err(syn::Error::new(
                input.span(),
                "a parameter value is an integer, `true`/`false`, or an identifier such as a mnemonic",
            ));
        };
        Ok(ParamSyntax(Param { name, value }))
    }
}

/// Parses the attribute and the function.
#[cfg(test)]
pub fn parse(attr: TokenStream, item: TokenStream) -> syn::Result<Kernel> {
    parse_fn(attr, body::item_fn(item)?)
}

/// Like [`parse`], for a function that is already parsed.
pub fn parse_fn(attr: TokenStream, func: syn::ItemFn) -> syn::Result<Kernel> {
    let options: Options = syn::parse2(attr)?;
    from_options(options, func)
}

/// The kernel of `func` under `options` (for one instance, the instance's options).
pub fn from_options(options: Options, mut func: syn::ItemFn) -> syn::Result<Kernel> {
    instances::substitute_types(&mut func.sig, &options.params);
    let mut errors = Errors::new();
    check_signature(&func.sig, &mut errors);
    let args = bind_args(&func.sig, options.abi, &mut errors);
    check_safety(&func.sig, &mut errors);
    let ret = match &func.sig.output {
        syn::ReturnType::Default => None,
        syn::ReturnType::Type(_, ty) => match val_type(ty, false) {
            Ok(t) => Some((t, ty.span())),
            Err(e) => {
                errors.push_err(e);
                None
            }
        },
    };
    for p in &options.params {
        if args.iter().any(|a| a.name == p.name) {
            errors.push(
                p.name.span(),
                format!(
                    "`{}` is both a kernel parameter and a function argument",
                    p.name
                ),
            );
        }
    }
    errors.finish()?;
    Ok(Kernel {
        func,
        options,
        args,
        ret,
        helpers: Vec::new(),
    })
}

fn check_signature(sig: &syn::Signature, errors: &mut Errors) {
    if let Some(t) = &sig.constness {
        errors.push(
            t.span,
            "a kernel cannot be `const fn`: its body runs as machine code",
        );
    }
    if let Some(t) = &sig.asyncness {
        errors.push(t.span, "a kernel cannot be `async`");
    }
    if let Some(abi) = &sig.abi {
        errors.push_err(syn::Error::new_spanned(
            abi,
            "remove the ABI: asmforge generates the entry point itself, `extern \"sysv64\"` by default; for the Windows x64 convention write `#[kernel(abi = \"win64\")]`",
        ));
    }
    if !sig.generics.params.is_empty() {
        let only_lifetimes = sig
            .generics
            .params
            .iter()
            .all(|p| matches!(p, syn::GenericParam::Lifetime(_)));
        if !only_lifetimes {
            errors.push_err(syn::Error::new_spanned(&sig.generics, "a kernel cannot be generic over types or consts; use `params(...)` in the attribute, or a `macro_rules!` that stamps out kernels"));
        }
    }
    if let Some(v) = &sig.variadic {
        errors.push(v.span(), "a kernel cannot be variadic");
    }
}

/// A kernel dereferences its raw pointers without Rust's checks, so only its caller can
/// promise they are valid: such a kernel must be `unsafe fn`. (Slices are checked by Rust;
/// a safe kernel's author vouches that it touches only `x[..x.len()]`, writes only through
/// `&mut [T]`, and leaves the caller's registers and stack as the ABI requires.)
fn check_safety(sig: &syn::Signature, errors: &mut Errors) {
    if matches!(sig.safety, syn::Safety::Unsafe(_)) {
        return;
    }
    let raw = |ty: &syn::Type| match ty {
        syn::Type::Ptr(_) => true,
        syn::Type::Reference(r) => {
            matches!(&*r.elem, syn::Type::Slice(s) if matches!(&*s.elem, syn::Type::Ptr(_)))
        }
        _ => false,
    };
    for input in &sig.inputs {
        if let syn::FnArg::Typed(pt) = input
            && raw(&pt.ty)
        {
            let name = quote::ToTokens::to_token_stream(&pt.pat).to_string();
            errors.push_err(syn::Error::new_spanned(
                &pt.ty,
                format!(
                    "a kernel that takes a raw pointer must be an `unsafe fn`: it reads or writes through `{name}` without Rust's checks, so its callers must promise the pointer is valid; write `unsafe fn {}(...)` and state the contract in a `# Safety` section (or take a slice `&[T]` / `&mut [T]`)",
                    sig.ident
                ),
            ));
        }
    }
}

fn bind_args(sig: &syn::Signature, abi: Abi, errors: &mut Errors) -> Vec<Arg> {
    let mut assigner = ArgAssigner::new(abi);
    let mut args = Vec::new();
    for input in &sig.inputs {
        let pt = match input {
            syn::FnArg::Receiver(r) => {
                errors.push(
                    r.span(),
                    "a kernel is a free function; it cannot take `self`",
                );
                continue;
            }
            syn::FnArg::Typed(pt) => pt,
        };
        let name = match &*pt.pat {
            syn::Pat::Ident(pi) if pi.subpat.is_none() && pi.by_ref.is_none() => pi.ident.clone(),
            other => {
                errors.push(
                    other.span(),
                    "kernel arguments must be plain names, e.g. `x: *const f32`",
                );
                continue;
            }
        };
        let ty = match val_type(&pt.ty, true) {
            Ok(t) => t,
            Err(e) => {
                errors.push_err(e);
                continue;
            }
        };
        // A slice is two arguments of the entry point: pointer, then length.
        let (loc, len) = match ty {
            ValType::F32 | ValType::F64 => (assigner.next(ArgClass::Float), None),
            ValType::Slice => (
                assigner.next(ArgClass::Int),
                Some(assigner.next(ArgClass::Int)),
            ),
            ValType::Int { .. } | ValType::Ptr => (assigner.next(ArgClass::Int), None),
        };
        let read_only = match &*pt.ty {
            syn::Type::Ptr(p) => matches!(p.mutability, syn::PointerMutability::Const(_)),
            syn::Type::Reference(r) => r.mutability.is_none(),
            _ => false,
        };
        args.push(Arg {
            name,
            ty,
            loc,
            len,
            read_only,
        });
    }
    args
}

const UNSUPPORTED_TYPE: &str =
    "unsupported kernel type: use an integer type (i8..u64, isize, usize), a raw pointer, f32, f64";

/// Maps a Rust type to how it travels; `allow_slice` for arguments.
pub fn val_type(ty: &syn::Type, allow_slice: bool) -> syn::Result<ValType> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            let Some(ident) = p.path.get_ident() else {
                return Err(unsupported(ty, allow_slice));
            };
            let bytes = match ident.to_string().as_str() {
                "i8" | "u8" => 1,
                "i16" | "u16" => 2,
                "i32" | "u32" => 4,
                "i64" | "u64" | "isize" | "usize" => 8,
                "f32" => return Ok(ValType::F32),
                "f64" => return Ok(ValType::F64),
                _ => return Err(unsupported(ty, allow_slice)),
            };
            Ok(ValType::Int { bytes })
        }
        syn::Type::Ptr(_) => Ok(ValType::Ptr),
        syn::Type::Paren(p) => val_type(&p.elem, allow_slice),
        // A `$t:ty` from `macro_rules!` arrives wrapped in an invisible group.
        syn::Type::Group(g) => val_type(&g.elem, allow_slice),
        syn::Type::Reference(r) if allow_slice => match &*r.elem {
            syn::Type::Slice(s) => match val_type(&s.elem, false) {
                Ok(ValType::Int { .. } | ValType::F32 | ValType::F64 | ValType::Ptr) => {
                    Ok(ValType::Slice)
                }
                _ => Err(syn::Error::new(
                    s.elem.span(),
                    "slice elements must be integers, floats or raw pointers",
                )),
            },
            _ => Err(unsupported(ty, allow_slice)),
        },
        _ => Err(unsupported(ty, allow_slice)),
    }
}

fn unsupported(ty: &syn::Type, allow_slice: bool) -> syn::Error {
    let tail = if allow_slice {
        ", or a slice `&[T]` / `&mut [T]` of those"
    } else {
        " (or nothing)"
    };
    // `new_spanned` keeps the first and last token, so the whole type is underlined on stable.
    syn::Error::new_spanned(ty, format!("{UNSUPPORTED_TYPE}{tail}{}", type_hint(ty)))
}

/// What to write instead of a common unsupported type.
fn type_hint(ty: &syn::Type) -> String {
    let ident = |t: &syn::Type| match t {
        syn::Type::Path(p) if p.qself.is_none() => {
            p.path.segments.last().map(|s| s.ident.to_string())
        }
        _ => None,
    };
    match ty {
        syn::Type::Reference(r) => match (&*r.elem, ident(&r.elem).as_deref()) {
            (_, Some("str")) => "; for text, pass `&[u8]` (`s.as_bytes()`)".into(),
            (syn::Type::Slice(_), _) => String::new(),
            (elem, _) => {
                let ptr = if r.mutability.is_some() {
                    "*mut"
                } else {
                    "*const"
                };
                format!(
                    "; use a raw pointer `{ptr} {}` instead",
                    quote::quote!(#elem)
                )
            }
        },
        _ => match ident(ty).as_deref() {
            Some("String") => "; for text, pass `&[u8]` (`s.as_bytes()`)".into(),
            Some("Vec") => "; pass a slice `&[T]` (`v.as_slice()`)".into(),
            Some("bool") => "; use `u8` (0 or 1)".into(),
            Some("char") => "; use `u32`".into(),
            Some(name) if name.starts_with(char::is_uppercase) => {
                format!("; pass a pointer to it, e.g. `*const {name}`")
            }
            _ => String::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iced_x86::Register;
    use quote::quote;

    #[test]
    fn binds_sysv_registers() {
        let k = parse(
            quote!(params(N = 4, OP = vpaddd, FLAG = true, NEG = -3)),
            quote!(
                pub unsafe fn f(a: *const f32, x: f32, s: &[u8], n: i32, y: f64) -> u64 {}
            ),
        )
        .unwrap();
        let regs: Vec<_> = k.args.iter().map(|a| (a.loc, a.len)).collect();
        let r = ArgLoc::Reg;
        assert_eq!(
            regs,
            vec![
                (r(Register::RDI), None),
                (r(Register::XMM0), None),
                (r(Register::RSI), Some(r(Register::RDX))),
                (r(Register::RCX), None),
                (r(Register::XMM1), None)
            ]
        );
        assert_eq!(
            k.ret.as_ref().map(|r| r.0.clone()),
            Some(ValType::Int { bytes: 8 })
        );
        let values: Vec<_> = k.options.params.iter().map(|p| p.value.clone()).collect();
        assert_eq!(
            values,
            vec![
                ParamValue::Int(4),
                ParamValue::Symbol("vpaddd".into()),
                ParamValue::Bool(true),
                ParamValue::Int(-3)
            ]
        );
    }

    #[test]
    fn binds_stack_arguments_in_both_conventions() {
        let item = quote!(
            fn f(a: u8, b: u8, c: u8, d: u8, e: u8, s: &[f32], g: f64) {}
        );
        let k = parse(quote!(), item.clone()).unwrap();
        let r = ArgLoc::Reg;
        // System V: the slice's pointer takes r9, its length the first stack slot.
        assert_eq!(k.args[5].loc, r(Register::R9));
        assert_eq!(k.args[5].len, Some(ArgLoc::Stack(8)));
        assert_eq!(k.args[6].loc, r(Register::XMM0));
        let k = parse(quote!(abi = "win64"), item).unwrap();
        assert_eq!(k.options.abi, Abi::Win64);
        assert_eq!(k.args[3].loc, r(Register::R9));
        assert_eq!(k.args[4].loc, ArgLoc::Stack(40));
        assert_eq!(k.args[5].loc, ArgLoc::Stack(48));
        assert_eq!(k.args[5].len, Some(ArgLoc::Stack(56)));
        assert_eq!(k.args[6].loc, ArgLoc::Stack(64));
        let err = parse(
            quote!(abi = "C"),
            quote!(
                fn f() {}
            ),
        )
        .err()
        .unwrap();
        assert!(
            err.to_string()
                .contains("\"sysv64\" (the default) or \"win64\""),
            "{err}"
        );
    }

    #[test]
    fn sees_through_macro_rules_type_groups() {
        // What `macro_rules!` passes for `$t` when `$t:ty` is `u64`.
        let t = proc_macro2::Group::new(proc_macro2::Delimiter::None, quote!(u64));
        let k = parse(quote!(), quote!(fn f(x: &[#t], y: #t) -> #t {})).unwrap();
        let tys: Vec<_> = k.args.iter().map(|a| a.ty.clone()).collect();
        assert_eq!(tys, vec![ValType::Slice, ValType::Int { bytes: 8 }]);
        assert_eq!(k.ret.map(|r| r.0), Some(ValType::Int { bytes: 8 }));
    }

    #[test]
    fn rejects_unsupported_types_and_options() {
        let err = parse(
            quote!(),
            quote!(
                fn f(a: String) {}
            ),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("unsupported kernel type"));
        let err = parse(
            quote!(),
            quote!(
                fn f() -> &[u8] {}
            ),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("unsupported kernel type"));
        let err = parse(
            quote!(variants(avx)),
            quote!(
                fn f() {}
            ),
        )
        .err()
        .unwrap();
        assert!(err.to_string().contains("unknown kernel option"));
    }

    #[test]
    fn unsupported_types_say_what_to_use_instead() {
        let error = |attr: &str, item: &str| {
            let (attr, item) = (attr.parse().unwrap(), item.parse().unwrap());
            parse(attr, item).err().unwrap().to_string()
        };
        assert!(error("", "fn f(s: &str) {}").contains("pass `&[u8]`"));
        assert!(error("", "fn f(p: Point) {}").contains("`*const Point`"));
        assert!(error("", "fn f(p: &mut u32) {}").contains("`*mut u32`"));
        assert!(error("", "fn f() -> bool {}").contains("use `u8`"));
        let err = error("unroll = 4", "fn f() {}");
        assert!(err.contains("`params(unroll = ...)`"), "{err}");
    }

    #[test]
    fn targets_are_least_to_most_capable() {
        let parse_targets = |t: &str| {
            let attr: TokenStream = format!("targets({t})").parse().unwrap();
            parse(
                attr,
                quote!(
                    fn f() {}
                ),
            )
            .err()
            .map(|e| e.to_string())
        };
        assert_eq!(parse_targets("sse2, avx2, avx512f"), None);
        // Neither implies the other: the written order stands.
        assert_eq!(parse_targets("avx2 + fma, avx512f, avx2 + vaes"), None);
        let err = parse_targets("avx2, sse2").unwrap();
        assert!(err.contains("`sse2` is less capable than `avx2`"), "{err}");
        assert!(err.contains("write `targets(sse2, avx2)`"), "{err}");
        let err = parse_targets("x86-64-v3, avx512f, avx2").unwrap();
        assert!(
            err.contains("`avx2` is less capable than `x86-64-v3`"),
            "{err}"
        );
    }
}
