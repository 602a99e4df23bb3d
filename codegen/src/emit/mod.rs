//! Stage 6, **emit**: the tokens that put the code in the binary and call it.
//!
//! Takes the encoded blob; produces, for the kernel `name`:
//!
//! * the function `name` with the author's attributes, visibility and signature, whose body
//!   calls through `name::DISPATCH` (one atomic load, one indirect call);
//! * a module `name` (type namespace, so it coexists with the function) holding, per variant,
//!   a naked function `__asmforge_<variant>` (`#[unsafe(naked)] pub(super) unsafe extern
//!   "sysv64"`, or `extern "win64"` for `abi = "win64"`) whose body is one `naked_asm!` per
//!   object format: `.p2align 6`, then the bytes as `.byte` lines with the unwind directives
//!   between them — DWARF CFI on ELF and Mach-O, Windows x64 unwind codes (`.seh_*`) on COFF
//!   (`frame/cfi.rs`); the `static INFO` (`KernelInfo`) and `static DISPATCH`.
//!
//! Symbols: rustc names, places and mangles each naked function like any Rust function
//! (its own section `.text.<mangled>` where function sections are on, `.globl`/`.hidden`,
//! `.type @function`, `.size`; the COFF `.def`; Mach-O `__TEXT,__text`). So the symbol is
//! unique per module — one kernel stamped by a `macro_rules!` into two modules gives two
//! functions — and as reproducible as Rust's own symbols (the mangling hash covers the crate's
//! `-C metadata`, which cargo computes without absolute paths); it demangles to
//! `crate::path::kernel::__asmforge_avx2`, what `VariantInfo::symbol` records
//! (`concat!(module_path!(), "::__asmforge_avx2")`). Nothing in the expansion depends on where
//! the source file lives. (Before, `global_asm!` symbols hashed the source file's path, which
//! rustc gives absolute for dependencies, and a kernel stamped twice collided at link time.)
//!
//! Alignment: the encoder assumes the blob starts 64-aligned (the constant pool's alignment
//! is relative to it). rustc writes the function's label, then our `.p2align 6`: with function
//! sections (rustc's default) the label is at offset 0 of its own section, so the directive
//! adds no padding and raises the section's alignment to 64; without them (Mach-O's
//! `__text`, `-Z function-sections=no`) the assembler pads with NOPs between the label and
//! the code: the code, and the pool after it, still start 64-aligned (the pool is addressed
//! RIP-relative from the code), and a call to the label runs through the NOPs into it. There
//! `INFO`'s entry (the label) is not the first byte of `bytes` and the symbol's size includes
//! the padding. tests/examples.rs checks the first case at run time, tests/link.rs the second
//! in a Mach-O object. ELF and Mach-O share the code and its directives: rustc writes what
//! differs; on ELF the text also defines the label `7:` at the first code byte and ends with
//! the variant's DWARF line information (`debug.rs`), so that copy is a `naked_asm!` of its own.
//!
//! With `ASMFORGE_LISTINGS` set, `emit` also writes the kernel's listings and JSON (`dump.rs`).

mod debug;
pub mod dump;
pub mod group;

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};

use crate::encode::Encoded;
use crate::parse::{Kernel, ValType};

/// Everything emit needs about one compiled variant.
pub struct Variant {
    pub variant: crate::isa::variant::Variant,
    pub encoded: Encoded,
}

pub fn emit(kernel: &Kernel, variants: &[Variant]) -> TokenStream {
    let func = &kernel.func;
    let name = &func.sig.ident;
    let vis = &func.vis;
    let (abi_tys, call_args) = abi_signature(kernel);
    let output = &func.sig.output;
    // Variants are written least to most capable; metadata and dispatch want the best first.
    let best_first: Vec<&Variant> = variants.iter().rev().collect();
    let idents = variant_idents(best_first.iter().map(|v| v.variant.name.as_str()));
    let direct = best_first
        .first()
        .zip(idents.first())
        .and_then(|(v, ident)| Some((direct_cfg(v)?, ident.clone())));
    let wrapper = wrapper(kernel, &call_args, direct.as_ref());
    let abi = kernel.options.abi.rust_name();
    let mut naked = Vec::new();
    let mut infos = Vec::new();
    for (v, ident) in best_first.iter().zip(&idents) {
        naked.push(naked_fn(kernel, ident, &abi_tys, &v.encoded));
        infos.push(variant_info(v, ident, kernel.options.abi));
    }
    let listings = listings(kernel, &best_first, &idents);
    let (fallback_items, fallback_entry) = fallback(kernel, &abi_tys);
    let checked_call = checked_call(kernel, &call_args);
    let kernel_name = name.to_string();
    let doc = format!(
        "asmforge metadata for the kernel [`{kernel_name}`](fn@{kernel_name}): `INFO` describes its compiled variants; `call` runs one of them."
    );
    quote! {
        #wrapper

        #fallback_items

        #[doc = #doc]
        #[allow(non_snake_case, unused_imports)]
        #vis mod #name {
            #[allow(unused_imports)]
            use super::*;
            #(#naked)*

            /// The entry point type of every variant (slices arrive as pointer and length).
            pub type Entry = unsafe extern #abi fn(#(#abi_tys),*) #output;

            /// Variants (best first), symbols, bytes and features of this kernel.
            pub static INFO: ::asmforge::__private::KernelInfo = ::asmforge::__private::KernelInfo {
                name: #kernel_name,
                file: ::core::file!(),
                variants: &[#(#infos),*],
                fallback: #fallback_entry,
            };

            #[doc(hidden)]
            pub static DISPATCH: ::asmforge::__private::Dispatch = ::asmforge::__private::Dispatch::new(&INFO);

            #checked_call

            // Read so that rustc records the variable in the crate's dependency information:
            // cargo then recompiles the crate, and the files are written, when it changes.
            const _: ::core::option::Option<&str> = ::core::option_env!("ASMFORGE_LISTINGS");
        }

        #listings
    }
}

/// With `ASMFORGE_LISTINGS` set: writes the kernel's listings and JSON (`dump.rs`); an I/O
/// error is a compile error, since the author asked for the files.
fn listings(kernel: &Kernel, best_first: &[&Variant], idents: &[syn::Ident]) -> TokenStream {
    let Some(dir) = dump::requested() else {
        return TokenStream::new();
    };
    match write_listings(&dir, kernel, best_first, idents) {
        Ok(_) => TokenStream::new(),
        Err(e) => {
            let msg = format!(
                "asmforge: {}: cannot write the listings of `{}` under {}: {e}",
                dump::VAR,
                kernel.func.sig.ident,
                dir.display()
            );
            quote_spanned!(kernel.func.sig.ident.span()=> ::core::compile_error!(#msg);)
        }
    }
}

/// Writes the files of `dump.rs` for compiled variants (best first) into `dir`.
pub(crate) fn write_listings(
    dir: &std::path::Path,
    kernel: &Kernel,
    best_first: &[&Variant],
    idents: &[syn::Ident],
) -> std::io::Result<Vec<std::path::PathBuf>> {
    let fn_span = kernel.func.sig.fn_token.span;
    let info = dump::Kernel {
        name: kernel.func.sig.ident.to_string(),
        file: fn_span.file(),
        line: fn_span.start().line,
        abi: kernel.options.abi.rust_name(),
        source: fn_span
            .local_file()
            .and_then(|p| std::fs::read_to_string(p).ok()),
    };
    let variants: Vec<(&Variant, String)> = best_first
        .iter()
        .zip(idents)
        .map(|(v, i)| (*v, i.to_string()))
        .collect();
    dump::write(dir, &info, &variants)
}

/// `__asmforge_<variant>` names of variants given best first.
pub(crate) fn idents_of(best_first: &[&Variant]) -> Vec<syn::Ident> {
    variant_idents(best_first.iter().map(|v| v.variant.name.as_str()))
}

/// Required features of a variant beyond the x86-64 baseline: its declared closure and what
/// its instructions use.
fn required(v: &Variant) -> Vec<iced_x86::CpuidFeature> {
    let mut all: Vec<iced_x86::CpuidFeature> = v
        .variant
        .allowed
        .iter()
        .flatten()
        .copied()
        .chain(v.encoded.features.iter().copied())
        .collect();
    all.retain(|f| !crate::isa::variant::BASELINE.contains(f));
    all.sort_by_key(|f| *f as u32);
    all.dedup();
    all
}

/// `all(target_feature = "avx2", ...)` when every required feature has a rustc name: then a
/// crate compiled with those features calls the variant directly, without detection.
fn direct_cfg(v: &Variant) -> Option<TokenStream> {
    let names: Option<Vec<&str>> = required(v)
        .into_iter()
        .map(crate::isa::variant::rustc_name)
        .collect();
    let names = names?;
    Some(quote!(all(#(target_feature = #names),*)))
}

/// `call(variant, args...)`: runs one variant by its metadata, refusing (with the missing
/// features) one the CPU cannot run.
fn checked_call(kernel: &Kernel, call_args: &[TokenStream]) -> TokenStream {
    let sig = &kernel.func.sig;
    let unsafety = &sig.safety;
    let generics = &sig.generics;
    let inputs = &sig.inputs;
    let ret = match &sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, t) => quote!(#t),
    };
    quote! {
        /// Calls a variant of this kernel (the first argument, one of `INFO.variants`) with
        /// the kernel's arguments.
        ///
        /// # Errors
        ///
        /// The features the variant needs that this CPU lacks (or an ISA cap masks); then
        /// nothing runs.
        // One argument more than the kernel: a lint the author could not act on.
        #[allow(clippy::missing_safety_doc, clippy::too_many_arguments)]
        pub #unsafety fn call #generics(
            // Prefixed names: the kernel's own arguments (`variant`, `f`, ...) share the scope.
            __asmforge_variant: &::asmforge::VariantInfo,
            #inputs
        ) -> ::core::result::Result<#ret, ::asmforge::MissingFeatures> {
            let __asmforge_entry = __asmforge_variant.checked_entry()?;
            #[allow(unused_unsafe)]
            let __asmforge_fn: Entry = unsafe {
                ::core::mem::transmute::<*const (), Entry>(__asmforge_entry.0)
            };
            #[allow(unused_unsafe)]
            ::core::result::Result::Ok(unsafe { __asmforge_fn(#(#call_args),*) })
        }
    }
}

/// For `fallback = path`: an `extern` shim that rebuilds slices and calls the Rust function,
/// and the `Option<EntryPoint>` for `KernelInfo::fallback`. The shim is an item beside the
/// kernel (not inside its metadata module), so `path` resolves exactly where the user wrote
/// it: `fallback = super::f` means the `f` of the kernel's parent module, and a `f` that the
/// module's own items (`INFO`, `call`, …) would shadow is still the user's `f`.
pub(crate) fn fallback(kernel: &Kernel, abi_tys: &[TokenStream]) -> (TokenStream, TokenStream) {
    let Some(path) = &kernel.options.fallback else {
        return (quote!(), quote!(::core::option::Option::None));
    };
    let shim = format_ident!("__asmforge_fallback_{}", kernel.func.sig.ident);
    let output = &kernel.func.sig.output;
    let mut params = Vec::new();
    let mut args = Vec::new();
    let mut k = 0usize;
    for arg in &kernel.args {
        let p = format_ident!("_{}", k);
        let t = &abi_tys[k];
        params.push(quote!(#p: #t));
        if arg.ty == ValType::Slice {
            let n = format_ident!("_{}", k + 1);
            let lt = &abi_tys[k + 1];
            params.push(quote!(#n: #lt));
            let mutable = t.to_string().starts_with("* mut");
            args.push(if mutable {
                quote!(unsafe { ::core::slice::from_raw_parts_mut(#p, #n) })
            } else {
                quote!(unsafe { ::core::slice::from_raw_parts(#p, #n) })
            });
            k += 2;
        } else {
            args.push(quote!(#p));
            k += 1;
        }
    }
    let abi = kernel.options.abi.rust_name();
    let items = quote! {
        #[cfg(target_arch = "x86_64")]
        #[doc(hidden)]
        #[allow(non_snake_case)]
        unsafe extern #abi fn #shim(#(#params),*) #output {
            #[allow(unused_unsafe)]
            unsafe { #path(#(#args),*) }
        }
    };
    let entry = quote! {
        {
            #[cfg(target_arch = "x86_64")]
            { ::core::option::Option::Some(::asmforge::__private::EntryPoint(super::#shim as *const ())) }
            #[cfg(not(target_arch = "x86_64"))]
            { ::core::option::Option::None }
        }
    };
    (items, entry)
}

/// The function with its declared signature and a body that cannot run: used on error so
/// callers see no cascade of "cannot find function" errors.
pub fn stub(func: &syn::ItemFn, error: syn::Error) -> TokenStream {
    let attrs = &func.attrs;
    let vis = &func.vis;
    // Without what was already reported as unsupported and that rustc would report again
    // (`self` in a free function, C variadics outside `extern "C"`).
    let mut sig = func.sig.clone();
    sig.inputs = std::mem::take(&mut sig.inputs)
        .into_pairs()
        .filter(|p| !matches!(p.value(), syn::FnArg::Receiver(_)))
        .collect();
    sig.variadic = None;
    let errors = error.to_compile_error();
    let name = &sig.ident;
    let kernel_name = name.to_string();
    let safety = &sig.safety;
    let generics = &sig.generics;
    let inputs = &sig.inputs;
    let ret = match &sig.output {
        syn::ReturnType::Default => quote!(()),
        syn::ReturnType::Type(_, t) => quote!(#t),
    };
    // `Entry`, when the signature itself is valid, so a `#[dispatch]` group naming this kernel
    // adds no error of its own.
    let entry = crate::parse::parse_fn(TokenStream::new(), func.clone())
        .ok()
        .map(|k| {
            let (tys, _) = abi_signature(&k);
            let output = &sig.output;
            quote!(pub type Entry = unsafe extern "sysv64" fn(#(#tys),*) #output;)
        });
    // The module too, empty, so that uses of `k::INFO` or `k::call` add no errors.
    quote! {
        #errors
        #(#attrs)*
        #[allow(unused_variables, unreachable_code)]
        #vis #sig {
            ::core::unreachable!("asmforge: this kernel failed to compile")
        }

        #[allow(non_snake_case, unused_imports, dead_code)]
        #vis mod #name {
            #[allow(unused_imports)]
            use super::*;
            #entry
            pub static INFO: ::asmforge::__private::KernelInfo = ::asmforge::__private::KernelInfo {
                name: #kernel_name,
                file: ::core::file!(),
                variants: &[],
                fallback: ::core::option::Option::None,
            };
            #[doc(hidden)]
            pub static DISPATCH: ::asmforge::__private::Dispatch = ::asmforge::__private::Dispatch::new(&INFO);
            #[allow(unused_variables, clippy::missing_safety_doc)]
            pub #safety fn call #generics(
                variant: &::asmforge::VariantInfo,
                #inputs
            ) -> ::core::result::Result<#ret, ::asmforge::MissingFeatures> {
                ::core::unreachable!("asmforge: this kernel failed to compile")
            }
        }
    }
}

/// Types of the `extern "sysv64"` entry point and the expressions the wrapper passes.
pub(crate) fn abi_signature(kernel: &Kernel) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut tys = Vec::new();
    let mut args = Vec::new();
    let inputs = kernel.func.sig.inputs.iter().filter_map(|i| match i {
        syn::FnArg::Typed(t) => Some(t),
        syn::FnArg::Receiver(_) => None,
    });
    for (arg, input) in kernel.args.iter().zip(inputs) {
        let name = &arg.name;
        let ty = peel(&input.ty);
        match arg.ty {
            ValType::Slice => {
                let elem = match ty {
                    syn::Type::Reference(r) => match peel(&r.elem) {
                        syn::Type::Slice(s) => (*s.elem).clone(),
                        _ => ty.clone(),
                    },
                    _ => ty.clone(),
                };
                let mutable = matches!(ty, syn::Type::Reference(r) if r.mutability.is_some());
                if mutable {
                    tys.push(quote!(*mut #elem));
                    args.push(quote!(#name.as_mut_ptr()));
                } else {
                    tys.push(quote!(*const #elem));
                    args.push(quote!(#name.as_ptr()));
                }
                tys.push(quote!(usize));
                args.push(quote!(#name.len()));
            }
            _ => {
                tys.push(quote!(#ty));
                args.push(quote!(#name));
            }
        }
    }
    (tys, args)
}

/// The type inside parentheses and the invisible groups `macro_rules!` wraps a `$t:ty` in.
fn peel(ty: &syn::Type) -> &syn::Type {
    match ty {
        syn::Type::Group(g) => peel(&g.elem),
        syn::Type::Paren(p) => peel(&p.elem),
        _ => ty,
    }
}

pub(crate) fn wrapper(
    kernel: &Kernel,
    call_args: &[TokenStream],
    direct: Option<&(TokenStream, syn::Ident)>,
) -> TokenStream {
    let func = &kernel.func;
    let attrs = &func.attrs;
    let vis = &func.vis;
    let sig = &func.sig;
    let name = &sig.ident;

    // Compiled for features that guarantee the best variant: call it directly. `any()` is
    // false, so without such a variant the dispatched path is the only one.
    let (direct, best) = match direct {
        Some((cfg, ident)) => (cfg.clone(), quote!(#name::#ident)),
        // `any()` is false: the branch is compiled out and names nothing.
        None => (quote!(any()), quote!(::core::unreachable!())),
    };
    let args: Vec<&syn::Ident> = kernel.args.iter().map(|a| &a.name).collect();
    let elsewhere = match &kernel.options.fallback {
        Some(path) => quote!(#[allow(unused_unsafe)] unsafe { #path(#(#args),*) }),
        None => quote!(::core::panic!(
            "asmforge kernels run on x86-64 only; name a Rust `fallback = path` in the attribute"
        )),
    };
    // Slices are split into (pointer, length) here, from the caller's values.
    quote! {
        #(#attrs)*
        #[inline]
        #vis #sig {
            #[cfg(all(target_arch = "x86_64", #direct))]
            {
                let __asmforge_entry: #name::Entry = #best;
                #[allow(unused_unsafe)]
                unsafe { __asmforge_entry(#(#call_args),*) }
            }
            #[cfg(all(target_arch = "x86_64", not(#direct)))]
            {
                let __asmforge_entry: #name::Entry = unsafe {
                    ::core::mem::transmute::<*const (), #name::Entry>(#name::DISPATCH.get())
                };
                #[allow(unused_unsafe)]
                unsafe { __asmforge_entry(#(#call_args),*) }
            }
            #[cfg(not(target_arch = "x86_64"))]
            {
                #elsewhere
            }
        }
    }
}

fn variant_info(v: &Variant, local: &syn::Ident, abi: crate::isa::abi::Abi) -> TokenStream {
    let convention = match abi {
        crate::isa::abi::Abi::SysV => format_ident!("SysV"),
        crate::isa::abi::Abi::Win64 => format_ident!("Win64"),
    };
    let symbol_tail = format!("::{local}");
    let enc = &v.encoded;
    let name = &v.variant.name;
    // Byte strings: one token each, however large the kernel.
    let bytes = syn::LitByteStr::new(&enc.bytes, Span::call_site());
    let packed: Vec<u8> = enc
        .lines
        .iter()
        .flat_map(|(offset, line)| offset.to_le_bytes().into_iter().chain(line.to_le_bytes()))
        .collect();
    let lines = syn::LitByteStr::new(&packed, Span::call_site());
    let code_size = enc.code_size;
    let pool_size = enc.pool_size;
    let feature = |f: &iced_x86::CpuidFeature| {
        let ident = format_ident!("{}", format!("{f:?}"));
        quote!(::asmforge::__private::Feature::#ident)
    };
    let used = enc.features.iter().map(feature);
    let mut declared: Vec<iced_x86::CpuidFeature> =
        v.variant.allowed.iter().flatten().copied().collect();
    declared.retain(|f| !crate::isa::variant::BASELINE.contains(f));
    let declared = declared.iter().map(feature);
    let saved: Vec<String> = enc
        .saved
        .iter()
        .map(|r| crate::isa::regs::name(*r))
        .collect();
    let registers = enc.registers;
    quote! {
        ::asmforge::__private::VariantInfo {
            name: #name,
            symbol: ::core::concat!(::core::module_path!(), #symbol_tail),
            convention: ::asmforge::CallingConvention::#convention,
            #[cfg(target_arch = "x86_64")]
            entry: ::asmforge::__private::EntryPoint(#local as *const ()),
            #[cfg(not(target_arch = "x86_64"))]
            entry: ::asmforge::__private::EntryPoint(::core::ptr::null()),
            declared: &[#(#declared),*],
            used: &[#(#used),*],
            bytes: #bytes,
            code_size: #code_size,
            pool_size: #pool_size,
            lines: ::asmforge::__private::LineTable::from_packed(#lines),
            saved: &[#(#saved),*],
            registers: [#(#registers),*],
        }
    }
}

/// `__asmforge_<variant>` per variant, the name cleaned to identifier characters; a name
/// that two variants would share gets the variant's position appended.
fn variant_idents<'a>(names: impl Iterator<Item = &'a str>) -> Vec<syn::Ident> {
    let clean: Vec<String> = names
        .map(|n| {
            n.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        })
        .collect();
    clean
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let shared = clean.iter().filter(|o| *o == c).count() > 1;
            if shared {
                format_ident!("__asmforge_{}_{}", c, i)
            } else {
                format_ident!("__asmforge_{}", c)
            }
        })
        .collect()
}

/// The naked function that holds one variant's code, with one `naked_asm!` per object format.
fn naked_fn(
    kernel: &Kernel,
    ident: &syn::Ident,
    abi_tys: &[TokenStream],
    encoded: &Encoded,
) -> TokenStream {
    use crate::frame::cfi::{Unwind, byte_lines};
    let (bytes, code_size, ops) = (&encoded.bytes, encoded.code_size, &encoded.unwind);
    let abi = kernel.options.abi.rust_name();
    let output = &kernel.func.sig.output;
    let params = abi_tys.iter().enumerate().map(|(k, t)| {
        let p = format_ident!("_{}", k);
        quote!(#p: #t)
    });
    let asm =
        |unwind| byte_lines(bytes, code_size, ops, unwind).map(|b| format!(".p2align 6\n{b}"));
    // Same directives on ELF and Mach-O; the Windows unwind codes name the function itself.
    let dwarf = asm(Unwind::Dwarf).unwrap_or_default();
    // ELF adds line information (`debug.rs`): the label the code starts at, the sections
    // after it.
    let file = kernel.func.sig.fn_token.span.file();
    let elf = match byte_lines(bytes, code_size, ops, Unwind::Dwarf) {
        Some(b) if debug::is_real_file(&file) => format!(
            ".p2align 6\n{}:\n{b}{}",
            debug::CODE_LABEL,
            debug::sections(&file, &encoded.lines, code_size)
        ),
        _ => dwarf.clone(),
    };
    let coff = match asm(Unwind::Seh("{f}")) {
        Some(text) => quote!(::core::arch::naked_asm!(#text, f = sym #ident)),
        None => {
            let msg = format!(
                "asmforge: the prologue of `{}` is too large for Windows x64 unwind information (at most 255 bytes): use smaller locals",
                kernel.func.sig.ident
            );
            quote_spanned!(kernel.func.sig.ident.span()=> ::core::compile_error!(#msg))
        }
    };
    let doc = format!("The code of variant `{ident}` (see `INFO`); call it through the kernel.");
    quote! {
        #[cfg(target_arch = "x86_64")]
        #[doc = #doc]
        #[unsafe(naked)]
        pub(super) unsafe extern #abi fn #ident(#(#params),*) #output {
            #[cfg(not(any(windows, target_vendor = "apple", target_os = "uefi")))]
            ::core::arch::naked_asm!(#elf);
            #[cfg(all(not(windows), any(target_vendor = "apple", target_os = "uefi")))]
            ::core::arch::naked_asm!(#dwarf);
            #[cfg(windows)]
            #coff;
        }
    }
}

#[cfg(test)]
mod stub_tests {
    use super::*;

    #[test]
    fn stub_keeps_the_signature_minus_what_rustc_would_reject_again() {
        let f: syn::ItemFn = syn::parse_quote!(
            pub fn k(&self, x: u64) -> u64 {}
        );
        let out = stub(&f, syn::Error::new(Span::call_site(), "boom")).to_string();
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("pub fn k (x : u64) -> u64"), "{out}");
        assert!(!out.contains("self"), "{out}");
    }
}
