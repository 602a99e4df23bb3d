//! # asmforge
//!
//! Write x86-64 assembly kernels inside Rust functions. `#[asmforge::kernel]` evaluates the
//! body — a small assembly language in Rust syntax, with compile-time loops, conditionals and
//! parameters — selects and validates each instruction against iced-x86's tables, encodes it
//! while your crate compiles, and places the machine code in your binary's text as a named
//! function symbol. You call the kernel like any Rust function.
//!
//! ```
//! use asmforge::kernel;
//!
//! /// out[i] = a[i] + b[i]
//! #[kernel]
//! pub unsafe fn add_f32(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
//!     xor(eax, eax);
//!     test(n, n);
//!     jz(done);
//!     label!(top);
//!     movss(xmm0, [a + rax * 4]);
//!     addss(xmm0, [b + rax * 4]);
//!     movss([out + rax * 4], xmm0);
//!     inc(rax);
//!     cmp(rax, n);
//!     jb(top);
//!     label!(done);
//! }
//!
//! let (a, b, mut out) = ([1.0f32, 2.0], [10.0f32, 20.0], [0.0f32; 2]);
//! unsafe { add_f32(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), 2) };
//! assert_eq!(out, [11.0, 22.0]);
//! assert!(add_f32::INFO.variants[0].symbol.starts_with("__asmforge_"));
//! ```
//!
//! # The DSL
//!
//! **Signature.** Parameters are integers (`i8`..`u64`, `isize`, `usize`), raw pointers, `f32`,
//! `f64`, or slices `&[T]` / `&mut [T]` of those; the return type is `()`, an integer, a
//! pointer, `f32` or `f64`. The kernel is called through `extern "sysv64"` on every OS, so
//! arguments arrive in System V registers: integers and pointers in rdi, rsi, rdx, rcx, r8, r9;
//! floats in xmm0–xmm7. In the body, a parameter's name *is* its register, viewed at the
//! parameter's width (`n: u32` is `esi` if it is the second integer argument). A slice `x` is
//! its pointer register, and `x.len()` its length register (a slice counts as two integer
//! arguments, pointer then length).
//!
//! **Arguments on the stack.** Arguments beyond the registers (the 7th integer, the 9th float)
//! arrive on the caller's stack, and their names are memory operands sized by their type:
//! `add(rax, g)` is `add rax, qword [rsp + …]` and `addss(xmm0, y)` reads the `dword`. The frame
//! works out the displacement, whatever it pushes. A pointer that arrives on the stack cannot
//! address memory directly: load it first (`mov(rax, p); mov(ecx, [rax + 8])`).
//!
//! **Windows x64.** `#[kernel(abi = "win64")]` generates an `extern "win64"` entry point — what
//! C callers on Windows use — from the same body (the Rust wrapper calls it, on any OS).
//! Arguments go by position: integers in rcx, rdx, r8, r9, floats in xmm0–xmm3 (a float second
//! argument is xmm1 and leaves rdx unused); the fifth and later arrive on the stack above the
//! caller's 32-byte shadow space. rdi, rsi and xmm6–xmm15 become callee-saved (the frame saves
//! those the body writes, xmm6–15 with `movaps` to 16-aligned slots, so the allocator prefers
//! rax, rcx, rdx, r8–r11 and xmm0–5), and there is no red zone: `[rsp - 8]` is an error, use a
//! `local`. The default is `abi = "sysv64"`.
//!
//! **Instructions** are calls with lower-case iced-x86 / Intel mnemonics and Intel operand
//! order: `vfmadd231ps(acc, x, [y + i * 32])`. Every 64-bit-mode legacy, VEX and EVEX form
//! iced-x86 knows can be written. Aliases: `jz`/`jnz`/`jc`/... and the matching `setcc` and
//! `cmovcc`, `sal`, `movabs` (forces the 64-bit immediate `mov`), and, as in GNU as, `pushf`/
//! `popf`/`iret` at the default operand size (`pushfw`/`popfw`/`iretw` for 16 bits). Prefixes
//! are part of the name: `rep_movsb()`, `repne_scasb()`, `lock_xadd([rdi], eax)`. Rust keywords
//! take `r#`: `r#loop(top)`. Return with `return;` or `return reg;` (the value moves to rax /
//! xmm0); `ret()` is rejected because the epilogue must run.
//!
//! **Operands.**
//!
//! | written | meaning |
//! |---|---|
//! | `rax`, `r8d`, `r9b`, `xmm17`, `ymm3`, `zmm31`, `k1`, `st0`, `mm2` | registers |
//! | `[base + index * scale + disp]` | memory; scale 1/2/4/8, rsp never an index |
//! | `dword[rdi + 8]` | with a size: `byte word dword fword qword tbyte xmmword ymmword zmmword` |
//! | `dword[rdi].bcst()` | AVX-512 broadcast (`{1toN}`) |
//! | `ymmword[rdi].bcst()` | broadcast sized by the vector it fills, where N is ambiguous |
//! | `zmm1.k(k2)`, `zmm1.k(k2).z()` | write mask, zeroing-masking (destination only) |
//! | `rn_sae`, `rd_sae`, `ru_sae`, `rz_sae`, `sae` | embedded rounding / SAE, as an extra operand |
//! | `42`, `-1`, `N * 8`, `0xdead_beef` | immediates (compile-time expressions), range-checked |
//! | `top` (an undefined name) | a label: branch target; `[top]` addresses it RIP-relative |
//! | `f32x8(0.5)`, `u64(7)`, `i32x4(1, 2, 3, 4)` | a pool constant as a memory operand |
//! | `f32(0.5).bcst()` | a pooled scalar broadcast to every lane |
//! | `reg.r32()`, `reg.r8()`, `reg.xmm()`, `reg.ymm()`, `reg.zmm()` | other views of a register |
//!
//! Constants `T(v)` / `TxN(v)` / `TxN(v0, .., vN-1)` for `T` in `i8 u8 i16 u16 i32 u32 i64 u64
//! f32 f64` go into a pool after the code: deduplicated (also a scalar found inside a vector),
//! each aligned to its size, addressed RIP-relative, so the code is position-independent.
//!
//! **Compile time.** `let` / `let mut` / `const`, integer and boolean arithmetic (overflow past
//! 64 bits is an error), comparisons, `for` over ranges (`0..N`, `(0..N).rev()`,
//! `(0..N).step_by(k)`) and arrays (unrolled), `if`/`else` on compile-time booleans, `match`
//! with literal, range, `|` and guard patterns, arrays of registers (`let acc = [ymm0, ymm1];
//! acc[k]`). Kernel parameters come from the attribute: `#[kernel(params(UNROLL = 4, OP =
//! vpaddd))]` — integers, booleans or identifiers; an identifier parameter can be called as a
//! mnemonic (`OP(x, y, z)`) or names a register.
//!
//! **Control flow.** `label!(name);` defines a label (labels are scoped to the block, so one
//! inside an unrolled loop body is a fresh label per iteration); `jmp`/`jcc`/`call`/`loop` take
//! a label and are relaxed to rel8 when the target is near; `align!(16);` pads with multi-byte
//! NOPs so the next instruction (a loop head) starts aligned.
//!
//! **Frame.** Callee-saved registers the body writes (rbx, rbp, r12–r15) are pushed and popped
//! automatically; `vzeroupper` is added before returning from code that used ymm/zmm 0–15.
//!
//! **Stack locals.** `let buf = local(bytes, align);` reserves a stack slot and names it as an
//! untyped memory operand: `movaps(buf, xmm0)`, `dword[buf + 4]`, `[buf + rax * 4]`,
//! `lea(rdi, buf)`. `local(bytes)` aligns to the natural alignment of `bytes`, at most 16;
//! `align` is a power of two up to 4096. Each evaluation is a new slot (one per iteration of
//! an unrolled loop), a slot the body never uses takes no space, and the locals of one kernel
//! total at most 64 KiB (each rounded up to its alignment). The frame aligns rsp to 16 in a
//! kernel with locals (or with a `call`), realigns it with `and rsp, -align` — keeping the old
//! rsp in rbp, which the kernel then cannot use — for a local aligned to more than 16, and
//! touches every page of a frame of 4 KiB or more. Locals and stack arguments are addressed
//! from rsp as the prologue leaves it, so a body that uses them may not move rsp itself
//! (`push`, `pop`, `sub rsp`: an error). A kernel without locals pays nothing: no `sub rsp`.
//!
//! ```
//! use asmforge::kernel;
//!
//! /// a + b + c + d + e, the fifth argument from the stack, through a 32-byte-aligned local.
//! #[kernel(abi = "win64")]
//! fn sum5(a: u64, b: u64, c: u64, d: u64, e: u64) -> u64 {
//!     let buf = local(32, 32);
//!     mov([buf], a); // a is rcx, e is qword [rsp + 40] at entry
//!     add([buf], b);
//!     add([buf], c);
//!     add([buf], d);
//!     mov(rax, e);
//!     add(rax, [buf]);
//!     return rax;
//! }
//!
//! assert_eq!(sum5(1, 2, 3, 4, 5), 15);
//! assert!(sum5::INFO.variants[0].saved.contains(&"rbp"), "rbp keeps the unaligned rsp");
//! ```
//!
//! **Unwinding.** On ELF and Mach-O every kernel carries call-frame information (`.cfi_*`
//! directives after each prologue and epilogue instruction), so gdb, perf and Rust backtraces
//! walk through a kernel at any instruction. On Windows no `.pdata`/`.xdata` is emitted: the
//! system unwinder sees the kernel as a leaf function, which is right until it pushes, so a
//! debugger stopped inside a kernel with a frame falls back to heuristics.
//!
//! **Selection.** Among the forms that fit the operands, asmforge takes the least demanding
//! encoding (legacy, then VEX, then EVEX — EVEX only when a mask, broadcast, rounding, zmm or
//! register 16–31 demands it), then the shortest. Everything the encoder would silently
//! mis-encode is a compile error at your token.
//!
//! **Metadata.** Each kernel `k` has a module `k` beside it with `k::INFO`, a [`KernelInfo`]:
//! symbol, bytes, code and pool sizes, the CPU features the instructions use, and a source-line
//! map. Calling a kernel on a CPU that lacks a feature it uses panics with a message naming
//! the kernel and the features, instead of faulting on an illegal instruction.
#![no_std]

pub use asmforge_macros::{dispatch, instruction, kernel};
pub use asmforge_runtime::{
    Feature, KernelInfo, LineTable, MissingFeatures, SourceLine, VariantInfo, detect,
};

pub use asmforge_runtime::isa;
#[cfg(feature = "listing")]
pub use asmforge_runtime::listing;

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
