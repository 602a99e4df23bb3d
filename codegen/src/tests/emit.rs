//! What emit writes per object format: one naked function per variant with DWARF CFI for ELF
//! and Mach-O and Windows x64 unwind codes for COFF, and the Windows-only error for a prologue
//! those codes cannot describe.

use proc_macro2::TokenStream;
use quote::quote;

use crate::expand;

/// Each variant's naked function carries both formats' code: DWARF CFI for ELF and Mach-O,
/// Windows unwind codes naming the function itself for COFF.
#[test]
fn naked_functions_carry_unwind_directives_per_format() {
    let item = quote!(
        fn k() {
            mov(rbx, 1);
            xorps(xmm6, xmm6);
        }
    );
    let out = expand::expand(quote!(abi = "win64"), item).to_string();
    assert!(out.contains("# [unsafe (naked)]"), "{out}");
    assert!(
        out.contains("unsafe extern \"win64\" fn __asmforge_baseline ()"),
        "{out}"
    );
    assert!(out.contains(".cfi_startproc"), "{out}");
    assert!(out.contains(".seh_proc {f}"), "{out}");
    assert!(out.contains(".seh_pushreg rbx"), "{out}");
    assert!(out.contains(".seh_savexmm xmm6, "), "{out}");
    assert!(out.contains("f = sym __asmforge_baseline"), "{out}");
    assert!(!out.contains("compile_error"), "{out}");
}

/// A prologue that x64 unwind codes cannot describe (over 255 bytes: every callee-saved
/// register saved, then 15 pages of locals allocated and probed page by page) is an error on
/// Windows only: the COFF copy is a `compile_error!`, the ELF/Mach-O one is code.
#[test]
fn a_prologue_too_long_for_windows_is_an_error_there_only() {
    let item = quote!(
        fn big() {
            let a = local(60000);
            let gprs = [rbx, rbp, rsi, rdi, r12, r13, r14, r15];
            let xmms = [
                xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15,
            ];
            for k in 0..8 {
                mov(gprs[k], k);
            }
            for k in 0..10 {
                xorps(xmms[k], xmms[k]);
            }
            mov(qword[a], 0);
        }
    );
    let out = expand::expand(quote!(abi = "win64"), item).to_string();
    let (before, coff) = out
        .split_once("# [cfg (windows)]")
        .unwrap_or_else(|| panic!("a COFF copy in {out}"));
    assert!(coff.contains("compile_error"), "{coff}");
    assert!(coff.contains("at most 255 bytes"), "{coff}");
    assert!(before.contains(".cfi_startproc"), "{before}");
    assert!(!before.contains("compile_error"), "{before}");
    // A frame of a few pages fits.
    let small = quote!(
        fn small() {
            let a = local(8192);
            mov(qword[a], 0);
        }
    );
    let out: TokenStream = expand::expand(quote!(abi = "win64"), small);
    assert!(!out.to_string().contains("compile_error"), "{out}");
}
