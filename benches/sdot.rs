//! `sdot` against what a user would otherwise write, at three sizes, side by side.
//!
//! Sizes count the bytes of *both* inputs: 4 KiB (512 floats per vector, L1-resident),
//! 256 KiB (32,768 per vector, L2-resident on a CPU with ≥ 512 KiB of L2) and 64 MiB
//! (8 Mi per vector, past a 32 MiB L3: DRAM). Both inputs are 64-byte aligned, and every
//! implementation reads the same two buffers.
//!
//! Implementations, each an out-of-line call:
//!
//! * `asmforge-<variant>`: every variant of `examples/kernels/sdot.rs` this CPU runs, called
//!   through its entry pointer; `asmforge-dispatched`: the `sdot(x, y)` wrapper;
//! * `naive`: `x.iter().zip(y).map(|(a, b)| a * b).sum()` for the default target (SSE2;
//!   rustc keeps the sequential float sum, so it stays scalar);
//! * `rustc-avx2fma-<N>acc`: `chunks_exact(N)` with `N` f32 accumulators and `mul_add` under
//!   `#[target_feature(enable = "avx2,fma")]`, which rustc turns into `N / 8` ymm
//!   `vfmadd231ps` chains (N = 16 as commonly written, N = 32 for enough chains to cover the
//!   FMA latency), then adds the N lanes one after another, as Rust's float semantics require;
//! * `intrinsics-avx512f`: `std::arch` with four `_mm512_fmadd_ps` accumulators,
//!   `_mm512_loadu_ps` and `_mm512_reduce_add_ps` under `#[target_feature(enable =
//!   "avx512f")]`.
//!
//! Throughput counts the bytes of both inputs (GB/s = 10⁹ B/s). After criterion's report,
//! the bench prints the core clock it measured, then per size the GB/s of each implementation
//! (fastest sample and median) with the ratios of the fastest samples to `naive` and to
//! `intrinsics-avx512f`, and last an interleaved cross-check (every implementation once per
//! round, round after round) whose ratios no drift in the machine's load can bias.
//! `cargo bench --bench sdot`; `scripts/bench-table` turns the estimates into markdown.

mod common;

#[path = "../examples/kernels/sdot.rs"]
#[allow(dead_code, reason = "the f64 reference is for the tests")]
mod sdot_kernel;

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use sdot_kernel::sdot;

/// A size: criterion group name, floats per vector, and how long to measure.
struct Size {
    group: &'static str,
    n: usize,
    warm_up: Duration,
    measure: Duration,
    samples: usize,
}

const SIZES: [Size; 3] = [
    Size {
        group: "sdot-4KiB",
        n: 512,
        warm_up: Duration::from_millis(500),
        measure: Duration::from_millis(1500),
        samples: 50,
    },
    Size {
        group: "sdot-256KiB",
        n: 32 * 1024,
        warm_up: Duration::from_millis(500),
        measure: Duration::from_millis(1500),
        samples: 50,
    },
    Size {
        group: "sdot-64MiB",
        n: 8 * 1024 * 1024,
        warm_up: Duration::from_millis(500),
        measure: Duration::from_secs(3),
        samples: 30,
    },
];

const NAIVE: &str = "naive";
const INTRINSICS: &str = "intrinsics-avx512f";

/// The scalar loop, compiled for the default target.
#[inline(never)]
fn naive(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// `N` accumulators over `chunks_exact(N)`, left to rustc's vectorizer with AVX2 and FMA.
#[inline(never)]
#[target_feature(enable = "avx2,fma")]
fn rustc_avx2_fma<const N: usize>(x: &[f32], y: &[f32]) -> f32 {
    let n = x.len().min(y.len());
    let (x, y) = (&x[..n], &y[..n]);
    let mut acc = [0.0f32; N];
    let (xs, ys) = (x.chunks_exact(N), y.chunks_exact(N));
    let (xr, yr) = (xs.remainder(), ys.remainder());
    for (a, b) in xs.zip(ys) {
        for j in 0..N {
            acc[j] = a[j].mul_add(b[j], acc[j]);
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (a, b) in xr.iter().zip(yr) {
        sum = a.mul_add(*b, sum);
    }
    sum
}

/// Four zmm accumulators with `std::arch` intrinsics.
#[allow(
    clippy::incompatible_msrv,
    reason = "the AVX-512 intrinsics are stable since Rust 1.89: the benches need it, the crates do not"
)]
#[inline(never)]
#[target_feature(enable = "avx512f")]
fn intrinsics_avx512f(x: &[f32], y: &[f32]) -> f32 {
    use std::arch::x86_64::{
        _mm512_add_ps, _mm512_fmadd_ps, _mm512_loadu_ps, _mm512_reduce_add_ps, _mm512_setzero_ps,
    };
    let n = x.len().min(y.len());
    let (px, py) = (x.as_ptr(), y.as_ptr());
    let mut acc = [_mm512_setzero_ps(); 4];
    let mut i = 0;
    while i + 64 <= n {
        for (k, a) in acc.iter_mut().enumerate() {
            // SAFETY: i + 16k + 16 <= n, within both slices.
            let (u, v) = unsafe {
                (
                    _mm512_loadu_ps(px.add(i + 16 * k)),
                    _mm512_loadu_ps(py.add(i + 16 * k)),
                )
            };
            *a = _mm512_fmadd_ps(u, v, *a);
        }
        i += 64;
    }
    while i + 16 <= n {
        // SAFETY: i + 16 <= n.
        let (u, v) = unsafe { (_mm512_loadu_ps(px.add(i)), _mm512_loadu_ps(py.add(i))) };
        acc[0] = _mm512_fmadd_ps(u, v, acc[0]);
        i += 16;
    }
    let sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    let mut sum = _mm512_reduce_add_ps(sum);
    for j in i..n {
        sum += x[j] * y[j];
    }
    sum
}

/// 64 bytes of floats, so that a `Vec` of them is a 64-byte aligned buffer.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([f32; 16]);

/// `n` (a multiple of 16) floats in [-1, 1), 64-byte aligned.
fn aligned_input(n: usize, seed: u64) -> Vec<Line> {
    let mut state = seed;
    let mut next = || {
        // SplitMix64's increment and a xorshift-multiply: plenty for benchmark data.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let z = (state ^ (state >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        ((z >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    };
    (0..n / 16)
        .map(|_| Line(std::array::from_fn(|_| next())))
        .collect()
}

fn floats(lines: &[Line]) -> &[f32] {
    // SAFETY: `Line` is 16 `f32`s with no padding (repr(C), size 64).
    unsafe { std::slice::from_raw_parts(lines.as_ptr().cast::<f32>(), lines.len() * 16) }
}

type Impl = (String, Box<dyn Fn(&[f32], &[f32]) -> f32>);

/// Every implementation this CPU runs, in the order they are measured and printed.
fn implementations() -> Vec<Impl> {
    let mut list: Vec<Impl> = Vec::new();
    for v in sdot::INFO.variants {
        match v.checked_entry() {
            Ok(entry) => {
                // SAFETY: the CPU runs this variant, and `Entry` is its type.
                let f: sdot::Entry = unsafe { std::mem::transmute(entry.0) };
                list.push((
                    format!("asmforge-{}", v.name),
                    // SAFETY: pointers and lengths of live slices.
                    Box::new(move |x, y| unsafe { f(x.as_ptr(), x.len(), y.as_ptr(), y.len()) }),
                ));
            }
            Err(missing) => eprintln!("sdot: skipping asmforge-{} (needs {missing})", v.name),
        }
    }
    list.push(("asmforge-dispatched".into(), Box::new(sdot)));
    list.push((NAIVE.into(), Box::new(naive)));
    if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
        // SAFETY (both): AVX2 and FMA are present.
        list.push((
            "rustc-avx2fma-16acc".into(),
            Box::new(|x, y| unsafe { rustc_avx2_fma::<16>(x, y) }),
        ));
        list.push((
            "rustc-avx2fma-32acc".into(),
            Box::new(|x, y| unsafe { rustc_avx2_fma::<32>(x, y) }),
        ));
    }
    if is_x86_feature_detected!("avx512f") {
        // SAFETY: AVX-512F is present.
        list.push((
            INTRINSICS.into(),
            Box::new(|x, y| unsafe { intrinsics_avx512f(x, y) }),
        ));
    }
    list
}

/// Refuses to time an implementation that computes something else.
fn check(list: &[Impl], x: &[f32], y: &[f32]) {
    let exact: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum();
    let scale: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (f64::from(*a) * f64::from(*b)).abs())
        .sum();
    // Any summation order is within n·u·Σ|x·y| of the exact sum (u = 2⁻²⁴; Higham,
    // "Accuracy and Stability of Numerical Algorithms", §3.1).
    let tolerance = (x.len() as f64 + 1.0) * f64::from(f32::EPSILON) / 2.0 * scale;
    for (name, f) in list {
        let got = f64::from(f(x, y));
        assert!(
            (got - exact).abs() <= tolerance,
            "{name}: {got} vs {exact} (tolerance {tolerance})"
        );
    }
}

fn bench(c: &mut Criterion, list: &[Impl]) {
    for size in &SIZES {
        let (xs, ys) = (aligned_input(size.n, 1), aligned_input(size.n, 2));
        let (x, y) = (floats(&xs), floats(&ys));
        check(list, x, y);
        let mut g = c.benchmark_group(size.group);
        g.throughput(Throughput::BytesDecimal((2 * size.n * 4) as u64))
            .warm_up_time(size.warm_up)
            .measurement_time(size.measure)
            .sample_size(size.samples);
        if size.n >= 1 << 20 {
            // Milliseconds per call: equal iteration counts per sample, no regression.
            g.sampling_mode(SamplingMode::Flat);
        }
        for (name, f) in list {
            g.bench_function(name.as_str(), |b| b.iter(|| f(black_box(x), black_box(y))));
        }
        g.finish();
    }
}

/// The core clock in GHz, measured: the best of 20 runs of a chain of dependent `add`s, one
/// cycle each on every x86-64 core since the P6. The TSC and `/proc/cpuinfo` give the
/// nominal clock, not the boosted one the benchmarks ran at (and `perf stat -e cycles` is
/// unavailable in most VMs).
fn measured_clock_ghz() -> f64 {
    const ITERS: u64 = 2_000_000;
    const ADDS_PER_ITER: u64 = 10;
    let mut best = f64::INFINITY;
    for _ in 0..20 {
        let start = std::time::Instant::now();
        let (mut x, mut n) = (0u64, ITERS);
        // SAFETY: register arithmetic only.
        unsafe {
            std::arch::asm!(
                "2:",
                "add {x}, 1", "add {x}, 1", "add {x}, 1", "add {x}, 1", "add {x}, 1",
                "add {x}, 1", "add {x}, 1", "add {x}, 1", "add {x}, 1", "add {x}, 1",
                "dec {n}",
                "jnz 2b",
                x = inout(reg) x,
                n = inout(reg) n,
                options(nomem, nostack),
            );
        }
        assert_eq!((x, n), (ITERS * ADDS_PER_ITER, 0));
        best = best.min(start.elapsed().as_secs_f64());
    }
    (ITERS * ADDS_PER_ITER) as f64 / best / 1e9
}

/// The nominal clock in GHz from the first `cpu MHz` line of /proc/cpuinfo.
fn nominal_clock_ghz() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("cpu MHz"))?;
    let mhz: f64 = line.split(':').nth(1)?.trim().parse().ok()?;
    Some(mhz / 1000.0)
}

/// GB/s of `n` floats per vector in `ns`.
fn gbps(n: usize, ns: f64) -> f64 {
    (2 * n * 4) as f64 / ns
}

fn print_ratios(estimates: &common::Estimates, list: &[Impl], ghz: f64) {
    for size in &SIZES {
        let fastest = |id: &str| {
            estimates
                .fastest_ns(size.group, id)
                .map(|ns| gbps(size.n, ns))
        };
        let median = |id: &str| {
            estimates
                .median_ns(size.group, id)
                .map(|ns| gbps(size.n, ns))
        };
        let Some(naive) = fastest(NAIVE) else {
            continue;
        };
        let intrinsics = fastest(INTRINSICS);
        println!(
            "\n{}: GB/s (fastest sample, median), B/cycle (fastest), ratio of fastest samples to {NAIVE} and to {INTRINSICS}",
            size.group
        );
        for (name, _) in list {
            let (Some(best), Some(med)) = (fastest(name), median(name)) else {
                continue;
            };
            let vs_intrinsics = intrinsics.map_or(f64::NAN, |i| best / i);
            println!(
                "  {name:<22} {best:8.2} {med:8.2} {:6.1}   x{:<7.2} x{vs_intrinsics:.3}",
                best / ghz,
                best / naive
            );
        }
    }
}

/// A cross-check that no ordering in time can bias: in each round every implementation runs
/// once (`calls` calls, timed together), starting from a different one each round, so a
/// burst of load from other processes hits all of them alike. Prints a markdown table per
/// size criterion measured in this run: the fastest and the median round as GB/s, and the
/// ratios of the fastest rounds.
fn interleaved(estimates: &common::Estimates, list: &[Impl]) {
    println!("\n### sdot, interleaved rounds: GB/s fastest (median); ratios of the fastest rounds");
    for size in &SIZES {
        if estimates.median_ns(size.group, NAIVE).is_none() {
            continue;
        }
        let (xs, ys) = (aligned_input(size.n, 1), aligned_input(size.n, 2));
        let (x, y) = (floats(&xs), floats(&ys));
        let calls = ((1 << 20) / size.n).max(1);
        let rounds = if calls == 1 { 41 } else { 101 };
        let mut times: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); list.len()];
        for round in 0..rounds {
            for k in 0..list.len() {
                let j = (k + round) % list.len();
                let f = &list[j].1;
                let start = std::time::Instant::now();
                for _ in 0..calls {
                    black_box(f(black_box(x), black_box(y)));
                }
                times[j].push(start.elapsed().as_nanos() as f64 / calls as f64);
            }
        }
        let rates: Vec<(f64, f64)> = times
            .iter_mut()
            .map(|t| {
                t.sort_by(f64::total_cmp);
                (gbps(size.n, t[0]), gbps(size.n, t[t.len() / 2]))
            })
            .collect();
        let find = |id: &str| list.iter().position(|(name, _)| name == id);
        let naive = find(NAIVE).map(|j| rates[j].0);
        let intrinsics = find(INTRINSICS).map(|j| rates[j].0);
        println!(
            "\n{} ({rounds} rounds of {calls} call(s))\n\n| implementation | GB/s | × naive | × intrinsics |\n|---|---:|---:|---:|",
            size.group
        );
        for ((name, _), (best, med)) in list.iter().zip(&rates) {
            let ratio =
                |base: Option<f64>| base.map_or("–".into(), |b| format!("{:.2}", best / b));
            println!(
                "| {name} | {best:.1} ({med:.1}) | {} | {} |",
                ratio(naive),
                ratio(intrinsics)
            );
        }
    }
}

fn main() {
    let estimates = common::Estimates::new();
    let list = implementations();
    let mut c = Criterion::default()
        .nresamples(20_000)
        .configure_from_args();
    let before = measured_clock_ghz();
    bench(&mut c, &list);
    c.final_summary();
    let ghz = before.max(measured_clock_ghz());
    let nominal = nominal_clock_ghz().map_or(String::new(), |g| format!(", nominal {g:.3} GHz"));
    println!(
        "\nclock: measured {ghz:.3} GHz (dependent-add chain, best of before and after){nominal}"
    );
    print_ratios(&estimates, &list, ghz);
    interleaved(&estimates, &list);
}
