//! BLAS-1 kernels on every variant this CPU runs (and the Rust fallbacks), against f64
//! references: random inputs, every length 0..=LEN, start offsets 0..4 elements past a 64-byte
//! boundary (aligned and misaligned for every vector width), sentinels after every output.
//!
//! Bounds (u = unit roundoff of the type, n the length): dot and sums within
//! `(n + 2) · u · Σ|terms|` of the f64 sum; axpy within `2u · (|alpha·x| + |y|)` per element.

mod common;

use asmforge::KernelInfo;
use asmforge_kernels::blas::{self, kernels};
use common::Rng;

const LEN: usize = 200;
const GUARD: usize = 8;

/// `n` values starting `off` elements past a 64-byte boundary, followed by `GUARD` sentinels.
struct Buf<T> {
    storage: Vec<T>,
    start: usize,
    n: usize,
}

impl<T: Copy> Buf<T> {
    fn new(values: &[T], off: usize, fill: T) -> Self {
        let e = size_of::<T>();
        let mut storage = vec![fill; values.len() + off + GUARD + 64 / e];
        let start = (64 - storage.as_ptr() as usize % 64) % 64 / e + off;
        storage[start..start + values.len()].copy_from_slice(values);
        Buf {
            storage,
            start,
            n: values.len(),
        }
    }
    fn get(&self) -> &[T] {
        &self.storage[self.start..self.start + self.n]
    }
    fn get_mut(&mut self) -> &mut [T] {
        &mut self.storage[self.start..self.start + self.n]
    }
    fn guard(&self) -> &[T] {
        &self.storage[self.start + self.n..self.start + self.n + GUARD]
    }
}

/// Runs `test(variant_name, n, off, rng)` on every variant of `info`, every length and offset.
fn sweep(
    info: &'static KernelInfo,
    mut test: impl FnMut(&'static asmforge::VariantInfo, usize, usize, &mut Rng),
) {
    let report = asmforge::for_each_variant(info, |v| {
        let mut rng = Rng::new(0x5eed ^ v.name.len() as u64);
        for n in (0..=LEN).chain([511, 1000, 4099]) {
            for off in 0..4 {
                test(v, n, off, &mut rng);
            }
        }
    });
    assert!(!report.ran.is_empty());
}

fn values(rng: &mut Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.signed() * 100.0).collect()
}

#[test]
fn sdot_every_variant() {
    sweep(&kernels::sdot_kernel::INFO, |v, n, off, rng| {
        let x: Vec<f32> = values(rng, n).iter().map(|&v| v as f32).collect();
        let y: Vec<f32> = values(rng, n).iter().map(|&v| v as f32).collect();
        let (bx, by) = (Buf::new(&x, off, 0.0), Buf::new(&y, 3 - off, 0.0));
        let got = f64::from(kernels::sdot_kernel::call(v, bx.get(), by.get()).unwrap());
        let exact: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| f64::from(*a) * f64::from(*b))
            .sum();
        let mag: f64 = x
            .iter()
            .zip(&y)
            .map(|(a, b)| (f64::from(*a) * f64::from(*b)).abs())
            .sum();
        let bound = (n as f64 + 2.0) * f64::from(f32::EPSILON) / 2.0 * mag;
        assert!(
            (got - exact).abs() <= bound,
            "{} n={n} off={off}: {got} vs {exact} ± {bound}",
            v.name
        );
        let rust = f64::from(blas::sdot_rust(&x, &y));
        assert!((rust - exact).abs() <= bound, "fallback n={n}");
    });
}

#[test]
fn ddot_every_variant() {
    sweep(&kernels::ddot_kernel::INFO, |v, n, off, rng| {
        let x = values(rng, n);
        let y = values(rng, n);
        let (bx, by) = (Buf::new(&x, off, 0.0), Buf::new(&y, off, 0.0));
        let got = kernels::ddot_kernel::call(v, bx.get(), by.get()).unwrap();
        // f64 reference: compensated (two-sum) so its own error is negligible.
        let (mut s, mut comp, mut mag) = (0.0f64, 0.0f64, 0.0f64);
        for (a, b) in x.iter().zip(&y) {
            let p = a * b;
            let e = a.mul_add(*b, -p);
            let t = s + p;
            comp += if s.abs() >= p.abs() {
                (s - t) + p
            } else {
                (p - t) + s
            } + e;
            s = t;
            mag += p.abs();
        }
        let exact = s + comp;
        let bound = (n as f64 + 2.0) * f64::EPSILON / 2.0 * mag;
        assert!(
            (got - exact).abs() <= bound,
            "{} n={n} off={off}: {got} vs {exact} ± {bound}",
            v.name
        );
    });
}

#[test]
fn ssum_every_variant() {
    sweep(&kernels::ssum_kernel::INFO, |v, n, off, rng| {
        let x: Vec<f32> = values(rng, n).iter().map(|&v| v as f32).collect();
        let bx = Buf::new(&x, off, f32::NAN);
        let got = f64::from(kernels::ssum_kernel::call(v, bx.get()).unwrap());
        let exact: f64 = x.iter().map(|&a| f64::from(a)).sum();
        let mag: f64 = x.iter().map(|&a| f64::from(a).abs()).sum();
        let bound = (n as f64 + 2.0) * f64::from(f32::EPSILON) / 2.0 * mag;
        assert!(
            (got - exact).abs() <= bound,
            "{} n={n} off={off}: {got} vs {exact} ± {bound}",
            v.name
        );
    });
}

#[test]
fn ssumsq_every_variant() {
    sweep(&kernels::ssumsq_kernel::INFO, |v, n, off, rng| {
        let x: Vec<f32> = values(rng, n).iter().map(|&v| v as f32).collect();
        let bx = Buf::new(&x, off, f32::NAN);
        let got = f64::from(kernels::ssumsq_kernel::call(v, bx.get()).unwrap());
        let exact: f64 = x.iter().map(|&a| f64::from(a) * f64::from(a)).sum();
        let bound = (n as f64 + 2.0) * f64::from(f32::EPSILON) / 2.0 * exact;
        assert!(
            (got - exact).abs() <= bound,
            "{} n={n} off={off}: {got} vs {exact} ± {bound}",
            v.name
        );
    });
    sweep(&kernels::ssumsq_f64_kernel::INFO, |v, n, off, rng| {
        let x: Vec<f32> = values(rng, n).iter().map(|&v| (v * 1e30) as f32).collect();
        let bx = Buf::new(&x, off, f32::NAN);
        let got = kernels::ssumsq_f64_kernel::call(v, bx.get()).unwrap();
        let exact: f64 = x.iter().map(|&a| f64::from(a) * f64::from(a)).sum();
        let bound = (n as f64 + 2.0) * f64::EPSILON / 2.0 * exact;
        assert!(
            (got - exact).abs() <= bound,
            "{} n={n} off={off}: {got} vs {exact} ± {bound}",
            v.name
        );
    });
}

fn check_axpy(name: &str, n: usize, alpha: f64, x: &[f64], y0: &[f64], got: &[f64], u: f64) {
    for i in 0..n {
        let exact = alpha * x[i] + y0[i];
        let bound = 2.0 * u * ((alpha * x[i]).abs() + y0[i].abs());
        assert!(
            (got[i] - exact).abs() <= bound,
            "{name} n={n} [{i}]: {} vs {exact}",
            got[i]
        );
    }
}

#[test]
fn saxpy_every_variant() {
    sweep(&kernels::saxpy_kernel::INFO, |v, n, off, rng| {
        let x: Vec<f32> = values(rng, n).iter().map(|&v| v as f32).collect();
        let y: Vec<f32> = values(rng, n).iter().map(|&v| v as f32).collect();
        let alpha = rng.signed() as f32 * 3.0;
        let bx = Buf::new(&x, off, 0.0);
        let mut by = Buf::new(&y, (off * 3) % 4, -1.5);
        kernels::saxpy_kernel::call(v, alpha, bx.get(), by.get_mut()).unwrap();
        let wide = |s: &[f32]| s.iter().map(|&a| f64::from(a)).collect::<Vec<_>>();
        let u = f64::from(f32::EPSILON) / 2.0;
        check_axpy(
            v.name,
            n,
            f64::from(alpha),
            &wide(&x),
            &wide(&y),
            &wide(by.get()),
            u,
        );
        assert!(
            by.guard().iter().all(|&g| g == -1.5),
            "{} n={n}: wrote past y",
            v.name
        );
        let mut yr = y.clone();
        blas::saxpy_rust(alpha, &x, &mut yr);
        check_axpy(
            "fallback",
            n,
            f64::from(alpha),
            &wide(&x),
            &wide(&y),
            &wide(&yr),
            u,
        );
    });
}

#[test]
fn daxpy_every_variant() {
    sweep(&kernels::daxpy_kernel::INFO, |v, n, off, rng| {
        let x = values(rng, n);
        let y = values(rng, n);
        let alpha = rng.signed() * 3.0;
        let bx = Buf::new(&x, off, 0.0);
        let mut by = Buf::new(&y, (off + 1) % 4, -1.5);
        kernels::daxpy_kernel::call(v, alpha, bx.get(), by.get_mut()).unwrap();
        check_axpy(v.name, n, alpha, &x, &y, by.get(), f64::EPSILON / 2.0);
        assert!(
            by.guard().iter().all(|&g| g == -1.5),
            "{} n={n}: wrote past y",
            v.name
        );
    });
}

/// The common length when slices differ (kernels), a panic in the public API.
#[test]
fn length_mismatch() {
    let x = [1.0f32, 2.0, 3.0];
    let y = [4.0f32, 5.0];
    assert_eq!(kernels::sdot_kernel(&x, &y), 14.0);
    let mut y2 = [1.0f32, 1.0];
    kernels::saxpy_kernel(2.0, &x, &mut y2);
    assert_eq!(y2, [3.0, 5.0]);
    assert!(std::panic::catch_unwind(|| blas::sdot(&x, &y)).is_err());
    assert!(std::panic::catch_unwind(|| blas::ddot(&[1.0], &[])).is_err());
    assert!(std::panic::catch_unwind(|| blas::daxpy(1.0, &[1.0], &mut [])).is_err());
    assert!(std::panic::catch_unwind(|| blas::saxpy(1.0, &[], &mut [1.0])).is_err());
    assert_eq!(blas::sdot(&x, &x), 14.0);
    assert_eq!(blas::ssum(&x), 6.0);
}

/// snrm2 against the f64 norm: ordinary values, values whose squares overflow or underflow
/// in f32, subnormals, zeros, and the special values.
#[test]
fn snrm2_is_safe() {
    let mut rng = Rng::new(7);
    for scale in [1.0f64, 1e30, 1e-30, 1e-42, 3e38] {
        for n in [0usize, 1, 2, 7, 16, 33, 100, 1001] {
            let x: Vec<f32> = (0..n).map(|_| (rng.signed() * scale) as f32).collect();
            let got = f64::from(blas::snrm2(&x));
            let exact = x
                .iter()
                .map(|&a| f64::from(a) * f64::from(a))
                .sum::<f64>()
                .sqrt();
            let bound = (n as f64 / 2.0 + 2.0) * f64::from(f32::EPSILON) / 2.0 * exact;
            if exact > f64::from(f32::MAX) {
                assert_eq!(got, f64::INFINITY, "scale {scale} n={n}");
            } else {
                assert!(
                    (got - exact).abs() <= bound.max(f64::from(f32::from_bits(1)) / 2.0),
                    "scale {scale} n={n}: {got} vs {exact}"
                );
            }
        }
    }
    assert_eq!(blas::snrm2(&[3.0e30, 4.0e30]), 5.0e30);
    assert_eq!(blas::snrm2(&[3.0e-30, 4.0e-30]), 5.0e-30);
    assert_eq!(blas::snrm2(&[f32::MAX, f32::MAX]), f32::INFINITY);
    assert_eq!(blas::snrm2(&[0.0; 5]), 0.0);
    assert!(blas::snrm2(&[1.0, f32::NAN, 2.0]).is_nan());
    assert_eq!(
        blas::snrm2(&[1.0, f32::NAN, f32::NEG_INFINITY]),
        f32::INFINITY
    );
    assert_eq!(blas::snrm2(&[-f32::from_bits(1); 4]), f32::from_bits(2));
}

/// The public axpy entry points (which may pick a variant other than dispatch's, see
/// `blas::saxpy`) against the same bound, odd lengths and offsets.
#[test]
fn public_axpy() {
    let mut rng = Rng::new(11);
    for n in [0usize, 1, 7, 33, 100, 1023] {
        for off in 0..3 {
            let x = values(&mut rng, n);
            let y = values(&mut rng, n);
            let mut yd = Buf::new(&y, off, -1.5);
            blas::daxpy(0.75, Buf::new(&x, 2 - off, 0.0).get(), yd.get_mut());
            check_axpy("daxpy", n, 0.75, &x, &y, yd.get(), f64::EPSILON / 2.0);
            assert!(yd.guard().iter().all(|&g| g == -1.5));
            let xs: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let ys: Vec<f32> = y.iter().map(|&v| v as f32).collect();
            let mut yb = Buf::new(&ys, off, -1.5);
            blas::saxpy(-1.25, Buf::new(&xs, off, 0.0).get(), yb.get_mut());
            let wide = |s: &[f32]| s.iter().map(|&a| f64::from(a)).collect::<Vec<_>>();
            let u = f64::from(f32::EPSILON) / 2.0;
            check_axpy(
                "saxpy",
                n,
                -1.25,
                &wide(&xs),
                &wide(&ys),
                &wide(yb.get()),
                u,
            );
            assert!(yb.guard().iter().all(|&g| g == -1.5));
        }
    }
}
