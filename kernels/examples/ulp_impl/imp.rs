// The Linux/glibc implementation of the `ulp` example (see ulp.rs): its special-value
// references call glibc's binary128 functions.

use std::sync::atomic::{AtomicU64, Ordering};

use asmforge::VariantInfo;
use asmforge_kernels::vmath::{F32_FUNCS, F32Func};

use asmforge_kernels::vmath::accuracy::{
    self as support, PreparedF32, Rng, ulp_error_f32_prepared,
};

/// Largest error and where, and how many inputs were above the bound.
#[derive(Clone, Copy, Default)]
struct Tally {
    max: f64,
    at: u32,
    above: u64,
    checked: u64,
}

impl Tally {
    fn merge(&mut self, o: &Tally) {
        if o.max > self.max {
            self.max = o.max;
            self.at = o.at;
        }
        self.above += o.above;
        self.checked += o.checked;
    }
}

/// Checks `bits` through each of `variants` (one tally each) against the reference, computed
/// once for all of them.
fn check_f32(
    f: &F32Func,
    variants: &[&'static VariantInfo],
    bits: &[u32],
    bufs: &mut (Vec<f32>, Vec<PreparedF32>, Vec<f32>),
    tallies: &mut [Tally],
) {
    let (x, r, y) = bufs;
    x.clear();
    x.extend(bits.iter().map(|&b| f32::from_bits(b)));
    r.clear();
    match f.name {
        "sinf" => r.extend(
            x.iter()
                .map(|&v| PreparedF32::new(support::sincos_f32_reference(v, false))),
        ),
        "cosf" => r.extend(
            x.iter()
                .map(|&v| PreparedF32::new(support::sincos_f32_reference(v, true))),
        ),
        _ => r.extend(
            x.iter()
                .map(|&v| PreparedF32::new((f.reference)(f64::from(v)))),
        ),
    }
    y.resize(x.len(), 0.0);
    for (v, tally) in variants.iter().zip(tallies.iter_mut()) {
        (f.call)(v, x, y).expect("variant runs on this CPU");
        for ((&xi, &yi), &ri) in x.iter().zip(y.iter()).zip(r.iter()) {
            let e = ulp_error_f32_prepared(yi, &ri);
            if e > tally.max {
                tally.max = e;
                tally.at = xi.to_bits();
            }
            tally.above += u64::from(e > f.bound);
        }
        tally.checked += x.len() as u64;
    }
}

fn run_f32(f: &F32Func, variants: &[&'static VariantInfo], exhaustive: bool) -> Vec<Tally> {
    const CHUNK: u64 = 1 << 16;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = AtomicU64::new(0);
    let total: u64 = if exhaustive { 1 << 32 } else { 1 << 24 };
    let mut tallies = vec![Tally::default(); variants.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let next = &next;
                s.spawn(move || {
                    let mut local = vec![Tally::default(); variants.len()];
                    let mut rng = Rng::new(0x5eed ^ t as u64);
                    let mut bits = Vec::with_capacity(CHUNK as usize);
                    let mut bufs = (Vec::new(), Vec::new(), Vec::new());
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
                        check_f32(f, variants, &bits, &mut bufs, &mut local);
                    }
                    if !exhaustive {
                        // values in the interesting range too
                        let (lo, hi) = support::interesting_range(f.name);
                        for _ in 0..(1 << 22) / CHUNK / threads as u64 + 1 {
                            bits.clear();
                            bits.extend(
                                (0..CHUNK).map(|_| (lo + (hi - lo) * rng.unit()).to_bits()),
                            );
                            check_f32(f, variants, &bits, &mut bufs, &mut local);
                        }
                    }
                    local
                })
            })
            .collect();
        for h in handles {
            let local = h.join().expect("checker thread");
            for (a, b) in tallies.iter_mut().zip(&local) {
                a.merge(b);
            }
        }
    });
    tallies
}

fn arg<T: std::str::FromStr>(args: &[String], name: &str) -> Option<T> {
    args.iter().position(|a| a == name).map(|p| {
        args.get(p + 1)
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{name} takes a value"))
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let has = |a: &str| args.iter().any(|x| x == a);
    let exhaustive = has("--exhaustive");
    let all_variants = has("--all-variants");
    let variant: Option<String> = arg(&args, "--variant");
    let f64_only = has("--f64");
    let f32_only = has("--f32");
    let per_binade: u64 = arg(&args, "--per-binade").unwrap_or(100_000);
    let only: Option<String> = arg(&args, "--only");
    let mut failed = false;
    let started = std::time::Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    if !f64_only {
        println!(
            "f32: {} against f64 std (libm), {threads} threads; bound per function",
            if exhaustive {
                "all 2^32 inputs"
            } else {
                "2^24 random bit patterns + 2^22 in range"
            }
        );
    }
    for f in F32_FUNCS
        .iter()
        .filter(|f| !f64_only && only.as_ref().is_none_or(|o| o == f.name))
    {
        let runnable: Vec<&'static VariantInfo> = f
            .info
            .variants
            .iter()
            .filter(|v| v.missing_features().is_empty())
            .collect();
        let chosen: Vec<_> = match &variant {
            Some(name) => runnable.into_iter().filter(|v| v.name == name).collect(),
            None if all_variants => runnable,
            None => runnable.into_iter().take(1).collect(),
        };
        if chosen.is_empty() {
            println!("{}: no (such) variant runs on this CPU", f.name);
            continue;
        }
        let t0 = std::time::Instant::now();
        let tallies = run_f32(f, &chosen, exhaustive);
        for (v, t) in chosen.iter().zip(&tallies) {
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
    if !f32_only {
        failed |= !support::f64_check_dd(per_binade, only.as_deref(), |line| println!("{line}"));
    }
    println!("total {:.1} s", started.elapsed().as_secs_f64());
    if failed {
        println!("FAILED: some inputs exceed the documented bound");
        std::process::exit(1);
    }
}
