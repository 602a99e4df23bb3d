//! `#[asmforge::dispatch(a, b, c)]`: separately written kernels with one signature, grouped
//! into one dispatched function.
//!
//! Takes a bodiless function (`pub fn dot(x: &[f32], y: &[f32]) -> f32;`) and the member
//! kernels, listed least to most capable like `targets(...)`; produces the function, which
//! calls the first variant — in the order best member first, each member's variants best
//! first — that the CPU supports, plus a module of the same name with `Entry`, `INFO` (the
//! group's name and fallback), `MEMBERS` and `DISPATCH`. Members whose signature disagrees
//! with the group's are a type error at the member's name (their `Entry` types differ).

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Token;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;

use crate::{emit, parse};

mod kw {
    syn::custom_keyword!(fallback);
}

struct GroupArgs {
    members: Vec<syn::Path>,
    fallback: Option<syn::Path>,
}

impl Parse for GroupArgs {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let mut members = Vec::new();
        let mut fallback = None;
        let items = Punctuated::<GroupArg, Token![,]>::parse_terminated(input)?;
        for item in items {
            match item {
                GroupArg::Member(p) => members.push(p),
                GroupArg::Fallback(p) => fallback = Some(p),
            }
        }
        if members.is_empty() {
            return Err(input.error("name the member kernels, least to most capable: `#[asmforge::dispatch(dot_sse2, dot_avx2)]`"));
        }
        Ok(GroupArgs { members, fallback })
    }
}

enum GroupArg {
    Member(syn::Path),
    Fallback(syn::Path),
}

impl Parse for GroupArg {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.peek(kw::fallback) && input.peek2(Token![=]) {
            input.parse::<kw::fallback>()?;
            input.parse::<Token![=]>()?;
            return Ok(GroupArg::Fallback(input.parse()?));
        }
        Ok(GroupArg::Member(input.parse()?))
    }
}

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    match group(attr, item.clone()) {
        Ok(tokens) => tokens,
        Err(e) => {
            let err = e.to_compile_error();
            quote!(#err)
        }
    }
}

fn group(attr: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let args: GroupArgs = syn::parse2(attr)?;
    let decl: syn::ForeignItemFn = syn::parse2(item).map_err(|e| {
        syn::Error::new(
            e.span(),
            "write the grouped function without a body: `pub fn dot(x: &[f32], y: &[f32]) -> f32;`",
        )
    })?;
    // Reuse the kernel front end for the signature: the same types are accepted, bound the
    // same way, and split the same way into the `extern "sysv64"` entry's arguments.
    let func = syn::ItemFn {
        attrs: decl.attrs.clone(),
        vis: decl.vis.clone(),
        sig: decl.sig.clone(),
        block: Box::new(syn::parse_quote!({})),
        modifiers: Default::default(),
    };
    let mut kernel = parse::parse_fn(TokenStream::new(), func)?;
    kernel.options.fallback = args.fallback.clone();
    let (abi_tys, call_args) = emit::abi_signature(&kernel);
    let wrapper = emit::wrapper(&kernel, &call_args, None);
    let (fallback_items, fallback_entry) = emit::fallback(&kernel, &abi_tys);
    let name = &decl.sig.ident;
    let vis = &decl.vis;
    let output = &decl.sig.output;
    let kernel_name = name.to_string();
    let best_first: Vec<&syn::Path> = args.members.iter().rev().collect();
    let n = best_first.len();
    let infos = best_first
        .iter()
        .map(|p| quote_spanned!(p.span()=> &#p::INFO));
    // Each parameter carries its member's span, so a type mismatch points at the member.
    let params: Vec<syn::Ident> = best_first
        .iter()
        .enumerate()
        .map(|(i, p)| quote::format_ident!("m{}", i, span = p.span()))
        .collect();
    let param_decls = best_first
        .iter()
        .zip(&params)
        .map(|(p, m)| quote_spanned!(p.span()=> #m: #p::Entry));
    let elems = best_first
        .iter()
        .zip(&params)
        .map(|(p, m)| quote_spanned!(p.span()=> #m));
    Ok(quote! {
        #wrapper

        #fallback_items

        #[doc = concat!("asmforge metadata for the dispatched group `", #kernel_name, "`.")]
        #[allow(non_snake_case, unused_imports)]
        #vis mod #name {
            #[allow(unused_imports)]
            use super::*;

            /// The entry point type every member shares.
            pub type Entry = unsafe extern "sysv64" fn(#(#abi_tys),*) #output;

            /// The group's name and fallback (its variants are its members').
            pub static INFO: ::asmforge::__private::KernelInfo = ::asmforge::__private::KernelInfo {
                name: #kernel_name,
                file: ::core::file!(),
                variants: &[],
                fallback: #fallback_entry,
            };

            /// The member kernels, best first.
            pub static MEMBERS: [&::asmforge::KernelInfo; #n] = [#(#infos),*];

            #[doc(hidden)]
            pub static DISPATCH: ::asmforge::__private::Dispatch =
                ::asmforge::__private::Dispatch::group(&INFO, &MEMBERS);

            /// Compiles only if every member's entry point has the group's type: a member with
            /// another signature is an error at its name.
            #[allow(dead_code)]
            fn __asmforge_same_signature(#(#param_decls),*) -> [Entry; #n] {
                [#(#elems),*]
            }
        }
    })
}
