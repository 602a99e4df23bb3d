//! Vector math on every variant this CPU runs, the dispatching entry points and the scalar
//! code: special values exactly, a sampled ulp check against references at least 20 bits
//! more precise (f64 libm for f32, glibc binary128 for f64), every length up to 70 at three
//! offsets with guards past the end, and special values mixed into vectors.
// The accuracy references are glibc's binary128 functions (Linux/glibc only).
#![cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]

use asmforge::VariantInfo;
use asmforge_kernels::vmath::accuracy::{self, Rng, ulp_error_f32, ulp_error_f64};
use asmforge_kernels::vmath::{self, F32_FUNCS, F32Func, F64_FUNCS};

/// Every way to run an f32 function here: each runnable variant, the dispatcher, the scalar
/// function element by element.
/// A way to run a slice function, by name.
type Path = (String, Box<dyn Fn(&[f32], &mut [f32])>);

fn f32_paths(f: &'static F32Func) -> Vec<Path> {
    let mut paths: Vec<Path> = Vec::new();
    let report = asmforge::for_each_variant(f.info, |_| {});
    for v in f.info.variants {
        if report.ran.contains(&v.name) {
            let v: &'static VariantInfo = v;
            paths.push((
                v.name.to_owned(),
                Box::new(move |x, y| (f.call)(v, x, y).expect("runnable variant")),
            ));
        }
    }
    paths.push(("dispatch".to_owned(), Box::new(f.dispatch)));
    let scalar = f.scalar;
    paths.push((
        "scalar".to_owned(),
        Box::new(move |x, y| {
            for (o, &v) in y.iter_mut().zip(x) {
                *o = scalar(v);
            }
        }),
    ));
    paths
}

fn func(name: &str) -> &'static F32Func {
    F32_FUNCS
        .iter()
        .find(|f| f.name == name)
        .expect("known function")
}

/// `(function, input, expected)`: the IEEE/C99 special values, exact (NaN: any NaN).
const SPECIALS: &[(&str, f32, f32)] = &[
    ("expf", f32::NAN, f32::NAN),
    ("expf", f32::INFINITY, f32::INFINITY),
    ("expf", f32::NEG_INFINITY, 0.0),
    ("expf", 0.0, 1.0),
    ("expf", -0.0, 1.0),
    ("expf", 88.8, f32::INFINITY),
    ("expf", 1000.0, f32::INFINITY),
    ("expf", -104.0, 0.0),
    ("expf", -1000.0, 0.0),
    ("expf", f32::MIN_POSITIVE, 1.0),
    ("exp2f", f32::NAN, f32::NAN),
    ("exp2f", f32::INFINITY, f32::INFINITY),
    ("exp2f", f32::NEG_INFINITY, 0.0),
    ("exp2f", 0.0, 1.0),
    ("exp2f", -0.0, 1.0),
    ("exp2f", 128.0, f32::INFINITY),
    ("exp2f", 127.0, 1.701_411_8e38),
    ("exp2f", -126.0, f32::MIN_POSITIVE),
    ("exp2f", -149.0, 1e-45),
    ("exp2f", -140.0, f32::from_bits(1 << 9)), // 2^-140, subnormal
    ("exp2f", -151.0, 0.0),
    ("exp2f", 10.0, 1024.0),
    ("logf", f32::NAN, f32::NAN),
    ("logf", f32::INFINITY, f32::INFINITY),
    ("logf", f32::NEG_INFINITY, f32::NAN),
    ("logf", 0.0, f32::NEG_INFINITY),
    ("logf", -0.0, f32::NEG_INFINITY),
    ("logf", -1.0, f32::NAN),
    ("logf", -1e-45, f32::NAN),
    ("logf", 1.0, 0.0),
    ("log2f", f32::NAN, f32::NAN),
    ("log2f", f32::INFINITY, f32::INFINITY),
    ("log2f", f32::NEG_INFINITY, f32::NAN),
    ("log2f", 0.0, f32::NEG_INFINITY),
    ("log2f", -0.0, f32::NEG_INFINITY),
    ("log2f", -2.0, f32::NAN),
    ("log2f", 1.0, 0.0),
    ("log2f", 1024.0, 10.0),
    ("log2f", 1e-45, -149.0),
    ("log2f", f32::MIN_POSITIVE, -126.0),
    ("sinf", f32::NAN, f32::NAN),
    ("sinf", f32::INFINITY, f32::NAN),
    ("sinf", f32::NEG_INFINITY, f32::NAN),
    ("sinf", 0.0, 0.0),
    ("sinf", -0.0, -0.0),
    ("sinf", 1e-45, 1e-45),
    ("sinf", -1e-45, -1e-45),
    ("sinf", -1e-30, -1e-30),
    ("cosf", f32::NAN, f32::NAN),
    ("cosf", f32::INFINITY, f32::NAN),
    ("cosf", f32::NEG_INFINITY, f32::NAN),
    ("cosf", 0.0, 1.0),
    ("cosf", -0.0, 1.0),
    ("cosf", 1e-45, 1.0),
];

fn same(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits()
}

#[test]
fn f32_special_values_exact_on_every_path_and_lane() {
    for &(name, x, want) in SPECIALS {
        for (path, run) in f32_paths(func(name)) {
            // the special value alone, in a full vector of ordinary values at each lane
            let mut xs = vec![0.5f32; 35];
            for lane in 0..xs.len() {
                xs.fill(0.5);
                xs[lane] = x;
                let mut ys = vec![0.0f32; xs.len()];
                run(&xs, &mut ys);
                assert!(
                    same(ys[lane], want),
                    "{name}({x:e}) on {path}, lane {lane}: got {:e} ({:#x}), want {want:e}",
                    ys[lane],
                    ys[lane].to_bits()
                );
            }
        }
    }
}

/// Inputs: random bit patterns, values in the interesting range, and edges.
fn sample_inputs(name: &str, rng: &mut Rng, n: usize) -> Vec<f32> {
    let (lo, hi) = accuracy::interesting_range(name);
    let mut v: Vec<f32> = (0..n / 2)
        .map(|_| f32::from_bits(rng.next_u64() as u32))
        .collect();
    v.extend((0..n / 2).map(|_| lo + (hi - lo) * rng.unit()));
    for e in [
        -150.0f32, -149.5, -126.0, -103.9, -87.5, -87.0, 87.0, 88.0, 88.72, 126.0, 127.9,
        131_072.0, 131_072.02, 1e-38, 1e-40, 1e30, 3.4e38,
    ] {
        v.extend([
            e,
            -e,
            f32::from_bits(e.to_bits() + 1),
            f32::from_bits(e.to_bits() - 1),
        ]);
    }
    v
}

#[test]
fn f32_sampled_ulp_on_every_path() {
    let mut rng = Rng::new(7);
    for f in &F32_FUNCS {
        let x = sample_inputs(f.name, &mut rng, 1 << 18);
        for (path, run) in f32_paths(f) {
            let mut y = vec![0.0f32; x.len()];
            run(&x, &mut y);
            for (&xi, &yi) in x.iter().zip(&y) {
                let e = ulp_error_f32(yi, (f.reference)(f64::from(xi)));
                assert!(
                    e <= f.bound,
                    "{}({xi:e} = {:#x}) on {path}: {yi:e}, {e} ulp > {}",
                    f.name,
                    xi.to_bits(),
                    f.bound
                );
            }
        }
    }
}

#[test]
fn f32_lengths_offsets_and_guards() {
    let mut rng = Rng::new(11);
    for f in &F32_FUNCS {
        let paths = f32_paths(f);
        for len in 0..70 {
            for offset in 0..3 {
                let x: Vec<f32> = (0..len + offset)
                    .map(|_| (rng.unit() - 0.5) * 20.0)
                    .collect();
                let want: Vec<f64> = x[offset..]
                    .iter()
                    .map(|&v| (f.reference)(f64::from(v)))
                    .collect();
                for (path, run) in &paths {
                    let mut buf = vec![-7.0f32; len + offset + 3];
                    run(&x[offset..], &mut buf[offset..offset + len]);
                    for (k, (&got, &w)) in buf[offset..offset + len].iter().zip(&want).enumerate() {
                        let e = ulp_error_f32(got, w);
                        assert!(
                            e <= f.bound,
                            "{} {path} len {len} offset {offset} [{k}]",
                            f.name
                        );
                    }
                    assert!(
                        buf[..offset]
                            .iter()
                            .chain(&buf[offset + len..])
                            .all(|&g| g == -7.0),
                        "{} {path}: wrote outside the output (len {len}, offset {offset})",
                        f.name
                    );
                }
            }
        }
    }
}

#[test]
#[should_panic(expected = "lengths differ")]
fn length_mismatch_panics() {
    vmath::expf(&[1.0, 2.0], &mut [0.0]);
}

#[test]
fn f64_special_and_sampled_against_binary128() {
    let ok = accuracy::f64_check(40, |line| eprintln!("{line}"));
    assert!(ok, "an f64 function exceeded its bound (see stderr)");
}

/// The double-double reference (`ddref`) against glibc's binary128 functions on every binade
/// range of the long check (and the special values): within 2^-95 relative, i.e. > 40 bits
/// beyond f64 where the check needs 20. Prints the largest difference per function.
#[test]
fn ddref_agrees_with_binary128() {
    let mut rng = Rng::new(0xdd);
    for f in &F64_FUNCS {
        let reference = vmath::ddref::of(f.name);
        let mut xs = accuracy::special_f64();
        for (lo, hi, signed) in accuracy::binade_ranges(f.name) {
            for _ in 0..300 {
                let e = lo + (rng.next_u64() % (hi - lo) as u64) as i32;
                let v = accuracy::in_binade(e, rng.next_u64());
                xs.push(if signed && rng.next_u64() & 1 == 1 {
                    -v
                } else {
                    v
                });
            }
        }
        // near multiples of pi/2 and near 1, where the reductions cancel
        for k in 1..200u64 {
            let m = k as f64 * core::f64::consts::FRAC_PI_2;
            xs.extend([
                m,
                f64::from_bits(m.to_bits() + 1),
                f64::from_bits(m.to_bits() - 1),
            ]);
            let near1 = f64::from_bits(1f64.to_bits() + k);
            xs.extend([near1, f64::from_bits(1f64.to_bits() - k)]);
        }
        xs.extend([6381956970095103.0 * 2f64.powi(797), 5.319372648326541e255]);
        let (mut worst, mut at) = (0.0f64, 0.0);
        for &x in &xs {
            let (d, g) = (reference(x), accuracy::reference_f64(f.name, x));
            let special = (g >> 112) & 0x7fff == 0x7fff || g << 1 == 0;
            let diff = if special {
                if d == g
                    || (g >> 112) & 0x7fff == 0x7fff
                        && g << 16 != 0
                        && (d >> 112) & 0x7fff == 0x7fff
                        && d << 16 != 0
                {
                    0.0
                } else {
                    f64::INFINITY
                }
            } else {
                accuracy::rel_diff_f128(d, g)
            };
            if diff > worst {
                worst = diff;
                at = x;
            }
        }
        eprintln!(
            "ddref {}: largest relative difference from binary128 2^{:.1} at {at:e} ({} inputs)",
            f.name,
            worst.log2(),
            xs.len()
        );
        assert!(
            worst < 2f64.powi(-95),
            "ddref {} at {at:e}: 2^{}",
            f.name,
            worst.log2()
        );
    }
}

/// The long check's machinery, briefly: every path, every binade range, against `ddref`.
#[test]
fn f64_sampled_against_double_double() {
    let ok = accuracy::f64_check_dd(2_000, None, |line| eprintln!("{line}"));
    assert!(ok, "an f64 function exceeded its bound (see stderr)");
}

#[test]
fn f64_special_values_exact() {
    let cases: &[(&str, f64, f64)] = &[
        ("exp", f64::INFINITY, f64::INFINITY),
        ("exp", f64::NEG_INFINITY, 0.0),
        ("exp", 710.0, f64::INFINITY),
        ("exp", -746.0, 0.0),
        ("exp", -0.0, 1.0),
        ("exp2", 1024.0, f64::INFINITY),
        ("exp2", -1074.0, 5e-324),
        ("exp2", -1076.0, 0.0),
        ("log", 0.0, f64::NEG_INFINITY),
        ("log", -0.0, f64::NEG_INFINITY),
        ("log", -1.0, f64::NAN),
        ("log", 1.0, 0.0),
        ("log2", 5e-324, -1074.0),
        ("log2", f64::INFINITY, f64::INFINITY),
        ("sin", -0.0, -0.0),
        ("sin", f64::INFINITY, f64::NAN),
        ("cos", f64::NEG_INFINITY, f64::NAN),
        ("cos", -0.0, 1.0),
    ];
    for &(name, x, want) in cases {
        let f = F64_FUNCS.iter().find(|f| f.name == name).expect("known");
        for (path, run) in f.entries() {
            let xs = [0.25, x, 0.5, 0.75, 1.0];
            let mut ys = [0.0; 5];
            run(&xs, &mut ys);
            assert!(
                (ys[1].is_nan() && want.is_nan()) || ys[1].to_bits() == want.to_bits(),
                "{name}({x:e}) on {path}: got {:e}, want {want:e}",
                ys[1]
            );
        }
    }
    let _ = ulp_error_f64;
}

#[test]
fn fast_sincos_reference_agrees_with_libm() {
    let mut rng = Rng::new(3);
    for _ in 0..20_000 {
        let x = f32::from_bits(rng.next_u64() as u32);
        if !x.is_finite() {
            continue;
        }
        for cos in [false, true] {
            let fast = accuracy::sincos_f32_reference(x, cos);
            let libm = if cos {
                f64::from(x).cos()
            } else {
                f64::from(x).sin()
            };
            assert!(
                (fast - libm).abs() <= 1e-15,
                "{x:e} cos={cos}: {fast} vs libm {libm}"
            );
        }
    }
}
