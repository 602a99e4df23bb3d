//! Fat binaries: every variant of `sdot` against a Rust reference, dispatch (thread-safe,
//! resolved once), checked calls that refuse a variant the CPU cannot run, fallbacks, and
//! ISA caps.

#[path = "../examples/kernels/sdot.rs"]
mod sdot_kernel;

use std::process::Command;

use asmforge::kernel;
use sdot_kernel::{sdot, sdot_f64};

/// SplitMix64, for deterministic inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1).
    fn f32(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// Tolerance: any summation order of n products is within n·u·Σ|x·y| of the exact sum
/// (u = 2⁻²⁴, Higham, "Accuracy and Stability of Numerical Algorithms", §3.1); the products
/// are exact in f64, so the f64 sum is the reference up to rounding far below that.
fn tolerance(x: &[f32], y: &[f32]) -> f64 {
    let abs: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (f64::from(*a) * f64::from(*b)).abs())
        .sum();
    (x.len() as f64 + 1.0) * f64::from(f32::EPSILON) / 2.0 * abs + 1e-30
}

#[test]
fn sdot_every_variant_every_length_and_alignment() {
    let mut rng = Rng(7);
    let lengths: Vec<usize> = (0..=70)
        .chain([127, 128, 129, 255, 256, 257, 1000, 1023, 4099])
        .collect();
    let report = asmforge::for_each_variant(&sdot::INFO, |v| {
        for &n in &lengths {
            for offset in 0..3 {
                // Over-allocate and start `offset` floats in, so loads are misaligned.
                let xs: Vec<f32> = (0..n + 3).map(|_| rng.f32()).collect();
                let ys: Vec<f32> = (0..n + 3).map(|_| rng.f32()).collect();
                let (x, y) = (&xs[offset..offset + n], &ys[2 - offset..2 - offset + n]);
                let got = f64::from(sdot::call(v, x, y).unwrap());
                let want = sdot_f64(x, y);
                let tol = tolerance(x, y) + f64::from(f32::EPSILON) * want.abs();
                assert!(
                    (got - want).abs() <= tol,
                    "{}: n={n} offset={offset}: {got} vs {want} (tol {tol})",
                    v.name
                );
            }
        }
        // Unequal lengths: the shorter decides, nothing past it is read.
        let x = [1.0f32, 2.0, 3.0];
        let y = [10.0f32, 20.0];
        assert_eq!(sdot::call(v, &x, &y).unwrap(), 50.0, "{}", v.name);
    });
    assert!(
        report.ran.contains(&"sse2"),
        "the SSE2 variant runs on every x86-64 CPU"
    );
}

#[test]
fn sdot_variants_are_declared_best_first_with_the_features_they_use() {
    let names: Vec<&str> = sdot::INFO.variants.iter().map(|v| v.name).collect();
    assert_eq!(names, ["avx512f", "avx2+fma", "avx", "sse2"]);
    let uses =
        |name: &str, f: asmforge::Feature| sdot::INFO.variant(name).unwrap().used.contains(&f);
    use asmforge::Feature as F;
    // EVEX FMA forms need AVX512F (not the VEX-era FMA bit).
    assert!(uses("avx512f", F::AVX512F) && !uses("avx512f", F::AVX2));
    assert!(uses("avx2+fma", F::FMA) && !uses("avx2+fma", F::AVX512F));
    assert!(uses("avx", F::AVX) && !uses("avx", F::FMA));
    assert!(!uses("sse2", F::AVX) && uses("sse2", F::SSE) && uses("sse2", F::CMOV));
    assert!(
        sdot::INFO
            .variant("avx2+fma")
            .unwrap()
            .declared
            .contains(&F::AVX2)
    );
    // Each variant is its own symbol.
    let mut symbols: Vec<&str> = sdot::INFO.variants.iter().map(|v| v.symbol).collect();
    symbols.dedup();
    assert_eq!(symbols.len(), 4);
}

#[test]
fn dispatch_picks_the_best_supported_variant_once_even_under_races() {
    let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
    let want = sdot_f64(&x, &x) as f32;
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let x = x.clone();
            std::thread::spawn(move || (0..100).map(|_| sdot(&x, &x)).collect::<Vec<f32>>())
        })
        .collect();
    for t in threads {
        for got in t.join().unwrap() {
            assert!((got - want).abs() <= want * 1e-6);
        }
    }
    let picked = sdot::DISPATCH.selected().map(|v| v.name);
    assert_eq!(picked, sdot::INFO.best_supported().map(|v| v.name));
}

/// A kernel whose only variant needs AVX512-FP16 (absent on many CPUs, e.g. AMD Zen 4).
///
/// # Safety
///
/// `p` must be valid for reading and writing 32 `u16`s.
#[kernel(targets(avx512fp16))]
unsafe fn half_add(p: *mut u16) {
    vmovdqu16(zmm0, [p]);
    vaddph(zmm0, zmm0, zmm0);
    vmovdqu16([p], zmm0);
}

#[kernel(targets(avx512fp16), fallback = scalar_double)]
fn double_or_fallback(x: u64) -> u64 {
    vmovq(xmm16, x);
    vaddph(xmm16, xmm16, xmm16);
    vmovq(rax, xmm16);
    return rax;
}

fn scalar_double(x: u64) -> u64 {
    x.wrapping_add(1_000_000)
}

#[test]
fn a_variant_the_cpu_lacks_is_refused_never_executed() {
    let v = &half_add::INFO.variants[0];
    let has_fp16 = asmforge::detect::is_detected(asmforge::Feature::AVX512_FP16);
    let mut buf = [0x3c00u16; 32]; // 1.0 in binary16
    match unsafe { half_add::call(v, buf.as_mut_ptr()) } {
        Ok(()) => {
            assert!(has_fp16);
            assert!(buf.iter().all(|h| *h == 0x4000), "1.0 + 1.0 = 2.0");
        }
        Err(missing) => {
            assert!(!has_fp16);
            assert!(
                missing.iter().any(|f| f == asmforge::Feature::AVX512_FP16),
                "{missing}"
            );
            assert!(buf.iter().all(|h| *h == 0x3c00), "nothing ran");
            // The dispatched call panics with the kernel's name and the missing feature.
            let p = buf.as_mut_ptr() as usize;
            let err = std::panic::catch_unwind(|| unsafe { half_add(p as *mut u16) }).unwrap_err();
            let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
            assert!(
                msg.contains("half_add") && msg.contains("AVX512_FP16"),
                "{msg}"
            );
        }
    }
}

#[test]
fn without_a_supported_variant_the_fallback_runs() {
    let has_fp16 = asmforge::detect::is_detected(asmforge::Feature::AVX512_FP16);
    let got = double_or_fallback(0x3c00);
    if has_fp16 {
        assert_eq!(got, 0x4000);
        assert!(double_or_fallback::DISPATCH.selected().is_some());
    } else {
        assert_eq!(got, 0x3c00 + 1_000_000);
        assert!(
            double_or_fallback::DISPATCH.selected().is_none(),
            "the fallback, not a variant"
        );
    }
}

// `fallback = path` resolves where it is written: `super::f` from a kernel in a module is the
// parent's `f`, and a fallback named like an item of the kernel's metadata module (`call`) is
// still the user's function.
mod nested {
    use asmforge::kernel;

    #[kernel(targets(avx512fp16), fallback = super::plus_seven)]
    pub fn plus_seven_fp16(x: u64) -> u64 {
        vmovq(xmm16, x);
        vaddph(xmm16, xmm16, xmm16);
        vmovq(rax, xmm16);
        return rax;
    }

    #[kernel(targets(avx512fp16), fallback = call)]
    pub fn times_three_fp16(x: u64) -> u64 {
        vmovq(xmm16, x);
        vaddph(xmm16, xmm16, xmm16);
        vmovq(rax, xmm16);
        return rax;
    }

    fn call(x: u64) -> u64 {
        x * 3
    }
}

fn plus_seven(x: u64) -> u64 {
    x + 7
}

#[test]
fn a_fallback_path_resolves_where_it_is_written() {
    let call = |info: &asmforge::KernelInfo, x: u64| -> u64 {
        let p = info.fallback.expect("a fallback").as_ptr();
        let f: nested::plus_seven_fp16::Entry = unsafe { std::mem::transmute(p) };
        unsafe { f(x) }
    };
    assert_eq!(call(&nested::plus_seven_fp16::INFO, 5), 12);
    assert_eq!(call(&nested::times_three_fp16::INFO, 5), 15);
}

/// Runs this test binary again, in a fresh process with `ASMFORGE_ISA` set, running only
/// `isa_probe`, and returns the variant dispatch chose there.
fn dispatched_under(cap: &str) -> String {
    let exe = std::env::current_exe().unwrap();
    let out = Command::new(exe)
        .args(["--exact", "isa_probe", "--nocapture", "--test-threads=1"])
        .env("ASMFORGE_ISA", cap)
        .env("ASMFORGE_ISA_PROBE", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{cap}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    stdout
        .lines()
        .find_map(|l| l.split("dispatched: ").nth(1))
        .unwrap_or_else(|| panic!("{cap}: no probe output in {stdout}"))
        .to_owned()
}

/// The child side of [`dispatched_under`]; does nothing in a normal run.
#[test]
fn isa_probe() {
    if std::env::var_os("ASMFORGE_ISA_PROBE").is_none() {
        return;
    }
    let x = [1.0f32; 64];
    assert_eq!(sdot(&x, &x), 64.0);
    let picked = sdot::DISPATCH.selected().map_or("fallback", |v| v.name);
    println!("dispatched: {picked}");
}

#[test]
fn asmforge_isa_caps_the_dispatched_variant() {
    let best = sdot::INFO.best_supported().unwrap().name;
    assert_eq!(dispatched_under("sse2"), "sse2");
    assert_eq!(dispatched_under("x86-64-v1"), "sse2");
    assert_eq!(dispatched_under("sse4.2"), "sse2");
    let has = asmforge::detect::is_detected;
    use asmforge::Feature as F;
    if has(F::AVX) {
        assert_eq!(dispatched_under("avx"), "avx");
    }
    if has(F::AVX2) && has(F::FMA) {
        assert_eq!(dispatched_under("avx2"), "avx2+fma");
        assert_eq!(dispatched_under("x86-64-v3"), "avx2+fma");
        assert_eq!(dispatched_under("force:avx2"), "avx2+fma");
    }
    assert_eq!(dispatched_under("avx512"), best);
    assert_eq!(dispatched_under(""), best);
    // A typo is ignored (dispatch must not fail on a debugging knob).
    assert_eq!(dispatched_under("avx3"), best);
}

/// The `tour` example, as `cargo test` builds it next to this test binary.
fn tour_exe() -> Option<std::path::PathBuf> {
    let deps = std::env::current_exe().ok()?.parent()?.to_path_buf();
    let exe = deps
        .parent()?
        .join("examples")
        .join(format!("tour{}", std::env::consts::EXE_SUFFIX));
    exe.exists().then_some(exe)
}

#[test]
fn tour_reports_the_variant_dispatch_picks_at_each_cap() {
    let Some(exe) = tour_exe() else {
        panic!(
            "the tour example was not built next to the tests; run `cargo test` for the whole package"
        );
    };
    let has = asmforge::detect::is_detected;
    use asmforge::Feature as F;
    let mut levels = vec![("sse2", "sse2"), ("sse4.2", "sse2")];
    if has(F::AVX) {
        levels.push(("avx", "avx"));
    }
    if has(F::AVX2) && has(F::FMA) {
        levels.push(("avx2", "avx2+fma"));
    }
    if has(F::AVX512F) {
        levels.push(("avx512", "avx512f"));
    }
    for (cap, want) in levels {
        let out = Command::new(&exe)
            .env("ASMFORGE_ISA", cap)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "tour under {cap}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().find(|l| l.contains("sdot(x, y)")).unwrap_or_else(|| {
            panic!("tour at {} does not show sdot: is it stale? `cargo test` (all targets) rebuilds it", exe.display())
        });
        assert!(
            line.ends_with(&format!("[dispatch: {want}]")),
            "{cap}: {line}"
        );
        assert!(
            text.contains("[ok]") && !text.contains("MISMATCH"),
            "{cap}: a kernel disagrees with its reference"
        );
    }
}

// Separately written kernels, grouped into one dispatched function.

#[kernel(targets(sse2))]
fn triple_sse2(x: u64) -> u64 {
    lea(rax, [x + x * 2]);
    return rax;
}

#[kernel(targets(avx2))]
fn triple_avx2(x: u64) -> u64 {
    vmovq(xmm0, x);
    vpaddq(xmm1, xmm0, xmm0);
    vpaddq(xmm0, xmm0, xmm1);
    vmovq(rax, xmm0);
    return rax;
}

#[kernel(targets(avx512fp16))]
fn triple_fp16(x: u64) -> u64 {
    vmovq(xmm16, x);
    vaddph(xmm17, xmm16, xmm16);
    lea(rax, [x + x * 2]);
    return rax;
}

/// x * 3, by the best of three kernels written separately.
#[asmforge::dispatch(triple_sse2, triple_avx2, triple_fp16)]
fn triple(x: u64) -> u64;

#[test]
fn grouped_kernels_dispatch_to_the_best_member() {
    assert_eq!(triple(14), 42);
    let picked = triple::DISPATCH.selected().expect("some member runs");
    let has = asmforge::detect::is_detected;
    use asmforge::Feature as F;
    let want = if has(F::AVX512_FP16) {
        "avx512fp16"
    } else if has(F::AVX2) {
        "avx2"
    } else {
        "sse2"
    };
    assert_eq!(picked.name, want);
    let members: Vec<&str> = triple::MEMBERS.iter().map(|k| k.name).collect();
    assert_eq!(members, ["triple_fp16", "triple_avx2", "triple_sse2"]);
}
