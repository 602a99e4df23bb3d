//! BLAS-1 benchmarks: asmforge's dispatched slice API against `std::arch` intrinsics written
//! as a careful user would (8 accumulators for reductions, 4 vectors per axpy iteration, for
//! AVX2+FMA and for AVX-512F — whichever the CPU runs), interleaved in one run.
//!
//! Prints `sdot <size>: B bytes/cycle, P% of L1 limit, Rx best intrinsics` per kernel and
//! size, where `<size>` is the bytes the kernel loads per call (sizes for L1, L2 and, in the
//! full run, DRAM), on 64-byte-aligned buffers, B counts loaded bytes (axpy also stores y, not counted), the L1 limit is
//! the probe's measured load bandwidth and R is asmforge's speed over the faster intrinsics.

use std::hint::black_box;

use asmforge_kernels::blas;

use crate::probe::{Machine, cpu_seconds, current_ghz};

macro_rules! intrinsics {
    ($isa:ident, $feat:literal, $ps:ident, $pd:ident, $lps:literal, $lpd:literal,
     zero_ps = $zps:ident, zero_pd = $zpd:ident, load_ps = $lops:ident, load_pd = $lopd:ident,
     store_ps = $stps:ident, store_pd = $stpd:ident, fma_ps = $fps:ident, fma_pd = $fpd:ident,
     add_ps = $aps:ident, add_pd = $apd:ident, set1_ps = $sps:ident, set1_pd = $spd:ident) => {
        pub mod $isa {
            use core::arch::x86_64::*;

            macro_rules! hsum {
                ($v:expr, $t:ty, $l:expr, $store:ident, $add:ident) => {{
                    let mut acc = $v[0];
                    for k in 1..8 {
                        acc = $add(acc, $v[k]);
                    }
                    let mut tmp = [0.0 as $t; $l];
                    $store(tmp.as_mut_ptr(), acc);
                    tmp.iter().sum::<$t>()
                }};
            }

            #[target_feature(enable = $feat)]
            fn add_ps(a: $ps, b: $ps) -> $ps {
                $aps(a, b)
            }

            /// Σ x·y, 8 accumulators.
            #[target_feature(enable = $feat)]
            pub fn sdot(x: &[f32], y: &[f32]) -> f32 {
                let n = x.len().min(y.len());
                let (px, py) = (x.as_ptr(), y.as_ptr());
                let mut acc = [$zps(); 8];
                let mut i = 0;
                // SAFETY (loads): i + 8·lanes ≤ n.
                while i + 8 * $lps <= n {
                    for k in 0..8 {
                        let o = i + k * $lps;
                        acc[k] = unsafe { $fps($lops(px.add(o)), $lops(py.add(o)), acc[k]) };
                    }
                    i += 8 * $lps;
                }
                // SAFETY (store): into a local array of one vector.
                let mut s = unsafe { hsum!(acc, f32, $lps, $stps, add_ps) };
                for j in i..n {
                    s += x[j] * y[j];
                }
                s
            }

            /// Σ x, 8 accumulators.
            #[target_feature(enable = $feat)]
            pub fn ssum(x: &[f32]) -> f32 {
                let n = x.len();
                let px = x.as_ptr();
                let mut acc = [$zps(); 8];
                let mut i = 0;
                while i + 8 * $lps <= n {
                    for k in 0..8 {
                        acc[k] = unsafe { $aps(acc[k], $lops(px.add(i + k * $lps))) };
                    }
                    i += 8 * $lps;
                }
                // SAFETY (store): into a local array of one vector.
                let mut s = unsafe { hsum!(acc, f32, $lps, $stps, add_ps) };
                for v in &x[i..] {
                    s += v;
                }
                s
            }

            /// sqrt(Σ x²) in f32 (no overflow protection: the fast path only).
            #[target_feature(enable = $feat)]
            pub fn snrm2(x: &[f32]) -> f32 {
                let n = x.len();
                let px = x.as_ptr();
                let mut acc = [$zps(); 8];
                let mut i = 0;
                while i + 8 * $lps <= n {
                    for k in 0..8 {
                        let v = unsafe { $lops(px.add(i + k * $lps)) };
                        acc[k] = $fps(v, v, acc[k]);
                    }
                    i += 8 * $lps;
                }
                // SAFETY (store): into a local array of one vector.
                let mut s = unsafe { hsum!(acc, f32, $lps, $stps, add_ps) };
                for v in &x[i..] {
                    s += v * v;
                }
                s.sqrt()
            }

            #[target_feature(enable = $feat)]
            fn add_pd(a: $pd, b: $pd) -> $pd {
                $apd(a, b)
            }

            /// Σ x·y in f64, 8 accumulators.
            #[target_feature(enable = $feat)]
            pub fn ddot(x: &[f64], y: &[f64]) -> f64 {
                let n = x.len().min(y.len());
                let (px, py) = (x.as_ptr(), y.as_ptr());
                let mut acc = [$zpd(); 8];
                let mut i = 0;
                while i + 8 * $lpd <= n {
                    for k in 0..8 {
                        let o = i + k * $lpd;
                        acc[k] = unsafe { $fpd($lopd(px.add(o)), $lopd(py.add(o)), acc[k]) };
                    }
                    i += 8 * $lpd;
                }
                // SAFETY (store): into a local array of one vector.
                let mut s = unsafe { hsum!(acc, f64, $lpd, $stpd, add_pd) };
                for j in i..n {
                    s += x[j] * y[j];
                }
                s
            }

            /// y += a·x, 4 vectors per iteration.
            #[target_feature(enable = $feat)]
            pub fn saxpy(a: f32, x: &[f32], y: &mut [f32]) {
                let n = x.len().min(y.len());
                let (px, py) = (x.as_ptr(), y.as_mut_ptr());
                let va = $sps(a);
                let mut i = 0;
                while i + 4 * $lps <= n {
                    for k in 0..4 {
                        let o = i + k * $lps;
                        unsafe { $stps(py.add(o), $fps(va, $lops(px.add(o)), $lops(py.add(o)))) };
                    }
                    i += 4 * $lps;
                }
                for j in i..n {
                    y[j] = x[j].mul_add(a, y[j]);
                }
            }

            /// y += a·x in f64, 4 vectors per iteration.
            #[target_feature(enable = $feat)]
            pub fn daxpy(a: f64, x: &[f64], y: &mut [f64]) {
                let n = x.len().min(y.len());
                let (px, py) = (x.as_ptr(), y.as_mut_ptr());
                let va = $spd(a);
                let mut i = 0;
                while i + 4 * $lpd <= n {
                    for k in 0..4 {
                        let o = i + k * $lpd;
                        unsafe { $stpd(py.add(o), $fpd(va, $lopd(px.add(o)), $lopd(py.add(o)))) };
                    }
                    i += 4 * $lpd;
                }
                for j in i..n {
                    y[j] = x[j].mul_add(a, y[j]);
                }
            }
        }
    };
}

intrinsics!(
    avx2,
    "avx2,fma",
    __m256,
    __m256d,
    8,
    4,
    zero_ps = _mm256_setzero_ps,
    zero_pd = _mm256_setzero_pd,
    load_ps = _mm256_loadu_ps,
    load_pd = _mm256_loadu_pd,
    store_ps = _mm256_storeu_ps,
    store_pd = _mm256_storeu_pd,
    fma_ps = _mm256_fmadd_ps,
    fma_pd = _mm256_fmadd_pd,
    add_ps = _mm256_add_ps,
    add_pd = _mm256_add_pd,
    set1_ps = _mm256_set1_ps,
    set1_pd = _mm256_set1_pd
);
intrinsics!(
    avx512,
    "avx512f",
    __m512,
    __m512d,
    16,
    8,
    zero_ps = _mm512_setzero_ps,
    zero_pd = _mm512_setzero_pd,
    load_ps = _mm512_loadu_ps,
    load_pd = _mm512_loadu_pd,
    store_ps = _mm512_storeu_ps,
    store_pd = _mm512_storeu_pd,
    fma_ps = _mm512_fmadd_ps,
    fma_pd = _mm512_fmadd_pd,
    add_ps = _mm512_add_ps,
    add_pd = _mm512_add_pd,
    set1_ps = _mm512_set1_ps,
    set1_pd = _mm512_set1_pd
);

/// A buffer starting on a 64-byte boundary: where malloc puts a `Vec` decides how many of
/// the intrinsics' unaligned loads split across cache lines (asmforge's AVX-512 variants peel
/// to alignment), which swung their figures by 1.5× from run to run; aligned inputs make the
/// comparison reproducible (and the intrinsics' best case).
struct Aligned<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy + Default> Aligned<T> {
    fn new(values: impl ExactSizeIterator<Item = T>) -> Self {
        let len = values.len();
        let mut storage = vec![T::default(); len + 64];
        let start = storage.as_ptr().align_offset(64);
        for (slot, v) in storage[start..start + len].iter_mut().zip(values) {
            *slot = v;
        }
        Aligned {
            storage,
            start,
            len,
        }
    }
}

impl<T> std::ops::Deref for Aligned<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.storage[self.start..self.start + self.len]
    }
}

impl<T> std::ops::DerefMut for Aligned<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.len]
    }
}

/// Buffers shared by every contender of one size.
struct Data {
    xs: Aligned<f32>,
    ys: Aligned<f32>,
    xd: Aligned<f64>,
    yd: Aligned<f64>,
}

type Run = Box<dyn Fn(&mut Data)>;

/// One kernel: its name, bytes loaded per element, and its contenders (asmforge first).
struct Kernel {
    name: &'static str,
    bytes_per_elem: usize,
    asmforge: Run,
    intrinsics: Vec<(&'static str, Run)>,
}

fn kernels(has_avx2: bool, has_avx512: bool) -> Vec<Kernel> {
    macro_rules! intr {
        ($f:ident, $d:ident => ($($arg:expr),*)) => {{
            let mut v: Vec<(&'static str, Run)> = Vec::new();
            if has_avx2 {
                // SAFETY: the CPU runs AVX2+FMA.
                v.push(("avx2", Box::new(|$d: &mut Data| {
                    black_box(unsafe { avx2::$f($($arg),*) });
                })));
            }
            if has_avx512 {
                // SAFETY: the CPU runs AVX-512F.
                v.push(("avx512", Box::new(|$d: &mut Data| {
                    black_box(unsafe { avx512::$f($($arg),*) });
                })));
            }
            v
        }};
    }
    vec![
        Kernel {
            name: "sdot",
            bytes_per_elem: 8,
            asmforge: Box::new(|d| {
                black_box(blas::sdot(&d.xs, &d.ys));
            }),
            intrinsics: intr!(sdot, d => (&d.xs, &d.ys)),
        },
        Kernel {
            name: "ddot",
            bytes_per_elem: 16,
            asmforge: Box::new(|d| {
                black_box(blas::ddot(&d.xd, &d.yd));
            }),
            intrinsics: intr!(ddot, d => (&d.xd, &d.yd)),
        },
        Kernel {
            name: "saxpy",
            bytes_per_elem: 8,
            asmforge: Box::new(|d| blas::saxpy(1e-7, &d.xs, &mut d.ys)),
            intrinsics: intr!(saxpy, d => (1e-7, &d.xs, &mut d.ys)),
        },
        Kernel {
            name: "daxpy",
            bytes_per_elem: 16,
            asmforge: Box::new(|d| blas::daxpy(1e-7, &d.xd, &mut d.yd)),
            intrinsics: intr!(daxpy, d => (1e-7, &d.xd, &mut d.yd)),
        },
        Kernel {
            name: "ssum",
            bytes_per_elem: 4,
            asmforge: Box::new(|d| {
                black_box(blas::ssum(&d.xs));
            }),
            intrinsics: intr!(ssum, d => (&d.xs)),
        },
        Kernel {
            name: "snrm2",
            bytes_per_elem: 4,
            asmforge: Box::new(|d| {
                black_box(blas::snrm2(&d.xs));
            }),
            intrinsics: intr!(snrm2, d => (&d.xs)),
        },
    ]
}

/// Seconds per call: best over `rounds` samples of `calls` calls.
fn time(run: &Run, d: &mut Data, calls: usize) -> f64 {
    let t = cpu_seconds();
    for _ in 0..calls {
        run(d);
    }
    (cpu_seconds() - t) / calls as f64
}

fn label(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{}MiB", bytes >> 20)
    } else {
        format!("{}KiB", bytes >> 10)
    }
}

pub fn run(machine: &Machine, quick: bool) {
    let has_avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let kernels = kernels(has_avx2, machine.has_avx512);
    // Bytes loaded per call: within L1 (half of a 32 KiB L1d), L2, and (full run) DRAM.
    let mut sizes = vec![16 << 10, 256 << 10];
    if !quick {
        sizes.push(64 << 20);
    }
    // Samples are short (about 2 ms); many of them, interleaved, so some run undisturbed.
    let rounds = if quick { 15 } else { 40 };
    for k in &kernels {
        for &bytes in &sizes {
            let n = bytes / k.bytes_per_elem;
            let f64_kernel = k.name.starts_with('d');
            let (len_s, len_d) = if f64_kernel { (0, n) } else { (n, 0) };
            let mut d = Data {
                xs: Aligned::new((0..len_s).map(|i| ((i % 97) as f32 - 48.0) * 0.01)),
                ys: Aligned::new((0..len_s).map(|i| ((i % 89) as f32 - 44.0) * 0.01)),
                xd: Aligned::new((0..len_d).map(|i| ((i % 97) as f64 - 48.0) * 0.01)),
                yd: Aligned::new((0..len_d).map(|i| ((i % 89) as f64 - 44.0) * 0.01)),
            };
            // About 2 ms per sample at 50 bytes/ns.
            let calls = (100_000_000 / bytes).max(1);
            let mut best_af = f64::INFINITY;
            let mut best_in = vec![f64::INFINITY; k.intrinsics.len()];
            (k.asmforge)(&mut d);
            let ghz_before = current_ghz();
            for _ in 0..rounds {
                best_af = best_af.min(time(&k.asmforge, &mut d, calls));
                for (j, (_, r)) in k.intrinsics.iter().enumerate() {
                    best_in[j] = best_in[j].min(time(r, &mut d, calls));
                }
            }
            // Cycles at the best clock seen around these timings.
            let ghz = ghz_before.max(current_ghz());
            let cycles = |t: f64| t * ghz * 1e9;
            let bpc = bytes as f64 / cycles(best_af);
            let best_intr = best_in.iter().copied().fold(f64::INFINITY, f64::min);
            let ratio = if best_intr.is_finite() {
                format!("{:.2}x", best_intr / best_af)
            } else {
                "n/a".into()
            };
            println!(
                "{} {}: {:.1} bytes/cycle, {:.1}% of L1 limit, {} best intrinsics",
                k.name,
                label(bytes),
                bpc,
                100.0 * bpc / machine.l1_bytes_per_cycle,
                ratio
            );
            let detail: Vec<String> = k
                .intrinsics
                .iter()
                .zip(&best_in)
                .map(|((name, _), t)| format!("{name} {:.1}", bytes as f64 / cycles(*t)))
                .collect();
            println!(
                "{} {} detail: asmforge {:.1} bytes/cycle, intrinsics {}; L2 limit {:.1}",
                k.name,
                label(bytes),
                bpc,
                detail.join(", "),
                machine.l2_bytes_per_cycle
            );
        }
    }
}
