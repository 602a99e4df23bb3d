//! Vector math against its peers at the same vector width — glibc's libmvec, SLEEF's u10
//! (1-ulp) functions, and glibc's scalar libm in a plain loop — interleaved in one run, on
//! arrays of 4,096 elements (in L1). For every function, type and variant the CPU runs it
//! prints
//!
//! ```text
//! expf <variant>: C cycles/element, Rx libmvec, Sx sleef, Ux glibc scalar, max error E ulp
//! ```
//!
//! where cycles are nanoseconds times the core clock measured here by a dependent-add chain
//! (an asmforge kernel below), the ratios are peer time over ours (> 1: we are faster), and E
//! is our maximum error over a sample (f32: against f64 libm; f64: against binary128). Writes
//! `bench/plots/vmath.svg`.

mod peers;
mod plot;

use std::time::Instant;

use asmforge::kernel;
use asmforge_kernels::vmath::{F32_FUNCS, F64_FUNCS, accuracy};

use peers::{PeerFn, Peers};

/// `rax += 1` `ADDS` times per iteration, each add waiting for the previous: one add per cycle
/// on every x86 core since the P6, so `n * ADDS` adds take that many core cycles.
#[kernel(params(ADDS = 200))]
fn add_chain(n: u64) -> u64 {
    xor(eax, eax);
    align!(16);
    label!(top);
    for _k in 0..ADDS {
        add(rax, 1);
    }
    dec(n);
    jnz(top);
    return rax;
}

/// The core clock in GHz: the fastest of many short dependent-add chains (about 0.3 ms each,
/// so that some run between the scheduler's preemptions on a shared machine).
fn clock_ghz(quick: bool) -> f64 {
    const ITERS: u64 = 5_000;
    let mut best = f64::MAX;
    for _ in 0..if quick { 100 } else { 400 } {
        let t = Instant::now();
        let adds = add_chain(ITERS);
        let ns = t.elapsed().as_nanos() as f64;
        assert_eq!(adds, ITERS * 200);
        best = best.min(ns / adds as f64);
    }
    1.0 / best
}

/// The CPU's brand string, family and model (CPUID), for captions.
pub fn cpu_name() -> String {
    use std::arch::x86_64::__cpuid;
    let mut brand = Vec::new();
    for leaf in 0x8000_0002u32..=0x8000_0004 {
        let r = __cpuid(leaf);
        for w in [r.eax, r.ebx, r.ecx, r.edx] {
            brand.extend_from_slice(&w.to_le_bytes());
        }
    }
    let brand = String::from_utf8_lossy(&brand)
        .trim_matches(char::from(0))
        .trim()
        .to_owned();
    let sig = __cpuid(1).eax;
    let family = ((sig >> 8) & 0xf) + ((sig >> 20) & 0xff);
    let model = ((sig >> 4) & 0xf) | ((sig >> 12) & 0xf0);
    format!("{brand} (family {family:#x}, model {model:#x})")
}

/// A function over the arrays.
type SliceFn<'a, T> = Box<dyn Fn(&[T], &mut [T]) + 'a>;

/// A contender: a name and a function over the arrays.
struct Contender<'a, T> {
    name: String,
    run: SliceFn<'a, T>,
    best_ns: f64,
}

/// Runs every contender `rounds` times, interleaved, keeping each one's fastest call.
fn race<T: Copy + Default>(contenders: &mut [Contender<'_, T>], x: &[T], rounds: usize) {
    let mut y = vec![T::default(); x.len()];
    const CALLS: u32 = 8;
    for _ in 0..rounds {
        for c in contenders.iter_mut() {
            (c.run)(x, &mut y); // warm
            let t = Instant::now();
            for _ in 0..CALLS {
                (c.run)(std::hint::black_box(x), &mut y);
            }
            let ns = t.elapsed().as_nanos() as f64 / f64::from(CALLS);
            c.best_ns = c.best_ns.min(ns);
        }
    }
}

/// What the CPU runs: AVX2+FMA (index 0) and AVX-512F (index 1) peers.
fn widths() -> [bool; 2] {
    [
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
        is_x86_feature_detected!("avx512f"),
    ]
}

/// Benchmark inputs for a function: where its users call it.
fn input(name: &str, n: usize, seed: u64) -> Vec<f64> {
    let mut rng = accuracy::Rng::new(seed);
    (0..n)
        .map(|_| {
            let u = rng.unit64();
            match name.trim_end_matches('f') {
                "exp" => -80.0 + 160.0 * u,
                "exp2" => -120.0 + 240.0 * u,
                "log" | "log2" => 10f64.powf(-6.0 + 12.0 * u),
                _ => -100.0 + 200.0 * u,
            }
        })
        .collect()
}

/// One result, for the plot.
pub struct Bar {
    pub function: String,
    pub who: String,
    pub cycles: f64,
}

/// Contenders for one function: our variants (`ours`), then the peers this CPU runs.
fn contenders<'a, T: Copy + 'static>(
    ours: Vec<(&'static str, SliceFn<'a, T>)>,
    peers: &Peers<T>,
) -> Vec<Contender<'a, T>> {
    let mut v: Vec<Contender<'a, T>> = ours
        .into_iter()
        .map(|(name, run)| Contender {
            name: name.to_owned(),
            run,
            best_ns: f64::MAX,
        })
        .collect();
    let peer = |name: String, f: PeerFn<T>| Contender {
        name,
        // SAFETY: the shim reads and writes `n` elements of the slices (n is a multiple of
        // every width: the arrays are 4,096 long).
        run: Box::new(move |x: &[T], y: &mut [T]| unsafe {
            f(x.as_ptr(), y.as_mut_ptr(), x.len())
        }),
        best_ns: f64::MAX,
    };
    for (k, on) in widths().into_iter().enumerate() {
        if on {
            v.push(peer(format!("libmvec{k}"), peers.libmvec[k]));
            v.push(peer(format!("sleef{k}"), peers.sleef[k]));
        }
    }
    v.push(peer("glibc".to_owned(), peers.glibc));
    v
}

/// Prints the lines for one function from its raced contenders; `errors` maps our contender
/// names to their measured maximum error.
fn report<T>(
    function: &str,
    cs: &[Contender<'_, T>],
    errors: &[(String, f64)],
    n: usize,
    ghz: f64,
    bars: &mut Vec<Bar>,
) {
    let cycles = |c: &Contender<'_, T>| c.best_ns * ghz / n as f64;
    let find = |name: &str| cs.iter().find(|c| c.name == name).map(cycles);
    let glibc = find("glibc").unwrap_or(f64::NAN);
    for (name, err) in errors {
        let Some(ours) = find(name) else { continue };
        // peers at the same width: AVX-512 for the avx512 variant, AVX2 for avx2; the shim
        // has no SSE peers, so the sse2 variant and the scalar code get none (n/a)
        let k = if name.contains("512") {
            Some(1)
        } else if name.starts_with("avx2") {
            Some(0)
        } else {
            None
        };
        let ratio = |p: Option<f64>| p.map_or("n/a".to_owned(), |p| format!("{:.2}x", p / ours));
        let peer = |who: &str| k.and_then(|k| find(&format!("{who}{k}")));
        println!(
            "{function} {name}: {ours:.3} cycles/element, {} libmvec, {} sleef, {:.2}x glibc scalar, max error {err:.3} ulp",
            ratio(peer("libmvec")),
            ratio(peer("sleef")),
            glibc / ours,
        );
    }
    for c in cs {
        let who = match c.name.as_str() {
            "libmvec0" => "libmvec AVX2".to_owned(),
            "libmvec1" => "libmvec AVX-512".to_owned(),
            "sleef0" => "SLEEF u10 AVX2".to_owned(),
            "sleef1" => "SLEEF u10 AVX-512".to_owned(),
            "glibc" => "glibc scalar".to_owned(),
            other => format!("asmforge {other}"),
        };
        bars.push(Bar {
            function: function.to_owned(),
            who,
            cycles: cycles(c),
        });
    }
}

/// Our maximum f32 error over a sample of random bit patterns and values in range.
fn f32_error(
    f: &asmforge_kernels::vmath::F32Func,
    run: &dyn Fn(&[f32], &mut [f32]),
    samples: usize,
) -> f64 {
    let mut rng = accuracy::Rng::new(99);
    let (lo, hi) = accuracy::interesting_range(f.name);
    let x: Vec<f32> = (0..samples)
        .map(|k| {
            if k % 2 == 0 {
                f32::from_bits(rng.next_u64() as u32)
            } else {
                lo + (hi - lo) * rng.unit()
            }
        })
        .collect();
    let mut y = vec![0.0; x.len()];
    run(&x, &mut y);
    x.iter()
        .zip(&y)
        .map(|(&a, &b)| accuracy::ulp_error_f32(b, (f.reference)(f64::from(a))))
        .fold(0.0, f64::max)
}

/// Our maximum f64 error over a sample, against binary128.
fn f64_error(name: &str, run: &dyn Fn(&[f64], &mut [f64]), samples: usize) -> f64 {
    let mut x = input(name, samples, 5);
    x.extend(accuracy::special_f64());
    let mut y = vec![0.0; x.len()];
    run(&x, &mut y);
    x.iter()
        .zip(&y)
        .map(|(&a, &b)| accuracy::ulp_error_f64(b, accuracy::reference_f64(name, a)))
        .fold(0.0, f64::max)
}

pub fn run(_machine: &crate::probe::Machine, quick: bool) {
    const N: usize = 4096;
    let ghz = clock_ghz(quick);
    let cpu = cpu_name();
    let rounds = if quick { 15 } else { 80 };
    let samples = if quick { 1 << 16 } else { 1 << 20 };
    println!(
        "vmath: {cpu}, core clock {ghz:.3} GHz (dependent adds), {N} elements, best of {rounds} interleaved rounds"
    );
    let mut bars = Vec::new();
    for f in &F32_FUNCS {
        let x: Vec<f32> = input(f.name, N, 1).into_iter().map(|v| v as f32).collect();
        let mut ours: Vec<(&'static str, SliceFn<'_, f32>)> = Vec::new();
        for v in f
            .info
            .variants
            .iter()
            .filter(|v| v.missing_features().is_empty())
        {
            ours.push((
                v.name,
                Box::new(move |x, y| (f.call)(v, x, y).expect("runnable")),
            ));
        }
        let errors: Vec<(String, f64)> = ours
            .iter()
            .map(|(name, run)| ((*name).to_owned(), f32_error(f, run.as_ref(), samples)))
            .collect();
        let mut cs = contenders(ours, &peers::f32_peers(f.name));
        race(&mut cs, &x, rounds);
        report(f.name, &cs, &errors, N, ghz, &mut bars);
    }
    for f in &F64_FUNCS {
        let x = input(f.name, N, 2);
        let ours: Vec<(&'static str, SliceFn<'_, f64>)> = f
            .entries()
            .into_iter()
            .map(|(name, run)| (name, run as SliceFn<'_, f64>))
            .collect();
        let errors: Vec<(String, f64)> = ours
            .iter()
            .map(|(name, run)| {
                (
                    (*name).to_owned(),
                    f64_error(f.name, run.as_ref(), samples / 16),
                )
            })
            .collect();
        let mut cs = contenders(ours, &peers::f64_peers(f.name));
        race(&mut cs, &x, rounds);
        report(&format!("{} f64", f.name), &cs, &errors, N, ghz, &mut bars);
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/plots/vmath.svg");
    match plot::write_svg(path, &bars, &format!("{cpu}, {ghz:.2} GHz measured")) {
        Ok(()) => println!("vmath: wrote {path}"),
        Err(e) => println!("vmath: could not write {path}: {e}"),
    }
}
