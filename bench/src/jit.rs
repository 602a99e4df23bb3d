//! Run-time code generation: asmforge's copy-and-patch JIT against the floors, dynasm-rs and
//! cranelift-jit, contenders interleaved round by round, every function's result checked.
//!
//! Prints `jit single`, `jit batch`, `jit fuse-build` (time per function; `Rx cranelift`,
//! `Sx dynasm`, `Tx floor` are how many times faster asmforge is; `jit fuse-build reuse`: both
//! with their reuse APIs, a `Stitch` and a `VecAssembler` kept from build to build) and `jit fuse-run`
//! (throughput ratios of the run-time fused function: `Rx unfused`, `Sx cranelift`, `Tx aot`).

#[path = "../../examples/stencils/mod.rs"]
mod stencils;

#[path = "jit_aot.rs"]
mod aot;
#[path = "jit_clif.rs"]
mod clif;
#[path = "jit_dynasm.rs"]
mod dynasm_side;
#[path = "jit_floor.rs"]
mod floor;

use std::hint::black_box;

use asmforge::jit::{self, Builder, Value};
use asmforge::measure::mxcsr::{Mode, MxcsrGuard};
use asmforge::measure::{perf, tsc};
use stencils::{FuseStencils, MulFn, Op, PipeFn, Src};

/// Best and median of per-item times, in ns.
struct Stat {
    samples: Vec<f64>,
}

impl Stat {
    fn new() -> Stat {
        Stat {
            samples: Vec::new(),
        }
    }
    fn best(&self) -> f64 {
        self.samples.iter().copied().fold(f64::INFINITY, f64::min)
    }
    fn median(&self) -> f64 {
        let mut s = self.samples.clone();
        s.sort_by(f64::total_cmp);
        s[s.len() / 2]
    }
}

struct Clock {
    ns_per_tick: f64,
}

impl Clock {
    fn time<R>(&self, per: usize, stat: &mut Stat, f: impl FnOnce() -> R) -> R {
        let (t, r) = tsc::measure(f);
        stat.samples.push(t as f64 * self.ns_per_tick / per as f64);
        r
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns >= 1000.0 {
        format!("{:.2} µs", ns / 1000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn line(name: &str, ours: &Stat, others: &[(&str, &Stat)]) {
    let mut s = format!("jit {name}: {}/function", fmt_ns(ours.best()));
    for (n, o) in others {
        s += &format!(", {:.2}x {n}", o.best() / ours.best());
    }
    s += " (best; median";
    s += &format!(" asmforge {}", fmt_ns(ours.median()));
    for (n, o) in others {
        s += &format!(", {n} {} best {}", fmt_ns(o.median()), fmt_ns(o.best()));
    }
    println!("{s})");
}

/// The `jit` section of the bench.
pub fn run(quick: bool) {
    let rounds = if quick { 11 } else { 66 };
    let clock = Clock {
        ns_per_tick: 1e9 / tsc::ticks_per_second(std::time::Duration::from_millis(200)),
    };
    println!(
        "TSC: {:.3} GHz; rounds: {rounds}{}",
        1.0 / clock.ns_per_tick,
        if quick { " (--quick)" } else { "" }
    );
    match perf::CycleCounter::open() {
        Ok(_) => println!("perf: core cycle counter available"),
        Err(e) => println!("perf: {e}"),
    }
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    let x = 0x1234_5678_9abc_u64;

    // jit single: one function, created, called and freed.
    let k = if quick { 100 } else { 1000 };
    let (mut s_af, mut s_fl, mut s_dy, mut s_cl) =
        (Stat::new(), Stat::new(), Stat::new(), Stat::new());
    for r in 0..rounds {
        let c0 = (r as u64) << 20;
        clock.time(k, &mut s_fl, || {
            for c in c0..c0 + k as u64 {
                assert_eq!(floor::single(c, x), x.wrapping_mul(c));
            }
        });
        clock.time(k, &mut s_af, || {
            for c in c0..c0 + k as u64 {
                let f = jit::specialize::<MulFn>(&st, &[("c", Value::UInt(c))]).unwrap();
                assert_eq!(f.func().call(x), x.wrapping_mul(c));
            }
        });
        clock.time(k, &mut s_dy, || {
            for c in c0..c0 + k as u64 {
                assert_eq!(dynasm_side::single(c, x), x.wrapping_mul(c));
            }
        });
        if r < rounds.min(if quick { 3 } else { 11 }) {
            let mut cl = clif::Clif::new();
            clock.time(k, &mut s_cl, || {
                for c in c0..c0 + k as u64 {
                    let id = cl.define_mul(c);
                    cl.finalize();
                    // SAFETY: finalized code of type MulFn.
                    let f: MulFn = unsafe { core::mem::transmute(cl.ptr(id)) };
                    assert_eq!(f(x), x.wrapping_mul(c));
                }
            });
        }
    }
    line(
        "single",
        &s_af,
        &[("cranelift", &s_cl), ("dynasm", &s_dy), ("floor", &s_fl)],
    );

    // jit batch: 1000 functions in one region, one protection change each way.
    let n = 1000;
    let (mut s_af, mut s_fl, mut s_dy, mut s_cl) =
        (Stat::new(), Stat::new(), Stat::new(), Stat::new());
    for r in 0..rounds * 3 {
        clock.time(n, &mut s_fl, || {
            floor::batch(n, x, |i, v| assert_eq!(v, x.wrapping_mul(i as u64)))
        });
        clock.time(n, &mut s_af, || batch_round(&st, x, n));
        clock.time(n, &mut s_dy, || {
            dynasm_side::batch(n, x, |i, v| assert_eq!(v, x.wrapping_mul(i as u64)))
        });
        if r < if quick { 3 } else { 11 } {
            let mut cl = clif::Clif::new();
            clock.time(n, &mut s_cl, || {
                let ids: Vec<_> = (0..n as u64).map(|c| cl.define_mul(c)).collect();
                cl.finalize();
                for (i, id) in ids.iter().enumerate() {
                    // SAFETY: finalized code of type MulFn.
                    let f: MulFn = unsafe { core::mem::transmute(cl.ptr(*id)) };
                    assert_eq!(f(x), x.wrapping_mul(i as u64));
                }
            });
        }
    }
    line(
        "batch",
        &s_af,
        &[("cranelift", &s_cl), ("dynasm", &s_dy), ("floor", &s_fl)],
    );

    fuse(&clock, quick, rounds);
}

/// asmforge's side of `jit batch`: `n` functions into one builder (a `Specializer` checks the
/// stencil once, `place_n` claims the bytes of many at once and returns a `FnBatch`, whose
/// references are computed, not stored), finalized, each called and its result checked.
fn batch_round(st: &jit::Stencil<'_>, x: u64, n: usize) {
    let mut b = Builder::new();
    let sp = jit::Specializer::<MulFn>::new(st, &["c"]).unwrap();
    let refs = sp.place_n(&mut b, n, |c| [Value::UInt(c as u64)]).unwrap();
    let region = b.finalize().unwrap();
    for (i, f) in refs.iter().enumerate() {
        assert_eq!(region.get(f).call(x), x.wrapping_mul(i as u64));
    }
}

fn fuse(clock: &Clock, quick: bool, rounds: usize) {
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        println!("jit fuse: skipped, this CPU lacks AVX2+FMA");
        return;
    }
    let fs = FuseStencils::new();
    let (a, b, c) = (0.75f32, -0.5f32, 0.25f32);
    let ops = [Op::FmaConst(a, b), Op::FmaX(c), Op::Max(0.0)];

    // jit fuse-build: stitch (no mapping) vs cranelift compiling vs dynasm assembling.
    let k = if quick { 20 } else { 100 };
    let (mut s_af, mut s_fl, mut s_dy, mut s_cl) =
        (Stat::new(), Stat::new(), Stat::new(), Stat::new());
    let (mut s_af_re, mut s_dy_re) = (Stat::new(), Stat::new());
    let sample = fs.pipeline(Src::X, &ops, false).unwrap();
    let mut cl = clif::Clif::new();
    let mut stitch = jit::Stitch::<PipeFn>::new();
    let mut asm = dynasm_side::Asm::new(0);
    assert_eq!(fs.pipeline_in(&mut stitch, Src::X, &ops).unwrap(), sample);
    for r in 0..rounds {
        clock.time(k, &mut s_af, || {
            for _ in 0..k {
                black_box(fs.pipeline(Src::X, black_box(&ops), false).unwrap());
            }
        });
        clock.time(k, &mut s_af_re, || {
            for _ in 0..k {
                black_box(
                    fs.pipeline_in(&mut stitch, Src::X, black_box(&ops))
                        .unwrap(),
                );
            }
        });
        clock.time(k, &mut s_dy_re, || {
            for _ in 0..k {
                black_box(dynasm_side::fused_in(&mut asm, a, b, c));
            }
        });
        clock.time(k, &mut s_fl, || {
            for _ in 0..k {
                black_box(black_box(sample.bytes()).to_vec());
            }
        });
        clock.time(k, &mut s_dy, || {
            for _ in 0..k {
                black_box(dynasm_side::fused(a, b, c));
            }
        });
        if r < if quick { 3 } else { 11 } {
            clock.time(k, &mut s_cl, || {
                for _ in 0..k {
                    black_box(cl.define_fused(a, b, c));
                }
            });
        }
    }
    line(
        "fuse-build",
        &s_af,
        &[("cranelift", &s_cl), ("dynasm", &s_dy), ("floor", &s_fl)],
    );
    println!(
        "jit fuse-build: {} bytes of code + pool; floor = copying those bytes into a fresh Vec; cranelift = define_function (compile, no mapping); dynasm = assembling the same instructions",
        sample.bytes().len()
    );
    println!(
        "jit fuse-build reuse: {}/function, {:.2}x dynasm (one Stitch kept, Stitch::finish_and_clear; dynasm: one VecAssembler kept, take; best; median asmforge {}, dynasm {} best {})",
        fmt_ns(s_af_re.best()),
        s_dy_re.best() / s_af_re.best(),
        fmt_ns(s_af_re.median()),
        fmt_ns(s_dy_re.median()),
        fmt_ns(s_dy_re.best())
    );

    // jit fuse-run.
    let fused = sample.map::<PipeFn>().unwrap();
    let kept = fs.pipeline(Src::X, &ops, true).unwrap();
    let kept_fn = kept.map::<PipeFn>().unwrap();
    let p1 = fs
        .pipeline(Src::X, &[Op::FmaConst(a, b)], false)
        .unwrap()
        .map::<PipeFn>()
        .unwrap();
    let p2 = fs
        .pipeline(Src::Y, &[Op::FmaX(c)], false)
        .unwrap()
        .map::<PipeFn>()
        .unwrap();
    let p3 = fs
        .pipeline(Src::X, &[Op::Max(0.0)], false)
        .unwrap()
        .map::<PipeFn>()
        .unwrap();
    let cid = cl.define_fused(a, b, c);
    cl.finalize();
    // SAFETY: finalized code with PipeFn's signature.
    let cf: PipeFn = unsafe { core::mem::transmute(cl.ptr(cid)) };
    // SAFETY: the measured functions only do f32 arithmetic, in the default mode it pins.
    let _mode = unsafe { MxcsrGuard::new(Mode::DEFAULT) };
    for (label, bytes, reps) in [
        ("1MiB", 1usize << 20, if quick { 50 } else { 400 }),
        ("64MiB", 64 << 20, if quick { 3 } else { 12 }),
    ] {
        let n = bytes / 4;
        let xs: Vec<f32> = (0..n)
            .map(|i| ((i * 7919) % 4096) as f32 / 512.0 - 4.0)
            .collect();
        let want: Vec<f32> = xs
            .iter()
            .map(|&v| v.mul_add(a, b).mul_add(v, c).max(0.0))
            .collect();
        let mut out = vec![0.0f32; n];
        let mut tmp = vec![0.0f32; n];
        let (mut s_f, mut s_u, mut s_c, mut s_a, mut s_k) = (
            Stat::new(),
            Stat::new(),
            Stat::new(),
            Stat::new(),
            Stat::new(),
        );
        let (xp, op, tp) = (xs.as_ptr(), out.as_mut_ptr(), tmp.as_mut_ptr());
        for _ in 0..reps {
            // SAFETY (all calls): arrays of n elements.
            clock.time(n, &mut s_f, || unsafe { fused.func().call(xp, xp, op, n) });
            clock.time(n, &mut s_u, || unsafe {
                p1.func().call(xp, xp, tp, n);
                p2.func().call(xp, tp, tp, n);
                p3.func().call(tp, tp, op, n);
            });
            clock.time(n, &mut s_c, || unsafe { cf(xp, xp, op, n) });
            clock.time(n, &mut s_a, || unsafe {
                aot::fused_aot(xp, op, n, a, b, c)
            });
            clock.time(n, &mut s_k, || unsafe {
                kept_fn.func().call(xp, xp, op, n)
            });
        }
        // Each contender's output, checked once more after the timing loop.
        for (name, run) in [
            (
                "fused",
                &mut (|o: *mut f32| unsafe { fused.func().call(xp, xp, o, n) })
                    as &mut dyn FnMut(*mut f32),
            ),
            ("unfused", &mut |o: *mut f32| unsafe {
                p1.func().call(xp, xp, tp, n);
                p2.func().call(xp, tp, tp, n);
                p3.func().call(tp, tp, o, n);
            }),
            ("cranelift", &mut |o: *mut f32| unsafe { cf(xp, xp, o, n) }),
            ("aot", &mut |o: *mut f32| unsafe {
                aot::fused_aot(xp, o, n, a, b, c)
            }),
            ("kept jumps", &mut |o: *mut f32| unsafe {
                kept_fn.func().call(xp, xp, o, n)
            }),
        ] {
            out.fill(f32::NAN);
            run(out.as_mut_ptr());
            assert!(out == want, "{name} {label}: wrong result");
        }
        let gbs = |s: &Stat| 8.0 / s.best();
        println!(
            "jit fuse-run {label}: {:.2}x unfused, {:.2}x cranelift, {:.2}x aot (GB/s read+written, best: fused {:.1}, unfused {:.1}, cranelift {:.1}, aot {:.1}; continuation jumps kept {:.1})",
            s_u.best() / s_f.best(),
            s_c.best() / s_f.best(),
            s_a.best() / s_f.best(),
            gbs(&s_f),
            gbs(&s_u),
            gbs(&s_c),
            gbs(&s_a),
            gbs(&s_k)
        );
    }
    println!(
        "jit continuation: {} bytes with continuation jumps elided, {} kept",
        sample.code_len(),
        kept.code_len()
    );
}

/// `--jit-profile=single|batch|floor-single|floor-batch|fuse-build`: one side of one
/// measurement, repeated, and nothing else, for `valgrind --tool=callgrind
/// --toggle-collect='*prof_*'` (instruction counts are repeatable on a loaded machine, where
/// times are not), or `perf record` with a count: `--jit-profile=batch:2000000` repeats it that
/// many functions. Prints the repetitions so counts can be divided by them.
pub fn profile(what: &str) {
    let (what, count) = match what.split_once(':') {
        Some((w, n)) => (w, n.parse::<usize>().ok()),
        None => (what, None),
    };
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    let x = 0x1234_5678_9abc_u64;
    let reps = match what {
        "single" | "floor-single" => 1000,
        "batch" | "floor-batch" => 20_000,
        _ => 1000,
    };
    let reps = count.map_or(reps, |n| n.max(1000) / 1000 * 1000);
    let t0 = std::time::Instant::now();
    match what {
        "single" => prof_single(&st, x, reps),
        "floor-single" => prof_floor_single(x, reps),
        "batch" => prof_batch(&st, x, reps / 1000),
        "floor-batch" => prof_floor_batch(x, reps / 1000),
        "fuse-build" => {
            let fs = FuseStencils::new();
            let ops = [Op::FmaConst(0.75, -0.5), Op::FmaX(0.25), Op::Max(0.0)];
            prof_fuse_build(&fs, &ops, reps);
        }
        _ => {
            eprintln!("--jit-profile=single|batch|floor-single|floor-batch|fuse-build");
            return;
        }
    }
    println!(
        "jit profile {what}: {reps} functions, {:.1} ns each",
        t0.elapsed().as_nanos() as f64 / reps as f64
    );
}

#[inline(never)]
fn prof_single(st: &jit::Stencil<'_>, x: u64, reps: usize) {
    for c in 0..reps as u64 {
        let f = jit::specialize::<MulFn>(st, &[("c", Value::UInt(c))]).unwrap();
        assert_eq!(f.func().call(x), x.wrapping_mul(c));
    }
}

#[inline(never)]
fn prof_floor_single(x: u64, reps: usize) {
    for c in 0..reps as u64 {
        assert_eq!(floor::single(c, x), x.wrapping_mul(c));
    }
}

#[inline(never)]
fn prof_batch(st: &jit::Stencil<'_>, x: u64, rounds: usize) {
    for _ in 0..rounds {
        batch_round(st, x, 1000);
    }
}

#[inline(never)]
fn prof_floor_batch(x: u64, rounds: usize) {
    for _ in 0..rounds {
        floor::batch(1000, x, |i, v| assert_eq!(v, x.wrapping_mul(i as u64)));
    }
}

#[inline(never)]
fn prof_fuse_build(fs: &FuseStencils, ops: &[Op], reps: usize) {
    for _ in 0..reps {
        black_box(fs.pipeline(Src::X, black_box(ops), false).unwrap());
    }
}
