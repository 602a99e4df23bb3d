//! ABI conformance: every kernel, every variant, both calling conventions.
//!
//! A trampoline written in assembly loads every register — arguments where the convention
//! puts them, a distinct sentinel in every other register — copies the stack arguments
//! (and, for Win64, a junk-filled 32-byte shadow space) below itself, calls the kernel's
//! entry point, and records every register, rsp, rflags, MXCSR and the x87 control word
//! after the return, before anything else can change them. The test then checks what the
//! convention promises the caller (System V AMD64 ABI §3.2.1–3.2.3; Microsoft, "x64 calling
//! convention" and "x64 ABI conventions"):
//!
//! * callee-saved registers hold their sentinels: rbx, rbp, r12–r15, and for Win64 also rdi,
//!   rsi and the low 128 bits of xmm6–xmm15;
//! * rsp is back where it was before the `call`;
//! * the direction flag is clear;
//! * the MXCSR control bits and the x87 control word are unchanged.
//!
//! Arguments are placed by an implementation of both conventions independent of the macro's,
//! with junk in the bits a narrow argument does not use, so a kernel that reads more than its
//! argument's width fails too. Kernels that break the contract on purpose check that the
//! harness catches each kind of violation and names it. Last, kernels that call back into
//! Rust check that backtraces and panics unwind through a kernel's frame (its CFI on ELF,
//! its `.pdata`/`.xdata` on Windows) and that the unwinder gives the frame that catches the
//! panic back every callee-saved register of the platform's convention.
//!
//! Everything here is written once for every object format (the trampolines are naked
//! functions; only their unwind directives differ) and runs on Linux and, as Windows code,
//! under wine (`.ci/windows`).

#![cfg(target_arch = "x86_64")]

#[path = "../examples/kernels/mod.rs"]
#[allow(
    dead_code,
    reason = "the harness calls kernels through their entry points, not every Rust helper"
)]
mod kernels;

use std::mem::offset_of;
use std::sync::Mutex;
use std::sync::atomic::{AtomicPtr, Ordering};

use asmforge::{KernelInfo, kernel};
use kernels::{add_f32, mul_const, mxcsr, peachpy, rdtsc, sdot, vector_op, vector_sum};

// ----- the trampoline ---------------------------------------------------------------------

/// Stack words the trampoline copies below itself (shadow space included).
const MAX_STACK: usize = 32;

/// Everything the trampoline reads and writes. General-purpose registers are indexed by
/// their encoding number (rax 0, rcx 1, rdx 2, rbx 3, rsp 4, rbp 5, rsi 6, rdi 7, r8..r15).
#[repr(C)]
struct Ctx {
    entry: u64,
    nstack: u64,
    gpr_in: [u64; 16],
    xmm_in: [[u64; 2]; 16],
    stack: [u64; MAX_STACK],
    gpr_out: [u64; 16],
    xmm_out: [[u64; 2]; 16],
    rsp_before: u64,
    rsp_after: u64,
    rflags: u64,
    saved_rsp: u64,
    mxcsr_before: u32,
    mxcsr_after: u32,
    fcw_before: u16,
    fcw_after: u16,
}

/// The context of the call in progress (the trampoline finds it here even when the kernel
/// broke rsp); `LOCK` makes calls one at a time.
static CTX: AtomicPtr<Ctx> = AtomicPtr::new(std::ptr::null_mut());
static LOCK: Mutex<()> = Mutex::new(());

/// The trampoline: a naked function, so rustc writes the section, symbol and size directives
/// each object format needs (ELF, COFF, Mach-O). It calls `extern "sysv64"` itself.
#[unsafe(naked)]
unsafe extern "sysv64" fn asmforge_abi_trampoline() {
    core::arch::naked_asm!(
    // The trampoline's own caller is Rust (System V): keep its callee-saved registers.
    "push rbp", "push rbx", "push r12", "push r13", "push r14", "push r15",
    "mov r11, qword ptr [rip + {ctx}]",
    "mov qword ptr [r11 + {saved_rsp}], rsp",
    "stmxcsr dword ptr [r11 + {mxcsr_before}]",
    "fnstcw word ptr [r11 + {fcw_before}]",
    // Outgoing stack words at [rsp], [rsp + 8], ...; rsp 16-aligned at the call.
    "and rsp, -16",
    "mov rcx, qword ptr [r11 + {nstack}]",
    "lea rax, [rcx * 8 + 15]",
    "and rax, -16",
    "sub rsp, rax",
    "lea rsi, [r11 + {stack}]",
    "mov rdi, rsp",
    "cld",
    "rep movsq",
    "mov qword ptr [r11 + {rsp_before}], rsp",
    "movups xmm0, xmmword ptr [r11 + {xmm_in} + 0]",
    "movups xmm1, xmmword ptr [r11 + {xmm_in} + 16]",
    "movups xmm2, xmmword ptr [r11 + {xmm_in} + 32]",
    "movups xmm3, xmmword ptr [r11 + {xmm_in} + 48]",
    "movups xmm4, xmmword ptr [r11 + {xmm_in} + 64]",
    "movups xmm5, xmmword ptr [r11 + {xmm_in} + 80]",
    "movups xmm6, xmmword ptr [r11 + {xmm_in} + 96]",
    "movups xmm7, xmmword ptr [r11 + {xmm_in} + 112]",
    "movups xmm8, xmmword ptr [r11 + {xmm_in} + 128]",
    "movups xmm9, xmmword ptr [r11 + {xmm_in} + 144]",
    "movups xmm10, xmmword ptr [r11 + {xmm_in} + 160]",
    "movups xmm11, xmmword ptr [r11 + {xmm_in} + 176]",
    "movups xmm12, xmmword ptr [r11 + {xmm_in} + 192]",
    "movups xmm13, xmmword ptr [r11 + {xmm_in} + 208]",
    "movups xmm14, xmmword ptr [r11 + {xmm_in} + 224]",
    "movups xmm15, xmmword ptr [r11 + {xmm_in} + 240]",
    "mov rax, qword ptr [r11 + {gpr_in} + 0]",
    "mov rcx, qword ptr [r11 + {gpr_in} + 8]",
    "mov rdx, qword ptr [r11 + {gpr_in} + 16]",
    "mov rbx, qword ptr [r11 + {gpr_in} + 24]",
    "mov rbp, qword ptr [r11 + {gpr_in} + 40]",
    "mov rsi, qword ptr [r11 + {gpr_in} + 48]",
    "mov rdi, qword ptr [r11 + {gpr_in} + 56]",
    "mov r8, qword ptr [r11 + {gpr_in} + 64]",
    "mov r9, qword ptr [r11 + {gpr_in} + 72]",
    "mov r10, qword ptr [r11 + {gpr_in} + 80]",
    "mov r12, qword ptr [r11 + {gpr_in} + 96]",
    "mov r13, qword ptr [r11 + {gpr_in} + 104]",
    "mov r14, qword ptr [r11 + {gpr_in} + 112]",
    "mov r15, qword ptr [r11 + {gpr_in} + 120]",
    // r11 is volatile and no argument register in either convention: it holds the context.
    "call qword ptr [r11 + {entry}]",
    // Record before anything changes: r11 is the only register the kernel may have left
    // meaningless, so it fetches the context again.
    "mov r11, qword ptr [rip + {ctx}]",
    "mov qword ptr [r11 + {rsp_after}], rsp",
    "mov qword ptr [r11 + {gpr_out} + 0], rax",
    "mov qword ptr [r11 + {gpr_out} + 8], rcx",
    "mov qword ptr [r11 + {gpr_out} + 16], rdx",
    "mov qword ptr [r11 + {gpr_out} + 24], rbx",
    "mov qword ptr [r11 + {gpr_out} + 40], rbp",
    "mov qword ptr [r11 + {gpr_out} + 48], rsi",
    "mov qword ptr [r11 + {gpr_out} + 56], rdi",
    "mov qword ptr [r11 + {gpr_out} + 64], r8",
    "mov qword ptr [r11 + {gpr_out} + 72], r9",
    "mov qword ptr [r11 + {gpr_out} + 80], r10",
    "mov qword ptr [r11 + {gpr_out} + 96], r12",
    "mov qword ptr [r11 + {gpr_out} + 104], r13",
    "mov qword ptr [r11 + {gpr_out} + 112], r14",
    "mov qword ptr [r11 + {gpr_out} + 120], r15",
    "movups xmmword ptr [r11 + {xmm_out} + 0], xmm0",
    "movups xmmword ptr [r11 + {xmm_out} + 16], xmm1",
    "movups xmmword ptr [r11 + {xmm_out} + 32], xmm2",
    "movups xmmword ptr [r11 + {xmm_out} + 48], xmm3",
    "movups xmmword ptr [r11 + {xmm_out} + 64], xmm4",
    "movups xmmword ptr [r11 + {xmm_out} + 80], xmm5",
    "movups xmmword ptr [r11 + {xmm_out} + 96], xmm6",
    "movups xmmword ptr [r11 + {xmm_out} + 112], xmm7",
    "movups xmmword ptr [r11 + {xmm_out} + 128], xmm8",
    "movups xmmword ptr [r11 + {xmm_out} + 144], xmm9",
    "movups xmmword ptr [r11 + {xmm_out} + 160], xmm10",
    "movups xmmword ptr [r11 + {xmm_out} + 176], xmm11",
    "movups xmmword ptr [r11 + {xmm_out} + 192], xmm12",
    "movups xmmword ptr [r11 + {xmm_out} + 208], xmm13",
    "movups xmmword ptr [r11 + {xmm_out} + 224], xmm14",
    "movups xmmword ptr [r11 + {xmm_out} + 240], xmm15",
    "stmxcsr dword ptr [r11 + {mxcsr_after}]",
    "fnstcw word ptr [r11 + {fcw_after}]",
    // Back to the trampoline's own stack, whatever the kernel did to rsp; then the flags.
    "mov rsp, qword ptr [r11 + {saved_rsp}]",
    "pushfq",
    "pop rax",
    "mov qword ptr [r11 + {rflags}], rax",
    // Leave Rust the environment it expects even after a kernel that broke it.
    "cld",
    "ldmxcsr dword ptr [r11 + {mxcsr_before}]",
    "fldcw word ptr [r11 + {fcw_before}]",
    "pop r15", "pop r14", "pop r13", "pop r12", "pop rbx", "pop rbp",
    "ret",
    ctx = sym CTX,
    entry = const offset_of!(Ctx, entry),
    nstack = const offset_of!(Ctx, nstack),
    gpr_in = const offset_of!(Ctx, gpr_in),
    xmm_in = const offset_of!(Ctx, xmm_in),
    stack = const offset_of!(Ctx, stack),
    gpr_out = const offset_of!(Ctx, gpr_out),
    xmm_out = const offset_of!(Ctx, xmm_out),
    rsp_before = const offset_of!(Ctx, rsp_before),
    rsp_after = const offset_of!(Ctx, rsp_after),
    rflags = const offset_of!(Ctx, rflags),
    saved_rsp = const offset_of!(Ctx, saved_rsp),
    mxcsr_before = const offset_of!(Ctx, mxcsr_before),
    mxcsr_after = const offset_of!(Ctx, mxcsr_after),
    fcw_before = const offset_of!(Ctx, fcw_before),
    fcw_after = const offset_of!(Ctx, fcw_after),
    );
}

// ----- the conventions, independently of the macro -------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conv {
    SysV,
    Win64,
}

/// One argument of an entry point, as the caller passes it.
#[derive(Clone, Copy, Debug)]
enum A {
    /// An integer or pointer of this many bytes (the rest of its register or slot is junk).
    Int(u64, u32),
    F32(f32),
    F64(f64),
}

fn ptr<T>(p: *const T) -> A {
    A::Int(p as u64, 8)
}

fn word(v: u64) -> A {
    A::Int(v, 8)
}

const GPR_NAMES: [&str; 16] = [
    "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13",
    "r14", "r15",
];
const RDI: usize = 7;
const RSI: usize = 6;

/// What a kernel may not change, per convention (by GPR number).
fn callee_saved(conv: Conv) -> (&'static [usize], std::ops::Range<usize>) {
    match conv {
        Conv::SysV => (&[3, 5, 12, 13, 14, 15], 0..0),
        Conv::Win64 => (&[3, 5, RDI, RSI, 12, 13, 14, 15], 6..16),
    }
}

/// Junk above a narrow argument: a kernel that reads it computes garbage.
const JUNK: u64 = 0xbad0_bad0_bad0_bad0;

fn bits(a: A) -> u64 {
    match a {
        A::Int(v, 8) => v,
        A::Int(v, n) => {
            let mask = (1u64 << (8 * n)) - 1;
            (v & mask) | (JUNK & !mask)
        }
        A::F32(f) => (JUNK & !0xffff_ffff) | u64::from(f.to_bits()),
        A::F64(f) => f.to_bits(),
    }
}

/// Fills registers and stack words as the caller of an `extern "<conv>"` function would.
fn place(conv: Conv, args: &[A], ctx: &mut Ctx) {
    const SYSV_INT: [usize; 6] = [RDI, RSI, 2, 1, 8, 9];
    const WIN64_INT: [usize; 4] = [1, 2, 8, 9];
    let mut stack = Vec::new();
    if conv == Conv::Win64 {
        // The shadow space: the callee's to use; fill it with junk.
        stack.extend([JUNK; 4]);
    }
    let (mut ints, mut floats) = (0, 0);
    for (pos, a) in args.iter().enumerate() {
        let float = matches!(a, A::F32(_) | A::F64(_));
        let slot = match conv {
            Conv::SysV if float => (floats < 8).then(|| {
                floats += 1;
                (true, floats - 1)
            }),
            Conv::SysV => (ints < 6).then(|| {
                ints += 1;
                (false, SYSV_INT[ints - 1])
            }),
            Conv::Win64 if pos < 4 => Some((float, if float { pos } else { WIN64_INT[pos] })),
            Conv::Win64 => None,
        };
        match slot {
            Some((true, x)) => ctx.xmm_in[x] = [bits(*a), JUNK],
            Some((false, g)) => ctx.gpr_in[g] = bits(*a),
            None => stack.push(bits(*a)),
        }
    }
    assert!(
        stack.len() <= MAX_STACK,
        "too many stack arguments for the harness"
    );
    ctx.stack[..stack.len()].copy_from_slice(&stack);
    ctx.nstack = stack.len() as u64;
}

/// What the kernel returned: rax and xmm0.
#[derive(Clone, Copy, Debug)]
struct Out {
    rax: u64,
    xmm0: [u64; 2],
}

impl Out {
    fn f32(&self) -> f32 {
        f32::from_bits(self.xmm0[0] as u32)
    }
    fn f64(&self) -> f64 {
        f64::from_bits(self.xmm0[0])
    }
}

/// Calls `entry` under `conv` with `args`; returns its results, or every broken promise.
///
/// # Safety
///
/// `entry` must be an `extern "<conv>"` function taking `args` (pointers valid as it needs).
unsafe fn call(entry: *const (), conv: Conv, args: &[A]) -> Result<Out, Vec<String>> {
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut ctx: Box<Ctx> = Box::new(unsafe { std::mem::zeroed() });
    ctx.entry = entry as u64;
    for (i, g) in ctx.gpr_in.iter_mut().enumerate() {
        *g = 0x5e00_0000_0000_0000 | (i as u64) << 40 | 0x1234_5678;
    }
    for (i, x) in ctx.xmm_in.iter_mut().enumerate() {
        *x = [
            0x5e5e_0000_0000_0000 | i as u64,
            0x7e7e_0000_0000_0000 | i as u64,
        ];
    }
    place(conv, args, &mut ctx);
    CTX.store(&mut *ctx, Ordering::SeqCst);
    // SAFETY: the trampoline saves and restores what its own caller needs; the kernel gets
    // what the caller promised it.
    unsafe { asmforge_abi_trampoline() };
    CTX.store(std::ptr::null_mut(), Ordering::SeqCst);
    let mut broken = Vec::new();
    let (gprs, xmms) = callee_saved(conv);
    for &g in gprs {
        if ctx.gpr_out[g] != ctx.gpr_in[g] {
            broken.push(format!(
                "{} clobbered: {:#x} before the call, {:#x} after",
                GPR_NAMES[g], ctx.gpr_in[g], ctx.gpr_out[g]
            ));
        }
    }
    for x in xmms {
        if ctx.xmm_out[x] != ctx.xmm_in[x] {
            broken.push(format!(
                "xmm{x} clobbered: {:x?} before the call, {:x?} after",
                ctx.xmm_in[x], ctx.xmm_out[x]
            ));
        }
    }
    if ctx.rsp_after != ctx.rsp_before {
        broken.push(format!(
            "rsp not restored: {:#x} before the call, {:#x} after ({:+} bytes)",
            ctx.rsp_before,
            ctx.rsp_after,
            ctx.rsp_after as i64 - ctx.rsp_before as i64
        ));
    }
    if ctx.rflags & (1 << 10) != 0 {
        broken.push("direction flag left set (rflags.DF = 1)".to_owned());
    }
    if (ctx.mxcsr_after ^ ctx.mxcsr_before) & !0x3f != 0 {
        broken.push(format!(
            "MXCSR control bits changed: {:#x} before, {:#x} after",
            ctx.mxcsr_before, ctx.mxcsr_after
        ));
    }
    if ctx.fcw_after != ctx.fcw_before {
        broken.push(format!(
            "x87 control word changed: {:#x} before, {:#x} after",
            ctx.fcw_before, ctx.fcw_after
        ));
    }
    if broken.is_empty() {
        Ok(Out {
            rax: ctx.gpr_out[0],
            xmm0: ctx.xmm_out[0],
        })
    } else {
        Err(broken)
    }
}

/// Runs `check` on every variant of `info` this CPU supports, called through the harness;
/// fails naming the kernel, the variant and every broken promise. Returns how many ran.
fn every_variant(info: &KernelInfo, conv: Conv, args: &[A], check: impl Fn(Out)) -> usize {
    let mut ran = 0;
    for v in info.variants {
        let missing = v.missing_features();
        if !missing.is_empty() {
            eprintln!(
                "skipping `{}` variant `{}`: this CPU lacks {missing}",
                info.name, v.name
            );
            continue;
        }
        // SAFETY: each caller passes the arguments its kernel takes.
        match unsafe { call(v.entry.0, conv, args) } {
            Ok(out) => check(out),
            Err(broken) => panic!(
                "`{}` variant `{}` ({conv:?}) broke the calling convention:\n  {}",
                info.name,
                v.name,
                broken.join("\n  ")
            ),
        }
        ran += 1;
    }
    ran
}

// ----- every example kernel, every variant, System V --------------------------------------

#[test]
fn every_example_kernel_keeps_the_system_v_contract() {
    let a: Vec<f32> = (0..37).map(|i| i as f32 * 0.5).collect();
    let b: Vec<f32> = (0..37).map(|i| 100.0 - i as f32).collect();
    let mut out = vec![0.0f32; 37];
    let want = add_f32::add_f32_ref(&a, &b);
    let sum = |out: Out| out.f32();
    let mut ran = every_variant(
        &add_f32::add_f32::INFO,
        Conv::SysV,
        &[
            ptr(a.as_ptr()),
            ptr(b.as_ptr()),
            ptr(out.as_mut_ptr()),
            word(37),
        ],
        |_| (),
    );
    assert_eq!(out, want);
    ran += every_variant(
        &mul_const::mul_const::INFO,
        Conv::SysV,
        &[word(12345)],
        |o| assert_eq!(o.rax, mul_const::mul_const_ref(12345)),
    );
    ran += every_variant(&rdtsc::rdtsc::INFO, Conv::SysV, &[], |o| {
        assert_ne!(o.rax, 0)
    });
    let csr = mxcsr::get_mxcsr();
    ran += every_variant(&mxcsr::get_mxcsr::INFO, Conv::SysV, &[], |o| {
        assert_eq!(o.rax as u32 & !0x3f, csr & !0x3f)
    });
    ran += every_variant(
        &mxcsr::set_mxcsr::INFO,
        Conv::SysV,
        &[A::Int(csr.into(), 4)],
        |_| (),
    );
    ran += every_variant(
        &mxcsr::add_ftz_daz::INFO,
        Conv::SysV,
        &[A::F32(1.5), A::F32(2.25)],
        |o| assert_eq!(o.f32(), 3.75),
    );
    ran += every_variant(
        &peachpy::add_i32::INFO,
        Conv::SysV,
        &[A::Int(7, 4), A::Int(-3i32 as u32 as u64, 4)],
        |o| assert_eq!(o.rax as u32 as i32, 4),
    );
    let four = [1.0f32, 2.0, 3.0, 4.0];
    ran += every_variant(
        &peachpy::dot_sse41::INFO,
        Conv::SysV,
        &[ptr(four.as_ptr()), ptr(four.as_ptr())],
        |o| assert_eq!(o.f32(), 30.0),
    );
    let ones: Vec<f32> = (1..=100).map(|i| i as f32).collect();
    let slice = [ptr(ones.as_ptr()), word(100)];
    for info in [
        &vector_sum::vector_sum_u4_p256::INFO,
        &vector_sum::vector_sum_u2::INFO,
    ] {
        ran += every_variant(info, Conv::SysV, &slice, |o| assert_eq!(sum(o), 5050.0));
    }
    let x: Vec<i64> = (0..23).map(|i| i * 1_000_003).collect();
    let y: Vec<i64> = (0..23).map(|i| 7 - i).collect();
    for (info, op) in [
        (
            &vector_op::vector_add_i64::INFO,
            i64::wrapping_add as fn(i64, i64) -> i64,
        ),
        (&vector_op::vector_sub_i64::INFO, i64::wrapping_sub),
    ] {
        let mut z = vec![0i64; 23];
        let args = [
            ptr(x.as_ptr()),
            ptr(y.as_ptr()),
            ptr(z.as_mut_ptr()),
            word(23),
        ];
        ran += every_variant(info, Conv::SysV, &args, |_| ());
        assert_eq!(z, vector_op::vector_op_ref(&x, &y, op), "{}", info.name);
    }
    let (x32, y32): (Vec<i32>, Vec<i32>) = (0..19).map(|i| (i * 3, -i)).unzip();
    for (info, op) in [
        (
            &vector_op::vector_add_i32::INFO,
            i32::wrapping_add as fn(i32, i32) -> i32,
        ),
        (&vector_op::vector_sub_i32::INFO, i32::wrapping_sub),
    ] {
        let mut z = vec![0i32; 19];
        let args = [
            ptr(x32.as_ptr()),
            ptr(y32.as_ptr()),
            ptr(z.as_mut_ptr()),
            word(19),
        ];
        ran += every_variant(info, Conv::SysV, &args, |_| ());
        assert_eq!(z, vector_op::vector_op_ref(&x32, &y32, op), "{}", info.name);
    }
    let args = [ptr(ones.as_ptr()), word(100), ptr(ones.as_ptr()), word(100)];
    ran += every_variant(&sdot::sdot::INFO, Conv::SysV, &args, |o| {
        assert_eq!(o.f32(), 338_350.0, "sum of squares 1..=100 is exact in f32")
    });
    eprintln!("ABI harness: {ran} System V kernel variants kept the contract");
    assert!(ran >= 15, "only {ran} variants ran");
}

// ----- Windows x64 instances ------------------------------------------------------------------

/// PeachPy's `Add` under Win64: x in ecx, y in edx.
#[kernel(abi = "win64")]
fn add_i32_win64(x: i32, y: i32) -> i32 {
    mov(eax, x);
    add(eax, y);
    return eax;
}

/// The sum of squares of `x` with four accumulators in xmm6–xmm9 and the pointer and count
/// in rsi and rdi: all callee-saved under Win64, so the frame must save every one.
#[kernel(abi = "win64", targets(sse2, avx))]
fn sum_squares_win64(x: &[f32]) -> f32 {
    let acc = [xmm6, xmm7, xmm8, xmm9];
    mov(rsi, x);
    mov(rdi, x.len());
    for k in 0..4 {
        xorps(acc[k], acc[k]);
    }
    sub(rdi, 16);
    jb(tail);
    label!(block);
    for k in 0..4 {
        if has!(avx) {
            vmovups(xmm0, [rsi + k * 16]);
            vmulps(xmm0, xmm0, xmm0);
            vaddps(acc[k], acc[k], xmm0);
        } else {
            movups(xmm0, [rsi + k * 16]);
            mulps(xmm0, xmm0);
            addps(acc[k], xmm0);
        }
    }
    add(rsi, 64);
    sub(rdi, 16);
    jae(block);
    label!(tail);
    add(rdi, 16);
    addps(xmm6, xmm7);
    addps(xmm8, xmm9);
    addps(xmm6, xmm8);
    movhlps(xmm0, xmm6);
    addps(xmm6, xmm0);
    movaps(xmm0, xmm6);
    shufps(xmm0, xmm0, 0x55);
    addss(xmm6, xmm0);
    test(rdi, rdi);
    jz(done);
    label!(scalar);
    movss(xmm0, [rsi]);
    mulss(xmm0, xmm0);
    addss(xmm6, xmm0);
    add(rsi, 4);
    dec(rdi);
    jnz(scalar);
    label!(done);
    return xmm6;
}

#[test]
fn win64_kernels_keep_the_win64_contract() {
    let mut ran = every_variant(
        &add_i32_win64::INFO,
        Conv::Win64,
        &[A::Int(40, 4), A::Int(2, 4)],
        |o| assert_eq!(o.rax as u32, 42),
    );
    for n in [0usize, 1, 15, 16, 17, 64, 100] {
        let x: Vec<f32> = (1..=n).map(|i| i as f32).collect();
        let want = (n * (n + 1) * (2 * n + 1) / 6) as f32;
        ran += every_variant(
            &sum_squares_win64::INFO,
            Conv::Win64,
            &[ptr(x.as_ptr()), word(n as u64)],
            |o| assert_eq!(o.f32(), want, "n = {n}"),
        );
        // And through the Rust wrapper, which calls the `extern "win64"` entry point.
        assert_eq!(sum_squares_win64(&x), want);
    }
    assert_eq!(add_i32_win64(i32::MAX, 1), i32::MIN);
    // The metadata records the convention each entry point is called with.
    for v in sum_squares_win64::INFO.variants {
        assert_eq!(v.convention, asmforge::CallingConvention::Win64);
    }
    assert_eq!(
        add_f32::add_f32::INFO.variants[0].convention,
        asmforge::CallingConvention::SysV
    );
    let saved = sum_squares_win64::INFO.variants[0].saved;
    for r in ["rsi", "rdi", "xmm6", "xmm7", "xmm8", "xmm9"] {
        assert!(saved.contains(&r), "{r} not saved: {saved:?}");
    }
    assert!(ran >= 8);
}

// ----- ten integer and ten floating-point arguments ---------------------------------------

/// Σ (k + 1) · xₖ over ten integers: under System V four arrive on the stack, under Win64 six.
macro_rules! sum10 {
    ($name:ident, $($abi:tt)*) => {
        #[kernel($($abi)*)]
        #[allow(clippy::too_many_arguments)]
        fn $name(a: i64, b: i64, c: i64, d: i64, e: i64, f: i64, g: i64, h: i64, i: i64, j: i64) -> i64 {
            let t = gp64();
            xor(eax, eax);
            let all = [a, b, c, d, e, f, g, h, i, j];
            for k in 0..10 {
                imul(t, all[k], k + 1);
                add(rax, t);
            }
            return rax;
        }
    };
}
sum10!(sum10_sysv,);
sum10!(sum10_win64, abi = "win64");

/// Σ (k + 1) · xₖ over ten doubles: under System V two arrive on the stack, under Win64 six.
macro_rules! fsum10 {
    ($name:ident, $($abi:tt)*) => {
        #[kernel($($abi)*)]
        #[allow(clippy::too_many_arguments)]
        fn $name(a: f64, b: f64, c: f64, d: f64, e: f64, f: f64, g: f64, h: f64, i: f64, j: f64) -> f64 {
            let acc = xmm();
            let t = xmm();
            xorps(acc, acc);
            xorps(t, t); // movsd/cvt* merge into t: give it a value first
            let all = [a, b, c, d, e, f, g, h, i, j];
            for k in 0..10 {
                movsd(t, all[k]);
                mulsd(t, f64(k + 1));
                addsd(acc, t);
            }
            return acc;
        }
    };
}
fsum10!(fsum10_sysv,);
fsum10!(fsum10_win64, abi = "win64");

/// Fourteen arguments of mixed widths (two of the eight integers on the stack under System V,
/// ten arguments under Win64): each narrow one arrives with junk above it.
macro_rules! mixed {
    ($name:ident, $($abi:tt)*) => {
        #[kernel($($abi)*)]
        #[allow(clippy::too_many_arguments)]
        fn $name(a: u8, x: f32, b: i16, y: f64, c: u32, z: f32, d: i64, w: f64, e: u16, v: f32, f: i8, u: f64, p: u32, q: i8) -> f64 {
            let acc = xmm();
            let t = xmm();
            let g = gp64();
            xorps(acc, acc);
            xorps(t, t); // movsd/cvt* merge into t: give it a value first
            movzx(g.r32(), a);
            cvtsi2sd(t, g);
            addsd(acc, t);
            cvtss2sd(t, x);
            addsd(acc, t);
            movsx(g, b);
            cvtsi2sd(t, g);
            addsd(acc, t);
            addsd(acc, y);
            mov(g.r32(), c);
            cvtsi2sd(t, g);
            addsd(acc, t);
            cvtss2sd(t, z);
            addsd(acc, t);
            cvtsi2sd(t, d);
            addsd(acc, t);
            addsd(acc, w);
            movzx(g.r32(), e);
            cvtsi2sd(t, g);
            addsd(acc, t);
            cvtss2sd(t, v);
            addsd(acc, t);
            movsx(g, f);
            cvtsi2sd(t, g);
            addsd(acc, t);
            addsd(acc, u);
            mov(g.r32(), p);
            cvtsi2sd(t, g);
            addsd(acc, t);
            movsx(g, q);
            cvtsi2sd(t, g);
            addsd(acc, t);
            return acc;
        }
    };
}
mixed!(mixed_sysv,);
mixed!(mixed_win64, abi = "win64");

#[allow(clippy::too_many_arguments)]
fn mixed_ref(
    a: u8,
    x: f32,
    b: i16,
    y: f64,
    c: u32,
    z: f32,
    d: i64,
    w: f64,
    e: u16,
    v: f32,
    f: i8,
    u: f64,
    p: u32,
    q: i8,
) -> f64 {
    let mut acc = 0.0f64;
    for t in [
        f64::from(a),
        f64::from(x),
        f64::from(b),
        y,
        f64::from(c),
        f64::from(z),
        d as f64,
        w,
        f64::from(e),
        f64::from(v),
        f64::from(f),
        u,
        f64::from(p),
        f64::from(q),
    ] {
        acc += t;
    }
    acc
}

#[test]
fn ten_integer_and_ten_float_arguments_in_both_conventions() {
    let ints: [i64; 10] = [
        3,
        -1,
        1 << 40,
        -7,
        11,
        i64::MAX / 64,
        -13,
        17,
        -(1 << 33),
        23,
    ];
    let want: i64 = ints.iter().enumerate().fold(0i64, |s, (k, x)| {
        s.wrapping_add(x.wrapping_mul(k as i64 + 1))
    });
    let [a, b, c, d, e, f, g, h, i, j] = ints;
    assert_eq!(sum10_sysv(a, b, c, d, e, f, g, h, i, j), want);
    assert_eq!(sum10_win64(a, b, c, d, e, f, g, h, i, j), want);
    let args: Vec<A> = ints.iter().map(|x| word(*x as u64)).collect();
    for (info, conv) in [
        (&sum10_sysv::INFO, Conv::SysV),
        (&sum10_win64::INFO, Conv::Win64),
    ] {
        every_variant(info, conv, &args, |o| assert_eq!(o.rax as i64, want));
    }

    let floats: [f64; 10] = [
        0.5,
        -1.25,
        3.0e10,
        7.0,
        -0.001,
        1.0 / 3.0,
        2.5,
        -8.0,
        1e-3,
        42.0,
    ];
    let want = floats
        .iter()
        .enumerate()
        .fold(0.0f64, |s, (k, x)| s + x * (k as f64 + 1.0));
    let [a, b, c, d, e, f, g, h, i, j] = floats;
    assert_eq!(
        fsum10_sysv(a, b, c, d, e, f, g, h, i, j).to_bits(),
        want.to_bits()
    );
    assert_eq!(
        fsum10_win64(a, b, c, d, e, f, g, h, i, j).to_bits(),
        want.to_bits()
    );
    let args: Vec<A> = floats.iter().map(|x| A::F64(*x)).collect();
    for (info, conv) in [
        (&fsum10_sysv::INFO, Conv::SysV),
        (&fsum10_win64::INFO, Conv::Win64),
    ] {
        every_variant(info, conv, &args, |o| {
            assert_eq!(o.f64().to_bits(), want.to_bits())
        });
    }

    let m = (
        200u8,
        1.5f32,
        -300i16,
        0.25f64,
        4_000_000_000u32,
        -2.5f32,
        -(1i64 << 50),
        1e6,
        65_000u16,
        0.125f32,
        -100i8,
        9.0f64,
        3_000_000_000u32,
        -7i8,
    );
    let want = mixed_ref(
        m.0, m.1, m.2, m.3, m.4, m.5, m.6, m.7, m.8, m.9, m.10, m.11, m.12, m.13,
    );
    assert_eq!(
        mixed_sysv(
            m.0, m.1, m.2, m.3, m.4, m.5, m.6, m.7, m.8, m.9, m.10, m.11, m.12, m.13
        ),
        want
    );
    assert_eq!(
        mixed_win64(
            m.0, m.1, m.2, m.3, m.4, m.5, m.6, m.7, m.8, m.9, m.10, m.11, m.12, m.13
        ),
        want
    );
    let args = [
        A::Int(m.0.into(), 1),
        A::F32(m.1),
        A::Int(m.2 as u16 as u64, 2),
        A::F64(m.3),
        A::Int(m.4.into(), 4),
        A::F32(m.5),
        word(m.6 as u64),
        A::F64(m.7),
        A::Int(m.8.into(), 2),
        A::F32(m.9),
        A::Int(m.10 as u8 as u64, 1),
        A::F64(m.11),
        A::Int(m.12.into(), 4),
        A::Int(m.13 as u8 as u64, 1),
    ];
    for (info, conv) in [
        (&mixed_sysv::INFO, Conv::SysV),
        (&mixed_win64::INFO, Conv::Win64),
    ] {
        every_variant(info, conv, &args, |o| assert_eq!(o.f64(), want));
    }
}

// ----- stack locals ---------------------------------------------------------------------------

/// Copies its eight arguments (the last two on the stack under Win64, under System V the last
/// two only after six integers) into a 64-byte-aligned local, checks the local's alignment,
/// and sums it back through an index: a realigned frame addressing stack arguments from rbp.
macro_rules! through_local {
    ($name:ident, $($abi:tt)*) => {
        #[kernel($($abi)*)]
        #[allow(clippy::too_many_arguments)]
        fn $name(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64, h: u64) -> u64 {
            let buf = local(64, 64);
            let small = local(4);
            let all = [a, b, c, d, e, f, g, h];
            let t = gp64();
            for k in 0..8 {
                mov(t, all[k]);
                mov([buf + k * 8], t);
            }
            mov(dword[small], 0);
            mov(rax, -1);
            test(spl, 63);
            jnz(done); // misaligned: return all ones
            xor(eax, eax);
            xor(t.r32(), t.r32());
            label!(sum);
            add(rax, [buf + t * 8]);
            inc(dword[small]);
            inc(t);
            cmp(t, 8);
            jb(sum);
            cmp(dword[small], 8);
            je(done);
            mov(rax, 0xdead);
            label!(done);
            return rax;
        }
    };
}
through_local!(through_local_sysv,);
through_local!(through_local_win64, abi = "win64");

#[test]
fn realigned_locals_in_both_conventions() {
    let vals = [1u64, 20, 300, 4000, 50_000, 600_000, 7_000_000, 80_000_000];
    let want: u64 = vals.iter().sum();
    let [a, b, c, d, e, f, g, h] = vals;
    assert_eq!(through_local_sysv(a, b, c, d, e, f, g, h), want);
    assert_eq!(through_local_win64(a, b, c, d, e, f, g, h), want);
    let args: Vec<A> = vals.iter().map(|v| word(*v)).collect();
    for (info, conv) in [
        (&through_local_sysv::INFO, Conv::SysV),
        (&through_local_win64::INFO, Conv::Win64),
    ] {
        every_variant(info, conv, &args, |o| assert_eq!(o.rax, want));
        assert!(info.variants[0].saved.contains(&"rbp"), "{}", info.name);
    }
}

// ----- the harness catches what the frame cannot prevent ------------------------------------

/// Sets the direction flag and leaves it set.
#[kernel]
fn leaves_df_set() {
    std();
}

/// Pushes its return address again: `ret` returns to the right place, 8 bytes short.
#[kernel]
fn unbalances_rsp() {
    push(qword[rsp]);
}

/// Writes rbx, which the prologue saves at [rsp] — and then overwrites that saved copy.
#[kernel]
fn overwrites_the_saved_rbx() {
    mov(rbx, 1);
    mov(qword[rsp], 0);
}

/// Switches MXCSR to round toward zero and returns.
#[kernel]
fn changes_rounding() {
    let csr = local(4);
    stmxcsr(dword[csr]);
    or(dword[csr], 0x6000);
    ldmxcsr(dword[csr]);
}

/// A System V kernel called as Win64: rsi and xmm6 are scratch to it.
#[kernel]
fn sysv_scratch() {
    mov(rsi, 0);
    xorps(xmm6, xmm6);
}

#[test]
fn the_harness_names_each_violation() {
    let cases: [(&KernelInfo, Conv, &str); 5] = [
        (&leaves_df_set::INFO, Conv::SysV, "direction flag left set"),
        (&unbalances_rsp::INFO, Conv::SysV, "rsp not restored"),
        (&overwrites_the_saved_rbx::INFO, Conv::SysV, "rbx clobbered"),
        (
            &changes_rounding::INFO,
            Conv::SysV,
            "MXCSR control bits changed",
        ),
        (&sysv_scratch::INFO, Conv::Win64, "rsi clobbered"),
    ];
    for (info, conv, want) in cases {
        // SAFETY: the kernels take no arguments and touch no memory but their own stack.
        let result = unsafe { call(info.variants[0].entry.0, conv, &[]) };
        let broken = result.expect_err(info.name);
        assert!(
            broken.iter().any(|b| b.contains(want)),
            "{}: expected \"{want}\", got {broken:?}",
            info.name
        );
        eprintln!("{} is caught: {}", info.name, broken.join("; "));
    }
    // The rsp check measures the damage; the Win64 check names every register.
    let broken = unsafe { call(unbalances_rsp::INFO.variants[0].entry.0, Conv::SysV, &[]) };
    assert!(broken.unwrap_err()[0].contains("(-8 bytes)"));
    let broken = unsafe { call(sysv_scratch::INFO.variants[0].entry.0, Conv::Win64, &[]) };
    assert!(
        broken
            .unwrap_err()
            .iter()
            .any(|b| b.starts_with("xmm6 clobbered"))
    );
    // The same kernels keep their own conventions where they can.
    assert!(unsafe { call(sysv_scratch::INFO.variants[0].entry.0, Conv::SysV, &[]) }.is_ok());
}

// ----- unwinding through a kernel ----------------------------------------------------------

/// The backtrace the callback took, and the test that is waiting for it.
static SEEN: Mutex<Option<String>> = Mutex::new(None);

extern "sysv64" fn capture_sysv() {
    let bt = std::backtrace::Backtrace::force_capture().to_string();
    *SEEN.lock().unwrap_or_else(|e| e.into_inner()) = Some(bt);
}

extern "win64" fn capture_win64() {
    capture_sysv();
}

extern "sysv64-unwind" fn panic_sysv() {
    std::panic::panic_any("through the kernel");
}

/// Calls `f` with callee-saved registers in use (the frame aligns rsp for the call).
#[kernel]
unsafe fn calls_back(f: *const ()) {
    mov(rbx, f);
    mov(r12, 7);
    call(rbx);
    add(r12, 1);
}

/// The same with a 64-byte-aligned local: the CFA is computed from rbp.
#[kernel]
unsafe fn calls_back_realigned(f: *const ()) {
    let buf = local(64, 64);
    mov([buf], f);
    mov(r13, f);
    call(r13);
}

/// Win64: the frame gives the callee its 32 bytes of shadow space at [rsp].
#[kernel(abi = "win64")]
unsafe fn calls_back_win64(f: *const ()) {
    xorps(xmm6, xmm6); // a saved vector register: the CFI names its slot too
    mov(rdi, f);
    call(rdi);
}

fn backtrace_through(entry: *const (), conv: Conv, callback: *const ()) -> String {
    *SEEN.lock().unwrap() = None;
    // SAFETY: each kernel calls `callback`, a function of its own convention taking nothing.
    match conv {
        Conv::SysV => unsafe {
            std::mem::transmute::<*const (), extern "sysv64" fn(*const ())>(entry)(callback)
        },
        Conv::Win64 => unsafe {
            std::mem::transmute::<*const (), extern "win64" fn(*const ())>(entry)(callback)
        },
    }
    SEEN.lock().unwrap().take().expect("the callback ran")
}

#[test]
fn backtraces_and_panics_unwind_through_kernel_frames() {
    let cases: [(&KernelInfo, Conv, *const ()); 3] = [
        (&calls_back::INFO, Conv::SysV, capture_sysv as *const ()),
        (
            &calls_back_realigned::INFO,
            Conv::SysV,
            capture_sysv as *const (),
        ),
        (
            &calls_back_win64::INFO,
            Conv::Win64,
            capture_win64 as *const (),
        ),
    ];
    for (info, conv, callback) in cases {
        let v = &info.variants[0];
        let bt = backtrace_through(v.entry.0, conv, callback);
        // The unwinder found the kernel's frame description and went on past it, up to this
        // test: without CFI it stops at the kernel (or takes a wrong turn there).
        let kernel_at = bt.find(v.symbol);
        let test_at = bt.find("backtraces_and_panics_unwind_through_kernel_frames");
        assert!(
            matches!((kernel_at, test_at), (Some(k), Some(t)) if k < t),
            "{}: the backtrace does not pass through the kernel to the test:\n{bt}",
            info.name
        );
    }
    // A panic in the callback unwinds through the kernel, restoring rbx and r12 from the
    // locations the CFI names, to the `catch_unwind` here.
    let entry = calls_back::INFO.variants[0].entry.0;
    // SAFETY: `calls_back` calls the callback and may unwind, as declared here.
    let f =
        unsafe { std::mem::transmute::<*const (), extern "sysv64-unwind" fn(*const ())>(entry) };
    let caught = std::panic::catch_unwind(|| f(panic_sysv as *const ()));
    let payload = caught.expect_err("the panic reached the test");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"through the kernel"));
}

// ----- unwinding restores the caller's registers ----------------------------------------------

/// The native convention's callee-saved registers that `unwind_probe` checks, by name and
/// index into `Probe::*_gpr` (rbx rbp rsi rdi r12 r13 r14 r15), and whether xmm6–15 count.
#[cfg(windows)]
const PROBED: (&[(&str, usize)], bool) = (
    &[
        ("rbx", 0),
        ("rbp", 1),
        ("rsi", 2),
        ("rdi", 3),
        ("r12", 4),
        ("r13", 5),
        ("r14", 6),
        ("r15", 7),
    ],
    true,
);
#[cfg(not(windows))]
const PROBED: (&[(&str, usize)], bool) = (
    &[
        ("rbx", 0),
        ("rbp", 1),
        ("r12", 4),
        ("r13", 5),
        ("r14", 6),
        ("r15", 7),
    ],
    false,
);

/// What `unwind_probe` loads and finds: the sentinels it puts in every callee-saved register,
/// and what those registers hold when `unwind_probe_inner` (the frame that catches the panic)
/// has returned.
#[repr(C)]
struct Probe {
    sentinel_gpr: [u64; 8],
    sentinel_xmm: [[u64; 2]; 10],
    after_gpr: [u64; 8],
    after_xmm: [[u64; 2]; 10],
}

static PROBE: AtomicPtr<Probe> = AtomicPtr::new(std::ptr::null_mut());
/// The kernel `unwind_probe_inner` calls, its convention and the callback it passes; then
/// the panic message it caught, if any.
static JOB: Mutex<Option<(usize, Conv, usize)>> = Mutex::new(None);
static CAUGHT: Mutex<Option<String>> = Mutex::new(None);

/// The middle of `unwind_probe`: a sentinel into every callee-saved register (GPRs rbx rbp
/// rsi rdi r12–r15 and xmm6–15), the call, and what they hold after it.
/// The probe's epilogue up to `ret`: restores what its prologue saved (both unwind-info
/// flavours share it).
macro_rules! probe_restore {
    () => {
        concat!(
            "movaps xmm6, xmmword ptr [rsp + 32]\n",
            "movaps xmm7, xmmword ptr [rsp + 48]\n",
            "movaps xmm8, xmmword ptr [rsp + 64]\n",
            "movaps xmm9, xmmword ptr [rsp + 80]\n",
            "movaps xmm10, xmmword ptr [rsp + 96]\n",
            "movaps xmm11, xmmword ptr [rsp + 112]\n",
            "movaps xmm12, xmmword ptr [rsp + 128]\n",
            "movaps xmm13, xmmword ptr [rsp + 144]\n",
            "movaps xmm14, xmmword ptr [rsp + 160]\n",
            "movaps xmm15, xmmword ptr [rsp + 176]\n",
            "add rsp, 200\n",
            "pop r15\n",
            "pop r14\n",
            "pop r13\n",
            "pop r12\n",
            "pop rdi\n",
            "pop rsi\n",
            "pop rbp\n",
            "pop rbx\n",
        )
    };
}

macro_rules! probe_body {
    () => {
        concat!(
            "mov r11, qword ptr [rip + {probe}]\n",
            "mov rbx, qword ptr [r11 + {sentinel} + 0]\n",
            "mov rbp, qword ptr [r11 + {sentinel} + 8]\n",
            "mov rsi, qword ptr [r11 + {sentinel} + 16]\n",
            "mov rdi, qword ptr [r11 + {sentinel} + 24]\n",
            "mov r12, qword ptr [r11 + {sentinel} + 32]\n",
            "mov r13, qword ptr [r11 + {sentinel} + 40]\n",
            "mov r14, qword ptr [r11 + {sentinel} + 48]\n",
            "mov r15, qword ptr [r11 + {sentinel} + 56]\n",
            "movups xmm6, xmmword ptr [r11 + {sentinel_xmm} + 0]\n",
            "movups xmm7, xmmword ptr [r11 + {sentinel_xmm} + 16]\n",
            "movups xmm8, xmmword ptr [r11 + {sentinel_xmm} + 32]\n",
            "movups xmm9, xmmword ptr [r11 + {sentinel_xmm} + 48]\n",
            "movups xmm10, xmmword ptr [r11 + {sentinel_xmm} + 64]\n",
            "movups xmm11, xmmword ptr [r11 + {sentinel_xmm} + 80]\n",
            "movups xmm12, xmmword ptr [r11 + {sentinel_xmm} + 96]\n",
            "movups xmm13, xmmword ptr [r11 + {sentinel_xmm} + 112]\n",
            "movups xmm14, xmmword ptr [r11 + {sentinel_xmm} + 128]\n",
            "movups xmm15, xmmword ptr [r11 + {sentinel_xmm} + 144]\n",
            "call {inner}\n",
            "mov r11, qword ptr [rip + {probe}]\n",
            "mov qword ptr [r11 + {after} + 0], rbx\n",
            "mov qword ptr [r11 + {after} + 8], rbp\n",
            "mov qword ptr [r11 + {after} + 16], rsi\n",
            "mov qword ptr [r11 + {after} + 24], rdi\n",
            "mov qword ptr [r11 + {after} + 32], r12\n",
            "mov qword ptr [r11 + {after} + 40], r13\n",
            "mov qword ptr [r11 + {after} + 48], r14\n",
            "mov qword ptr [r11 + {after} + 56], r15\n",
            "movups xmmword ptr [r11 + {after_xmm} + 0], xmm6\n",
            "movups xmmword ptr [r11 + {after_xmm} + 16], xmm7\n",
            "movups xmmword ptr [r11 + {after_xmm} + 32], xmm8\n",
            "movups xmmword ptr [r11 + {after_xmm} + 48], xmm9\n",
            "movups xmmword ptr [r11 + {after_xmm} + 64], xmm10\n",
            "movups xmmword ptr [r11 + {after_xmm} + 80], xmm11\n",
            "movups xmmword ptr [r11 + {after_xmm} + 96], xmm12\n",
            "movups xmmword ptr [r11 + {after_xmm} + 112], xmm13\n",
            "movups xmmword ptr [r11 + {after_xmm} + 128], xmm14\n",
            "movups xmmword ptr [r11 + {after_xmm} + 144], xmm15\n",
        )
    };
}

/// Saves its caller's callee-saved registers on the stack (described to the unwinder like
/// compiled code's), runs `probe_body!` — sentinels, `call unwind_probe_inner`, record — and
/// restores them. `unwind_probe_inner` catches the panic, so after unwinding through the
/// kernel it must see the registers exactly as after a normal return: what compiled code
/// keeps live across the call. 200 bytes of frame: the vector saves, rsp 16-aligned at the
/// call and the callee's 32-byte shadow space (Win64).
#[unsafe(naked)]
extern "C" fn unwind_probe() {
    #[cfg(not(windows))]
    core::arch::naked_asm!(
        ".cfi_startproc",
        "push rbx",
        ".cfi_def_cfa_offset 16",
        ".cfi_offset 3, -16",
        "push rbp",
        ".cfi_def_cfa_offset 24",
        ".cfi_offset 6, -24",
        "push rsi",
        ".cfi_def_cfa_offset 32",
        ".cfi_offset 4, -32",
        "push rdi",
        ".cfi_def_cfa_offset 40",
        ".cfi_offset 5, -40",
        "push r12",
        ".cfi_def_cfa_offset 48",
        ".cfi_offset 12, -48",
        "push r13",
        ".cfi_def_cfa_offset 56",
        ".cfi_offset 13, -56",
        "push r14",
        ".cfi_def_cfa_offset 64",
        ".cfi_offset 14, -64",
        "push r15",
        ".cfi_def_cfa_offset 72",
        ".cfi_offset 15, -72",
        "sub rsp, 200",
        ".cfi_def_cfa_offset 272",
        "movaps xmmword ptr [rsp + 32], xmm6",
        ".cfi_offset 23, -240",
        "movaps xmmword ptr [rsp + 48], xmm7",
        ".cfi_offset 24, -224",
        "movaps xmmword ptr [rsp + 64], xmm8",
        ".cfi_offset 25, -208",
        "movaps xmmword ptr [rsp + 80], xmm9",
        ".cfi_offset 26, -192",
        "movaps xmmword ptr [rsp + 96], xmm10",
        ".cfi_offset 27, -176",
        "movaps xmmword ptr [rsp + 112], xmm11",
        ".cfi_offset 28, -160",
        "movaps xmmword ptr [rsp + 128], xmm12",
        ".cfi_offset 29, -144",
        "movaps xmmword ptr [rsp + 144], xmm13",
        ".cfi_offset 30, -128",
        "movaps xmmword ptr [rsp + 160], xmm14",
        ".cfi_offset 31, -112",
        "movaps xmmword ptr [rsp + 176], xmm15",
        ".cfi_offset 32, -96",
        probe_body!(),
        probe_restore!(),
        ".cfi_def_cfa_offset 8",
        "ret",
        ".cfi_endproc",
        probe = sym PROBE,
        inner = sym unwind_probe_inner,
        sentinel = const offset_of!(Probe, sentinel_gpr),
        sentinel_xmm = const offset_of!(Probe, sentinel_xmm),
        after = const offset_of!(Probe, after_gpr),
        after_xmm = const offset_of!(Probe, after_xmm),
    );
    #[cfg(windows)]
    core::arch::naked_asm!(
        ".seh_proc {me}",
        "push rbx",
        ".seh_pushreg rbx",
        "push rbp",
        ".seh_pushreg rbp",
        "push rsi",
        ".seh_pushreg rsi",
        "push rdi",
        ".seh_pushreg rdi",
        "push r12",
        ".seh_pushreg r12",
        "push r13",
        ".seh_pushreg r13",
        "push r14",
        ".seh_pushreg r14",
        "push r15",
        ".seh_pushreg r15",
        "sub rsp, 200",
        ".seh_stackalloc 200",
        "movaps xmmword ptr [rsp + 32], xmm6",
        ".seh_savexmm xmm6, 32",
        "movaps xmmword ptr [rsp + 48], xmm7",
        ".seh_savexmm xmm7, 48",
        "movaps xmmword ptr [rsp + 64], xmm8",
        ".seh_savexmm xmm8, 64",
        "movaps xmmword ptr [rsp + 80], xmm9",
        ".seh_savexmm xmm9, 80",
        "movaps xmmword ptr [rsp + 96], xmm10",
        ".seh_savexmm xmm10, 96",
        "movaps xmmword ptr [rsp + 112], xmm11",
        ".seh_savexmm xmm11, 112",
        "movaps xmmword ptr [rsp + 128], xmm12",
        ".seh_savexmm xmm12, 128",
        "movaps xmmword ptr [rsp + 144], xmm13",
        ".seh_savexmm xmm13, 144",
        "movaps xmmword ptr [rsp + 160], xmm14",
        ".seh_savexmm xmm14, 160",
        "movaps xmmword ptr [rsp + 176], xmm15",
        ".seh_savexmm xmm15, 176",
        ".seh_endprologue",
        probe_body!(),
        probe_restore!(),
        "ret",
        ".seh_endproc",
        me = sym unwind_probe,
        probe = sym PROBE,
        inner = sym unwind_probe_inner,
        sentinel = const offset_of!(Probe, sentinel_gpr),
        sentinel_xmm = const offset_of!(Probe, sentinel_xmm),
        after = const offset_of!(Probe, after_gpr),
        after_xmm = const offset_of!(Probe, after_xmm),
    );
}

/// Calls the kernel of `JOB` with its callback inside `catch_unwind`; records the message of
/// the panic it caught. Compiled code between the sentinels and the kernel, as in a program.
extern "C" fn unwind_probe_inner() {
    let (entry, conv, callback) = JOB.lock().unwrap().expect("a job");
    // SAFETY: the kernel takes one pointer, a callback of its own convention that may unwind.
    let caught = std::panic::catch_unwind(|| match conv {
        Conv::SysV => unsafe {
            std::mem::transmute::<usize, extern "sysv64-unwind" fn(usize)>(entry)(callback)
        },
        Conv::Win64 => unsafe {
            std::mem::transmute::<usize, extern "win64-unwind" fn(usize)>(entry)(callback)
        },
    });
    let message = caught.err().map(|p| {
        p.downcast_ref::<&str>()
            .map_or("(not a &str)".to_owned(), |s| (*s).to_owned())
    });
    *CAUGHT.lock().unwrap() = message;
}

/// Runs `kernel(callback)` between sentinels (see `unwind_probe`); returns the message of the
/// panic caught above the kernel, or the registers the caller lost.
fn probe_unwinding(
    info: &KernelInfo,
    conv: Conv,
    callback: *const (),
) -> Result<Option<String>, Vec<String>> {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let mut probe: Box<Probe> = Box::new(unsafe { std::mem::zeroed() });
    for (i, g) in probe.sentinel_gpr.iter_mut().enumerate() {
        *g = 0x5e17_0000_0000_0000 | (i as u64) << 32 | 0xc0de;
    }
    for (i, x) in probe.sentinel_xmm.iter_mut().enumerate() {
        *x = [
            0x5e17_0000_0000_0000 | i as u64,
            0x7e17_0000_0000_0000 | i as u64,
        ];
    }
    *JOB.lock().unwrap() = Some((info.variants[0].entry.0 as usize, conv, callback as usize));
    *CAUGHT.lock().unwrap() = None;
    PROBE.store(&mut *probe, Ordering::SeqCst);
    unwind_probe();
    PROBE.store(std::ptr::null_mut(), Ordering::SeqCst);
    let mut lost = Vec::new();
    for &(name, i) in PROBED.0 {
        if probe.after_gpr[i] != probe.sentinel_gpr[i] {
            lost.push(format!(
                "{name}: {:#x}, not the sentinel {:#x}",
                probe.after_gpr[i], probe.sentinel_gpr[i]
            ));
        }
    }
    if PROBED.1 {
        for i in 0..10 {
            if probe.after_xmm[i] != probe.sentinel_xmm[i] {
                lost.push(format!(
                    "xmm{}: {:x?}, not the sentinel {:x?}",
                    i + 6,
                    probe.after_xmm[i],
                    probe.sentinel_xmm[i]
                ));
            }
        }
    }
    let caught = CAUGHT.lock().unwrap().take();
    if lost.is_empty() {
        Ok(caught)
    } else {
        Err(lost)
    }
}

extern "win64-unwind" fn panic_win64() {
    std::panic::panic_any("through the kernel");
}

extern "sysv64" fn returns_sysv() {}

extern "win64" fn returns_win64() {}

/// A callback that breaks its own contract: it changes r15 (callee-saved everywhere) and
/// returns. A kernel that does not write r15 does not save it, so the probe must see it.
#[unsafe(naked)]
extern "sysv64" fn clobbers_r15() {
    core::arch::naked_asm!("mov r15, 0x666", "ret");
}

/// Writes every System V callee-saved register (rbp too: no frame pointer here), then calls
/// `f` with a 16-aligned rsp.
#[kernel]
unsafe fn unwind_push_sysv(f: *const ()) {
    let regs = [rbx, rbp, r12, r13, r14, r15];
    mov(rax, f);
    for k in 0..6 {
        mov(regs[k], k + 1);
    }
    call(rax);
}

/// The same through a frame realigned for a 64-byte local (rbp is the frame pointer).
#[kernel]
unsafe fn unwind_realign_sysv(f: *const ()) {
    let buf = local(64, 64);
    let regs = [rbx, r12, r13, r14, r15];
    mov([buf], f);
    for k in 0..5 {
        mov(regs[k], k + 1);
    }
    mov(rax, [buf]);
    call(rax);
}

/// Win64: writes every callee-saved GPR and xmm6–15 and keeps the callback in a local.
#[kernel(abi = "win64")]
unsafe fn unwind_locals_win64(f: *const ()) {
    let tmp = local(48);
    let gprs = [rbx, rbp, rsi, rdi, r12, r13, r14, r15];
    let xmms = [
        xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15,
    ];
    mov([tmp + 8], f);
    for k in 0..8 {
        mov(gprs[k], k + 1);
    }
    for k in 0..10 {
        pcmpeqd(xmms[k], xmms[k]);
    }
    mov(rax, [tmp + 8]);
    call(rax);
}

/// Win64 through a realigned frame: the unwinder takes rsp from rbp (`.seh_setframe`).
#[kernel(abi = "win64")]
unsafe fn unwind_realign_win64(f: *const ()) {
    let buf = local(128, 64);
    let gprs = [rbx, rsi, rdi, r12, r13, r14, r15];
    let xmms = [
        xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14, xmm15,
    ];
    mov([buf + 64], f);
    for k in 0..7 {
        mov(gprs[k], k + 1);
    }
    for k in 0..10 {
        pcmpeqd(xmms[k], xmms[k]);
    }
    mov(rax, [buf + 64]);
    call(rax);
}

#[test]
fn panics_through_kernels_leave_every_callee_saved_register_to_the_catcher() {
    let cases: [(&KernelInfo, Conv); 4] = [
        (&unwind_push_sysv::INFO, Conv::SysV),
        (&unwind_realign_sysv::INFO, Conv::SysV),
        (&unwind_locals_win64::INFO, Conv::Win64),
        (&unwind_realign_win64::INFO, Conv::Win64),
    ];
    for (info, conv) in cases {
        let (panics, returns) = match conv {
            Conv::SysV => (panic_sysv as *const (), returns_sysv as *const ()),
            Conv::Win64 => (panic_win64 as *const (), returns_win64 as *const ()),
        };
        // A normal return first: the probe itself and the kernel's epilogue.
        let back = probe_unwinding(info, conv, returns);
        assert_eq!(back, Ok(None), "{} (returning)", info.name);
        // Then a panic: only the unwind information brings the registers back.
        let caught = probe_unwinding(info, conv, panics);
        assert_eq!(
            caught,
            Ok(Some("through the kernel".to_owned())),
            "{}: the panic did not leave the caller's registers intact",
            info.name
        );
    }
    // The frames are the ones described: saves, realignment, vector saves, locals.
    let saved = |info: &KernelInfo| info.variants[0].saved;
    assert!(saved(&unwind_realign_sysv::INFO).contains(&"rbp"));
    assert!(saved(&unwind_locals_win64::INFO).contains(&"xmm15"));
    assert!(saved(&unwind_realign_win64::INFO).contains(&"rbp"));
    assert!(saved(&unwind_realign_win64::INFO).contains(&"xmm6"));
}

#[test]
fn the_unwinding_probe_sees_a_lost_register() {
    let lost = probe_unwinding(&calls_back::INFO, Conv::SysV, clobbers_r15 as *const ());
    let lost = lost.expect_err("r15 changed under the probe");
    assert!(
        lost.len() == 1 && lost[0].starts_with("r15: 0x666"),
        "{lost:?}"
    );
}
