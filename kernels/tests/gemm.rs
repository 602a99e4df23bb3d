//! `sgemm` / `dgemm` on every micro-kernel variant this CPU runs, against a plain triple loop
//! in f64: random shapes (0, 1, odd, across tile and block edges), both layouts, all four
//! transpositions, padded leading dimensions, alpha/beta including beta = 0 over a C full of
//! NaN. Checked bound per element (see `asmforge_kernels::gemm`):
//! `|C − ref| ≤ (k + 2) · u · (|alpha| · Σ|a||b| + |beta| · |c|)`, plus one f64 rounding of the
//! reference itself. The padding between rows (columns) of C must come back untouched.

mod common;

use asmforge_kernels::gemm::{self, Config, Element, Layout, Trans};
use common::Rng;

trait Real: Element + Into<f64> {
    const U: f64;
    fn from_f64(x: f64) -> Self;
    const NAN: Self;
}
impl Real for f32 {
    const U: f64 = f32::EPSILON as f64 / 2.0;
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    const NAN: Self = f32::NAN;
}
impl Real for f64 {
    const U: f64 = f64::EPSILON / 2.0;
    fn from_f64(x: f64) -> Self {
        x
    }
    const NAN: Self = f64::NAN;
}

/// Element `(i, j)` of `op(X)` stored with `ld` in `layout`, `trans`.
fn at<T: Copy>(x: &[T], layout: Layout, trans: Trans, ld: usize, i: usize, j: usize) -> T {
    let (i, j) = if trans == Trans::Yes { (j, i) } else { (i, j) };
    match layout {
        Layout::RowMajor => x[i * ld + j],
        Layout::ColMajor => x[i + j * ld],
    }
}

/// Stored size of an `rows × cols` matrix (`op` applied) with leading dimension `ld`.
fn stored(layout: Layout, trans: Trans, rows: usize, cols: usize, ld: usize) -> (usize, usize) {
    let (r, c) = if trans == Trans::Yes {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let (outer, inner) = match layout {
        Layout::RowMajor => (r, c),
        Layout::ColMajor => (c, r),
    };
    let ld = ld.max(inner).max(1);
    (
        if outer == 0 {
            0
        } else {
            (outer - 1) * ld + inner
        },
        ld,
    )
}

struct Case {
    layout: Layout,
    ta: Trans,
    tb: Trans,
    m: usize,
    n: usize,
    k: usize,
    pad: usize,
    alpha: f64,
    beta: f64,
}

fn check_case<T: Real>(config: &Config, case: &Case, rng: &mut Rng) {
    let Case {
        layout,
        ta,
        tb,
        m,
        n,
        k,
        pad,
        alpha,
        beta,
    } = *case;
    let (la, lda) = stored(layout, ta, m, k, k.max(m) + pad);
    let (lb, ldb) = stored(layout, tb, k, n, k.max(n) + pad);
    let (lc, ldc) = stored(layout, Trans::No, m, n, m.max(n) + pad);
    let a: Vec<T> = (0..la).map(|_| T::from_f64(rng.signed())).collect();
    let b: Vec<T> = (0..lb).map(|_| T::from_f64(rng.signed())).collect();
    let sentinel = T::from_f64(-777.25);
    let mut c = vec![sentinel; lc];
    let mut inside = vec![false; lc];
    for i in 0..m {
        for j in 0..n {
            let idx = match layout {
                Layout::RowMajor => i * ldc + j,
                Layout::ColMajor => i + j * ldc,
            };
            inside[idx] = true;
            c[idx] = if beta == 0.0 {
                T::NAN
            } else {
                T::from_f64(rng.signed())
            };
        }
    }
    let c0 = c.clone();
    let (al, be) = (T::from_f64(alpha), T::from_f64(beta));
    gemm::gemm(
        config, layout, ta, tb, m, n, k, al, &a, lda, &b, ldb, be, &mut c, ldc,
    );
    for i in 0..m {
        for j in 0..n {
            let (mut s, mut mag) = (0.0f64, 0.0f64);
            for p in 0..k {
                let x: f64 = at(&a, layout, ta, lda, i, p).into();
                let y: f64 = at(&b, layout, tb, ldb, p, j).into();
                s += x * y;
                mag += (x * y).abs();
            }
            let old: f64 = at(&c0, layout, Trans::No, ldc, i, j).into();
            let (want, bound) = if beta == 0.0 {
                (alpha * s, (k as f64 + 2.0) * T::U * alpha.abs() * mag)
            } else {
                let want = alpha * s + beta * old;
                let mag = alpha.abs() * mag + beta.abs() * old.abs();
                (want, (k as f64 + 2.0) * T::U * mag)
            };
            let got: f64 = at(&c, layout, Trans::No, ldc, i, j).into();
            let bound = bound + want.abs() * f64::EPSILON * (k as f64 + 2.0) + f64::MIN_POSITIVE;
            assert!(
                (got - want).abs() <= bound,
                "{:?} {ta:?}{tb:?} m={m} n={n} k={k} pad={pad} alpha={alpha} beta={beta} \
                 C[{i}][{j}] = {got}, want {want} ± {bound} ({config:?})",
                layout
            );
        }
    }
    for (idx, inside) in inside.iter().enumerate() {
        if !inside {
            assert_eq!(
                c[idx], sentinel,
                "padding of C at {idx} overwritten ({config:?})"
            );
        }
    }
}

const SIZES: [usize; 14] = [0, 1, 2, 3, 5, 6, 7, 8, 13, 16, 17, 31, 33, 40];

fn random_cases<T: Real>(config: &Config, rng: &mut Rng, count: usize) {
    let layouts = [Layout::RowMajor, Layout::ColMajor];
    let trans = [Trans::No, Trans::Yes];
    let alphas = [1.0, -0.5, 2.25];
    let betas = [0.0, 1.0, -1.5];
    for _ in 0..count {
        let case = Case {
            layout: layouts[rng.below(2)],
            ta: trans[rng.below(2)],
            tb: trans[rng.below(2)],
            m: SIZES[rng.below(SIZES.len())],
            n: SIZES[rng.below(SIZES.len())],
            k: SIZES[rng.below(SIZES.len())],
            pad: [0, 1, 3][rng.below(3)],
            alpha: alphas[rng.below(3)],
            beta: betas[rng.below(3)],
        };
        check_case::<T>(config, &case, rng);
    }
}

/// Every combination of layout, transposition and beta class once, on shapes that cross the
/// tile edges, then random cases; with the machine's blocking and with tiny blocks.
fn every_variant<T: Real>() {
    let report = asmforge::for_each_variant(T::ukr_info(), |v| {
        let mut rng = Rng::new(0x6e33 ^ v.name.len() as u64);
        for blocking in [None, Some((8, 12, 1)), Some((19, 7, 40))] {
            let config = Config {
                variant: Some(v),
                blocking,
            };
            for layout in [Layout::RowMajor, Layout::ColMajor] {
                for ta in [Trans::No, Trans::Yes] {
                    for tb in [Trans::No, Trans::Yes] {
                        for (alpha, beta) in [(1.0, 0.0), (-0.75, 1.0), (1.5, -2.0)] {
                            let case = Case {
                                layout,
                                ta,
                                tb,
                                m: 23,
                                n: 71,
                                k: 37,
                                pad: 2,
                                alpha,
                                beta,
                            };
                            check_case::<T>(&config, &case, &mut rng);
                        }
                    }
                }
            }
            random_cases::<T>(&config, &mut rng, 150);
        }
    });
    assert!(!report.ran.is_empty(), "no variant ran");
}

#[test]
fn sgemm_every_variant() {
    every_variant::<f32>();
}

#[test]
fn dgemm_every_variant() {
    every_variant::<f64>();
}

/// Deep k (several kc slices with the machine's blocking) and a tall C (several mc blocks).
fn large_shapes<T: Real>() {
    asmforge::for_each_variant(T::ukr_info(), |v| {
        let mut rng = Rng::new(99);
        let config = Config {
            variant: Some(v),
            blocking: None,
        };
        for (m, n, k) in [(67, 129, 1100), (301, 45, 300)] {
            let case = Case {
                layout: Layout::RowMajor,
                ta: Trans::No,
                tb: Trans::No,
                m,
                n,
                k,
                pad: 5,
                alpha: 0.5,
                beta: 1.0,
            };
            check_case::<T>(&config, &case, &mut rng);
        }
    });
}

#[test]
fn large_shapes_every_variant() {
    large_shapes::<f32>();
    large_shapes::<f64>();
}

/// The public entry points (dispatched variant) and BLAS corner cases: alpha = 0 or k = 0
/// leave A and B unread and scale C; beta = 0 then zeroes a NaN C.
#[test]
fn public_api_and_corner_cases() {
    let a = [1.0f32, 2.0, 3.0, 4.0];
    let b = [5.0f32, 6.0, 7.0, 8.0];
    let mut c = [0.0f32; 4];
    gemm::sgemm(
        Layout::RowMajor,
        Trans::No,
        Trans::No,
        2,
        2,
        2,
        1.0,
        &a,
        2,
        &b,
        2,
        0.0,
        &mut c,
        2,
    );
    assert_eq!(c, [19.0, 22.0, 43.0, 50.0]);
    let mut c = [0.0f64; 4];
    let (ad, bd) = (a.map(f64::from), b.map(f64::from));
    gemm::dgemm(
        Layout::ColMajor,
        Trans::No,
        Trans::No,
        2,
        2,
        2,
        1.0,
        &ad,
        2,
        &bd,
        2,
        0.0,
        &mut c,
        2,
    );
    assert_eq!(c, [23.0, 34.0, 31.0, 46.0]);

    let nan_a = [f32::NAN; 4];
    let mut c = [1.0f32, 2.0, 3.0, 4.0];
    gemm::sgemm(
        Layout::RowMajor,
        Trans::No,
        Trans::No,
        2,
        2,
        2,
        0.0,
        &nan_a,
        2,
        &b,
        2,
        2.0,
        &mut c,
        2,
    );
    assert_eq!(c, [2.0, 4.0, 6.0, 8.0], "alpha = 0 must not read A");
    let mut c = [f32::NAN; 4];
    gemm::sgemm(
        Layout::RowMajor,
        Trans::No,
        Trans::No,
        2,
        2,
        0,
        1.0,
        &[],
        1,
        &[],
        2,
        0.0,
        &mut c,
        2,
    );
    assert_eq!(c, [0.0; 4], "k = 0, beta = 0 must zero C");
}

#[test]
#[should_panic(expected = "needs 6 elements")]
fn short_slice_panics() {
    let a = [0.0f32; 5];
    let mut c = [0.0f32; 4];
    gemm::sgemm(
        Layout::RowMajor,
        Trans::No,
        Trans::No,
        2,
        2,
        3,
        1.0,
        &a,
        3,
        &a,
        2,
        0.0,
        &mut c,
        2,
    );
}

#[test]
#[should_panic(expected = "leading dimension of C")]
fn small_leading_dimension_panics() {
    let a = [0.0f32; 4];
    let mut c = [0.0f32; 8];
    gemm::sgemm(
        Layout::RowMajor,
        Trans::No,
        Trans::No,
        2,
        2,
        2,
        1.0,
        &a,
        2,
        &a,
        2,
        0.0,
        &mut c,
        1,
    );
}

/// The cache sizes CPUID reports are plausible for any x86-64 core.
#[test]
fn cache_sizes_are_plausible() {
    let c = gemm::cache_sizes();
    assert!((8 << 10..=4 << 20).contains(&c.l1d), "{c:?}");
    assert!(c.l2 >= c.l1d && c.l2 <= 64 << 20, "{c:?}");
    let b = gemm::Blocking::for_tile(16, 4);
    assert!(
        b.kc >= 32 && b.mc.is_multiple_of(gemm::MR) && b.nc.is_multiple_of(16),
        "{b:?}"
    );
}
