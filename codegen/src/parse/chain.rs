//! How a kernel reaches the custom instructions it imports.
//!
//! A kernel names its helpers with ordinary `use` items at the top of its body:
//! `use crate::helpers::{muladd, reduce_sum as rsum};`. A proc macro cannot read those
//! items, so the expansion is a chain of macro calls, each helper contributing its tokens:
//!
//! ```text
//! #[kernel(attr)] fn k { use a::h1; use b::h2; .. }
//!   --kernel-->   a::h1! { [attr] [h1 = a::h1; h2 = b::h2;] [] fn k .. }
//!   --h1 (macro_rules from #[instruction])--> kernel_continue! { {fn h1 ..} [attr] [..] [] fn k .. }
//!   --kernel_continue-->  b::h2! { [attr] [h2 = b::h2;] [h1 = {fn h1 ..}] fn k .. }
//!   --h2--> kernel_continue! { {fn h2 ..} [attr] [h2 = b::h2;] [h1 = {..}] fn k .. }
//!   --kernel_continue-->  the kernel, compiled with both helpers
//! ```
//!
//! Paths resolve where the kernel is, as Rust resolves the `use`: in the module, from other
//! modules of the crate, or from another crate (a `pub` helper is `#[macro_export]`ed).
//! Takes the kernel's tokens; guarantees every state token is the author's own, so errors
//! keep their spans (a helper's tokens point into the helper's source).

use proc_macro2::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::{Ident, Token};

use super::helper::{Helper, parse_helper};

/// The imports of a kernel body: local name and macro path, in order.
pub fn imports(func: &syn::ItemFn) -> syn::Result<Vec<(Ident, syn::Path)>> {
    let mut out = Vec::new();
    for stmt in &func.block.stmts {
        if let syn::Stmt::Item(syn::Item::Use(u)) = stmt {
            let mut prefix = syn::Path {
                leading_colon: u.leading_colon,
                segments: Default::default(),
            };
            flatten(&u.tree, &mut prefix, &mut out)?;
        }
    }
    Ok(out)
}

fn flatten(
    tree: &syn::UseTree,
    prefix: &mut syn::Path,
    out: &mut Vec<(Ident, syn::Path)>,
) -> syn::Result<()> {
    let with = |prefix: &syn::Path, ident: &Ident| {
        let mut p = prefix.clone();
        p.segments.push(ident.clone().into());
        p
    };
    match tree {
        syn::UseTree::Path(p) => {
            let mut inner = with(prefix, &p.ident);
            flatten(&p.tree, &mut inner, out)
        }
        syn::UseTree::Name(n) if n.ident == "self" => Err(syn::Error::new(
            n.ident.span(),
            "import custom instructions by name (`use helpers::muladd;`)",
        )),
        syn::UseTree::Name(n) => {
            out.push((n.ident.clone(), with(prefix, &n.ident)));
            Ok(())
        }
        syn::UseTree::Rename(r) => {
            out.push((r.rename.clone(), with(prefix, &r.ident)));
            Ok(())
        }
        syn::UseTree::Glob(g) => Err(syn::Error::new(
            g.star_token.span(),
            "a kernel imports custom instructions by name (`use helpers::{muladd, reduce_sum};`): a macro cannot list a module's items",
        )),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten(t, prefix, out)?;
            }
            Ok(())
        }
    }
}

/// The state handed from one helper to the next.
pub struct Chain {
    pub attr: TokenStream,
    /// Helpers still to fetch; the first is the one whose macro is expanding.
    pub pending: Vec<(Ident, syn::Path)>,
    /// Helpers fetched so far: local name and the function's tokens.
    pub fetched: Vec<(Ident, TokenStream)>,
    pub item: TokenStream,
}

/// The first link: call the first import's macro. `imports` is not empty.
pub fn start(
    attr: TokenStream,
    item: TokenStream,
    imports: Vec<(Ident, syn::Path)>,
) -> TokenStream {
    next(&Chain {
        attr,
        pending: imports,
        fetched: Vec::new(),
        item,
    })
}

/// The call of the first pending helper's macro, carrying the state.
fn next(chain: &Chain) -> TokenStream {
    let Some((_, path)) = chain.pending.first() else {
        return TokenStream::new();
    };
    let attr = &chain.attr;
    let pending = chain.pending.iter().map(|(n, p)| quote!(#n = #p;));
    let fetched = chain.fetched.iter().map(|(n, t)| quote!(#n = { #t }));
    let item = &chain.item;
    quote! {
        #path! { [#attr] [#(#pending)*] [#(#fetched)*] #item }
    }
}

/// What a `kernel_continue!` call leads to.
pub enum Step {
    /// Fetch the next helper.
    Next(TokenStream),
    /// Every helper is here: compile the kernel.
    Done {
        attr: TokenStream,
        item: TokenStream,
        helpers: Vec<Helper>,
    },
}

/// One link: `{ fn helper .. } <state>`.
pub fn step(input: TokenStream) -> syn::Result<Step> {
    let Continue { helper, mut chain } = syn::parse2(input)?;
    if chain.pending.is_empty() {
        return Err(syn::Error::new_spanned(
            helper,
            "asmforge internal error: a custom instruction arrived that no kernel asked for",
        ));
    }
    let (name, _) = chain.pending.remove(0);
    chain.fetched.push((name, helper));
    if !chain.pending.is_empty() {
        return Ok(Step::Next(next(&chain)));
    }
    let mut helpers = Vec::with_capacity(chain.fetched.len());
    let mut errors = crate::diag::Errors::new();
    for (name, tokens) in &chain.fetched {
        match super::body::item_fn(tokens.clone()).and_then(|f| parse_helper(name.to_string(), &f))
        {
            Ok(h) => helpers.push(h),
            Err(e) => errors.push_err(e),
        }
    }
    errors.finish()?;
    Ok(Step::Done {
        attr: chain.attr,
        item: chain.item,
        helpers,
    })
}

struct Continue {
    helper: TokenStream,
    chain: Chain,
}

impl Parse for Continue {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let content;
        syn::braced!(content in input);
        let helper: TokenStream = content.parse()?;
        let attr;
        syn::bracketed!(attr in input);
        let attr: TokenStream = attr.parse()?;
        let pending_tokens;
        syn::bracketed!(pending_tokens in input);
        let mut pending = Vec::new();
        while !pending_tokens.is_empty() {
            let name: Ident = pending_tokens.parse()?;
            pending_tokens.parse::<Token![=]>()?;
            let path: syn::Path = pending_tokens.parse()?;
            pending_tokens.parse::<Token![;]>()?;
            pending.push((name, path));
        }
        let fetched_tokens;
        syn::bracketed!(fetched_tokens in input);
        let mut fetched = Vec::new();
        while !fetched_tokens.is_empty() {
            let name: Ident = fetched_tokens.parse()?;
            fetched_tokens.parse::<Token![=]>()?;
            let body;
            syn::braced!(body in fetched_tokens);
            fetched.push((name, body.parse()?));
        }
        Ok(Continue {
            helper,
            chain: Chain {
                attr,
                pending,
                fetched,
                item: input.parse()?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_flatten_groups_and_renames() {
        let f: syn::ItemFn = syn::parse2(quote!(
            fn k() {
                use crate::h::{muladd, sum::reduce as rsum};
                use ::lib::haddpd;
                nop();
            }
        ))
        .unwrap();
        let got: Vec<String> = imports(&f)
            .unwrap()
            .iter()
            .map(|(n, p)| format!("{n} = {}", quote!(#p)))
            .collect();
        assert_eq!(
            got,
            [
                "muladd = crate :: h :: muladd",
                "rsum = crate :: h :: sum :: reduce",
                "haddpd = :: lib :: haddpd"
            ]
        );
        let glob: syn::ItemFn = syn::parse2(quote!(
            fn k() {
                use h::*;
            }
        ))
        .unwrap();
        assert!(imports(&glob).is_err());
    }

    #[test]
    fn the_chain_visits_every_import_then_compiles() {
        let f: syn::ItemFn = syn::parse2(quote!(
            fn k() {
                use a::h1;
                use b::h2 as two;
            }
        ))
        .unwrap();
        let first = start(quote!(targets(sse2)), quote!(#f), imports(&f).unwrap());
        let s = first.to_string();
        assert!(s.starts_with("a :: h1 !"), "{s}");
        // What h1's macro expands to.
        let (_, state) = s.split_once('!').unwrap();
        let state: TokenStream = state.parse().unwrap();
        let inner = match state.into_iter().next() {
            Some(proc_macro2::TokenTree::Group(g)) => g.stream(),
            other => panic!("{other:?}"),
        };
        let Step::Next(second) = step(quote!({ fn h1(a: Reg) { inc(a); } } #inner)).unwrap() else {
            panic!("expected another link");
        };
        let s = second.to_string();
        assert!(s.starts_with("b :: h2 !"), "{s}");
        let (_, state) = s.split_once('!').unwrap();
        let state: TokenStream = state.parse().unwrap();
        let inner = match state.into_iter().next() {
            Some(proc_macro2::TokenTree::Group(g)) => g.stream(),
            other => panic!("{other:?}"),
        };
        let Step::Done { helpers, attr, .. } =
            step(quote!({ fn h2(x: Vec, y: Operand) { addps(x, y); } } #inner)).unwrap()
        else {
            panic!("expected the end of the chain");
        };
        let names: Vec<_> = helpers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["h1", "two"]);
        assert_eq!(attr.to_string(), "targets (sse2)");
    }
}
