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
    let func: syn::ItemFn = match parse::body::item_fn(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let err = e.to_compile_error();
            return quote!(#err #item);
        }
    };
    // Custom instructions are fetched first, through a chain of macro calls (`chain.rs`).
    match parse::chain::imports(&func) {
        Ok(imports) if !imports.is_empty() => return parse::chain::start(attr, item, imports),
        Ok(_) => {}
        Err(e) => return emit::stub(&stub_head(&func), e),
    }
    expand_with(attr, func, Vec::new())
}

/// One link of the chain that fetches a kernel's custom instructions; the last one compiles it.
pub fn expand_continue(input: TokenStream) -> TokenStream {
    match parse::chain::step(input) {
        Ok(parse::chain::Step::Next(tokens)) => tokens,
        Ok(parse::chain::Step::Done {
            attr,
            item,
            helpers,
        }) => match parse::body::item_fn(item.clone()) {
            Ok(func) => expand_with(attr, func, helpers),
            Err(e) => {
                let err = e.to_compile_error();
                quote!(#err #item)
            }
        },
        Err(e) => e.to_compile_error(),
    }
}

/// The function's head with an empty body: what the stub keeps on error.
fn stub_head(func: &syn::ItemFn) -> syn::ItemFn {
    syn::ItemFn {
        attrs: func.attrs.clone(),
        vis: func.vis.clone(),
        sig: func.sig.clone(),
        block: Box::new(syn::Block {
            brace_token: func.block.brace_token,
            stmts: Vec::new(),
        }),
        modifiers: func.modifiers.clone(),
    }
}

fn expand_with(
    attr: TokenStream,
    func: syn::ItemFn,
    helpers: Vec<parse::helper::Helper>,
) -> TokenStream {
    // On error only the head is needed (the stub keeps the signature); cloning it instead of
    // the whole body keeps expansion linear and cheap for large kernels.
    let head = stub_head(&func);
    let options: parse::Options = match syn::parse2(attr) {
        Ok(o) => o,
        Err(e) => return emit::stub(&head, e),
    };
    if options.instances.is_empty() {
        let mut head = head;
        parse::instances::substitute_types(&mut head.sig, &options.params);
        return match compile_tokens(options, func, helpers) {
            Ok(tokens) => tokens,
            Err(e) => emit::stub(&head, e),
        };
    }
    // A generalized kernel: one function per instance, from one expansion.
    let mut out = TokenStream::new();
    for inst in &options.instances {
        let opts = parse::instances::options_of(&options, inst);
        let mut f = func.clone();
        f.sig.ident = inst.name.clone();
        let mut head = stub_head(&f);
        parse::instances::substitute_types(&mut head.sig, &opts.params);
        out.extend(match compile_tokens(opts, f, helpers.clone()) {
            Ok(tokens) => tokens,
            Err(e) => emit::stub(&head, e),
        });
    }
    out
}

fn compile_tokens(
    options: parse::Options,
    func: syn::ItemFn,
    helpers: Vec<parse::helper::Helper>,
) -> syn::Result<TokenStream> {
    let mut kernel = parse::from_options(options, func)?;
    kernel.helpers = helpers;
    let compiled = compile_all(&kernel)?;
    Ok(emit::emit(&kernel, &compiled))
}

/// Compiles every variant of a parsed kernel, least to most capable.
fn compile_all(kernel: &parse::Kernel) -> syn::Result<Vec<emit::Variant>> {
    let targets = kernel
        .options
        .targets
        .clone()
        .unwrap_or_else(|| vec![Variant::baseline()]);
    let mut failures: Vec<(String, syn::Error)> = Vec::new();
    let mut compiled = Vec::with_capacity(targets.len());
    for variant in targets.iter() {
        match compile_variant(kernel, variant) {
            Ok(encoded) => compiled.push(emit::Variant {
                variant: variant.clone(),
                encoded,
            }),
            Err(e) => failures.extend(e.into_iter().map(|e| (variant.name.clone(), e))),
        }
    }
    report(failures, targets.len())?;
    Ok(compiled)
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

/// A `syn::Error` (possibly several, combined) as diagnostics, each at its own span.
fn to_diags(e: syn::Error) -> Vec<Diagnostic> {
    e.into_iter()
        .map(|e| Diagnostic {
            message: e.to_string(),
            span: e.span(),
        })
        .collect()
}

/// Compiles `#[kernel(attr)] item` without emitting tokens: the machine code and metadata of
/// every variant.
///
/// # Errors
/// Every diagnostic the macro would report, each with the span of the offending token.
pub fn compile(attr: TokenStream, item: TokenStream) -> Result<Compiled, Vec<Diagnostic>> {
    let func = parse::body::item_fn(item).map_err(to_diags)?;
    let kernel = parse::parse_fn(attr, func).map_err(to_diags)?;
    let compiled = compile_all(&kernel).map_err(to_diags)?;
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

/// Compiles `#[kernel(attr)] item` and writes what `ASMFORGE_LISTINGS` would (listings and
/// JSON, `emit/dump.rs`) into `dir` itself (no crate directory appended).
///
/// # Errors
/// The kernel's diagnostics, or an I/O error as a diagnostic at the call site.
pub fn write_listings(
    attr: TokenStream,
    item: TokenStream,
    dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, Vec<Diagnostic>> {
    let func = parse::body::item_fn(item).map_err(to_diags)?;
    let kernel = parse::parse_fn(attr, func).map_err(to_diags)?;
    let compiled = compile_all(&kernel).map_err(to_diags)?;
    let best_first: Vec<&emit::Variant> = compiled.iter().rev().collect();
    let idents = emit::idents_of(&best_first);
    emit::write_listings(dir, &kernel, &best_first, &idents).map_err(|e| {
        vec![Diagnostic {
            message: format!("cannot write under {}: {e}", dir.display()),
            span: proc_macro2::Span::call_site(),
        }]
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
    // Selection errors are independent per instruction: report them with the evaluation
    // errors of other statements, and with the register-pressure errors of the statements that
    // compiled. Full allocation runs only on a complete program (a statement that failed to
    // evaluate is missing from it, and its absence could look like a read before a write).
    let (program, eval_errors, param_reads) = eval::eval_partial(kernel, variant);
    // The frame stage owns the frame-pointer decision and takes it once, here, from the
    // locals the body uses: allocation reserves rbp by it, the frame lays out by it.
    let frame_pointer = frame::FramePointer::of(&program);
    let (selected, select_errors) = select::select_partial(program, variant);
    let env = regalloc::MachineEnv::for_abi(abi)
        .reserving(frame_pointer.reserved())
        .with_params(regalloc::MachineEnv::param_registers(&kernel.args));
    let errors = match (eval_errors, select_errors) {
        (None, None) => None,
        (Some(e), None) | (None, Some(e)) => Some(e),
        (Some(mut e), Some(s)) => {
            // A token evaluation already reported (an unknown name taken for a label) is not
            // reported again by selection.
            let at = |e: &syn::Error| (e.span().start().line, e.span().start().column);
            let reported: Vec<_> = e.clone().into_iter().map(|e| at(&e)).collect();
            for s in s.into_iter().filter(|s| !reported.contains(&at(s))) {
                e.combine(s);
            }
            Some(e)
        }
    };
    if let Some(mut e) = errors {
        // The statements that did compile: their stores and their register pressure are
        // checked now, not in the next round.
        for more in [
            eval::provenance::check_stores(&selected),
            regalloc::pressure_errors(&selected, &env, variant),
        ] {
            if let Err(m) = more {
                e.combine(m);
            }
        }
        return Err(e);
    }
    eval::provenance::check_stores(&selected)?;
    eval::provenance::check_param_clobbers(kernel, &selected, &param_reads)?;
    let allocated = regalloc::allocate(selected, &env, variant)?;
    transitions::check_sse_avx(&allocated)?;
    let framed = frame::lay_out_frame(allocated, abi, frame_pointer)?;
    encode::encode(framed)
}
