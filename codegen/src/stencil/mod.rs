//! `#[asmforge::stencil]`: a kernel-like body with named holes, compiled ahead of time into
//! copy-and-patch stencils (one per variant) whose holes' byte offsets are exact.
//!
//! ```text
//! item ──holes::rewrite(A)──► body with sentinels A ──┐ parse, then per variant:
//!      ──holes::rewrite(B)──► body with sentinels B ──┤ eval → select → regalloc → frame → encode
//!                                                     ▼
//!                         layout::locate(A, B): sites = fields holding A's sentinel in pass A
//!                         and B's in pass B, widths from iced's ConstantOffsets
//!                                                     ▼
//!                  mod name { STENCILS, VARIANTS, best() } (runtime `jit::Stencil`s)
//! ```
//!
//! Options: everything `#[kernel]` takes, plus `chain`: the stencil ends in a continuation
//! (its `ret`, and the epilogue's `vzeroupper`, become a `jmp rel32` hole named `next` that
//! stitching elides when the next stencil follows).

mod holes;
mod layout;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use syn::spanned::Spanned;

use crate::isa::variant::Variant;
use crate::{expand, parse};
use holes::{Hole, Pass};

/// The expansion of `#[asmforge::stencil(attr)] item`.
pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => return e.to_compile_error(),
    };
    match compile(attr, &func) {
        Ok(t) => t,
        Err(e) => {
            let err = e.to_compile_error();
            let stub = emit_module(&func, &[]);
            quote!(#err #stub)
        }
    }
}

/// `chain` removed from the attribute (and whether it was there).
fn split_chain(attr: TokenStream) -> (TokenStream, bool) {
    let mut segments: Vec<Vec<TokenTree>> = vec![Vec::new()];
    for t in attr {
        match &t {
            TokenTree::Punct(p) if p.as_char() == ',' => segments.push(Vec::new()),
            _ => segments.last_mut().map_or((), |s| s.push(t)),
        }
    }
    let is_chain = |s: &Vec<TokenTree>| matches!(&s[..], [TokenTree::Ident(i)] if i == "chain");
    let chain = segments.iter().any(is_chain);
    let mut out = TokenStream::new();
    for s in segments
        .into_iter()
        .filter(|s| !s.is_empty() && !is_chain(s))
    {
        if !out.is_empty() {
            out.extend(quote!(,));
        }
        out.extend(s);
    }
    (out, chain)
}

fn enc(e: &crate::encode::Encoded) -> layout::Enc<'_> {
    layout::Enc {
        bytes: &e.bytes,
        code_size: e.code_size as usize,
        fields: &e.fields,
        saved: !e.saved.is_empty(),
        vzeroupper: e.vzeroupper,
    }
}

/// The function compiled for one pass: the rewritten body; a chained piece returns nothing
/// itself (the stitched function does), so its return type is dropped.
fn with_body(func: &syn::ItemFn, body: TokenStream, chain: bool) -> syn::Result<syn::ItemFn> {
    let mut f = func.clone();
    f.block = Box::new(syn::parse2(body)?);
    if chain {
        f.sig.output = syn::ReturnType::Default;
    }
    Ok(f)
}

struct Built {
    name: String,
    code: Vec<u8>,
    sites: Vec<(layout::Site, bool)>,
    features: Vec<iced_x86::CpuidFeature>,
    /// Pass A's compilation with the stencil's code as its bytes, for the listings.
    listed: crate::emit::Variant,
}

/// The stencils of one item, and what the listings need.
struct Compiled {
    kernel: crate::parse::Kernel,
    holes: Vec<Hole>,
    built: Vec<Built>,
    chain: bool,
}

fn compile(attr: TokenStream, func: &syn::ItemFn) -> syn::Result<TokenStream> {
    let c = build(attr, func)?;
    let stencils: Vec<TokenStream> = c
        .built
        .iter()
        .map(|b| emit_stencil(func, &c.holes, b, c.chain))
        .collect();
    let module = emit_module(
        func,
        &stencils
            .into_iter()
            .zip(c.built.iter().map(|b| b.name.clone()))
            .collect::<Vec<_>>(),
    );
    let listings = match crate::emit::dump::requested() {
        Some(dir) => match write_listings(&c, &dir) {
            Ok(_) => TokenStream::new(),
            Err(e) => {
                let msg = format!(
                    "asmforge: {}: cannot write the listings of `{}` under {}: {e}",
                    crate::emit::dump::VAR,
                    func.sig.ident,
                    dir.display()
                );
                quote::quote_spanned!(func.sig.ident.span()=> ::core::compile_error!(#msg);)
            }
        },
        None => TokenStream::new(),
    };
    Ok(quote!(#module #listings))
}

/// The holes of one stencil as its runtime description has them (`emit_stencil`).
fn hole_list(holes: &[Hole], b: &Built, chain: bool) -> Vec<crate::emit::dump::Hole> {
    let mut out: Vec<crate::emit::dump::Hole> = b
        .sites
        .iter()
        .map(|(s, signed)| {
            let h = &holes[s.hole];
            crate::emit::dump::Hole {
                name: h.name.clone(),
                kind: h.kind.describe(),
                width: h.kind.width() as u32,
                offset: s.offset,
                end: s.end,
                signed: *signed,
            }
        })
        .collect();
    if chain {
        let end = b.code.len() as u32;
        out.push(crate::emit::dump::Hole {
            name: "next".into(),
            kind: "continuation".into(),
            width: 4,
            offset: end - 4,
            end,
            signed: true,
        });
    }
    out
}

/// `ASMFORGE_LISTINGS` files of the stencils (`emit/dump.rs`), best variant first.
fn write_listings(c: &Compiled, dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let info = crate::emit::dump::Kernel::of(&c.kernel);
    // `built` is in `STENCILS` order, best first.
    let variants: Vec<(&crate::emit::Variant, String)> = c
        .built
        .iter()
        .enumerate()
        .map(|(i, b)| (&b.listed, format!("STENCILS[{i}]")))
        .collect();
    let holes: Vec<Vec<crate::emit::dump::Hole>> = c
        .built
        .iter()
        .map(|b| hole_list(&c.holes, b, c.chain))
        .collect();
    crate::emit::dump::write_with_holes(dir, &info, &variants, &holes)
}

/// For tests: the stencil item's listings written into `dir`, and its expansion.
#[cfg(test)]
pub(crate) fn listings_for_test(
    attr: TokenStream,
    item: TokenStream,
    dir: &std::path::Path,
) -> syn::Result<(Vec<std::path::PathBuf>, TokenStream)> {
    let func: syn::ItemFn = syn::parse2(item)?;
    let c = build(attr.clone(), &func)?;
    let written = write_listings(&c, dir).map_err(|e| syn::Error::new(Span::call_site(), e))?;
    Ok((written, compile(attr, &func)?))
}

fn build(attr: TokenStream, func: &syn::ItemFn) -> syn::Result<Compiled> {
    let (attr, chain) = split_chain(attr);
    let body = quote::ToTokens::to_token_stream(&func.block);
    let (mut holes, mut errors): (Vec<Hole>, Vec<syn::Error>) = (Vec::new(), Vec::new());
    let body_a = holes::rewrite(body.clone(), Pass::A, &mut holes, &mut errors);
    let body_b = holes::rewrite(body, Pass::B, &mut Vec::new(), &mut Vec::new());
    if let Some(mut e) = errors.pop() {
        for other in errors {
            e.combine(other);
        }
        return Err(e);
    }
    let mut kernel_a = parse::parse_fn(attr.clone(), with_body(func, body_a, chain)?)?;
    let mut kernel_b = parse::parse_fn(attr, with_body(func, body_b, chain)?)?;
    kernel_a.options.rel32_holes = true;
    kernel_b.options.rel32_holes = true;
    let targets = kernel_a
        .options
        .targets
        .clone()
        .unwrap_or_else(|| vec![Variant::baseline()]);
    let fn_span = func.sig.ident.span();
    let mut built = Vec::new();
    for v in targets.iter().rev() {
        let a = expand::compile_variant(&kernel_a, v)?;
        let b = expand::compile_variant(&kernel_b, v)?;
        let lay = layout::locate(&holes, &enc(&a), &enc(&b), chain, fn_span)?;
        let mut code = a.bytes[..lay.keep].to_vec();
        if chain {
            code.extend_from_slice(&[0xE9, 0, 0, 0, 0]);
        }
        let signed = |s: &layout::Site| {
            a.fields
                .iter()
                .any(|f| f.imm.is_some_and(|(o, _)| o == s.offset) && f.imm_signed)
        };
        let sites = lay
            .sites
            .iter()
            .map(|s| {
                (
                    *s,
                    signed(s)
                        || matches!(
                            holes[s.hole].kind,
                            holes::Kind::Disp32 | holes::Kind::Pool { .. } | holes::Kind::Rel32
                        ),
                )
            })
            .collect();
        let mut features: Vec<iced_x86::CpuidFeature> = v
            .allowed
            .iter()
            .flatten()
            .copied()
            .chain(a.features.iter().copied())
            .collect();
        features.retain(|f| !crate::isa::variant::BASELINE.contains(f));
        features.sort_by_key(|f| *f as u32);
        features.dedup();
        let mut listed = a;
        listed.bytes = code.clone();
        listed.code_size = code.len() as u32;
        listed.pool_size = 0;
        listed.lines.retain(|(off, _)| (*off as usize) < code.len());
        built.push(Built {
            name: v.name.clone(),
            code,
            sites,
            features,
            listed: crate::emit::Variant {
                variant: v.clone(),
                encoded: listed,
            },
        });
    }
    Ok(Compiled {
        kernel: kernel_a,
        holes,
        built,
        chain,
    })
}

fn emit_stencil(func: &syn::ItemFn, holes: &[Hole], b: &Built, chain: bool) -> TokenStream {
    let name = format!("{}/{}", func.sig.ident, b.name);
    let bytes = syn::LitByteStr::new(&b.code, Span::call_site());
    let mut hole_tokens: Vec<TokenStream> = b
        .sites
        .iter()
        .map(|(s, signed)| {
            let h = &holes[s.hole];
            let (n, kind, offset, end) = (&h.name, h.kind.tokens(), s.offset, s.end);
            quote!(::asmforge::jit::Hole { name: #n, kind: ::asmforge::jit::HoleKind::#kind, signed: #signed, offset: #offset, end: #end })
        })
        .collect();
    if chain {
        let end = b.code.len() as u32;
        let offset = end - 4;
        hole_tokens.push(quote!(::asmforge::jit::Hole { name: "next", kind: ::asmforge::jit::HoleKind::Continuation, signed: true, offset: #offset, end: #end }));
    }
    let features = b.features.iter().map(|f| {
        let ident = format_ident!("{}", format!("{f:?}"));
        quote!(::asmforge::__private::Feature::#ident)
    });
    let sig = signature(func);
    // SAFETY of the generated `Stencil::new`: the layout comes from the encoder's own offsets.
    quote! {
        unsafe { ::asmforge::jit::Stencil::new(#name, #bytes, &[#(#hole_tokens),*], &[#(#features),*], #sig) }
    }
}

/// `<unsafe extern "sysv64" fn(T..) -> R as JitSig>::SIGNATURE`.
fn signature(func: &syn::ItemFn) -> TokenStream {
    let tys = func.sig.inputs.iter().filter_map(|a| match a {
        syn::FnArg::Typed(p) => Some(&p.ty),
        syn::FnArg::Receiver(_) => None,
    });
    let ret = match &func.sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, t) => quote!(#t),
    };
    let span = func.sig.span();
    quote::quote_spanned!(span=> <unsafe extern "sysv64" fn(#(#tys),*) -> #ret as ::asmforge::jit::JitSig>::SIGNATURE)
}

fn emit_module(func: &syn::ItemFn, stencils: &[(TokenStream, String)]) -> TokenStream {
    let (vis, name) = (&func.vis, &func.sig.ident);
    let doc = format!("Stencils of `{name}`, best variant first (`#[asmforge::stencil]`).");
    let n = stencils.len();
    let bodies = stencils.iter().map(|(t, _)| t);
    let names = stencils.iter().map(|(_, n)| n);
    quote! {
        #[doc = #doc]
        #[allow(non_snake_case, dead_code)]
        #vis mod #name {
            /// The stencils, best variant first.
            pub static STENCILS: [::asmforge::jit::Stencil<'static>; #n] = [#(#bodies),*];
            /// The variant of each stencil.
            pub static VARIANTS: [&str; #n] = [#(#names),*];
            /// The best stencil this CPU can run.
            pub fn best() -> ::core::option::Option<&'static ::asmforge::jit::Stencil<'static>> {
                STENCILS.iter().find(|s| s.features().iter().all(|f| ::asmforge::detect::is_detected(*f)))
            }

            // Read so that cargo recompiles, and the listings are written, when it changes.
            const _: ::core::option::Option<&str> = ::core::option_env!("ASMFORGE_LISTINGS");
        }
    }
}
