//! Generalized kernels: `#[kernel(instances(add_i32 = (T = i32, OP = vpaddd), ...))]` makes one
//! function per instance from one source, each with its own compile-time parameters — types
//! in the signature included — and, optionally, its own calling convention
//! (`abi = "win64"`). Listing 4 of the PeachPy paper: add/sub × i32/i64 as four functions.
//!
//! Takes `instances(...)` and the function; guarantees one (name, options) per instance,
//! each a complete [`Options`] (the shared options with the instance's parameters added or
//! overriding), names unique, and signature types named by a parameter substituted
//! (`x: &[T]` with `T = f32` is `x: &[f32]`) — also without instances, for `params(T = f32)`.

use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, Token};

use super::{Options, Param, ParamSyntax, ParamValue};
use crate::isa::abi::Abi;

/// One instance: its function name, its parameters and calling convention.
#[derive(Clone)]
pub struct Instance {
    pub name: Ident,
    pub params: Vec<Param>,
    pub abi: Option<Abi>,
}

/// `name = (P = v, ..., abi = "win64")`.
pub struct InstanceSyntax(pub Instance);

impl Parse for InstanceSyntax {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let name: Ident = input.parse()?;
        input.parse::<Token![=]>()?;
        let content;
        syn::parenthesized!(content in input);
        let mut params: Vec<Param> = Vec::new();
        let mut abi = None;
        while !content.is_empty() {
            if content.peek(super::kw::abi)
                && content.peek2(Token![=])
                && content.peek3(syn::LitStr)
            {
                content.parse::<super::kw::abi>()?;
                content.parse::<Token![=]>()?;
                let lit: syn::LitStr = content.parse()?;
                abi = Some(Abi::from_name(&lit.value()).ok_or_else(|| {
                    syn::Error::new(
                        lit.span(),
                        "unknown calling convention; expected \"sysv64\" or \"win64\"",
                    )
                })?);
            } else {
                let p = content.parse::<ParamSyntax>()?.0;
                if params.iter().any(|q| q.name == p.name) {
                    return Err(syn::Error::new(
                        p.name.span(),
                        format!("parameter `{}` is given twice", p.name),
                    ));
                }
                params.push(p);
            }
            if !content.is_empty() {
                content.parse::<Token![,]>()?;
            }
        }
        Ok(InstanceSyntax(Instance { name, params, abi }))
    }
}

/// Parses the inside of `instances(...)`.
pub fn parse_list(input: ParseStream) -> syn::Result<Vec<Instance>> {
    let list = Punctuated::<InstanceSyntax, Token![,]>::parse_terminated(input)?;
    let mut out: Vec<Instance> = Vec::new();
    for InstanceSyntax(i) in list {
        if out.iter().any(|o| o.name == i.name) {
            return Err(syn::Error::new(
                i.name.span(),
                format!("instance `{}` is listed twice", i.name),
            ));
        }
        out.push(i);
    }
    if out.is_empty() {
        return Err(
            input.error("list at least one instance: `instances(name = (P = value, ...), ...)`")
        );
    }
    Ok(out)
}

/// The options of one instance: the shared ones, its parameters added or overriding.
pub fn options_of(shared: &Options, inst: &Instance) -> Options {
    let mut params = shared.params.clone();
    for p in &inst.params {
        match params.iter_mut().find(|q| q.name == p.name) {
            Some(q) => q.value = p.value.clone(),
            None => params.push(p.clone()),
        }
    }
    Options {
        params,
        targets: shared.targets.clone(),
        fallback: shared.fallback.clone(),
        abi: inst.abi.unwrap_or(shared.abi),
        instances: Vec::new(),
        rel32_holes: shared.rel32_holes,
    }
}

/// Replaces, in the signature's types, every type named by a parameter with the parameter's
/// value (`T` → `f32`).
pub fn substitute_types(sig: &mut syn::Signature, params: &[Param]) {
    let symbols: Vec<(String, &str)> = params
        .iter()
        .filter_map(|p| match &p.value {
            ParamValue::Symbol(s) => Some((p.name.to_string(), s.as_str())),
            _ => None,
        })
        .collect();
    if symbols.is_empty() {
        return;
    }
    for input in sig.inputs.iter_mut() {
        if let syn::FnArg::Typed(pt) = input {
            substitute(&mut pt.ty, &symbols);
        }
    }
    if let syn::ReturnType::Type(_, ty) = &mut sig.output {
        substitute(ty, &symbols);
    }
}

fn substitute(ty: &mut syn::Type, symbols: &[(String, &str)]) {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => {
            if let Some(id) = p.path.get_ident()
                && let Some((_, value)) = symbols.iter().find(|(n, _)| id == n)
            {
                // A value that is not a valid identifier stays as written: the type error then
                // names it.
                let new = syn::parse_str::<Ident>(value).map(|mut i| {
                    i.set_span(id.span());
                    i
                });
                if let Ok(new) = new
                    && let Ok(t) = syn::parse2::<syn::Type>(quote::quote!(#new))
                {
                    *ty = t;
                }
            }
        }
        syn::Type::Reference(r) => substitute(&mut r.elem, symbols),
        syn::Type::Slice(s) => substitute(&mut s.elem, symbols),
        syn::Type::Ptr(p) => substitute(&mut p.elem, symbols),
        syn::Type::Paren(p) => substitute(&mut p.elem, symbols),
        syn::Type::Group(g) => substitute(&mut g.elem, symbols),
        _ => {}
    }
}
