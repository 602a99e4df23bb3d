//! The `#[asmforge::kernel]` and `#[asmforge::dispatch]` attributes.
//!
//! A thin shim: a proc-macro crate can only export macros, so the compiler lives in
//! `asmforge-codegen`, an ordinary library that the fuzz target, the encoding sweep and any
//! tool call directly. Users depend on the `asmforge` facade, which re-exports these
//! attributes and documents the DSL.

mod context;

use proc_macro::{Delimiter, Group, Span, TokenStream, TokenTree};

/// Compiles the body of a function, written as x86-64 assembly in Rust syntax, into machine
/// code placed in the binary; the function calls it. See the `asmforge` crate for the DSL.
#[proc_macro_attribute]
pub fn kernel(attr: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(error) = misplaced(&attr, &item, "kernel") {
        return error;
    }
    asmforge_codegen::expand_kernel(attr.into(), item.into()).into()
}

/// A kernel or stencil inside an `impl` or `trait` block (see `context.rs`): one error at the
/// function's name, and the function with an unreachable body so that its callers add none;
/// `None` elsewhere.
fn misplaced(attr: &TokenStream, item: &TokenStream, what: &str) -> Option<TokenStream> {
    let site = Span::call_site();
    let file = site.local_file()?;
    let source = std::fs::read_to_string(file).ok()?;
    let block = context::container(&source, site.line(), site.column())?;
    let mut trees: Vec<TokenTree> = item.clone().into_iter().collect();
    let name = trees.windows(2).find_map(|w| match (&w[0], &w[1]) {
        (TokenTree::Ident(f), TokenTree::Ident(n)) if f.to_string() == "fn" => Some(n.clone()),
        _ => None,
    })?;
    let message = format!(
        "a {what} is a free function: it cannot be inside an `{block}` block, because it comes with a module of its own name (`{name}::INFO`, `{name}::call`) that an `{block}` cannot hold; move `{name}` out of the `{block}` (to the module around it) and call it from there",
    );
    let error: TokenStream = format!("::core::compile_error!({message:?});")
        .parse()
        .ok()?;
    let mut out = respan(error, name.span());
    // The function, body replaced, unless its signature may name kernel parameters
    // (`params(T = f32)`, `instances(..)`) that only the expansion substitutes.
    let generic = attr.clone().into_iter().any(
        |t| matches!(&t, TokenTree::Ident(i) if ["params", "instances"].contains(&i.to_string().as_str())),
    );
    if let Some(TokenTree::Group(body)) = trees.last()
        && body.delimiter() == Delimiter::Brace
        && !generic
    {
        let unreachable: TokenStream = "::core::unreachable!()".parse().ok()?;
        let mut stub = Group::new(Delimiter::Brace, unreachable);
        stub.set_span(body.span());
        let last = trees.len() - 1;
        trees[last] = TokenTree::Group(stub);
        out.extend("#[allow(unused_variables)]".parse::<TokenStream>().ok()?);
        out.extend(trees);
    }
    Some(out)
}

/// `tokens` with every span (inside groups too) set to `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Group(g) => {
                let mut n = Group::new(g.delimiter(), respan(g.stream(), span));
                n.set_span(span);
                TokenTree::Group(n)
            }
            mut other => {
                other.set_span(span);
                other
            }
        })
        .collect()
}

/// Groups separately written kernels with one signature into one dispatched function:
/// `#[asmforge::dispatch(dot_sse2, dot_avx2, fallback = dot_rust)] pub fn dot(x: &[f32], y:
/// &[f32]) -> f32;` — members listed least to most capable. See the `asmforge` crate.
#[proc_macro_attribute]
pub fn dispatch(attr: TokenStream, item: TokenStream) -> TokenStream {
    asmforge_codegen::expand_dispatch(attr.into(), item.into()).into()
}

/// Makes a function whose body is kernel DSL a custom instruction: kernels import it with
/// `use path::name;` at the top of their body and call it like an instruction. See the
/// `asmforge` crate.
#[proc_macro_attribute]
pub fn instruction(attr: TokenStream, item: TokenStream) -> TokenStream {
    asmforge_codegen::expand_instruction(attr.into(), item.into()).into()
}

/// One step of a kernel's expansion that fetches its custom instructions (generated code
/// only).
#[doc(hidden)]
#[proc_macro]
pub fn kernel_continue(input: TokenStream) -> TokenStream {
    asmforge_codegen::expand_kernel_continue(input.into()).into()
}

/// A copy-and-patch stencil: a kernel body with named holes (`hole!(imm64 c)`), compiled into
/// `mod name { STENCILS, VARIANTS, best() }` with each hole's exact byte offset. See the
/// `asmforge` crate's `jit` module.
#[proc_macro_attribute]
pub fn stencil(attr: TokenStream, item: TokenStream) -> TokenStream {
    if let Some(error) = misplaced(&attr, &item, "stencil") {
        return error;
    }
    asmforge_codegen::expand_stencil(attr.into(), item.into()).into()
}
