//! BLAS level 1: `sdot`, `ddot`, `saxpy`, `daxpy`, `ssum`, `snrm2` on slices.
//!
//! Each function dispatches to the best variant of an asmforge kernel ([`kernels`]: SSE2,
//! AVX2+FMA, AVX-512F) and falls back to the Rust loop of the same name with `_rust` where no
//! variant runs. The functions panic when two slices differ in length (a BLAS caller passes
//! one `n`; two different lengths are a bug, not a request to use the shorter). The kernels
//! themselves (`kernels::*_kernel`, for tests and benchmarks) use the common length.
//!
//! **Numerics.** Reductions accumulate in the working precision in `8 · lanes` interleaved
//! partial sums (element `i` goes to partial `i mod 8·lanes`, up to the last whole vector),
//! added pairwise at the end; the tail is added last. The order differs from a sequential loop
//! and between variants (lanes: 4, 8, 16 for f32), so results differ in the last bits; each is
//! within the classical bound `|ŝ − s| ≤ γ_n · Σ|terms|`, `γ_n = n·u / (1 − n·u)`, u the unit
//! roundoff. AVX2+FMA and AVX-512 variants use FMA (one rounding per product-add), SSE2 a
//! rounded product and an add (two). Tests check each variant against f64 sums with this bound.

pub mod kernels;

pub use kernels::{
    daxpy_kernel, ddot_kernel, saxpy_kernel, sdot_kernel, ssum_kernel, ssumsq_f64_kernel,
    ssumsq_kernel,
};

fn same_len(name: &str, x: usize, y: usize) {
    assert_eq!(x, y, "{name}: x has {x} elements, y has {y}");
}

/// Σ `x[i]·y[i]` in f32 (see the module docs for the error bound).
///
/// # Panics
///
/// When `x.len() != y.len()`.
pub fn sdot(x: &[f32], y: &[f32]) -> f32 {
    same_len("sdot", x.len(), y.len());
    sdot_kernel(x, y)
}

/// Σ `x[i]·y[i]` in f64 (see the module docs for the error bound).
///
/// # Panics
///
/// When `x.len() != y.len()`.
pub fn ddot(x: &[f64], y: &[f64]) -> f64 {
    same_len("ddot", x.len(), y.len());
    ddot_kernel(x, y)
}

/// Whether this is an AMD family 19h core (Zen 3, Zen 4): Zen 4 executes a 512-bit store as
/// two 256-bit halves, and axpy — bound by its stores — ran 12-15% faster with the AVX2+FMA
/// variant than with the AVX-512 one there (bench, L1-sized calls); Zen 5 (family 1Ah) has full
/// 512-bit data paths and keeps the default.
#[cfg(target_arch = "x86_64")]
fn amd_family_19h() -> bool {
    use core::arch::x86_64::__cpuid;
    // SAFETY: CPUID exists on every x86-64 CPU. The intrinsic is an `unsafe fn` in the declared
    // rust-version (1.88) and safe in later releases, where this `unsafe` is unused.
    #[allow(unused_unsafe)]
    let cpuid = |leaf: u32| unsafe { __cpuid(leaf) };
    static IS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *IS.get_or_init(|| {
        let v = cpuid(0);
        let amd = (v.ebx, v.edx, v.ecx) == (0x6874_7541, 0x6974_6e65, 0x444d_4163); // AuthenticAMD
        let f = cpuid(1).eax;
        let family = ((f >> 8) & 0xf)
            + if (f >> 8) & 0xf == 0xf {
                (f >> 20) & 0xff
            } else {
                0
            };
        amd && family == 0x19
    })
}

/// The AVX2+FMA variant's entry point of an axpy kernel, where [`amd_family_19h`] prefers it
/// and dispatch (with any `ASMFORGE_ISA` cap) may run it.
macro_rules! ymm_axpy {
    ($k:ident) => {{
        static ENTRY: std::sync::OnceLock<Option<kernels::$k::Entry>> = std::sync::OnceLock::new();
        *ENTRY.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            if amd_family_19h() {
                let v = kernels::$k::INFO.variant("avx2+fma")?;
                let e = v.checked_entry().ok()?;
                // SAFETY: the checked entry point of this kernel, whose `Entry` type is its
                // exact signature.
                return Some(unsafe { std::mem::transmute::<*const (), kernels::$k::Entry>(e.0) });
            }
            None
        })
    }};
}

/// `y[i] += alpha·x[i]` in f32: one FMA per element (SSE2: a rounded product, then the add).
/// On AMD family 19h the AVX2+FMA variant runs instead of the AVX-512 one (see the source).
///
/// # Panics
///
/// When `x.len() != y.len()`.
pub fn saxpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    same_len("saxpy", x.len(), y.len());
    match ymm_axpy!(saxpy_kernel) {
        // SAFETY: the kernel reads x and writes y over their common length.
        Some(f) => unsafe { f(alpha, x.as_ptr(), x.len(), y.as_mut_ptr(), y.len()) },
        None => saxpy_kernel(alpha, x, y),
    }
}

/// `y[i] += alpha·x[i]` in f64, as [`saxpy`].
///
/// # Panics
///
/// When `x.len() != y.len()`.
pub fn daxpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    same_len("daxpy", x.len(), y.len());
    match ymm_axpy!(daxpy_kernel) {
        // SAFETY: as in `saxpy`.
        Some(f) => unsafe { f(alpha, x.as_ptr(), x.len(), y.as_mut_ptr(), y.len()) },
        None => daxpy_kernel(alpha, x, y),
    }
}

/// Σ `x[i]` in f32 (the plain sum, not BLAS's `sasum` of magnitudes; see the module docs).
pub fn ssum(x: &[f32]) -> f32 {
    ssum_kernel(x)
}

/// Below this, squares of tiny elements may have lost bits to underflow in the fast pass.
const FAST_PASS_MIN: f32 = 8.673_617e-19; // 2^-60

/// The Euclidean norm `sqrt(Σ x[i]²)`, overflow- and underflow-safe.
///
/// A fast pass sums the squares in f32 ([`ssumsq_kernel`](fn@ssumsq_kernel), bound by loads). Its result is
/// used when it is finite and at least 2⁻⁶⁰: the partial sums are non-negative, so an
/// overflow anywhere shows as `inf`, and squares that underflowed (|x| < 2⁻⁶³) then contribute
/// less than `n · 2⁻¹²⁶`, a relative `n · 2⁻⁶⁶` of the sum. Otherwise (overflow, NaN, tiny
/// or zero norm) a second pass ([`ssumsq_f64_kernel`](fn@ssumsq_f64_kernel)) widens each element to f64, where no
/// f32 square can overflow or underflow, and the norm is rounded once to f32. So the result
/// is `inf` only when the true norm exceeds `f32::MAX`, `NaN` when an element is NaN (and none
/// is infinite: then `inf`, as `hypot` does), and otherwise within `(n/2 + 2) · 2⁻²⁴` relative
/// of the exact norm.
pub fn snrm2(x: &[f32]) -> f32 {
    let fast = ssumsq_kernel(x);
    if fast.is_finite() && fast >= FAST_PASS_MIN {
        return fast.sqrt();
    }
    if x.iter().any(|v| v.is_infinite()) {
        return f32::INFINITY;
    }
    ssumsq_f64_kernel(x).sqrt() as f32
}

/// Rust fallback of [`sdot_kernel`](fn@sdot_kernel): the common length, same accumulation semantics.
pub fn sdot_rust(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Rust fallback of [`ddot_kernel`](fn@ddot_kernel).
pub fn ddot_rust(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Rust fallback of [`saxpy_kernel`](fn@saxpy_kernel).
pub fn saxpy_rust(alpha: f32, x: &[f32], y: &mut [f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = x.mul_add(alpha, *y);
    }
}

/// Rust fallback of [`daxpy_kernel`](fn@daxpy_kernel).
pub fn daxpy_rust(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y = x.mul_add(alpha, *y);
    }
}

/// Rust fallback of [`ssum_kernel`](fn@ssum_kernel).
pub fn ssum_rust(x: &[f32]) -> f32 {
    x.iter().sum()
}

/// Rust fallback of [`ssumsq_kernel`](fn@ssumsq_kernel).
pub fn ssumsq_rust(x: &[f32]) -> f32 {
    x.iter().map(|v| v * v).sum()
}

/// Rust fallback of [`ssumsq_f64_kernel`](fn@ssumsq_f64_kernel).
pub fn ssumsq_f64_rust(x: &[f32]) -> f64 {
    x.iter().map(|&v| f64::from(v) * f64::from(v)).sum()
}
