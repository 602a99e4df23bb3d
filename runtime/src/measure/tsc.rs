//! The time-stamp counter.
//!
//! `rdtsc` is not serializing: the CPU may execute it before earlier instructions finish or
//! after later ones start, so a bare pair of reads can measure less (or more) than the code
//! between them. Intel's white paper "How to Benchmark Code Execution Times on Intel IA-32
//! and IA-64 Instruction Set Architectures" (Paoloni, 2010) brackets the code with
//! `cpuid; rdtsc` before and `rdtscp; cpuid` after. In a virtual machine `cpuid` traps to the
//! hypervisor (microseconds, and noisy), so this module uses the fences the SDM gives for the
//! same purpose (Vol. 2B, RDTSC: "If software requires RDTSC to be executed only after all
//! previous instructions have executed and all previous loads and stores are globally
//! visible, it can execute the sequence MFENCE;LFENCE immediately before RDTSC"; "...to be
//! executed prior to execution of any subsequent instruction (including any memory
//! accesses), it can execute the sequence LFENCE immediately after RDTSC"):
//!
//! ```text
//! start: mfence; lfence; rdtsc; lfence      (earlier work done, later work not begun)
//! stop:  rdtscp; lfence                     (rdtscp waits for earlier instructions;
//!                                            lfence keeps later ones from starting early)
//! ```
//!
//! On AMD CPUs `lfence` is dispatch-serializing when the OS sets MSR C001_1029 bit 1, which Linux
//! does on every CPU it runs on since the Spectre mitigations. The TSC counts at a constant
//! rate (`constant_tsc`), not in core cycles: convert with [`ticks_per_second`] or measure
//! core cycles with [`super::perf`].

use core::arch::asm;

/// Reads the TSC with no ordering: the read may move across neighbouring instructions.
#[inline(always)]
pub fn rdtsc() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: rdtsc is in every x86-64 CPU and only writes edx:eax.
    unsafe { asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack)) };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// Reads the TSC with `rdtscp` (waits for earlier instructions to execute; later ones may
/// still start early) and returns it with `IA32_TSC_AUX` (on Linux: the CPU and NUMA node).
#[inline(always)]
pub fn rdtscp() -> (u64, u32) {
    let (lo, hi, aux): (u32, u32, u32);
    // SAFETY: rdtscp (CPUID 8000_0001h EDX[27]) is on every x86-64 CPU made since 2006; it
    // writes edx:eax and ecx only.
    unsafe {
        asm!("rdtscp", out("eax") lo, out("edx") hi, out("ecx") aux, options(nomem, nostack))
    };
    ((u64::from(hi) << 32) | u64::from(lo), aux)
}

/// The TSC at the start of a measured region: every earlier instruction has executed and
/// its memory accesses are globally visible; no later instruction has begun.
#[inline(always)]
pub fn start() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: fences and rdtsc have no effect on memory or registers besides edx:eax. No
    // `nomem`: the fences must also order the compiler's memory accesses.
    unsafe {
        asm!("mfence", "lfence", "rdtsc", "lfence", out("eax") lo, out("edx") hi, options(nostack))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// The TSC at the end of a measured region: read after every earlier instruction has
/// executed, and before any later one starts.
#[inline(always)]
pub fn stop() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: as in `start`; rdtscp also writes ecx.
    unsafe {
        asm!("rdtscp", "lfence", out("eax") lo, out("edx") hi, out("ecx") _, options(nostack))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// TSC ticks spent in `f`, from [`start`] to [`stop`] (includes the fences: call
/// [`overhead`] to know how much).
#[inline(always)]
pub fn measure<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let t0 = start();
    let r = f();
    let t1 = stop();
    (t1.wrapping_sub(t0), r)
}

/// The smallest number of ticks [`measure`] reports for an empty region, over `runs` runs.
pub fn overhead(runs: u32) -> u64 {
    (0..runs.max(1))
        .map(|_| measure(|| ()).0)
        .min()
        .unwrap_or(0)
}

/// The TSC rate in ticks per second, measured against the OS clock over `window`.
#[cfg(feature = "std")]
pub fn ticks_per_second(window: std::time::Duration) -> f64 {
    let t0 = std::time::Instant::now();
    let c0 = start();
    while t0.elapsed() < window {
        core::hint::spin_loop();
    }
    let c1 = stop();
    let secs = t0.elapsed().as_secs_f64();
    c1.wrapping_sub(c0) as f64 / secs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counter_advances_and_orders() {
        let a = start();
        let mut x = 0u64;
        for i in 0..10_000u64 {
            x = core::hint::black_box(x.wrapping_add(i));
        }
        let b = stop();
        assert!(b > a, "TSC did not advance: {a} .. {b}");
        let (c, _) = rdtscp();
        assert!(c >= b);
        assert!(rdtsc() >= c);
        let (ticks, sum) = measure(|| core::hint::black_box(3u64) * 7);
        assert_eq!(sum, 21);
        assert!(ticks > 0);
    }

    #[cfg(feature = "std")]
    #[test]
    fn rate_is_plausible() {
        let hz = ticks_per_second(std::time::Duration::from_millis(20));
        // Every x86-64 TSC since 2008 runs between 1 and 10 GHz.
        assert!((1.0e8..1.0e10).contains(&hz), "TSC rate {hz} Hz");
    }
}
