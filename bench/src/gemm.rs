//! GEMM benchmarks: asmforge's `sgemm` / `dgemm` against `matrixmultiply`, `gemm` and OpenBLAS
//! (all single-threaded), interleaved in one run; the micro-kernel alone with its panels in
//! L1/L2; and the figures (`bench/plots/{sgemm,dgemm}.svg`).
//!
//! Prints, for each n: `sgemm n=N: P% of peak, Rx matrixmultiply, Sx gemm, Tx openblas` (P: of
//! the FMA peak; ratios: asmforge's speed over the peer's) and `sgemm n=N GFLOP/s: ...` with
//! the absolute figures; then `sgemm microkernel: P% of peak`.
//!
//! The peak is measured in FLOP per nanosecond by the probe's FMA kernels ([`probe`]) in
//! samples interleaved with the GEMM samples, best of each: both see the same clock, so P% does
//! not depend on a clock measured at another moment (the VM's clock drifts by a few percent
//! within a run, enough to put a micro-kernel "above" a peak measured earlier).

use std::hint::black_box;

use asmforge_kernels::gemm::{self as af, Blocking, Element, Layout, MR, Trans, ukr};

use crate::openblas;
use crate::plot;
use crate::probe::{self, Machine, cpu_seconds, current_ghz};

/// asmforge's configuration: the library default, unless `ASMFORGE_GEMM_BLOCKING=kc,mc,nc`
/// overrides the cache-derived block sizes (for tuning experiments).
fn config() -> &'static af::Config {
    static CONFIG: std::sync::OnceLock<af::Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(|| {
        let blocking = std::env::var("ASMFORGE_GEMM_BLOCKING").ok().and_then(|s| {
            let v: Vec<usize> = s.split(',').filter_map(|x| x.trim().parse().ok()).collect();
            match v[..] {
                [kc, mc, nc] => Some((kc, mc, nc)),
                _ => None,
            }
        });
        if let Some(b) = blocking {
            println!("asmforge gemm blocking overridden: kc, mc, nc = {b:?}");
        }
        af::Config {
            variant: None,
            blocking,
        }
    })
}

/// One contender: a name and a row-major `C = A · B` for square n.
struct Contender<T> {
    name: &'static str,
    run: fn(usize, &[T], &[T], &mut [T]),
}

trait Real: Element + From<f32> + Into<f64> + 'static {
    const NAME: &'static str;
    fn contenders() -> Vec<Contender<Self>>;
}

impl Real for f32 {
    const NAME: &'static str = "sgemm";
    fn contenders() -> Vec<Contender<f32>> {
        vec![
            Contender {
                name: "asmforge",
                run: |n, a, b, c| {
                    af::gemm(
                        config(),
                        Layout::RowMajor,
                        Trans::No,
                        Trans::No,
                        n,
                        n,
                        n,
                        1.0,
                        a,
                        n,
                        b,
                        n,
                        0.0,
                        c,
                        n,
                    )
                },
            },
            Contender {
                name: "matrixmultiply",
                run: |n, a, b, c| {
                    let s = n as isize;
                    // SAFETY: all three are n × n row-major matrices.
                    unsafe {
                        matrixmultiply::sgemm(
                            n,
                            n,
                            n,
                            1.0,
                            a.as_ptr(),
                            s,
                            1,
                            b.as_ptr(),
                            s,
                            1,
                            0.0,
                            c.as_mut_ptr(),
                            s,
                            1,
                        )
                    }
                },
            },
            Contender {
                name: "gemm",
                run: |n, a, b, c| {
                    let s = n as isize;
                    // SAFETY: as above; `gemm`'s dst = alpha·dst + beta·lhs·rhs (dst not read).
                    unsafe {
                        ::gemm::gemm(
                            n,
                            n,
                            n,
                            c.as_mut_ptr(),
                            1,
                            s,
                            false,
                            a.as_ptr(),
                            1,
                            s,
                            b.as_ptr(),
                            1,
                            s,
                            0.0f32,
                            1.0f32,
                            false,
                            false,
                            false,
                            ::gemm::Parallelism::None,
                        )
                    }
                },
            },
            Contender {
                name: "openblas",
                run: |n, a, b, c| openblas::sgemm(n, a, b, c),
            },
        ]
    }
}

impl Real for f64 {
    const NAME: &'static str = "dgemm";
    fn contenders() -> Vec<Contender<f64>> {
        vec![
            Contender {
                name: "asmforge",
                run: |n, a, b, c| {
                    af::gemm(
                        config(),
                        Layout::RowMajor,
                        Trans::No,
                        Trans::No,
                        n,
                        n,
                        n,
                        1.0,
                        a,
                        n,
                        b,
                        n,
                        0.0,
                        c,
                        n,
                    )
                },
            },
            Contender {
                name: "matrixmultiply",
                run: |n, a, b, c| {
                    let s = n as isize;
                    // SAFETY: all three are n × n row-major matrices.
                    unsafe {
                        matrixmultiply::dgemm(
                            n,
                            n,
                            n,
                            1.0,
                            a.as_ptr(),
                            s,
                            1,
                            b.as_ptr(),
                            s,
                            1,
                            0.0,
                            c.as_mut_ptr(),
                            s,
                            1,
                        )
                    }
                },
            },
            Contender {
                name: "gemm",
                run: |n, a, b, c| {
                    let s = n as isize;
                    // SAFETY: as above.
                    unsafe {
                        ::gemm::gemm(
                            n,
                            n,
                            n,
                            c.as_mut_ptr(),
                            1,
                            s,
                            false,
                            a.as_ptr(),
                            1,
                            s,
                            b.as_ptr(),
                            1,
                            s,
                            0.0f64,
                            1.0f64,
                            false,
                            false,
                            false,
                            ::gemm::Parallelism::None,
                        )
                    }
                },
            },
            Contender {
                name: "openblas",
                run: |n, a, b, c| openblas::dgemm(n, a, b, c),
            },
        ]
    }
}

fn random<T: Real>(len: usize, seed: u64) -> Vec<T> {
    let mut s = seed;
    (0..len)
        .map(|_| {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            T::from(((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0)
        })
        .collect()
}

/// Peak f32 GFLOP/s of one sample of the probe's FMA kernels (the widest the CPU runs, or both
/// where zmm is faster); `None` without FMA.
fn peak_sample() -> Option<f64> {
    const ITERS: u64 = 40_000; // 1.9 M FMAs: about 1 ms on Zen 4
    let mut best: Option<f64> = None;
    // (kernel, entry, f32 lanes)
    type Probe = (&'static asmforge::KernelInfo, fn(u64), f64);
    let kernels: [Probe; 2] = [
        (&probe::fma256::INFO, probe::fma256, 8.0),
        (&probe::fma512::INFO, probe::fma512, 16.0),
    ];
    for (info, call, lanes) in kernels {
        if info.best_supported().is_none() {
            continue;
        }
        let t = cpu_seconds();
        call(black_box(ITERS));
        let gflops = ITERS as f64 * 48.0 * 2.0 * lanes / ((cpu_seconds() - t) * 1e9);
        best = Some(best.map_or(gflops, |b: f64| b.max(gflops)));
    }
    best
}

/// GFLOP/s of each contender at each n (best of interleaved rounds), printed and returned.
fn sweep<T: Real>(
    machine: &Machine,
    sizes: &[usize],
    quick: bool,
) -> (Vec<(&'static str, Vec<f64>)>, f64) {
    let contenders = T::contenders();
    let flops_per_cycle = machine.peak_f32_flops_per_cycle() * 4.0 / size_of::<T>() as f64;
    let mut table: Vec<(&'static str, Vec<f64>)> =
        contenders.iter().map(|c| (c.name, Vec::new())).collect();
    let mut peaks = Vec::new();
    for &n in sizes {
        let a: Vec<T> = random(n * n, 1);
        let b: Vec<T> = random(n * n, 2);
        let mut cs: Vec<Vec<T>> = contenders.iter().map(|_| vec![T::ZERO; n * n]).collect();
        let flop = 2.0 * (n as f64).powi(3);
        // Many short samples (about 20 ms of work at 100 GFLOP/s each), best of all: on a
        // shared machine a short sample is more likely to run undisturbed than a long one.
        let calls = ((2e9 / flop) as usize).max(1);
        let rounds = match (quick, n) {
            (true, n) if n >= 2048 => 3,
            (true, _) => 10,
            (false, n) if n >= 2048 => 5,
            _ => 20,
        };
        let mut best = vec![f64::INFINITY; contenders.len()];
        for (k, c) in contenders.iter().enumerate() {
            (c.run)(n, &a, &b, &mut cs[k]); // warm up: buffers, detection, page faults
        }
        let ghz_before = current_ghz();
        let mut peak_best = 0.0f64;
        for _ in 0..rounds {
            for _ in 0..4 {
                peak_best = peak_best.max(peak_sample().unwrap_or(0.0));
            }
            for (k, c) in contenders.iter().enumerate() {
                let t = cpu_seconds();
                for _ in 0..calls {
                    (c.run)(n, black_box(&a), black_box(&b), &mut cs[k]);
                }
                best[k] = best[k].min((cpu_seconds() - t) / calls as f64);
            }
        }
        // The peak measured between the samples; without FMA, at the best clock seen.
        let peak = if peak_best > 0.0 {
            peak_best * 4.0 / size_of::<T>() as f64
        } else {
            flops_per_cycle * ghz_before.max(current_ghz())
        };
        peaks.push(peak);
        check_agreement::<T>(n, &cs);
        let gflops: Vec<f64> = best.iter().map(|t| flop / t / 1e9).collect();
        for (k, g) in gflops.iter().enumerate() {
            table[k].1.push(*g);
        }
        let ratio = |k: usize| gflops[0] / gflops[k];
        println!(
            "{} n={n}: {:.1}% of peak, {:.2}x matrixmultiply, {:.2}x gemm, {:.2}x openblas",
            T::NAME,
            100.0 * gflops[0] / peak,
            ratio(1),
            ratio(2),
            ratio(3)
        );
        println!(
            "{} n={n} GFLOP/s: asmforge {:.1}, matrixmultiply {:.1}, gemm {:.1}, openblas {:.1}, peak {:.1}",
            T::NAME,
            gflops[0],
            gflops[1],
            gflops[2],
            gflops[3],
            peak
        );
    }
    let peak = peaks.iter().copied().fold(0.0, f64::max);
    (table, peak)
}

/// Every contender's C must agree with OpenBLAS's within the f32/f64 GEMM error bound.
fn check_agreement<T: Real>(n: usize, cs: &[Vec<T>]) {
    let eps = if size_of::<T>() == 4 {
        1e-7 * 0.6
    } else {
        1.2e-16
    };
    let bound = (n as f64 + 2.0) * eps * n as f64; // |a|, |b| ≤ 1: Σ|a||b| ≤ n
    for (k, c) in cs.iter().enumerate() {
        let worst = c
            .iter()
            .zip(&cs[3])
            .map(|(x, y)| ((*x).into() - (*y).into()).abs())
            .fold(0.0, f64::max);
        assert!(
            worst <= 2.0 * bound,
            "{} n={n}: contender {k} differs from OpenBLAS by {worst}",
            T::NAME
        );
    }
}

/// A copy of `v` starting on a 64-byte boundary (packed panels are aligned in `sgemm` too).
fn aligned<T: Real>(v: Vec<T>) -> (Vec<T>, usize) {
    let mut storage = vec![T::ZERO; v.len() + 64];
    let off = storage.as_ptr().align_offset(64);
    storage[off..off + v.len()].copy_from_slice(&v);
    (storage, off)
}

/// The micro-kernel alone: one B micro-panel against 16 A micro-panels, C tiles in L1, `kc`
/// from the machine's blocking (on Zen 4, kc = 512: the B micro-panel, 64 KiB, streams from
/// L2 as in the full GEMM); P% = its FLOP rate over the FMA peak sampled alongside; floor =
/// the cycles per call at that peak.
/// The headline line is the variant dispatch picks; a detail line per variant the CPU runs.
fn microkernel<T: Real + CallUkr>(machine: &Machine, quick: bool) {
    let best = T::ukr_info().best_supported();
    for v in T::ukr_info().variants.iter().filter(|v| v.is_supported()) {
        let vector_bytes = if v.name.starts_with("avx512") {
            64
        } else if v.name.starts_with("avx") {
            32
        } else {
            16
        };
        let nr = 2 * vector_bytes / size_of::<T>();
        let bl = Blocking::for_tile(nr, size_of::<T>());
        let kc = bl.kc;
        const PANELS: usize = 16;
        let (a, ao) = aligned::<T>(random(PANELS * MR * kc, 3));
        let (b, bo) = aligned::<T>(random(kc * nr, 4));
        let (mut c, co) = aligned::<T>(random(PANELS * MR * nr, 5));
        let ab = [T::ONE, T::ONE];
        let calls_per_run = if quick { 2_000 } else { 4_000 };
        let f = T::ukr_entry(v);
        let mut run = |calls: usize| {
            for _ in 0..calls / PANELS {
                for p in 0..PANELS {
                    // SAFETY: panels and tile are sized for (kc, MR, nr) of this variant.
                    unsafe {
                        f(
                            kc,
                            a.as_ptr().add(ao + p * MR * kc),
                            b.as_ptr().add(bo),
                            c.as_mut_ptr().add(co + p * MR * nr),
                            nr,
                            ab.as_ptr(),
                            MR,
                            nr,
                        );
                    }
                }
            }
        };
        run(calls_per_run / 10);
        let ghz_before = current_ghz();
        let mut best_t = f64::INFINITY;
        let mut peak_best = 0.0f64;
        for _ in 0..if quick { 30 } else { 60 } {
            peak_best = peak_best.max(peak_sample().unwrap_or(0.0));
            let t = cpu_seconds();
            run(calls_per_run);
            best_t = best_t.min(cpu_seconds() - t);
        }
        let ghz = ghz_before.max(current_ghz());
        let cycles = best_t * ghz * 1e9 / calls_per_run as f64;
        let flop = (MR * nr * kc * 2) as f64;
        // Of the peak sampled alongside (GFLOP/s); without FMA, of the probe's at the clock.
        let peak_gflops = if peak_best > 0.0 {
            peak_best * 4.0 / size_of::<T>() as f64
        } else {
            machine.peak_f32_flops_per_cycle() * 4.0 / size_of::<T>() as f64 * ghz
        };
        let percent = 100.0 * flop * calls_per_run as f64 / best_t / 1e9 / peak_gflops;
        let floor = cycles * percent / 100.0;
        if best.is_some_and(|b| b.name == v.name) {
            println!("{} microkernel: {percent:.1}% of peak", T::NAME);
        }
        println!(
            "{} microkernel detail: variant {}, {MR}x{nr} tile, kc={kc}, {cycles:.0} cycles per call, floor {floor:.0} ({percent:.1}%); blocking kc={} mc={} nc={}",
            T::NAME,
            v.name,
            bl.kc,
            bl.mc,
            bl.nc
        );
    }
}

type UkrFn<T> =
    unsafe extern "sysv64" fn(usize, *const T, *const T, *mut T, usize, *const T, usize, usize);

/// The micro-kernel variant's entry point, called directly (no dispatch or feature check in
/// the timed loop).
trait CallUkr: Sized {
    fn ukr_entry(v: &'static asmforge::VariantInfo) -> UkrFn<Self>;
}

macro_rules! call_ukr {
    ($t:ty, $k:ident) => {
        impl CallUkr for $t {
            fn ukr_entry(v: &'static asmforge::VariantInfo) -> UkrFn<Self> {
                let e = v.checked_entry().expect("a variant this CPU runs");
                // SAFETY: the entry of `$k`, whose `Entry` type is exactly this signature.
                unsafe { std::mem::transmute::<*const (), ukr::$k::Entry>(e.0) }
            }
        }
    };
}
call_ukr!(f32, sgemm_ukr);
call_ukr!(f64, dgemm_ukr);

pub fn run(machine: &Machine, quick: bool) {
    openblas::single_thread();
    let sizes: &[usize] = if quick {
        &[256, 512, 1024]
    } else {
        &[256, 512, 1024, 2048, 4096]
    };
    for_type::<f32>(machine, sizes, quick);
    for_type::<f64>(machine, sizes, quick);
}

fn for_type<T: Real + CallUkr>(machine: &Machine, sizes: &[usize], quick: bool) {
    let (table, peak) = sweep::<T>(machine, sizes, quick);
    microkernel::<T>(machine, quick);
    let path = format!("{}/plots/{}.svg", env!("CARGO_MANIFEST_DIR"), T::NAME);
    match plot::gflops_vs_n(&path, T::NAME, machine, sizes, &table, peak) {
        Ok(()) => println!("{} plot: {path}", T::NAME),
        Err(e) => println!("{} plot: failed: {e}", T::NAME),
    }
}
