//! Vector math over slices: `exp`, `exp2`, `log`, `log2`, `sin`, `cos` in f32 and f64
//! (Yeppp!'s set), `out[i] = f(x[i])`.
//!
//! ```
//! let x = [0.0f32, 1.0, -1.0, 88.0, f32::NAN];
//! let mut y = [0.0f32; 5];
//! asmforge_kernels::vmath::expf(&x, &mut y);
//! assert_eq!(y[0], 1.0);
//! assert!((y[1] - core::f32::consts::E).abs() <= f32::EPSILON * 2.0);
//! assert!(y[4].is_nan());
//! ```
//!
//! # How
//!
//! Each function is an asmforge kernel with variants run on whole vectors whose lanes are all
//! in the kernel's fast domain (tables in `f32k` / `f64k`): f32 has SSE2 (4 lanes, evaluated
//! in f64 halves: no FMA needed, one rounding at the end), AVX2+FMA (8) and AVX-512F (16;
//! `logf` and `log2f` without any branch — `vgetexpps`/`vgetmantps` take subnormal inputs and
//! `vfixupimmps` the special ones — and `expf`/`exp2f` leaving only |x| > 104 / 151, infinities
//! and NaN: `vscalefps` rounds overflow and subnormal results; small tables by `vpermps`); f64 has
//! AVX2+FMA (4) and AVX-512F (8), and SSE2 (2) for `exp`, `log`, `log2` — f64 `exp2`, `sin`,
//! `cos` on CPUs without AVX2+FMA run the scalar code. The vectors a kernel leaves (a lane with a special value, a subnormal or
//! overflowing result, a huge sin/cos argument) and the tail go to the scalar code (`scalar`;
//! for f32 sin/cos of |x| >= 2^17 an f32-sized exact reduction, `scalar::rem_pio2_f32`).
//!
//! # Numerics
//!
//! Special values are IEEE/C99's: NaN in, NaN out; `exp(+inf) = +inf`, `exp(-inf) = +0`,
//! results beyond the range overflow to +inf and underflow through correctly rounded
//! subnormals to +0; `log(±0) = -inf`, `log(x < 0) = NaN`, `log(+inf) = +inf`, subnormal
//! inputs exact; `sin(±0) = ±0`, `sin/cos(±inf) = NaN`, and arguments of any size are reduced
//! exactly (Payne–Hanek beyond 2^20·pi/2). Error bounds, as checked by the `ulp` example:
//!
//! - f32, `cargo run --release -p asmforge-kernels --example ulp -- --exhaustive`: all 2^32
//!   inputs through the best variant (`--all-variants` / `--variant sse2` for the others)
//!   against f64 libm (glibc's f64 functions are within 1 f64 ulp, i.e. 2^-28 f32 ulp).
//! - f64, `cargo run --release -p asmforge-kernels --example ulp -- --f64 --per-binade N`: N
//!   random inputs per binade range (`accuracy::binade_ranges`: 17–24 per function — single
//!   binades where the kernels change behaviour, e.g. every binade of |x| in [2^-6, 2^11) for
//!   exp, [2^-4, 2^4) for log, [2^-6, 2^12) for sin/cos; groups elsewhere) through every variant
//!   and the scalar code, against `ddref` (double-double, ~106 bits, within 2^-103 of glibc's
//!   binary128 on `tests/vmath.rs`'s sample), plus the special values against binary128.
//!
//! | function | bound (ulp) | measured maximum (AMD Zen 4) |
//! |---|---|---|
//! | `expf` | 1 | 0.780 at -87.40172 (all 2^32, AVX-512F) |
//! | `exp2f` | 1 | 0.910 at -126.4997 (all 2^32, AVX-512F) |
//! | `logf` | 1 | 0.755 at 0.9634977 (all 2^32, AVX-512F) |
//! | `log2f` | 1 | 0.763 at 1.0628219 (all 2^32, AVX-512F) |
//! | `sinf` | 1 | 0.873 at 332.22372 (all 2^32, AVX-512F) |
//! | `cosf` | 1 | 0.876 at 31402.55 (all 2^32, AVX-512F) |
//! | the f32 AVX2 and SSE2 variants | 1 | AVX2: 0.592, 0.875, 0.913, 0.897, 0.873, 0.876; SSE2: 0.503, 0.503, 0.500, 0.500, 0.500, 0.500 (`expf` ... `cosf`, all 2^32 each, `--all-variants`) |
//! | `exp`, `exp2`, `log`, `log2`, `sin`, `cos` | 1 | 0.861, 0.929, 0.873, 0.858, 0.787, 0.791 (10^7 per binade range, 1.14·10^9 inputs, the AVX variants and the scalar code: 233 s of CPU, 22 min of wall time at load 14–16; the SSE2 `exp`/`log`/`log2` compute the scalar code's arithmetic; at 10^8 per range, every path: exp 0.865 (0.907 since the AVX bodies use Estrin's scheme), exp2 0.935, log 0.875, log2 0.870, sin 0.793, cos 0.791) |
//!
//! The bounds are also in [`F32_FUNCS`] / [`F64_FUNCS`] (`bound`), which the tests and the
//! `ulp` example check against.

#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
pub mod accuracy;
pub mod ddref;
mod f32k;
mod f64k;
pub mod scalar;

use asmforge::{KernelInfo, MissingFeatures, VariantInfo};

/// Runs `kernel` over as much of `x` as it takes, then the scalar function over the vector it
/// stopped at (or the tail), and again until the end. 16 is the widest variant's lane count;
/// while the kernel refuses the very next vector too (a run of special values, say), the
/// scalar stretch doubles, up to 1,024 elements, so that such runs do not pay a kernel call
/// per vector.
fn drive<T: Copy>(
    x: &[T],
    out: &mut [T],
    mut kernel: impl FnMut(&[T], &mut [T]) -> usize,
    scalar: impl Fn(T) -> T,
) {
    assert_eq!(x.len(), out.len(), "vmath: input and output lengths differ");
    let n = x.len();
    let mut i = 0;
    let mut stretch = 16;
    while i < n {
        let done = kernel(&x[i..], &mut out[i..]);
        i += done;
        stretch = if done == 0 {
            (stretch * 2).min(1024)
        } else {
            16
        };
        let stop = (i + stretch).min(n);
        for (o, &v) in out[i..stop].iter_mut().zip(&x[i..stop]) {
            *o = scalar(v);
        }
        i = stop;
    }
}

/// The scalar f32 functions: the f64 scalar code, rounded once.
pub mod scalar_f32 {
    use super::scalar;

    /// e^x.
    pub fn expf(x: f32) -> f32 {
        scalar::exp(f64::from(x)) as f32
    }
    /// 2^x.
    pub fn exp2f(x: f32) -> f32 {
        scalar::exp2(f64::from(x)) as f32
    }
    /// log x.
    pub fn logf(x: f32) -> f32 {
        scalar::log(f64::from(x)) as f32
    }
    /// log2 x.
    pub fn log2f(x: f32) -> f32 {
        scalar::log2(f64::from(x)) as f32
    }
    /// sin x (|x| >= 2^17: an f32-sized exact reduction, `scalar::rem_pio2_f32`).
    pub fn sinf(x: f32) -> f32 {
        if x.abs() >= 131_072.0 && x.is_finite() {
            return scalar::sincos_f32_huge(x, false) as f32;
        }
        scalar::sin(f64::from(x)) as f32
    }
    /// cos x (|x| >= 2^17: as `sinf`).
    pub fn cosf(x: f32) -> f32 {
        if x.abs() >= 131_072.0 && x.is_finite() {
            return scalar::sincos_f32_huge(x, true) as f32;
        }
        scalar::cos(f64::from(x)) as f32
    }
}

macro_rules! f32_api {
    ($($(#[$doc:meta])* $name:ident, $kernel:ident, $rest:ident, $ref:expr, $bound:expr;)*) => {
        $(
            $(#[$doc])*
            ///
            /// # Panics
            ///
            /// If `x` and `out` differ in length.
            pub fn $name(x: &[f32], out: &mut [f32]) {
                drive(x, out, f32k::$kernel, scalar_f32::$name);
            }

            /// The fallback of the kernel: every element through the scalar code.
            fn $rest(x: &[f32], out: &mut [f32]) -> usize {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = scalar_f32::$name(v);
                }
                x.len().min(out.len())
            }
        )*

        /// Every f32 function, for tests and benchmarks.
        pub static F32_FUNCS: [F32Func; 6] = [$(F32Func {
            name: stringify!($name),
            info: &f32k::$kernel::INFO,
            call: |v, x, out| {
                let mut err = None;
                drive(x, out, |a, b| match f32k::$kernel::call(v, a, b) {
                    Ok(done) => done,
                    Err(e) => {
                        err = Some(e);
                        0
                    }
                }, scalar_f32::$name);
                err.map_or(Ok(()), Err)
            },
            dispatch: $name,
            scalar: scalar_f32::$name,
            reference: $ref,
            bound: $bound,
        }),*];
    };
}

/// A slice function through one kernel variant; `Err` names what the CPU lacks for it.
pub type VariantCall<T> = fn(&'static VariantInfo, &[T], &mut [T]) -> Result<(), MissingFeatures>;

/// One f32 function: its kernel, per-variant and dispatching entry points, the scalar code,
/// an f64 reference and the documented error bound in ulp.
pub struct F32Func {
    /// `expf`, ...
    pub name: &'static str,
    /// The kernel's variants.
    pub info: &'static KernelInfo,
    /// The slice function through one variant (with the scalar code for what it leaves).
    pub call: VariantCall<f32>,
    /// The slice function as users call it.
    pub dispatch: fn(&[f32], &mut [f32]),
    /// The scalar function.
    pub scalar: fn(f32) -> f32,
    /// The same function in f64 (std, i.e. the platform libm): 29 more bits than f32.
    pub reference: fn(f64) -> f64,
    /// The documented bound, in ulp.
    pub bound: f64,
}

f32_api! {
    /// `out[i] = e^x[i]`, within 1 ulp.
    expf, expf_k, expf_rest, f64::exp, 1.0;
    /// `out[i] = 2^x[i]`, within 1 ulp.
    exp2f, exp2f_k, exp2f_rest, f64::exp2, 1.0;
    /// `out[i] = log x[i]`, within 1 ulp.
    logf, logf_k, logf_rest, f64::ln, 1.0;
    /// `out[i] = log2 x[i]`, within 1 ulp.
    log2f, log2f_k, log2f_rest, f64::log2, 1.0;
    /// `out[i] = sin x[i]`, within 1 ulp.
    sinf, sinf_k, sinf_rest, f64::sin, 1.0;
    /// `out[i] = cos x[i]`, within 1 ulp.
    cosf, cosf_k, cosf_rest, f64::cos, 1.0;
}

/// One f64 function: the slice function as users call it, its kernel variants if it has any,
/// the scalar code and the documented error bound in ulp.
pub struct F64Func {
    /// `exp`, ...
    pub name: &'static str,
    /// The kernel's variants, if the function has a kernel.
    pub info: Option<&'static KernelInfo>,
    /// The slice function through one variant (with the scalar code for what it leaves).
    pub call: VariantCall<f64>,
    /// The slice function as users call it.
    pub dispatch: fn(&[f64], &mut [f64]),
    /// The scalar function.
    pub scalar: fn(f64) -> f64,
    /// The documented bound, in ulp.
    pub bound: f64,
}

/// A slice function under a name, for checks that run every path.
pub type Entry = (&'static str, Box<dyn Fn(&[f64], &mut [f64]) + Send + Sync>);

impl F64Func {
    /// Every path this CPU runs: each kernel variant, then the scalar code.
    pub fn entries(&'static self) -> Vec<Entry> {
        let mut v: Vec<Entry> = Vec::new();
        if let Some(info) = self.info {
            for var in info.variants {
                if var.missing_features().is_empty() {
                    v.push((
                        var.name,
                        Box::new(move |x, out| {
                            (self.call)(var, x, out).expect("variant runs on this CPU")
                        }),
                    ));
                }
            }
        }
        let scalar = self.scalar;
        v.push((
            "scalar",
            Box::new(move |x, out| drive(x, out, |_, _| 0, scalar)),
        ));
        v
    }
}

macro_rules! f64_api {
    ($($(#[$doc:meta])* $name:ident $(, $kernel:ident, $rest:ident)?;)*) => {
        $(
            $(#[$doc])*
            ///
            /// # Panics
            ///
            /// If `x` and `out` differ in length.
            pub fn $name(x: &[f64], out: &mut [f64]) {
                drive(x, out, f64_api!(@kernel $($kernel)?), scalar::$name);
            }

            $(
                /// The fallback of the kernel: every element through the scalar code.
                fn $rest(x: &[f64], out: &mut [f64]) -> usize {
                    for (o, &v) in out.iter_mut().zip(x) {
                        *o = scalar::$name(v);
                    }
                    x.len().min(out.len())
                }
            )?
        )*

        /// Every f64 function, for tests and benchmarks.
        pub static F64_FUNCS: [F64Func; 6] = [$(F64Func {
            name: stringify!($name),
            info: f64_api!(@info $($kernel)?),
            call: |v, x, out| {
                let mut err = None;
                drive(x, out, |a, b| f64_api!(@call v, a, b, err, $($kernel)?), scalar::$name);
                err.map_or(Ok(()), Err)
            },
            dispatch: $name,
            scalar: scalar::$name,
            bound: 1.0,
        }),*];
    };
    (@kernel $kernel:ident) => { f64k::$kernel };
    (@kernel) => { |_: &[f64], _: &mut [f64]| 0 };
    (@info $kernel:ident) => { Some(&f64k::$kernel::INFO) };
    (@info) => { None };
    (@call $v:ident, $a:ident, $b:ident, $err:ident, $kernel:ident) => {
        match f64k::$kernel::call($v, $a, $b) {
            Ok(done) => done,
            Err(e) => {
                $err = Some(e);
                0
            }
        }
    };
    (@call $v:ident, $a:ident, $b:ident, $err:ident,) => {{
        let _ = (&$v, &$a, &$b, &mut $err);
        0
    }};
}

f64_api! {
    /// `out[i] = e^x[i]`, within 1 ulp.
    exp, exp_k, exp_rest;
    /// `out[i] = 2^x[i]`, within 1 ulp.
    exp2, exp2_k, exp2_rest;
    /// `out[i] = log x[i]`, within 1 ulp.
    log, log_k, log_rest;
    /// `out[i] = log2 x[i]`, within 1 ulp.
    log2, log2_k, log2_rest;
    /// `out[i] = sin x[i]`, within 1 ulp.
    sin, sin_k, sin_rest;
    /// `out[i] = cos x[i]`, within 1 ulp.
    cos, cos_k, cos_rest;
}
