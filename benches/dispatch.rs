//! Dispatch overhead per call: one trivial function (`x + 1`) with an SSE2 and an AVX2
//! version, called 1,000 times per iteration, five ways:
//!
//! * `asmforge-dispatched`: the `#[kernel]` wrapper (inlined: one `Relaxed` load of the
//!   kernel's `DISPATCH` pointer, a null check, an indirect call) — what users call;
//! * `asmforge-entry`: the same variant through its entry pointer, loaded once before the loop
//!   (an indirect call with the pointer in a register: no load, no check);
//! * `multiversion`: `#[multiversion(targets("x86_64+avx2"))]` with its default dispatcher;
//! * `is_x86_feature_detected`: `is_x86_feature_detected!("avx2")` on every call, then a
//!   direct call of the `#[target_feature(enable = "avx2")]` or the baseline function;
//! * `rust-direct-call`: an `#[inline(never)]` Rust function, for scale (a direct call).
//!
//! Two loops, because an out-of-order core hides a dispatch check that is off the critical
//! path: `chain` feeds each result into the next call (latency: the pointer load and the
//! check overlap the chain), `independent` sums the results of calls on the loop counter
//! (throughput: every extra instruction competes for issue slots). Arguments pass through an
//! empty `asm!` that keeps them in a register, so the compiler can neither fold the calls nor
//! add a store and reload per call (as `black_box` on a `u64` does).
//!
//! `cargo bench --bench dispatch`; the last lines give ns per call and the difference to
//! `asmforge-entry`.

mod common;

use asmforge::kernel;
use criterion::{Criterion, Throughput};
use multiversion::multiversion;

/// Calls per benchmark iteration.
const CALLS: u64 = 1000;

/// The two loops, as criterion groups.
const GROUPS: [&str; 2] = ["dispatch-chain", "dispatch-independent"];

/// `x + 1`, as an asmforge kernel with two variants (the same code in each).
#[kernel(targets(sse2, avx2))]
fn add1(x: u64) -> u64 {
    lea(rax, [x + 1]);
    return rax;
}

/// `x + 1`, cloned by `multiversion` for AVX2 and the baseline.
#[multiversion(targets("x86_64+avx2"))]
fn add1_multiversion(x: u64) -> u64 {
    x.wrapping_add(1)
}

#[inline(never)]
#[target_feature(enable = "avx2")]
fn add1_avx2(x: u64) -> u64 {
    x.wrapping_add(1)
}

#[inline(never)]
fn add1_baseline(x: u64) -> u64 {
    x.wrapping_add(1)
}

/// Detects on every call, as a hand-written dispatcher without a cached pointer would.
#[inline]
fn add1_detect(x: u64) -> u64 {
    if is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present.
        unsafe { add1_avx2(x) }
    } else {
        add1_baseline(x)
    }
}

/// `x`, opaque to the optimizer but still in a register: no code, no memory traffic.
#[inline(always)]
fn opaque(mut x: u64) -> u64 {
    // SAFETY: an empty template: no instructions, no effects.
    unsafe { std::arch::asm!("/* {0} */", inout(reg) x, options(pure, nomem, nostack)) };
    x
}

/// `f`, opaque to the optimizer, in a register.
#[inline(always)]
fn opaque_ptr(mut f: add1::Entry) -> add1::Entry {
    // SAFETY: an empty template: no instructions, no effects.
    unsafe { std::arch::asm!("/* {0} */", inout(reg) f, options(nostack)) };
    f
}

/// `CALLS` dependent calls of `f`: each takes the previous result.
#[inline(always)]
fn chain(f: impl Fn(u64) -> u64) -> u64 {
    let mut x = opaque(0);
    for _ in 0..CALLS {
        x = f(opaque(x));
    }
    x
}

/// `CALLS` independent calls of `f` on the loop counter, summed.
#[inline(always)]
fn independent(f: impl Fn(u64) -> u64) -> u64 {
    let mut sum = 0u64;
    for i in 0..CALLS {
        sum = sum.wrapping_add(f(opaque(i)));
    }
    sum
}

/// The benchmark names, in the order they run and print.
const IDS: [&str; 5] = [
    "asmforge-dispatched",
    "asmforge-entry",
    "multiversion",
    "is_x86_feature_detected",
    "rust-direct-call",
];

/// One group: the five ways, each in the loop `$looped` (`chain` or `independent`).
macro_rules! bench_group {
    ($c:expr, $group:expr, $looped:ident, $entry:expr) => {{
        let entry: add1::Entry = $entry;
        let mut g = $c.benchmark_group($group);
        g.throughput(Throughput::Elements(CALLS));
        g.bench_function(IDS[0], |b| b.iter(|| $looped(add1)));
        g.bench_function(IDS[1], |b| {
            b.iter(|| {
                // Opaque, so the call stays indirect; in a register, so it is not reloaded.
                let f: add1::Entry = opaque_ptr(entry);
                // SAFETY: `entry` is a variant this CPU runs.
                $looped(|x| unsafe { f(x) })
            })
        });
        g.bench_function(IDS[2], |b| b.iter(|| $looped(add1_multiversion)));
        g.bench_function(IDS[3], |b| b.iter(|| $looped(add1_detect)));
        g.bench_function(IDS[4], |b| b.iter(|| $looped(add1_baseline)));
        g.finish();
    }};
}

fn bench(c: &mut Criterion) {
    let selected = add1::DISPATCH.selected().expect("add1 has an SSE2 variant");
    // SAFETY: `selected` is the variant dispatch picked, so this CPU runs it; `Entry` is its
    // type.
    let entry: add1::Entry = unsafe { std::mem::transmute(selected.entry.0) };
    eprintln!("dispatch: asmforge picks `{}`", selected.name);
    bench_group!(c, GROUPS[0], chain, entry);
    bench_group!(c, GROUPS[1], independent, entry);
}

fn main() {
    let estimates = common::Estimates::new();
    let mut c = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2))
        .nresamples(20_000)
        .configure_from_args();
    bench(&mut c);
    c.final_summary();
    for group in GROUPS {
        let per_call = |id| estimates.median_ns(group, id).map(|ns| ns / CALLS as f64);
        let Some(base) = per_call(IDS[1]) else {
            continue;
        };
        println!(
            "\n{group}: ns per call (median, fastest sample), and the medians' difference to {}",
            IDS[1]
        );
        for id in IDS {
            if let Some(ns) = per_call(id) {
                let best = estimates
                    .fastest_ns(group, id)
                    .map_or(f64::NAN, |ns| ns / CALLS as f64);
                println!("  {id:<24} {ns:7.3} {best:7.3}  {:+7.3}", ns - base);
            }
        }
    }
}
