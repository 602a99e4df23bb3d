//! The machine's limits, measured with asmforge probe kernels before anything else runs, so
//! every later figure is a fraction of a limit measured in the same run on the same machine.
//!
//! - clock: a chain of dependent 1-cycle `add`s (64 per loop iteration; the loop counter is a
//!   separate chain) timed against the thread's CPU time: adds per nanosecond = GHz.
//! - peak FMA: 12 independent `vfmadd231ps` chains per width (xmm, ymm, zmm): more chains than
//!   latency × pipes on any current core (4 × 2), so throughput-bound.
//! - L1 / L2 load bandwidth: 8 independent vector loads per iteration sweeping a buffer of half
//!   the L1d (or half the L2) over and over, at the widest vector width the CPU runs.
//!
//! Each probe is timed as the best of several runs, converted to core cycles with the clock.
//! Every timing in the bench is the thread's CPU time ([`cpu_seconds`]), not wall time: the
//! machine is shared with other builds, and wall time would count the time the scheduler
//! gave them (best-of-N alone did not hide it at a load average of 7 on 2 cores).

use std::hint::black_box;

use asmforge::kernel;
use asmforge_kernels::gemm::cache_sizes;

/// `iters` × 64 dependent adds; returns the sum so nothing is dead.
#[kernel]
pub fn add_chain(iters: u64) -> u64 {
    let (x, i) = (gp64(), gp64());
    xor(x.r32(), x.r32());
    mov(i, iters);
    test(i, i);
    jz(done);
    align!(32);
    label!(top);
    for _k in 0..64 {
        add(x, 1);
    }
    dec(i);
    jnz(top);
    label!(done);
    return x;
}

macro_rules! fma_chains {
    ($(#[$attr:meta])* $name:ident, W = $w:tt, $($target:tt)+) => {
        $(#[$attr])*
        #[kernel(targets($($target)+), params(W = $w))]
        pub fn $name(iters: u64) {
            let acc = vregs(12);
            let m = vreg();
            let i = gp64();
            for k in 0..12 {
                vxorps(acc[k].xmm(), acc[k].xmm(), acc[k].xmm());
            }
            vxorps(m.xmm(), m.xmm(), m.xmm());
            mov(i, iters);
            test(i, i);
            jz(done);
            align!(32);
            label!(top);
            for _r in 0..4 {
                for k in 0..12 {
                    if W == 16 {
                        vfmadd231ps(acc[k].xmm(), m.xmm(), m.xmm());
                    } else if W == 32 {
                        vfmadd231ps(acc[k].ymm(), m.ymm(), m.ymm());
                    } else {
                        vfmadd231ps(acc[k], m, m);
                    }
                }
            }
            dec(i);
            jnz(top);
            label!(done);
        }
    };
}

fma_chains! {
    /// `iters` × 48 independent 128-bit f32 FMAs.
    fma128, W = 16, avx2 + fma
}
fma_chains! {
    /// `iters` × 48 independent 256-bit f32 FMAs.
    fma256, W = 32, avx2 + fma
}
fma_chains! {
    /// `iters` × 48 independent 512-bit f32 FMAs.
    fma512, W = 64, avx512f
}

/// Loads every byte of `p[..bytes]` `reps` times, 16 independent vector loads per iteration.
///
/// # Safety
///
/// `p` must be readable for `bytes`, which must be a positive multiple of 16 vectors (1024
/// bytes covers every variant).
#[kernel(targets(avx2 + fma, avx512f))]
pub unsafe fn load_sweep(p: *const u8, bytes: usize, reps: u64) {
    let vb = vector_bytes();
    let v = vregs(16);
    let (r, off) = (gp64(), gp64());
    mov(r, reps);
    test(r, r);
    jz(done);
    label!(rep);
    xor(off.r32(), off.r32());
    align!(32);
    label!(top);
    for k in 0..16 {
        vmovups(v[k], [p + off + k * vb]);
    }
    add(off, 16 * vb);
    cmp(off, bytes);
    jb(top);
    dec(r);
    jnz(rep);
    label!(done);
}

/// The limits of the machine the bench runs on, measured at start-up (see the module docs).
/// The vmath bench relies on these fields: keep them stable.
#[derive(Clone, Debug)]
pub struct Machine {
    /// The CPU's brand string (CPUID 0x8000_0002..4).
    pub cpu: String,
    /// Core clock in GHz, measured with a dependent add chain.
    pub ghz: f64,
    /// Peak f32 FLOP per cycle with 128-bit FMAs (`None` without FMA).
    pub fma_flops_per_cycle_128: Option<f64>,
    /// Peak f32 FLOP per cycle with 256-bit FMAs (`None` without FMA).
    pub fma_flops_per_cycle_256: Option<f64>,
    /// Peak f32 FLOP per cycle with 512-bit FMAs (`None` without AVX-512F).
    pub fma_flops_per_cycle_512: Option<f64>,
    /// L1d load bandwidth in bytes per cycle (widest vector loads, half the L1d).
    pub l1_bytes_per_cycle: f64,
    /// L2 load bandwidth in bytes per cycle (widest vector loads, half the L2).
    pub l2_bytes_per_cycle: f64,
    /// Whether the CPU (and OS) run AVX-512F code.
    pub has_avx512: bool,
}

impl Machine {
    /// The best f32 FLOP per cycle at any width (f64: half of it).
    pub fn peak_f32_flops_per_cycle(&self) -> f64 {
        [
            self.fma_flops_per_cycle_128,
            self.fma_flops_per_cycle_256,
            self.fma_flops_per_cycle_512,
        ]
        .into_iter()
        .flatten()
        .fold(0.0, f64::max)
    }

    /// Prints the machine lines (`machine: ...`, `clock: ...`, `fma peak: ...`, `load: ...`).
    pub fn print(&self) {
        let fmt = |x: Option<f64>| x.map_or("n/a".to_string(), |v| format!("{v:.1}"));
        let caches = cache_sizes();
        println!(
            "machine: {}, L1d {} KiB, L2 {} KiB, L3 {} KiB (CPUID), avx512f {}",
            self.cpu,
            caches.l1d >> 10,
            caches.l2 >> 10,
            caches.l3 >> 10,
            if self.has_avx512 { "yes" } else { "no" }
        );
        println!("clock: {:.3} GHz (dependent add chain)", self.ghz);
        println!(
            "fma peak: {} / {} / {} f32 FLOP/cycle (xmm / ymm / zmm)",
            fmt(self.fma_flops_per_cycle_128),
            fmt(self.fma_flops_per_cycle_256),
            fmt(self.fma_flops_per_cycle_512)
        );
        println!(
            "load: L1 {:.1} bytes/cycle, L2 {:.1} bytes/cycle",
            self.l1_bytes_per_cycle, self.l2_bytes_per_cycle
        );
    }
}

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}

unsafe extern "C" {
    fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
}

/// Linux's `CLOCK_THREAD_CPUTIME_ID`.
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

/// CPU time this thread has run, in seconds (nanosecond resolution).
pub fn cpu_seconds() -> f64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    let rc = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    ts.sec as f64 + ts.nsec as f64 * 1e-9
}

/// Best thread CPU time of `runs` calls of `f`, in seconds.
pub fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = cpu_seconds();
        f();
        best = best.min(cpu_seconds() - t);
    }
    best
}

fn brand() -> String {
    use core::arch::x86_64::__cpuid;
    if __cpuid(0x8000_0000).eax < 0x8000_0004 {
        return "unknown x86-64".into();
    }
    let mut bytes = Vec::with_capacity(48);
    for leaf in 0x8000_0002..=0x8000_0004u32 {
        let r = __cpuid(leaf);
        for w in [r.eax, r.ebx, r.ecx, r.edx] {
            bytes.extend_from_slice(&w.to_le_bytes());
        }
    }
    String::from_utf8_lossy(&bytes)
        .trim_matches(char::from(0))
        .trim()
        .to_string()
}

/// Peak FLOP/cycle of one FMA probe, `None` when the CPU cannot run it.
fn fma_peak(
    info: &'static asmforge::KernelInfo,
    call: fn(u64),
    lanes: f64,
    ghz: f64,
    runs: usize,
) -> Option<f64> {
    info.best_supported()?;
    let iters = 200_000;
    call(iters / 10); // warm up the vector unit
    let t = best_of(runs, || call(black_box(iters)));
    Some(iters as f64 * 48.0 * 2.0 * lanes / (t * ghz * 1e9))
}

/// Load bytes per cycle over a buffer of `bytes`: the best of the widths the CPU runs
/// (on Zen 4 two ymm loads per cycle match one zmm load; Intel's AVX-512 cores do two zmm).
fn load_bandwidth(bytes: usize, ghz: f64, runs: usize) -> f64 {
    let bytes = (bytes / 1024).max(1) * 1024;
    let buf = vec![1u8; bytes + 64];
    let p = buf.as_ptr().wrapping_add(buf.as_ptr().align_offset(64));
    let reps = (128 << 20) / bytes as u64; // 128 MiB of loads per run
    let mut best = 0.0f64;
    for v in load_sweep::INFO
        .variants
        .iter()
        .filter(|v| v.is_supported())
    {
        // SAFETY: `p` is readable for `bytes`, a multiple of 1024.
        let sweep = |reps| unsafe { load_sweep::call(v, p, bytes, reps) }.expect("supported");
        sweep(reps / 8);
        let t = best_of(runs, || sweep(black_box(reps)));
        best = best.max((bytes as u64 * reps) as f64 / (t * ghz * 1e9));
    }
    best
}

/// The core clock now, in GHz: the best of a few short add-chain runs (about 50 ms). The
/// clock of this shared VM drifts by 10% or more over a run, so each section measures it
/// again around its own timings instead of trusting the figure from start-up.
pub fn current_ghz() -> f64 {
    let iters = 200_000;
    let t = best_of(5, || {
        black_box(add_chain(black_box(iters)));
    });
    iters as f64 * 64.0 / (t * 1e9)
}

/// GHz from the dependent add chain: best of `runs` runs of 128 M adds.
fn clock(runs: usize) -> f64 {
    let iters = 2_000_000;
    let t = best_of(runs, || {
        black_box(add_chain(black_box(iters)));
    });
    iters as f64 * 64.0 / (t * 1e9)
}

/// Measures the machine (about a second; fewer repetitions with `quick`).
pub fn measure(quick: bool) -> Machine {
    let runs = if quick { 5 } else { 15 };
    // Let the core reach its steady clock first (frequency ramps take tens of milliseconds).
    add_chain(20_000_000);
    let ghz = clock(runs);
    let caches = cache_sizes();
    let has_avx512 = fma512::INFO.best_supported().is_some();
    // FMA probes in FLOP per ns, then per cycle at the best clock seen before and after them.
    let fma = [
        fma_peak(&fma128::INFO, fma128, 4.0, 1.0, runs),
        fma_peak(&fma256::INFO, fma256, 8.0, 1.0, runs),
        fma_peak(&fma512::INFO, fma512, 16.0, 1.0, runs),
    ];
    let ghz = ghz.max(clock(runs));
    let per_cycle = |x: Option<f64>| x.map(|v| v / ghz);
    Machine {
        cpu: brand(),
        ghz,
        fma_flops_per_cycle_128: per_cycle(fma[0]),
        fma_flops_per_cycle_256: per_cycle(fma[1]),
        fma_flops_per_cycle_512: per_cycle(fma[2]),
        l1_bytes_per_cycle: load_bandwidth(caches.l1d / 2, ghz, runs),
        l2_bytes_per_cycle: load_bandwidth(caches.l2 / 2, ghz, runs),
        has_avx512,
    }
}
