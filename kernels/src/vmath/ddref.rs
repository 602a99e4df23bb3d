//! A fast f64 reference: `exp`, `exp2`, `log`, `log2`, `sin`, `cos` in double-double
//! arithmetic (about 106 bits), returned as binary128 bits so that
//! `accuracy::ulp_error_f64` measures against it exactly as against glibc's binary128
//! functions, at ~50–150 ns a call instead of microseconds.
//!
//! Methods (every constant from `ddref/tables.py`, mpmath at 300 bits):
//!
//! - `exp`: k = rint(x 64/ln 2), r = x - k ln2/64 with ln 2 in three parts (the products by
//!   exact `two_prod`s by FMA), |r| <= ln2/128; e^x = 2^(k div 64) · 2^((k mod 64)/64) · e^r,
//!   the table in double-double, e^r by Taylor to r^11 (|r^12/12!| < 2^-115), the terms from
//!   r^6 on in f64 (they are below 2^-54).
//! - `exp2`: k = rint(64 x), r = (x - k/64) ln 2 (the difference exact), then as `exp`.
//! - `log`, `log2`: x = 2^e m with m in [0.75, 1.5), c = j/128 nearest m, s = (m - c)/(m + c)
//!   (numerator exact, denominator an exact sum, the quotient in double-double), |s| <= 2^-8.5;
//!   log x = e ln 2 + ln c + 2 atanh s, atanh s = s (1 + s²/3 + ... + s^12/13), the terms from
//!   s^6 on in f64; log2 x = e + log2 c + 2 atanh(s) log2 e. Near 1 (e = 0, c = 1) nothing
//!   cancels: the result is 2 atanh s alone.
//! - `sin`, `cos`: |x| <= pi/4 is its own reduced argument; beyond, Payne–Hanek in integers:
//!   x = M 2^s times the 256 bits of 2/pi that matter (weights 2^1 ... 2^-254), mod 4, so the
//!   reduced fraction carries >= 190 significant bits even for the f64 closest to a multiple
//!   of pi/2 (about 2^-61 away); r = f pi/2 in double-double, |r| <= pi/4, then Taylor to
//!   r^31 (sin) / r^30 (cos), the terms from z^9 (z = r²) on in f64.
//!
//! Speed: the entry points run the code compiled with FMA when the CPU has it (one instruction
//! per exact product); ~60–180 ns a call on Zen 4.
//!
//! Error budget: every step is an exact transformation or a double-double operation (relative
//! error <= 2^-104), a handful per function; `tests/vmath.rs` checks the reference against
//! glibc's binary128 functions on a sample (largest difference printed; asserted < 2^-95
//! relative), i.e. > 40 bits more precise than f64 where 20 are needed.

#[rustfmt::skip]
mod tables;

use tables::{EXP2_64, INV_FACT, INV_ODD, LN_128, LN2, LN2_3, LOG2_128, LOG2E, PIO2};

/// A double-double `hi + lo`, |lo| <= ulp(hi)/2 after every operation.
#[derive(Clone, Copy, Debug)]
pub struct Dd {
    /// The leading part.
    pub hi: f64,
    /// The trailing part.
    pub lo: f64,
}

impl Dd {
    /// `hi + lo` (no renormalization).
    pub const fn new(hi: f64, lo: f64) -> Self {
        Dd { hi, lo }
    }

    fn neg(self) -> Self {
        Dd::new(-self.hi, -self.lo)
    }
}

/// `a + b = s + e` exactly.
#[inline(always)]
fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd::new(s, (a - (s - bb)) + (b - bb))
}

/// `a + b = s + e` exactly, for |a| >= |b| (or a = 0).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd::new(s, b - (s - a))
}

/// `a b = p + e` exactly, by FMA: inside the `fma` wrappers (`with_fma!`) one instruction,
/// elsewhere glibc's `fma` (correct, slower).
#[inline(always)]
fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    Dd::new(p, a.mul_add(b, -p))
}

#[inline(always)]
fn add(a: Dd, b: Dd) -> Dd {
    let s = two_sum(a.hi, b.hi);
    let t = two_sum(a.lo, b.lo);
    let u = fast_two_sum(s.hi, s.lo + t.hi);
    fast_two_sum(u.hi, u.lo + t.lo)
}

/// `a + b` without the care for cancellation (Horner steps whose terms shrink fast).
#[inline(always)]
fn add_sloppy(a: Dd, b: Dd) -> Dd {
    let s = two_sum(a.hi, b.hi);
    fast_two_sum(s.hi, s.lo + (a.lo + b.lo))
}

#[inline(always)]
fn mul(a: Dd, b: Dd) -> Dd {
    let p = two_prod(a.hi, b.hi);
    fast_two_sum(p.hi, p.lo + (a.hi * b.lo + a.lo * b.hi))
}

#[inline(always)]
fn mul_f(a: Dd, b: f64) -> Dd {
    let p = two_prod(a.hi, b);
    fast_two_sum(p.hi, p.lo + a.lo * b)
}

#[inline(always)]
fn div(a: Dd, b: Dd) -> Dd {
    let q1 = a.hi / b.hi;
    let r = add(a, mul_f(b, -q1));
    let q2 = r.hi / b.hi;
    let r = add(r, mul_f(b, -q2));
    let q3 = r.hi / b.hi;
    let q = fast_two_sum(q1, q2);
    add(q, Dd::new(q3, 0.0))
}

/// `sum c[k] x^k`, `c` given from the highest degree down: the first `in_f64` coefficients by
/// Horner in f64 on `x.hi`, the rest in double-double. For series whose terms fall fast
/// (|c[k+1] x| well below |c[k]|), so that no step cancels.
#[inline(always)]
fn poly(x: Dd, c: &[Dd], in_f64: usize) -> Dd {
    let mut acc = c[0].hi;
    for k in &c[1..in_f64] {
        acc = acc * x.hi + k.hi;
    }
    let mut d = Dd::new(acc, 0.0);
    for &k in &c[in_f64..] {
        d = add_sloppy(mul(d, x), k);
    }
    d
}

/// `(m, e)` with `v = m 2^e` exactly, m a signed integer (|m| < 2^53).
#[inline(always)]
fn parts(v: f64) -> (i128, i32) {
    let b = v.to_bits();
    let ex = ((b >> 52) & 0x7ff) as i32;
    let m = (b & 0x000f_ffff_ffff_ffff) as i128;
    let (m, e) = if ex == 0 {
        (m, -1074)
    } else {
        (m | (1 << 52), ex - 1075)
    };
    (if v < 0.0 { -m } else { m }, e)
}

/// `(d.hi + d.lo) 2^e2` as binary128 bits (truncated beyond 113 bits: the reference is good to
/// ~106 anyway). Zero keeps the sign of `d.hi`; results stay far inside binary128's range.
pub fn to_f128(d: Dd, e2: i32) -> u128 {
    if d.hi == 0.0 {
        return u128::from(d.hi.is_sign_negative()) << 127;
    }
    let (mh, eh) = parts(d.hi);
    let (ml, el) = parts(d.lo);
    let top = eh + (127 - mh.unsigned_abs().leading_zeros() as i32);
    let base = top - 120; // the top bit of |hi| at bit 120
    let a = mh << (eh - base);
    let l = if ml == 0 {
        0
    } else if el >= base {
        ml << (el - base)
    } else if base - el >= 127 {
        if ml < 0 { -1 } else { 0 }
    } else {
        ml >> (base - el)
    };
    let s = a + l;
    let neg = s < 0;
    let mag = s.unsigned_abs();
    let p = 127 - mag.leading_zeros() as i32;
    let frac = if p >= 112 {
        mag >> (p - 112)
    } else {
        mag << (112 - p)
    } & ((1u128 << 112) - 1);
    let exp = i64::from(p + base) + i64::from(e2) + 16383;
    debug_assert!(exp > 0 && exp < 0x7fff);
    (u128::from(neg) << 127) | ((exp as u128) << 112) | frac
}

const F128_INF: u128 = 0x7fffu128 << 112;
const F128_NAN: u128 = (0x7fffu128 << 112) | (1u128 << 111);
const F128_NEG: u128 = 1u128 << 127;

/// 2^(k/64) e^r as `to_f128` wants it, for |r| <= ln2/128 (+ tiny).
#[inline(always)]
fn exp_tail(k: i64, r: Dd) -> u128 {
    // e^r: 1/11! .. 1/0!, the six highest-degree terms in f64
    let mut c = [Dd::new(0.0, 0.0); 12];
    for (i, v) in c.iter_mut().enumerate() {
        *v = INV_FACT[11 - i];
    }
    let e = poly(r, &c, 6);
    let j = k.rem_euclid(64) as usize;
    let m = k.div_euclid(64) as i32;
    to_f128(mul(EXP2_64[j], e), m)
}

#[inline(always)]
fn exp_impl(x: f64) -> u128 {
    if x.is_nan() {
        return F128_NAN;
    }
    if x > 11_000.0 {
        return F128_INF;
    }
    if x < -11_000.0 {
        return 0;
    }
    let k = (x * tables::SIXTYFOUR_OVER_LN2).round();
    let c = LN2_3.map(|v| v / 64.0);
    let p = two_prod(k, c[0]);
    let r = add(two_sum(x, -p.hi), Dd::new(-p.lo, 0.0));
    let r = add(r, two_prod(k, c[1]).neg());
    let r = add(r, Dd::new(-k * c[2], 0.0));
    exp_tail(k as i64, r)
}

#[inline(always)]
fn exp2_impl(x: f64) -> u128 {
    if x.is_nan() {
        return F128_NAN;
    }
    if x > 16_000.0 {
        return F128_INF;
    }
    if x < -16_000.0 {
        return 0;
    }
    let k = (x * 64.0).round();
    let t = x - k / 64.0; // exact
    exp_tail(k as i64, mul_f(LN2, t))
}

/// `(e, j, 2 atanh s)` with x = 2^e m, c = j/128, for finite x > 0.
#[inline(always)]
fn log_parts(x: f64) -> (i32, usize, Dd) {
    let (mut x, mut e) = (x, 0);
    if x < f64::MIN_POSITIVE {
        x *= 18_446_744_073_709_551_616.0; // 2^64
        e = -64;
    }
    let b = x.to_bits();
    e += ((b >> 52) as i32) - 1023;
    let mut m = f64::from_bits((b & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    if m >= 1.5 {
        m *= 0.5;
        e += 1;
    }
    let j = (m * 128.0).round();
    let c = j / 128.0;
    let s = div(Dd::new(m - c, 0.0), two_sum(m, c));
    let z = mul(s, s);
    let mut k = [Dd::new(0.0, 0.0); 7];
    for (i, v) in k.iter_mut().enumerate() {
        *v = INV_ODD[6 - i];
    }
    let a = mul(s, poly(z, &k, 4));
    (e, j as usize - 96, Dd::new(2.0 * a.hi, 2.0 * a.lo))
}

#[inline(always)]
fn log_special(x: f64) -> Option<u128> {
    if x.is_nan() || x < 0.0 {
        Some(F128_NAN)
    } else if x == 0.0 {
        Some(F128_INF | F128_NEG)
    } else if x == f64::INFINITY {
        Some(F128_INF)
    } else {
        None
    }
}

#[inline(always)]
fn log_impl(x: f64) -> u128 {
    if let Some(s) = log_special(x) {
        return s;
    }
    let (e, j, a) = log_parts(x);
    let e = f64::from(e);
    let el = add(two_prod(e, LN2_3[0]), Dd::new(e * LN2_3[1], e * LN2_3[2]));
    to_f128(add(add(el, LN_128[j]), a), 0)
}

#[inline(always)]
fn log2_impl(x: f64) -> u128 {
    if let Some(s) = log_special(x) {
        return s;
    }
    let (e, j, a) = log_parts(x);
    let head = add(Dd::new(f64::from(e), 0.0), LOG2_128[j]);
    to_f128(add(head, mul(a, LOG2E)), 0)
}

/// `(n mod 4, r)` with |x| = n pi/2 + r, |r| <= pi/4, for finite x.
#[inline(always)]
fn rem_pio2(x: f64) -> (u32, Dd) {
    let ax = x.abs();
    if ax <= core::f64::consts::FRAC_PI_4 {
        return (0, Dd::new(ax, 0.0));
    }
    let bits = ax.to_bits();
    let s = ((bits >> 52) as i64) - 1075; // |x| = m 2^s (normal here)
    let m = u128::from((bits & 0x000f_ffff_ffff_ffff) | (1 << 52));
    // K = 2^(s + 254) 2/pi mod 2^256: the bits of 2/pi of index s - 1 ..= s + 254 (1-based).
    let bit = super::scalar::two_over_pi_bits;
    let mut k = [0u64; 4]; // little-endian limbs
    if s >= 2 {
        let st = (s - 1) as usize;
        k = [bit(st + 192), bit(st + 128), bit(st + 64), bit(st)];
    } else {
        let w = [bit(193), bit(129), bit(65), bit(1)];
        let sh = (2 - s) as u32; // the leading 2 - s positions are zero
        for i in 0..4 {
            let (q, r) = ((sh / 64) as usize, sh % 64);
            let lo = if i + q < 4 { w[i + q] >> r } else { 0 };
            let hi = if r > 0 && i + q + 1 < 4 {
                w[i + q + 1] << (64 - r)
            } else {
                0
            };
            k[i] = lo | hi;
        }
    }
    // P = m K mod 2^256
    let mut p = [0u64; 4];
    let mut carry = 0u128;
    for i in 0..4 {
        let t = m * u128::from(k[i]) + carry;
        p[i] = t as u64;
        carry = t >> 64;
    }
    let mut n = (p[3] >> 62) as u32;
    p[3] &= (1 << 62) - 1;
    // the fraction F = P mod 2^254, rounded to nearest: F >= 2^253 means F - 2^254, n + 1
    let neg = p[3] >> 61 == 1;
    if neg {
        n = n.wrapping_add(1);
        // 2^254 - F, the magnitude
        let mut borrow = 0u64;
        let mut q = [0u64; 4];
        for i in 0..4 {
            let (a, b1) = 0u64.overflowing_sub(p[i]);
            let (a, b2) = a.overflowing_sub(borrow);
            q[i] = a;
            borrow = u64::from(b1 || b2);
        }
        q[3] = q[3].wrapping_add(1 << 62) & ((1 << 62) - 1);
        p = q;
    }
    // |F| to double-double: its top 128 bits, scaled
    let top_limb = (0..4).rev().find(|&i| p[i] != 0);
    let Some(t) = top_limb else {
        return (n & 3, Dd::new(0.0, 0.0));
    };
    let lz = p[t].leading_zeros();
    let word = |i: usize| if i < 4 { p[i] } else { 0 };
    let limb = |i: isize| if i >= 0 { word(i as usize) } else { 0 };
    let ti = t as isize;
    let hi128 = (u128::from(limb(ti)) << 64) | u128::from(limb(ti - 1));
    let next = u128::from(limb(ti - 2));
    let v = if lz == 0 {
        hi128
    } else {
        (hi128 << lz) | (next >> (64 - lz))
    };
    // |F| ≈ v 2^(64 (t - 1) - lz) in units of 2^-254
    let scale = (64 * (t as i32 - 1) - lz as i32) - 254;
    let h = v as f64; // rounded
    let l = (v as i128).wrapping_sub(h as u128 as i128) as f64;
    let f = fast_two_sum(h, l);
    let sc = f64::powi(2.0, scale);
    let f = Dd::new(f.hi * sc, f.lo * sc);
    let r = mul(f, PIO2);
    (n & 3, if neg { r.neg() } else { r })
}

/// sin r (`cos = false`) or cos r for |r| <= pi/4.
#[inline(always)]
fn sincos_poly(r: Dd, cos: bool) -> Dd {
    let z = mul(r, r);
    let mut c = [Dd::new(0.0, 0.0); 16];
    for (i, v) in c.iter_mut().enumerate() {
        let k = 15 - i; // z^k / (2k + [sin])!
        let f = INV_FACT[2 * k + usize::from(!cos)];
        *v = if k % 2 == 1 { f.neg() } else { f };
    }
    let p = poly(z, &c, 7);
    if cos { p } else { mul(r, p) }
}

#[inline(always)]
fn sincos(x: f64, cos: bool) -> u128 {
    if !x.is_finite() {
        return F128_NAN;
    }
    let (n, r) = rem_pio2(x);
    let q = (n + u32::from(cos)) & 3;
    let v = sincos_poly(r, q & 1 == 1);
    let v = if q >= 2 { v.neg() } else { v };
    let v = if !cos && x.is_sign_negative() {
        v.neg()
    } else {
        v
    };
    to_f128(v, 0)
}

#[inline(always)]
fn sin_impl(x: f64) -> u128 {
    sincos(x, false)
}

#[inline(always)]
fn cos_impl(x: f64) -> u128 {
    sincos(x, true)
}

/// The reference for a function name (`exp`, ..., `cos`).
pub fn of(name: &str) -> fn(f64) -> u128 {
    match name {
        "exp" => exp,
        "exp2" => exp2,
        "log" => log,
        "log2" => log2,
        "sin" => sin,
        _ => cos,
    }
}

/// The public entry points: with FMA compiled in when the CPU has it (checked once and cached
/// by std), so that `two_prod` is one instruction; else the same code through libm's `fma`.
macro_rules! with_fma {
    ($($(#[$doc:meta])* $name:ident, $imp:ident, $fma:ident;)*) => {$(
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "fma")]
        fn $fma(x: f64) -> u128 {
            $imp(x)
        }

        $(#[$doc])*
        pub fn $name(x: f64) -> u128 {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU has FMA.
                return unsafe { $fma(x) };
            }
            $imp(x)
        }
    )*};
}

with_fma! {
    /// e^x, as binary128 bits.
    exp, exp_impl, exp_fma;
    /// 2^x, as binary128 bits.
    exp2, exp2_impl, exp2_fma;
    /// log x, as binary128 bits.
    log, log_impl, log_fma;
    /// log2 x, as binary128 bits.
    log2, log2_impl, log2_fma;
    /// sin x, as binary128 bits.
    sin, sin_impl, sin_fma;
    /// cos x, as binary128 bits.
    cos, cos_impl, cos_fma;
}
