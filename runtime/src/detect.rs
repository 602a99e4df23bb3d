//! Which [`Feature`]s this CPU and OS support.
//!
//! Contract:
//!
//! * [`is_detected`] is true only when the CPU reports the feature *and* the OS has enabled
//!   what it needs (the XCR0 register-state bits for AVX, AVX-512, AMX, ...), so a kernel that
//!   dispatch allows never meets #UD. In doubt, it says no: a feature whose OS enable bit
//!   user code cannot read, or that only CPUs unable to run x86-64 code had, is absent.
//! * The answer is computed once per process, on the first call, and cached in a bitset of
//!   [`AtomicU64`]s; later calls are one `Relaxed` load. Threads racing on the first call
//!   compute the same bits (CPUID is a pure function of the CPU), so the race is benign. No
//!   allocation, no locks, `no_std`.
//! * On any target but `x86_64` every feature is absent.
//!
//! How: `CPUID` and `XGETBV` read once into one snapshot (`cpuid.rs`: each leaf at most once,
//! 10 `CPUID`s on a current AMD or Intel CPU), then the rule of each feature, one table
//! (`rules.rs`), evaluated against that snapshot. No cpufeatures: it would answer 29 of our
//! ~180 features, each of its `new!` probes executes CPUID 1, 7.0 and 7.1 again on its first
//! call (87 extra executions, each a VM exit under a hypervisor), and it reads leaf 7 without
//! checking the maximum leaf; reading the words ourselves gives one snapshot that every rule
//! reads the same way on every target.
//!
//! ```text
//!   cpuid::read() ──► Snapshot ──► rules::supports(f) for every f ──► CACHE ──► is_detected
//! ```
//!
//! Nothing overrides the answer yet (capping the ISA for tests comes later).

use core::sync::atomic::{AtomicU64, Ordering};

use crate::Feature;

#[cfg(target_arch = "x86_64")]
mod cpuid;
#[cfg(target_arch = "x86_64")]
mod rules;

/// Features per cache word; the top bit of each word says "filled in".
const PER_WORD: usize = 63;
const WORDS: usize = 3;
const FILLED: u64 = 1 << 63;
const _: () = assert!(Feature::ALL.len() <= PER_WORD * WORDS, "grow WORDS");

static CACHE: [AtomicU64; WORDS] = [const { AtomicU64::new(0) }; WORDS];

/// Whether the CPU and the OS support `f`.
///
/// # Examples
///
/// ```
/// use asmforge_runtime::{Feature, detect};
///
/// if detect::is_detected(Feature::AVX2) {
///     println!("AVX2 kernels can run here");
/// }
/// ```
#[inline]
pub fn is_detected(f: Feature) -> bool {
    let index = f as usize;
    let (word, bit) = (index / PER_WORD, index % PER_WORD);
    let mut bits = CACHE[word].load(Ordering::Relaxed);
    if bits & FILLED == 0 {
        bits = fill()[word];
    }
    bits & (1 << bit) != 0
}

/// Every feature [`is_detected`] reports, in [`Feature::ALL`] order.
pub fn detected() -> impl Iterator<Item = Feature> {
    Feature::ALL.iter().copied().filter(|&f| is_detected(f))
}

#[cold]
#[inline(never)]
fn fill() -> [u64; WORDS] {
    let words = compute();
    for (slot, bits) in CACHE.iter().zip(words) {
        slot.store(bits, Ordering::Relaxed);
    }
    words
}

#[cfg(target_arch = "x86_64")]
fn compute() -> [u64; WORDS] {
    let snapshot = cpuid::read();
    let mut words = [FILLED; WORDS];
    for &f in Feature::ALL {
        if rules::supports(&snapshot, f) {
            let index = f as usize;
            words[index / PER_WORD] |= 1 << (index % PER_WORD);
        }
    }
    words
}

/// No CPUID to ask: nothing is detected.
#[cfg(not(target_arch = "x86_64"))]
fn compute() -> [u64; WORDS] {
    [FILLED; WORDS]
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests;

#[cfg(all(test, not(target_arch = "x86_64")))]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_detected_off_x86_64() {
        assert_eq!(detected().count(), 0);
        assert!(!is_detected(Feature::X64));
        assert!(!is_detected(Feature::SSE2));
    }
}
