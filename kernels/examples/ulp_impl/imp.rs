// The Linux/glibc implementation of the `ulp` example (see ulp.rs): its references call
// glibc's binary128 functions.

use std::sync::atomic::{AtomicU64, Ordering};

use asmforge_kernels::vmath::{F32_FUNCS, F32Func};

use asmforge_kernels::vmath::accuracy::{self as support, Rng, ulp_error_f32};

/// Largest error and where, and how many inputs were above the bound.
#[derive(Clone, Copy, Default)]
struct Tally {
    max: f64,
    at: u32,
    above: u64,
    checked: u64,
}

impl Tally {
    fn merge(&mut self, o: Tally) {
        if o.max > self.max {
            self.max = o.max;
            self.at = o.at;
        }
        self.above += o.above;
        self.checked += o.checked;
    }
}

/// Checks `inputs` (bit patterns) through `variant`, into `tally`.
fn check_f32(
    f: &F32Func,
    variant: &'static asmforge::VariantInfo,
    bits: &[u32],
    tally: &mut Tally,
) {
    let x: Vec<f32> = bits.iter().map(|&b| f32::from_bits(b)).collect();
    let mut y = vec![0.0f32; x.len()];
    (f.call)(variant, &x, &mut y).expect("variant runs on this CPU");
    let reference = |v: f32| match f.name {
        "sinf" => support::sincos_f32_reference(v, false),
        "cosf" => support::sincos_f32_reference(v, true),
        _ => (f.reference)(f64::from(v)),
    };
    for (&xi, &yi) in x.iter().zip(&y) {
        let e = ulp_error_f32(yi, reference(xi));
        tally.checked += 1;
        if e > tally.max {
            tally.max = e;
            tally.at = xi.to_bits();
        }
        if e > f.bound {
            tally.above += 1;
        }
    }
}

fn run_f32(f: &F32Func, variant: &'static asmforge::VariantInfo, exhaustive: bool) -> Tally {
    const CHUNK: u64 = 1 << 16;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicU64::new(0);
    let total: u64 = if exhaustive { 1 << 32 } else { 1 << 24 };
    let mut tally = Tally::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let next = &next;
                s.spawn(move || {
                    let mut local = Tally::default();
                    let mut rng = Rng::new(0x5eed ^ t as u64);
                    let mut bits = Vec::with_capacity(CHUNK as usize);
                    loop {
                        let start = next.fetch_add(CHUNK, Ordering::Relaxed);
                        if start >= total {
                            break;
                        }
                        bits.clear();
                        if exhaustive {
                            bits.extend((start..start + CHUNK).map(|b| b as u32));
                        } else {
                            bits.extend((0..CHUNK).map(|_| rng.next_u64() as u32));
                        }
                        check_f32(f, variant, &bits, &mut local);
                    }
                    if !exhaustive {
                        // values in the interesting range too
                        let (lo, hi) = support::interesting_range(f.name);
                        for _ in 0..(1 << 22) / CHUNK / threads as u64 + 1 {
                            bits.clear();
                            bits.extend(
                                (0..CHUNK).map(|_| (lo + (hi - lo) * rng.unit()).to_bits()),
                            );
                            check_f32(f, variant, &bits, &mut local);
                        }
                    }
                    local
                })
            })
            .collect();
        for h in handles {
            tally.merge(h.join().expect("checker thread"));
        }
    });
    tally
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let exhaustive = args.iter().any(|a| a == "--exhaustive");
    let all = args.iter().any(|a| a == "--all-variants");
    let f64_samples: u64 = args
        .iter()
        .position(|a| a == "--f64")
        .and_then(|p| args.get(p + 1))
        .map_or(100_000, |n| n.parse().expect("--f64 takes a count"));
    let only: Option<&String> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|p| args.get(p + 1));
    let mut failed = false;
    let started = std::time::Instant::now();
    println!(
        "f32: {} against f64 std (libm); bound per function",
        if exhaustive {
            "all 2^32 inputs"
        } else {
            "2^24 random bit patterns + 2^22 in range"
        }
    );
    for f in F32_FUNCS
        .iter()
        .filter(|f| only.is_none_or(|o| o == f.name))
    {
        let runnable: Vec<_> = f
            .info
            .variants
            .iter()
            .filter(|v| v.missing_features().is_empty())
            .collect();
        let chosen: Vec<_> = if all {
            runnable
        } else {
            runnable.into_iter().take(1).collect()
        };
        if chosen.is_empty() {
            println!("{}: no variant runs on this CPU (scalar code only)", f.name);
        }
        for v in chosen {
            let t0 = std::time::Instant::now();
            let t = run_f32(f, v, exhaustive);
            let x = f32::from_bits(t.at);
            println!(
                "{} {}: max {:.3} ulp at x = {:e} ({:#010x}), {} of {} inputs above {} ulp ({:.1} s)",
                f.name,
                v.name,
                t.max,
                x,
                t.at,
                t.above,
                t.checked,
                f.bound,
                t0.elapsed().as_secs_f64()
            );
            failed |= t.above > 0;
        }
    }
    if only.is_none() {
        failed |= !support::f64_check(f64_samples, |line| println!("{line}"));
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());
    if failed {
        println!("FAILED: some inputs exceed the documented bound");
        std::process::exit(1);
    }
}
