//! The pipeline, top to bottom. This is the one place that knows the order of the stages:
//!
//! ```text
//! tokens --parse--> Kernel (signature, ABI registers, params, targets)
//!   for each variant (targets(...), or one baseline variant):
//!        --eval---> Program (instructions after unrolling; labels; constants)
//!        --select-> Selected (each instruction bound to one iced Code, validated)
//!        --regalloc> Selected (virtual registers bound to physical ones; checked)
//!        (transitions: no legacy SSE while ymm/zmm upper halves may be dirty)
//!        --frame--> Framed (prologue/epilogue, returns lowered)
//!        --encode-> Encoded (bytes, offsets, pool, used CPU features)
//!        --emit---> tokens (global_asm!, extern decl, KernelInfo, dispatching wrapper)
//! ```
//!
//! Errors: a function that does not parse is returned as written plus the error; any later
//! error yields the function with its signature and an unreachable body, plus every error
//! collected, so callers see no cascade.

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Errors;
use crate::variant::Variant;
use crate::{ast, emit, encode, eval, frame, regalloc, select, transitions};

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = e.to_compile_error();
            return quote!(#err #item);
        }
    };
    // On error only the head is needed (the stub keeps the signature); cloning it instead of
    // the whole body keeps expansion linear and cheap for large kernels.
    let head = syn::ItemFn {
        attrs: func.attrs.clone(),
        vis: func.vis.clone(),
        sig: func.sig.clone(),
        block: Box::new(syn::Block {
            brace_token: func.block.brace_token,
            stmts: Vec::new(),
        }),
        modifiers: func.modifiers.clone(),
    };
    match compile(attr, func) {
        Ok(tokens) => tokens,
        Err(e) => emit::stub(&head, e),
    }
}

fn compile(attr: TokenStream, func: syn::ItemFn) -> syn::Result<TokenStream> {
    let kernel = ast::parse_fn(attr, func)?;
    let targets = kernel
        .options
        .targets
        .clone()
        .unwrap_or_else(|| vec![Variant::baseline()]);
    let mut failures: Vec<(String, syn::Error)> = Vec::new();
    let mut compiled = Vec::with_capacity(targets.len());
    for variant in targets.iter() {
        match compile_variant(&kernel, variant) {
            Ok(encoded) => compiled.push(emit::Variant {
                variant: variant.clone(),
                encoded,
            }),
            Err(e) => failures.extend(e.into_iter().map(|e| (variant.name.clone(), e))),
        }
    }
    report(failures, targets.len())?;
    Ok(emit::emit(&kernel, &compiled))
}

/// One body, several variants: an error every variant makes is reported once; one that only
/// some variants make names them.
fn report(failures: Vec<(String, syn::Error)>, variants: usize) -> syn::Result<()> {
    let mut errors = Errors::new();
    let key = |e: &syn::Error| {
        let at = e.span().start();
        (at.line, at.column, e.to_string())
    };
    let mut done: Vec<(usize, usize, String)> = Vec::new();
    for (_, e) in &failures {
        let k = key(e);
        if done.contains(&k) {
            continue;
        }
        let in_variants: Vec<&str> = failures
            .iter()
            .filter(|(_, f)| key(f) == k)
            .map(|(n, _)| n.as_str())
            .collect();
        done.push(k);
        if in_variants.len() == variants || variants == 1 || e.to_string().contains("variant `") {
            errors.push_err(e.clone());
        } else {
            errors.push(
                e.span(),
                format!(
                    "{e} (in variant {})",
                    in_variants
                        .iter()
                        .map(|n| format!("`{n}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    }
    errors.finish()
}

/// Runs eval through encode for one variant of a parsed kernel.
pub(crate) fn compile_variant(
    kernel: &ast::Kernel,
    variant: &Variant,
) -> syn::Result<encode::Encoded> {
    let program = eval::eval(kernel, variant)?;
    let selected = select::select(program, variant)?;
    let abi = kernel.options.abi;
    let allocated = regalloc::allocate(selected, &regalloc::MachineEnv::for_abi(abi))?;
    transitions::check_sse_avx(&allocated)?;
    let framed = frame::lay_out_frame(allocated, abi)?;
    encode::encode(framed)
}
