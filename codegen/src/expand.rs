//! The pipeline, top to bottom. This is the one place that knows the order of the stages:
//!
//! ```text
//! tokens --parse--> Kernel (signature, ABI registers, params, targets)
//!   for each variant (targets(...), or one baseline variant):
//!        --eval-----> Program   Item<Reg>: instructions after unrolling; labels; constants;
//!                               registers physical or virtual (`ir::Reg`)
//!        (frame::FramePointer::of(&Program): rbp is the frame pointer or not — decided
//!         once, by the frame stage, from the locals the body uses)
//!        --select---> Selected  SItem<Reg>: each instruction bound to one iced `Code`
//!                               (`isa::choose`), validated
//!        --regalloc-> Allocated SItem<Register>: iced physical registers only, by type;
//!                               forms re-bound (`isa::choose`); rbp reserved if the frame
//!                               pointer lives there (MachineEnv::reserving)
//!        (transitions: no legacy SSE while ymm/zmm upper halves may be dirty; reads
//!         Allocated over the same `cfg::Cfg` allocation's liveness uses)
//!        --frame----> Framed    FItem: prologue/epilogue (bound by `isa::choose`), stack
//!                               slots resolved, returns lowered, CFI directives
//!        --encode---> Encoded   bytes, offsets, pool, used CPU features, unwind offsets
//!        --emit-----> tokens    one naked function per variant (bytes + unwind directives
//!                               per object format), KernelInfo, dispatching wrapper
//! ```
//!
//! Every arrow is a function of the stage named on it; no stage calls another. What two
//! stages both need is a query below them: `isa` (forms, `choose`, instruction building,
//! registers, variants, ABIs), `ir` (the values above), `cfg` (the control-flow graph),
//! `diag` (errors). `tests/modules.rs` fails on an import cycle between these modules.
//!
//! Errors: a function that does not parse is returned as written plus the error; any later
//! error yields the function with its signature and an unreachable body, plus every error
//! collected, so callers see no cascade.

use proc_macro2::TokenStream;
use quote::quote;

use crate::diag::Errors;
use crate::isa::variant::Variant;
use crate::{emit, encode, eval, frame, parse, regalloc, regalloc::transitions, select};

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
    match compile_tokens(attr, func) {
        Ok(tokens) => tokens,
        Err(e) => emit::stub(&head, e),
    }
}

fn compile_tokens(attr: TokenStream, func: syn::ItemFn) -> syn::Result<TokenStream> {
    let (kernel, compiled) = compile_all(attr, func)?;
    Ok(emit::emit(&kernel, &compiled))
}

/// Parses the kernel and compiles every variant, least to most capable.
fn compile_all(
    attr: TokenStream,
    func: syn::ItemFn,
) -> syn::Result<(parse::Kernel, Vec<emit::Variant>)> {
    let kernel = parse::parse_fn(attr, func)?;
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
    Ok((kernel, compiled))
}

/// One compiled kernel, as [`compile`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compiled {
    /// The function's name.
    pub name: String,
    /// Every variant, best first (the order dispatch tries them in).
    pub variants: Vec<CompiledVariant>,
}

/// One variant of a compiled kernel: position-independent code followed by its constant pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledVariant {
    /// The variant's name as written in `targets(...)` (`avx2+fma`), or `baseline`.
    pub name: String,
    /// Code, padding, then the constant pool; runs at any 64-byte-aligned address.
    pub bytes: Vec<u8>,
    /// Bytes of code (the pool starts at or after this offset).
    pub code_size: u32,
    /// Bytes of constant pool.
    pub pool_size: u32,
    /// CPU features the selected instruction forms require (iced-x86 names, lower case).
    pub features_used: Vec<String>,
    /// `(code offset, source line)` for every instruction.
    pub lines: Vec<(u32, u32)>,
}

/// A user error: its message and the span of the token that caused it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// What went wrong and what to do.
    pub message: String,
    /// Where, in the input tokens.
    pub span: proc_macro2::Span,
}

/// Compiles `#[kernel(attr)] item` without emitting tokens: the machine code and metadata of
/// every variant.
///
/// # Errors
/// Every diagnostic the macro would report, each with the span of the offending token.
pub fn compile(attr: TokenStream, item: TokenStream) -> Result<Compiled, Vec<Diagnostic>> {
    let to_diags = |e: syn::Error| {
        e.into_iter()
            .map(|e| Diagnostic {
                message: e.to_string(),
                span: e.span(),
            })
            .collect::<Vec<_>>()
    };
    let func: syn::ItemFn = syn::parse2(item).map_err(to_diags)?;
    let (kernel, compiled) = compile_all(attr, func).map_err(to_diags)?;
    Ok(Compiled {
        name: kernel.func.sig.ident.to_string(),
        variants: compiled
            .iter()
            .rev()
            .map(|v| CompiledVariant {
                name: v.variant.name.clone(),
                bytes: v.encoded.bytes.clone(),
                code_size: v.encoded.code_size,
                pool_size: v.encoded.pool_size,
                features_used: v
                    .encoded
                    .features
                    .iter()
                    .map(|f| format!("{f:?}").to_lowercase())
                    .collect(),
                lines: v.encoded.lines.clone(),
            })
            .collect(),
    })
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
    kernel: &parse::Kernel,
    variant: &Variant,
) -> syn::Result<encode::Encoded> {
    let abi = kernel.options.abi;
    let program = eval::eval(kernel, variant)?;
    // The frame stage owns the frame-pointer decision and takes it once, here, from the
    // locals the body uses: allocation reserves rbp by it, the frame lays out by it.
    let frame_pointer = frame::FramePointer::of(&program);
    let selected = select::select(program, variant)?;
    let env = regalloc::MachineEnv::for_abi(abi).reserving(frame_pointer.reserved());
    let allocated = regalloc::allocate(selected, &env, variant)?;
    transitions::check_sse_avx(&allocated)?;
    let framed = frame::lay_out_frame(allocated, abi, frame_pointer)?;
    encode::encode(framed)
}
