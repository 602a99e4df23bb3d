//! # asmforge
//!
//! Write x86-64 assembly kernels inside Rust functions. `#[asmforge::kernel]` evaluates the
//! body — an assembly language in Rust syntax, with compile-time loops, conditionals and
//! parameters — selects and validates each instruction against iced-x86's tables, allocates
//! virtual registers, builds the prologue and epilogue, encodes the machine code while your
//! crate compiles, and places it in your binary's text as a function. One source yields
//! variants for several instruction sets; you call the kernel like any Rust function, and the
//! first call picks the best variant this CPU can run.
//!
//! ```
//! use asmforge::kernel;
//!
//! /// out[i] = a[i] + b[i], for as many elements as `out` has (`a` and `b` at least as long).
//! #[kernel]
//! pub fn add_f32(a: &[f32], b: &[f32], out: &mut [f32]) {
//!     // a, b, out: pointer registers (rdi, rdx, r8); `.len()`: their length registers
//!     xor(eax, eax);
//!     cmp(out.len(), a.len());
//!     ja(done);
//!     cmp(out.len(), b.len());
//!     ja(done);
//!     test(out.len(), out.len());
//!     jz(done);
//!     label!(top);
//!     movss(xmm0, [a + rax * 4]);
//!     addss(xmm0, [b + rax * 4]);
//!     movss([out + rax * 4], xmm0);
//!     inc(rax);
//!     cmp(rax, out.len());
//!     jb(top);
//!     label!(done);
//! }
//!
//! let (a, b, mut out) = ([1.0f32, 2.0], [10.0f32, 20.0], [0.0f32; 2]);
//! add_f32(&a, &b, &mut out);
//! assert_eq!(out, [11.0, 22.0]);
//! assert!(add_f32::INFO.variants[0].symbol.ends_with("::add_f32::__asmforge_baseline"));
//! ```
//!
//! # The reference
//!
//! * [`dsl`] — the kernel language: the attribute (`targets`, `params`, `abi`, `fallback`),
//!   signatures, instructions, operands (memory, masks, broadcast, rounding, pool constants),
//!   virtual registers and their views, compile-time evaluation, `has!`, `lanes`,
//!   `vector_bytes`, labels, `align!`, stack locals, the frame, and what is checked.
//! * [`runtime_api`] — what each kernel `k` gives you at run time: the function itself
//!   (dispatched), `k::INFO`, `k::call`, `k::Entry`, fallbacks, `#[asmforge::dispatch]`
//!   groups, [`for_each_variant`], `ASMFORGE_ISA` and [`isa::set`], `ASMFORGE_LISTINGS`
//!   (listings and JSON written by the build), CPU detection, source-level debugging (DWARF
//!   line information: gdb and perf show DSL lines).
//! * [`safety`] — what the author of a kernel vouches for: when a kernel may be a safe `fn`
//!   and why one that dereferences raw pointers is an `unsafe fn`.
//!
//! # Crates
//!
//! This facade re-exports everything a user needs. `asmforge-macros` is the proc-macro shim
//! behind [`kernel`] and [`dispatch`]; `asmforge-codegen` is the compiler, an ordinary library
//! that tools can call; `asmforge-runtime` holds detection, dispatch and metadata.
//!
//! # Features
//!
//! * `std` (default): reads `ASMFORGE_ISA` and provides [`for_each_variant`]. Without it the
//!   crate is `no_std` and kernels still dispatch.
//! * `listing` (off by default: it links iced-x86's decoder and formatter into the program):
//!   disassembly listings of each variant, annotated with source lines (for debugging and
//!   golden tests), as text or as the crate's own `ListingLine`s; also the Intel text of
//!   the files `ASMFORGE_LISTINGS` makes the build write.
#![no_std]

/// The language of the body and the options of the attribute: [`dsl`]; what the kernel gives
/// you at run time (the dispatched function, `k::INFO`, `k::call`, `k::Entry`): [`runtime_api`];
/// when the kernel may be a safe `fn`: [`safety`].
pub use asmforge_macros::kernel;

/// Groups separately written kernels into one dispatched function: see
/// [`runtime_api`](crate::runtime_api#asmforgedispatch).
pub use asmforge_macros::dispatch;

/// Makes a function whose body is kernel DSL a custom instruction, which kernels import with
/// `use path::name;` at the top of their body and call like an instruction: see
/// [`dsl`](crate::dsl#custom-instructions) and the library in [`helpers`].
pub use asmforge_macros::instruction;

/// A copy-and-patch stencil: a kernel body with holes (`hole!(imm64 c)`), compiled into
/// `mod name { STENCILS, VARIANTS, best() }` for [`jit`]: see [`stencils`].
#[cfg(all(feature = "std", unix, target_arch = "x86_64"))]
pub use asmforge_macros::stencil;
pub use asmforge_runtime::{
    CallingConvention, Dispatch, EntryPoint, Feature, KernelInfo, LineTable, MissingFeatures,
    SourceLine, VariantInfo, detect,
};

#[doc = include_str!("docs/dsl.md")]
pub mod dsl {}

#[doc = include_str!("docs/runtime_api.md")]
pub mod runtime_api {}

#[doc = include_str!("docs/safety.md")]
pub mod safety {}

pub use asmforge_runtime::isa;
#[cfg(all(feature = "std", unix, target_arch = "x86_64"))]
#[doc(inline)]
pub use asmforge_runtime::jit;
#[cfg(feature = "listing")]
pub use asmforge_runtime::listing;
#[doc(inline)]
pub use asmforge_runtime::measure;

#[cfg(all(feature = "std", unix, target_arch = "x86_64"))]
#[doc = include_str!("jit_docs.md")]
pub mod stencils {}

#[cfg(feature = "std")]
extern crate std;

pub mod helpers;

/// What [`for_each_variant`] did: the variants it ran and those it skipped, with the features
/// this CPU (or an ISA cap) lacks for each.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct VariantReport {
    /// Names of the variants that ran.
    pub ran: std::vec::Vec<&'static str>,
    /// Names of the variants skipped, and why.
    pub skipped: std::vec::Vec<(&'static str, MissingFeatures)>,
}

/// Runs `test` on every variant of `kernel` this machine supports — call the variant with
/// `k::call(variant, args...)` — and reports, on stderr (past the test harness's capture, so
/// `cargo test` shows it), which variants ran and which were skipped for lack of features.
///
/// ```
/// # use asmforge::kernel;
/// #[kernel(targets(sse2, avx))]
/// fn twice(x: u64) -> u64 { lea(rax, [x + x]); return rax; }
///
/// let report = asmforge::for_each_variant(&twice::INFO, |v| {
///     assert_eq!(twice::call(v, 21).unwrap(), 42);
/// });
/// assert!(report.ran.contains(&"sse2"));
/// ```
#[cfg(feature = "std")]
pub fn for_each_variant(
    kernel: &'static KernelInfo,
    mut test: impl FnMut(&'static VariantInfo),
) -> VariantReport {
    use std::io::Write;
    let mut report = VariantReport {
        ran: std::vec::Vec::new(),
        skipped: std::vec::Vec::new(),
    };
    for v in kernel.variants {
        match v.checked_entry() {
            Ok(_) => {
                test(v);
                report.ran.push(v.name);
            }
            Err(missing) => report.skipped.push((v.name, missing)),
        }
    }
    let mut line = std::format!("asmforge: {}: ran {}", kernel.name, report.ran.join(", "));
    for (name, missing) in &report.skipped {
        line.push_str(&std::format!("; skipped {name} (needs {missing})"));
    }
    line.push('\n');
    // Straight to the stream: libtest captures `eprintln!`, not direct writes.
    let _ = std::io::stderr().write_all(line.as_bytes());
    report
}

#[doc(hidden)]
pub mod __private {
    pub use asmforge_macros::kernel_continue;
    pub use asmforge_runtime::{
        Dispatch, EntryPoint, Feature, KernelInfo, LineTable, SourceLine, VariantInfo,
    };
}
