//! Measuring accuracy: ulp errors against references at least 20 bits more precise than the
//! result (f64 libm for f32; glibc's binary128 functions, 113 bits, for f64), the sampled f64
//! check, and a small PRNG. Shared by `tests/vmath.rs`, `examples/ulp.rs` and the bench.
//! Linux/glibc on x86-64 only (the binary128 functions are glibc's).

use std::arch::asm;
use std::arch::x86_64::__m128i;

use super::{F64_FUNCS, F64Func};

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in [0, 1), 53 bits.
    pub fn unit64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The range where `f`'s result is finite, nonzero and interesting, for sampling.
pub fn interesting_range(name: &str) -> (f32, f32) {
    match name {
        "expf" => (-104.0, 89.0),
        "exp2f" => (-150.0, 128.0),
        "logf" | "log2f" => (0.0, 100.0),
        _ => (-1000.0, 1000.0),
    }
}

/// `2^k` as f64 for any k in -1074..=1023.
fn pow2(k: i32) -> f64 {
    if k >= -1022 {
        f64::from_bits(((k + 1023) as u64) << 52)
    } else {
        f64::from_bits(1u64 << (k + 1074))
    }
}

/// The error of f32 `y` against the f64 `reference`, in ulp of the reference's f32 binade;
/// infinite when a NaN, infinity or the sign of a zero is wrong.
pub fn ulp_error_f32(y: f32, reference: f64) -> f64 {
    if reference.is_nan() {
        return if y.is_nan() { 0.0 } else { f64::INFINITY };
    }
    if y.is_nan() {
        return f64::INFINITY;
    }
    if reference.is_infinite() {
        return if f64::from(y) == reference {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if reference == 0.0 {
        return if y == 0.0 && y.is_sign_negative() == reference.is_sign_negative() {
            0.0
        } else if y == 0.0 {
            f64::INFINITY
        } else {
            f64::from(y).abs() / pow2(-149)
        };
    }
    // Beyond the rounding threshold of f32's range the right answer is an infinity; an
    // infinite y short of it counts as 2^128.
    let overflow = pow2(128) - pow2(103);
    if reference.abs() >= overflow {
        return if y.is_infinite() && (f64::from(y) > 0.0) == (reference > 0.0) {
            0.0
        } else {
            (reference.abs() - f64::from(y).abs()) / pow2(104)
        };
    }
    let yv = if y.is_infinite() {
        pow2(128) * f64::from(y.signum())
    } else {
        f64::from(y)
    };
    let e = ((reference.abs().to_bits() >> 52) as i32 - 1023).clamp(-126, 127);
    (yv - reference).abs() / pow2(e - 23)
}

/// An f64 reference for an f32 result made ready for `ulp_error_f32_prepared`: the value and
/// 1/ulp of its f32 binade, or (infinite, zero or beyond f32's range) the value alone.
#[derive(Clone, Copy)]
pub struct PreparedF32 {
    r: f64,
    inv_ulp: f64,
}

impl PreparedF32 {
    /// Prepares `reference`.
    #[inline]
    pub fn new(reference: f64) -> Self {
        let e = ((reference.to_bits() >> 52) & 0x7ff) as i32 - 1023;
        let inv_ulp = if reference != 0.0 && (-140..=126).contains(&e) {
            pow2(23 - e.max(-126))
        } else {
            0.0
        };
        PreparedF32 {
            r: reference,
            inv_ulp,
        }
    }
}

/// `ulp_error_f32(y, r)` for a prepared `r`: two flops and a test in the common case.
#[inline]
pub fn ulp_error_f32_prepared(y: f32, p: &PreparedF32) -> f64 {
    if p.inv_ulp == 0.0 {
        return ulp_error_f32(y, p.r);
    }
    let e = (f64::from(y) - p.r).abs() * p.inv_ulp;
    if e <= 1e300 { e } else { ulp_error_f32(y, p.r) }
}

// ---- binary128 reference (glibc's *f128 functions in libm, 113-bit significand) ----

unsafe extern "C" {
    fn expf128();
    fn exp2f128();
    fn logf128();
    fn log2f128();
    fn sinf128();
    fn cosf128();
}

/// Calls a `_Float128 f(_Float128)` from libm: the argument and result travel in xmm0.
fn call_f128(f: unsafe extern "C" fn(), x: u128) -> u128 {
    // SAFETY: `f` takes and returns one binary128 in xmm0 (SysV); the asm skips the red zone
    // and keeps rsp 16-aligned, and clobber_abi("C") covers what the callee may change.
    unsafe {
        let mut v: __m128i = std::mem::transmute(x);
        asm!(
            "sub rsp, 128",
            "call {f}",
            "add rsp, 128",
            f = in(reg) f,
            inout("xmm0") v,
            clobber_abi("C"),
        );
        std::mem::transmute(v)
    }
}

/// f64 to binary128 bits, exactly.
pub fn to_f128(x: f64) -> u128 {
    let b = x.to_bits();
    let sign = u128::from(b >> 63) << 127;
    let e = ((b >> 52) & 0x7ff) as i64;
    let m = b & 0x000f_ffff_ffff_ffff;
    if e == 0x7ff {
        return sign | (0x7fffu128 << 112) | (u128::from(m) << 60);
    }
    if e == 0 {
        if m == 0 {
            return sign;
        }
        let k = 63 - i64::from(m.leading_zeros()); // top bit of m; value = m 2^-1074
        let mant = (u128::from(m) << (112 - k)) & ((1u128 << 112) - 1);
        return sign | (((k - 1074 + 16383) as u128) << 112) | mant;
    }
    sign | (((e - 1023 + 16383) as u128) << 112) | (u128::from(m) << 60)
}

/// The error of `y` against the binary128 value `r`, in ulp of r's f64 binade, computed in
/// integers so that the reference keeps its 113 bits; infinite for a wrong NaN, infinity or
/// sign of zero.
pub fn ulp_error_f64(y: f64, r: u128) -> f64 {
    let rneg = r >> 127 == 1;
    let re = ((r >> 112) & 0x7fff) as i64;
    let rm = r & ((1u128 << 112) - 1);
    if re == 0x7fff {
        return match (rm != 0, y.is_nan(), y.is_infinite()) {
            (true, true, _) => 0.0,
            (false, _, true) if y.is_sign_negative() == rneg => 0.0,
            _ => f64::INFINITY,
        };
    }
    if y.is_nan() {
        return f64::INFINITY;
    }
    if re == 0 && rm == 0 {
        return if y == 0.0 && y.is_sign_negative() == rneg {
            0.0
        } else if y == 0.0 {
            f64::INFINITY
        } else {
            y.abs() / pow2(-1074)
        };
    }
    if re - 16383 >= 1024 {
        // beyond f64's range (and its rounding threshold): the answer is an infinity
        return if y.is_infinite() && y.is_sign_negative() == rneg {
            0.0
        } else {
            f64::INFINITY
        };
    }
    // r = full 2^a (re > 0 in every case f64 results can reach)
    let full = (1u128 << 112) | rm;
    let a = re - 16383 - 112;
    let u = (re - 16383).clamp(-1022, 1023) - 52; // ulp of r as an f64: 2^u
    // y = my 2^b
    let (my, b) = if y.is_infinite() {
        (1u64 << 52, 1024 - 52)
    } else {
        let yb = y.to_bits();
        let ye = ((yb >> 52) & 0x7ff) as i64;
        let ym = yb & 0x000f_ffff_ffff_ffff;
        if ye == 0 {
            (ym, -1074)
        } else {
            (ym | (1 << 52), ye - 1075)
        }
    };
    let ysign = if y.is_sign_negative() { -1.0 } else { 1.0 };
    let rsign = if rneg { -1.0 } else { 1.0 };
    let s = u - a; // >= 60 where it matters
    let (r_int, r_frac) = if s >= 128 {
        (0.0, 0.0)
    } else if s > 0 {
        (
            (full >> s) as f64,
            (full & ((1u128 << s) - 1)) as f64 * 2f64.powi(-(s as i32)),
        )
    } else {
        ((full as f64) * 2f64.powi(-s as i32), 0.0)
    };
    let y_scaled = my as f64 * 2f64.powi((b - u) as i32);
    if ysign != rsign {
        return y_scaled + r_int + r_frac;
    }
    ((y_scaled - r_int) - r_frac).abs()
}

/// The f64 reference for a function name.
fn f128_of(name: &str) -> unsafe extern "C" fn() {
    match name {
        "exp" => expf128,
        "exp2" => exp2f128,
        "log" => logf128,
        "log2" => log2f128,
        "sin" => sinf128,
        _ => cosf128,
    }
}

/// The reference value of `name` at `x`, as binary128 bits.
pub fn reference_f64(name: &str, x: f64) -> u128 {
    call_f128(f128_of(name), to_f128(x))
}

/// Binade ranges (lo exponent, hi exponent, signs) sampled per function.
fn ranges(name: &str) -> Vec<(i32, i32, bool)> {
    match name {
        "exp" | "exp2" => vec![(-60, 11, true)],
        "log" | "log2" => vec![(-1074, 1024, false)],
        _ => vec![(-30, 1024, true)],
    }
}

/// Special inputs every f64 function is checked on.
pub fn special_f64() -> Vec<f64> {
    let mut v = vec![
        0.0,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        -f64::NAN,
        f64::MIN_POSITIVE,
        f64::MAX,
        -f64::MAX,
        f64::from_bits(1),
        f64::from_bits(0x000f_ffff_ffff_ffff),
        1.0,
        -1.0,
        0.5,
        2.0,
        709.782712893384,
        709.7827128933841,
        -708.3964185322641,
        -745.1332191019411,
        -745.1332191019412,
        -744.0,
        1023.9999999999999,
        1024.0,
        -1074.0,
        -1075.0,
        -1022.5,
        core::f64::consts::PI,
        core::f64::consts::FRAC_PI_2,
        1e22,
        1e300,
        1.647_099_3e6,
    ];
    for k in [-1074, -1000, -100, -30, -1, 0, 1, 30, 100, 1000, 1023] {
        v.push(pow2(k));
        v.push(-pow2(k));
    }
    v
}

/// The f64 check: `samples` random inputs per binade of each function's ranges plus the
/// special inputs, each variant the CPU runs, against binary128. Reports through `say`;
/// returns whether every function met its bound.
pub fn f64_check(samples: u64, mut say: impl FnMut(String)) -> bool {
    say(format!(
        "f64: {samples} random inputs per binade + {} special values, against glibc binary128 (113 bits)",
        special_f64().len()
    ));
    let mut ok = true;
    for f in &F64_FUNCS {
        for (vname, run) in f.entries() {
            let t0 = std::time::Instant::now();
            let (max, at, above, checked) = check_one_f64(f, &run, samples);
            say(format!(
                "{} {}: max {:.3} ulp at x = {:e}, {} of {} inputs above {} ulp ({:.1} s)",
                f.name,
                vname,
                max,
                at,
                above,
                checked,
                f.bound,
                t0.elapsed().as_secs_f64()
            ));
            ok &= above == 0;
        }
    }
    ok
}

fn check_one_f64(
    f: &F64Func,
    run: &(dyn Fn(&[f64], &mut [f64]) + Sync),
    samples: u64,
) -> (f64, f64, u64, u64) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut inputs = special_f64();
    let mut rng = Rng::new(0xf64);
    for (lo, hi, signed) in ranges(f.name) {
        for e in lo..hi {
            for _ in 0..samples {
                let x = pow2(e.max(-1074)) * (1.0 + rng.unit64());
                let x = if e < -1022 {
                    f64::from_bits(rng.next_u64() & 0x000f_ffff_ffff_ffff)
                } else {
                    x
                };
                inputs.push(if signed && rng.next_u64() & 1 == 1 {
                    -x
                } else {
                    x
                });
            }
        }
    }
    let per = inputs.len().div_ceil(threads);
    let results: Vec<(f64, f64, u64, u64)> = std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(per.max(1))
            .map(|chunk| {
                s.spawn(move || {
                    let mut y = vec![0.0; chunk.len()];
                    run(chunk, &mut y);
                    let (mut max, mut at, mut above) = (0.0f64, 0.0f64, 0u64);
                    for (&x, &yi) in chunk.iter().zip(&y) {
                        let e = ulp_error_f64(yi, reference_f64(f.name, x));
                        if e > max {
                            max = e;
                            at = x;
                        }
                        if e > f.bound {
                            above += 1;
                        }
                    }
                    (max, at, above, chunk.len() as u64)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("checker"))
            .collect()
    });
    results.into_iter().fold((0.0, 0.0, 0, 0), |acc, r| {
        let (max, at) = if r.0 > acc.0 {
            (r.0, r.1)
        } else {
            (acc.0, acc.1)
        };
        (max, at, acc.2 + r.2, acc.3 + r.3)
    })
}

/// A faster f32 sine or cosine reference than libm's for huge arguments, as accurate: for
/// |x| >= 2^17 the exact integer reduction `scalar::rem_pio2_f32` (checked against libm by
/// `tests/vmath.rs`), the reduced argument kept as a double-double, and libm's f64 sin/cos
/// finish it (error about 2^-52 relative: 28 bits more than f32). Below 2^17, f64 libm
/// directly.
pub fn sincos_f32_reference(x: f32, cos: bool) -> f64 {
    let xd = f64::from(x);
    if !x.is_finite() || x.abs() < 131_072.0 {
        return if cos { xd.cos() } else { xd.sin() };
    }
    let (n, y0, y1) = super::scalar::rem_pio2_f32(x);
    let (s0, c0) = (y0.sin(), y0.cos());
    let (sin_r, cos_r) = (s0 + y1 * c0, c0 - y1 * s0);
    match (n + i32::from(cos)) & 3 {
        0 => sin_r,
        1 => cos_r,
        2 => -sin_r,
        _ => -cos_r,
    }
}

/// |a - b| / |b| for two finite, nonzero binary128 values (infinite when the signs differ or
/// either is zero or special): how far the double-double reference (`ddref`) is from glibc's.
pub fn rel_diff_f128(a: u128, b: u128) -> f64 {
    if a == b {
        return 0.0;
    }
    let split = |v: u128| {
        let e = ((v >> 112) & 0x7fff) as i64;
        (v >> 127, e, (1u128 << 112) | (v & ((1u128 << 112) - 1)))
    };
    let ((sa, ea, ma), (sb, eb, mb)) = (split(a), split(b));
    if sa != sb || ea == 0 || eb == 0 || ea == 0x7fff || eb == 0x7fff || (ea - eb).abs() > 60 {
        return f64::INFINITY;
    }
    let e = ea.max(eb);
    let (ma, mb) = ((ma >> (e - ea)) as i128, (mb >> (e - eb)) as i128);
    (ma - mb).unsigned_abs() as f64 / mb as f64
}

/// A binary128 reference made ready for `ulp_error_prepared`: the value as `hi` + `lo_u` ulp
/// (hi its leading 53 bits), and 1/ulp; references outside 2^±900 (and special ones) keep
/// the bits for `ulp_error_f64`.
#[derive(Clone, Copy)]
pub struct Prepared {
    hi: f64,
    lo_u: f64,
    inv_ulp: f64,
    raw: u128,
}

impl Prepared {
    /// Splits binary128 bits `r`.
    pub fn new(r: u128) -> Self {
        let e = ((r >> 112) & 0x7fff) as i32 - 16383;
        if !(-900..=900).contains(&e) {
            return Prepared {
                hi: 0.0,
                lo_u: 0.0,
                inv_ulp: 0.0,
                raw: r,
            };
        }
        let full = (1u128 << 112) | (r & ((1u128 << 112) - 1));
        let sign = if r >> 127 == 1 { -1.0 } else { 1.0 };
        let hi = ((full >> 60) as u64) as f64 * pow2(e - 52);
        let lo_u = ((full & ((1u128 << 60) - 1)) as u64) as f64 * pow2(-60);
        Prepared {
            hi: sign * hi,
            lo_u: sign * lo_u,
            inv_ulp: pow2(52 - e),
            raw: r,
        }
    }
}

/// `ulp_error_f64(y, r)` for a prepared `r`, in a few flops: y - hi is exact whenever the
/// error is small (Sterbenz), and scaling by 1/ulp is exact.
#[inline]
pub fn ulp_error_prepared(y: f64, p: &Prepared) -> f64 {
    if p.inv_ulp == 0.0 {
        return ulp_error_f64(y, p.raw);
    }
    let e = ((y - p.hi) * p.inv_ulp - p.lo_u).abs();
    if e <= 1e300 { e } else { f64::INFINITY }
}

/// An input in binade `e` (|x| in [2^e, 2^(e+1)), subnormal binades too), uniform there.
pub fn in_binade(e: i32, r: u64) -> f64 {
    let e = e.clamp(-1074, 1023);
    if e >= -1022 {
        f64::from_bits((((e + 1023) as u64) << 52) | (r & 0x000f_ffff_ffff_ffff))
    } else {
        let k = e + 1074;
        f64::from_bits((1u64 << k) | (r & ((1u64 << k) - 1)))
    }
}

/// The binade ranges of the long f64 check, `(lo, hi, signed)`: |x| in [2^lo, 2^hi), both
/// signs if `signed`; each range is sampled uniformly per binade (a random binade of the range,
/// then a random significand). Single binades where the kernels change behaviour (the
/// polynomial's domain, the reduction, the fast-path limits, overflow and underflow), groups of
/// binades where nothing changes from one to the next (tiny arguments of exp and sin/cos,
/// huge ones of sin/cos, far exponents of log).
pub fn binade_ranges(name: &str) -> Vec<(i32, i32, bool)> {
    let each = |lo: i32, hi: i32, signed: bool| (lo..hi).map(move |e| (e, e + 1, signed));
    let mut v = Vec::new();
    match name {
        "exp" | "exp2" => {
            v.extend([(-1074, -60, true), (-60, -20, true), (-20, -6, true)]);
            v.extend(each(-6, 11, true)); // |x| up to 2048: past overflow and underflow
        }
        "log" | "log2" => {
            v.extend([(-1074, -1022, false), (-1022, -64, false), (-64, -4, false)]);
            v.extend(each(-4, 4, false)); // around 1
            v.extend([(4, 64, false), (64, 1024, false)]);
        }
        _ => {
            v.extend([(-1074, -26, true), (-26, -6, true)]);
            v.extend(each(-6, 12, true)); // the polynomial's domain and the first reductions
            v.extend([
                (12, 20, true),
                (20, 21, true),
                (21, 64, true),
                (64, 1024, true),
            ]);
        }
    }
    v
}

/// Largest error, where, how many above the bound, how many checked.
#[derive(Clone, Copy, Default)]
pub struct Tally {
    /// The largest error seen, in ulp.
    pub max: f64,
    /// An input where it was seen.
    pub at: f64,
    /// How many inputs exceeded the bound.
    pub above: u64,
    /// How many inputs were checked.
    pub checked: u64,
}

impl Tally {
    fn add(&mut self, x: f64, e: f64, bound: f64) {
        if e > self.max {
            self.max = e;
            self.at = x;
        }
        self.above += u64::from(e > bound);
        self.checked += 1;
    }

    fn merge(&mut self, o: &Tally) {
        if o.max > self.max {
            self.max = o.max;
            self.at = o.at;
        }
        self.above += o.above;
        self.checked += o.checked;
    }
}

/// The long f64 check: for each function, each of its `binade_ranges`, `per_range` random
/// inputs through every path this CPU runs (each kernel variant on batches of 2^14, and the
/// scalar code), against the double-double reference (`ddref`, computed once per input for all
/// paths); the special values against glibc's binary128. Every available core works (a
/// `std::thread` per core, batches handed out by an atomic counter; batch b's inputs come from
/// a generator seeded by (function, range, b), so the inputs do not depend on scheduling).
/// Reports through `say`; returns whether every path of every function met its bound.
pub fn f64_check_dd(per_range: u64, only: Option<&str>, mut say: impl FnMut(String)) -> bool {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};
    const BATCH: u64 = 1 << 14;
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    say(format!(
        "f64: {per_range} random inputs per binade range against the double-double reference \
         (ddref, ~106 bits) + {} special values against glibc binary128, {threads} threads",
        special_f64().len()
    ));
    let mut ok = true;
    for (fi, f) in F64_FUNCS.iter().enumerate() {
        if only.is_some_and(|o| o != f.name) {
            continue;
        }
        let entries = f.entries();
        let reference = super::ddref::of(f.name);
        let mut total = vec![Tally::default(); entries.len()];
        // the special values, against binary128
        let sp = special_f64();
        for (t, (_, run)) in total.iter_mut().zip(&entries) {
            let mut y = vec![0.0; sp.len()];
            run(&sp, &mut y);
            for (&x, &yi) in sp.iter().zip(&y) {
                t.add(x, ulp_error_f64(yi, reference_f64(f.name, x)), f.bound);
            }
        }
        let t_fn = std::time::Instant::now();
        for (ri, &(lo, hi, signed)) in binade_ranges(f.name).iter().enumerate() {
            let t0 = std::time::Instant::now();
            let next = AtomicU64::new(0);
            let sums = Mutex::new(vec![Tally::default(); entries.len()]);
            std::thread::scope(|s| {
                for _ in 0..threads {
                    s.spawn(|| {
                        let mut local = vec![Tally::default(); entries.len()];
                        let (mut x, mut r, mut y) = (Vec::new(), Vec::new(), Vec::new());
                        loop {
                            let start = next.fetch_add(BATCH, Ordering::Relaxed);
                            if start >= per_range {
                                break;
                            }
                            let len = BATCH.min(per_range - start) as usize;
                            let mut rng = Rng::new(
                                ((fi as u64) << 56) ^ ((ri as u64) << 48) ^ (start / BATCH),
                            );
                            x.clear();
                            x.extend((0..len).map(|_| {
                                let e = lo + (rng.next_u64() % (hi - lo) as u64) as i32;
                                let v = in_binade(e, rng.next_u64());
                                if signed && rng.next_u64() & 1 == 1 {
                                    -v
                                } else {
                                    v
                                }
                            }));
                            r.clear();
                            r.extend(x.iter().map(|&v| Prepared::new(reference(v))));
                            y.resize(len, 0.0);
                            for (t, (_, run)) in local.iter_mut().zip(&entries) {
                                run(&x, &mut y);
                                for ((&xi, &yi), &ri) in x.iter().zip(&y).zip(&r) {
                                    t.add(xi, ulp_error_prepared(yi, &ri), f.bound);
                                }
                            }
                        }
                        let mut sums = sums.lock().expect("tally");
                        for (a, b) in sums.iter_mut().zip(&local) {
                            a.merge(b);
                        }
                    });
                }
            });
            let sums = sums.into_inner().expect("tally");
            let cols: Vec<String> = entries
                .iter()
                .zip(&sums)
                .map(|((name, _), t)| format!("{name} {:.3}", t.max))
                .collect();
            let above: u64 = sums.iter().map(|t| t.above).sum();
            say(format!(
                "{} |x| in [2^{lo}, 2^{hi}){}: max ulp {}; {above} above {} ({:.1} s)",
                f.name,
                if signed { " ±" } else { "" },
                cols.join(", "),
                f.bound,
                t0.elapsed().as_secs_f64()
            ));
            for (a, b) in total.iter_mut().zip(&sums) {
                a.merge(b);
            }
        }
        for ((name, _), t) in entries.iter().zip(&total) {
            say(format!(
                "{} {}: max {:.3} ulp at x = {:e}, {} of {} inputs above {} ulp ({:.1} s for the function)",
                f.name,
                name,
                t.max,
                t.at,
                t.above,
                t.checked,
                f.bound,
                t_fn.elapsed().as_secs_f64()
            ));
            ok &= t.above == 0;
        }
    }
    ok
}
