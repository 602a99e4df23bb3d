//! A tour of asmforge: runs every example kernel next to its plain Rust reference and shows
//! what the compiler made of it — symbol, sizes, the CPU features its instructions use, the
//! callee-saved registers it saves, and the disassembly with source lines.
//!
//! ```text
//! cargo run --release --example tour
//! ```
//!
//! The kernels live in `examples/kernels/`, which `tests/examples.rs` also tests.

mod kernels;

use std::fmt::Debug;

use asmforge::KernelInfo;
use kernels::{add_f32, mul_const, mxcsr, peachpy, rdtsc, sdot, vector_op, vector_sum};

/// Width the feature list wraps at.
const WIDTH: usize = 96;

fn main() {
    print_cpu();
    tour_add_f32();
    tour_mul_const();
    tour_rdtsc();
    tour_mxcsr();
    tour_peachpy();
    tour_vector_sum();
    tour_vector_op();
    tour_sdot();
}

fn tour_sdot() {
    let x = series(1000, |i| (i % 7) as f32 * 0.25);
    let y = series(1000, |i| (i % 5) as f32 - 2.0);
    let got = sdot::sdot(&x, &y);
    let want = sdot::sdot_f64(&x, &y);
    show(
        &sdot::sdot::INFO,
        "sdot(x, y)  (1000 elements; f64 reference)",
        got,
        want,
        (f64::from(got) - want).abs() <= 1e-3 * want.abs().max(1.0),
    );
}

fn print_cpu() {
    let names: Vec<&str> = asmforge::detect::detected().map(|f| f.name()).collect();
    println!("CPU features detected ({}):", names.len());
    let mut line = String::from(" ");
    for name in names {
        if line.len() + 1 + name.len() > WIDTH {
            println!("{line}");
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(name);
    }
    println!("{line}");
    println!("ISA cap (ASMFORGE_ISA): {:?}", asmforge::isa::current());
}

/// Prints one kernel: what it computed against the reference, then each variant's metadata
/// (best first, the one dispatch picks marked) and the listing of the picked one.
fn show(info: &KernelInfo, call: &str, got: impl Debug, want: impl Debug, agree: bool) {
    let picked = info.best_supported();
    println!("\n== {} ==", info.name);
    match picked {
        Some(v) => {
            let verdict = if agree { "ok" } else { "MISMATCH" };
            println!("  {call}   [dispatch: {}]", v.name);
            println!("    kernel    {got:?}");
            println!("    reference {want:?}  [{verdict}]");
        }
        None => println!("  not run: no variant runs on this CPU"),
    }
    let join = |items: &mut dyn Iterator<Item = &str>| {
        let s: Vec<&str> = items.collect();
        if s.is_empty() {
            "-".to_owned()
        } else {
            s.join(" ")
        }
    };
    for v in info.variants {
        let mark = if picked.is_some_and(|p| std::ptr::eq(p, v)) {
            "*"
        } else {
            " "
        };
        let missing = v.missing_features();
        let status = if missing.is_empty() {
            String::new()
        } else {
            format!("  (not here: needs {missing})")
        };
        println!("  {mark} variant {}{status}", v.name);
        println!("      symbol    {}", v.symbol);
        println!("      calls as  {}", v.convention);
        println!(
            "      size      {} B code + {} B pool; registers {} gpr, {} vector, {} mask; saves {}",
            v.code_size,
            v.pool_size,
            v.registers[0],
            v.registers[1],
            v.registers[2],
            join(&mut v.saved.iter().copied()),
        );
        if !v.declared.is_empty() {
            println!(
                "      declared  {}",
                join(&mut v.declared.iter().map(|f| f.name()))
            );
        }
        println!(
            "      uses      {}",
            join(&mut v.used.iter().map(|f| f.name()))
        );
    }
    if let Some(v) = picked.or(info.variants.first()) {
        print!("{}", indent(&asmforge::listing::listing(v)));
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  {l}\n")).collect()
}

/// A short, deterministic input: `f(0), f(1), ...`.
fn series<T>(n: usize, f: impl Fn(usize) -> T) -> Vec<T> {
    (0..n).map(f).collect()
}

fn tour_add_f32() {
    let a = series(5, |i| i as f32 + 0.5);
    let b = series(5, |i| 10.0 * i as f32);
    let mut out = vec![0.0f32; 5];
    if add_f32::add_f32::INFO.variants[0].is_supported() {
        // SAFETY: all three hold 5 elements.
        unsafe { add_f32::add_f32(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), 5) };
    }
    let want = add_f32::add_f32_ref(&a, &b);
    show(
        &add_f32::add_f32::INFO,
        &format!("add_f32({a:?}, {b:?}, out, 5)"),
        &out,
        &want,
        out == want,
    );
}

fn tour_mul_const() {
    let x = 0x0123_4567_89ab_cdef;
    let (got, want) = (mul_const::mul_const(x), mul_const::mul_const_ref(x));
    show(
        &mul_const::mul_const::INFO,
        &format!("mul_const({x:#x})  (* {:#x}, wrapping)", mul_const::FACTOR),
        format_args!("{got:#x}"),
        format_args!("{want:#x}"),
        got == want,
    );
}

fn tour_rdtsc() {
    let before = rdtsc::rdtsc_ref();
    let t = rdtsc::rdtsc();
    let after = rdtsc::rdtsc_ref();
    show(
        &rdtsc::rdtsc::INFO,
        "rdtsc()",
        t,
        format_args!("_rdtsc() before {before}, after {after}"),
        before <= t && t <= after,
    );
}

/// MXCSR as Rust's intrinsic reads it.
#[allow(
    deprecated,
    reason = "`_mm_getcsr` is deprecated to discourage changing the FP environment; the tour only reads it"
)]
fn mm_getcsr() -> u32 {
    // SAFETY: SSE is part of x86-64.
    unsafe { core::arch::x86_64::_mm_getcsr() }
}

fn tour_mxcsr() {
    let old = mm_getcsr();
    let got = mxcsr::get_mxcsr();
    show(
        &mxcsr::get_mxcsr::INFO,
        "get_mxcsr()",
        format_args!("{got:#06x}"),
        format_args!("{old:#06x} (_mm_getcsr)"),
        got == old,
    );

    // Flip the sticky "invalid operation" flag: a status bit, so no result changes.
    let flipped = old ^ 1;
    // SAFETY: only a status flag changes, and the old value is restored right after.
    unsafe { mxcsr::set_mxcsr(flipped) };
    let seen = mm_getcsr();
    // SAFETY: restores the value Rust code expects.
    unsafe { mxcsr::set_mxcsr(old) };
    show(
        &mxcsr::set_mxcsr::INFO,
        &format!("set_mxcsr({flipped:#06x}), then _mm_getcsr()"),
        format_args!("{seen:#06x}"),
        format_args!("{flipped:#06x}"),
        seen == flipped,
    );

    let (a, b) = (f32::MIN_POSITIVE / 4.0, 0.0f32);
    let got = mxcsr::add_ftz_daz(a, b);
    let want = mxcsr::add_ftz_daz_ref(a, b);
    let outside = std::hint::black_box(a) + std::hint::black_box(b);
    show(
        &mxcsr::add_ftz_daz::INFO,
        &format!("add_ftz_daz({a:e}, {b:e})  (plain Rust outside the kernel: {outside:e})"),
        got,
        want,
        got.to_bits() == want.to_bits() && mm_getcsr() & (mxcsr::FTZ | mxcsr::DAZ) == 0,
    );
}

fn tour_peachpy() {
    let (x, y) = (-1_000_000_007, 2_000_000_011);
    let (got, want) = (peachpy::add_i32(x, y), peachpy::add_i32_ref(x, y));
    show(
        &peachpy::add_i32::INFO,
        &format!("add_i32({x}, {y})"),
        got,
        want,
        got == want,
    );

    let x = [1.0f32, 2.0, 3.0, 4.0];
    let y = [0.5f32, -1.0, 0.25, 2.0];
    let mut got = f32::NAN;
    if peachpy::dot_sse41::INFO.variants[0].is_supported() {
        // SAFETY: both hold 4 floats.
        got = unsafe { peachpy::dot_sse41(x.as_ptr(), y.as_ptr()) };
    }
    let want = peachpy::dot_sse41_ref(&x, &y);
    show(
        &peachpy::dot_sse41::INFO,
        &format!("dot_sse41({x:?}, {y:?})"),
        got,
        want,
        got.to_bits() == want.to_bits(),
    );
}

fn tour_vector_sum() {
    // 100 elements: three blocks of 32 (or six of 16), then a scalar tail.
    let x = series(100, |i| 1.0 / (i as f32 + 1.0));
    run_vector_sum(
        vector_sum::vector_sum_u4_p256,
        &vector_sum::vector_sum_u4_p256::INFO,
        4,
        &x,
    );
    run_vector_sum(
        vector_sum::vector_sum_u2,
        &vector_sum::vector_sum_u2::INFO,
        2,
        &x,
    );
}

fn run_vector_sum(kernel: fn(&[f32]) -> f32, info: &KernelInfo, unroll: usize, x: &[f32]) {
    let got = if info.variants[0].is_supported() {
        kernel(x)
    } else {
        f32::NAN
    };
    let want = vector_sum::vector_sum_ref(x, unroll);
    show(
        info,
        &format!("sum of 1/1 + 1/2 + ... + 1/{}", x.len()),
        got,
        want,
        got.to_bits() == want.to_bits(),
    );
}

type VectorOp<T> = unsafe fn(*const T, *const T, *mut T, usize);

fn tour_vector_op() {
    use vector_op::{vector_add_i32, vector_add_i64, vector_sub_i32, vector_sub_i64};
    // 11 elements: one vector iteration of 8 (i32) or two of 4 (i64), then a scalar tail.
    let n = 11;
    let x32 = series(n, |i| i as i32 * 1000 - 3);
    let y32 = series(n, |i| i32::MAX - i as i32);
    let x64 = series(n, |i| i as i64 * 1_000_000_000_000 - 3);
    let y64 = series(n, |i| i64::MAX - i as i64);
    let (add32, sub32) = (i32::wrapping_add, i32::wrapping_sub);
    let (add64, sub64) = (i64::wrapping_add, i64::wrapping_sub);
    run_vector_op(
        vector_add_i32,
        &vector_add_i32::INFO,
        add32,
        "+",
        &x32,
        &y32,
    );
    run_vector_op(
        vector_sub_i32,
        &vector_sub_i32::INFO,
        sub32,
        "-",
        &x32,
        &y32,
    );
    run_vector_op(
        vector_add_i64,
        &vector_add_i64::INFO,
        add64,
        "+",
        &x64,
        &y64,
    );
    run_vector_op(
        vector_sub_i64,
        &vector_sub_i64::INFO,
        sub64,
        "-",
        &x64,
        &y64,
    );
}

fn run_vector_op<T: Copy + Default + Debug + PartialEq>(
    kernel: VectorOp<T>,
    info: &KernelInfo,
    op: fn(T, T) -> T,
    sym: &str,
    x: &[T],
    y: &[T],
) {
    let mut z = vec![T::default(); x.len()];
    if info.variants[0].is_supported() {
        // SAFETY: x, y and z hold x.len() elements.
        unsafe { kernel(x.as_ptr(), y.as_ptr(), z.as_mut_ptr(), x.len()) };
    }
    let want = vector_op::vector_op_ref(x, y, op);
    show(
        info,
        &format!(
            "z = x {sym} y (wrapping), {} elements; last three:",
            x.len()
        ),
        &z[z.len() - 3..],
        &want[want.len() - 3..],
        z == want,
    );
}
