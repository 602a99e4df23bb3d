//! The pipeline, top to bottom. This is the one place that knows the order of the stages:
//!
//! ```text
//! tokens --parse--> Kernel (signature, ABI registers, params)
//!        --eval---> Program (instructions after unrolling; labels; constants)
//!        --select-> Selected (each instruction bound to one iced Code, validated)
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

use crate::{ast, emit, encode, eval, frame, regalloc, select};

pub fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = e.to_compile_error();
            return quote!(#err #item);
        }
    };
    match compile(attr, func.clone()) {
        Ok(tokens) => tokens,
        Err(e) => emit::stub(&func, e),
    }
}

/// The name of the single variant until multiversioning lands.
const BASELINE: &str = "baseline";

fn compile(attr: TokenStream, func: syn::ItemFn) -> syn::Result<TokenStream> {
    let kernel = ast::parse_fn(attr, func)?;
    let encoded = compile_variant(&kernel)?;
    let variants = [emit::Variant {
        name: BASELINE.to_owned(),
        encoded,
    }];
    Ok(emit::emit(&kernel, &variants))
}

/// Runs eval through encode for one variant of a parsed kernel.
pub(crate) fn compile_variant(kernel: &ast::Kernel) -> syn::Result<encode::Encoded> {
    let program = eval::eval(kernel)?;
    let selected = select::select(program)?;
    let allocated = regalloc::allocate(selected, &regalloc::MachineEnv::sysv())?;
    let framed = frame::lay_out_frame(allocated)?;
    encode::encode(framed)
}
