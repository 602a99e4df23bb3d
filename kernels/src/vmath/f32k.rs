//! The f32 vector kernels: SSE2 (4 lanes), AVX2+FMA (8) and AVX-512F (16) from one source
//! each (`has!(avx2)` picks the SSE2 body or the AVX body, `has!(avx512f)` the mask forms).
//!
//! Contract of every kernel `k(x, out) -> usize`: it processes whole vectors from the start
//! while every lane of the vector is in the kernel's fast domain, writes `out[..i]` and returns
//! `i`, a multiple of its lane count. It stops at the first vector with a lane outside the
//! domain (special values, arguments whose result is subnormal or overflows, huge sin/cos
//! arguments) and at the last whole vector; `super::drive` finishes that vector and the tail
//! with the scalar code and calls the kernel again. The fast domains of the AVX bodies:
//!
//! | kernel | lanes it runs | method |
//! |---|---|---|
//! | `expf` | AVX2: \|x\| <= 87; AVX-512: \|x\| <= 104 | x = (m + j/K) ln 2 + r with m + j/K = rint(x log2 e K)/K by a shifter whose low mantissa bits are j (K = 16 on AVX-512, the lanes of one zmm table, 8 on AVX2), r in two parts of ln 2 (FMA; the first product and difference exact); e^r - 1 = r + r² q(r) (q of degree 1 / 2), 2^(j/K) = thi[j] + tlo[j] by two `vpermps`, result thi + (thi (e^r - 1) + tlo) — one rounding of a sum whose big part is exact — scaled by 2^m: AVX2 in the exponent bits, AVX-512 by `vscalefps`, which rounds overflow and subnormal results once, so only \|x\| > 104, infinities and NaN leave the kernel |
//! | `exp2f` | AVX2: \|x\| <= 126; AVX-512: \|x\| <= 151 | n = rint(x), r = x - n exact, 2^r = 1 + r p(r) (degree 5), 2^n in the exponent bits (AVX-512: `vscalefps`, as `expf`) |
//! | `logf` | AVX2: normal x > 0; AVX-512: every lane | AVX2 as `log2f`; AVX-512: x = 2^k z, z in [1, 2) by `vgetexpps` / `vgetmantps` (subnormal x too), j = z's top 4 mantissa bits, three `vpermps` tables: 1/c_j with at most 6 bits (so r = z/c_j - 1 is exact by FMA, \|r\| < 1/16; c_0 = 1, c_15 = 2 with log c_15 in the two parts of k ln 2, so x near 1 cancels exactly from either side) and log c_j as a multiple of 2^-17 plus a low part; log x = (k ln2_hi + log c_hi) + (r + (r² P(r) + k ln2_lo + log c_lo)), P of degree 4; special inputs by `vfixupimmps` — no branch |
//! | `log2f` (and `logf` on AVX2) | normal x > 0 | x = 2^e m, m in [sqrt(1/2), sqrt 2) by integer ops, log1p(f) = f + f²(-1/2 + f P(f)) (P of degree 8); log2 keeps f/ln 2 as hi + lo |
//! | `sinf`, `cosf` | \|x\| <= 2^17 | n = rint(\|x\| 2/pi); r = \|x\| - n pi/2 as hi + lo with pi/2 in three f32 parts (the first product exact by FMA, the second by an FMA split and TwoSum); both polynomials, selected and signed by n mod 4 (cos uses n + 1) |
//!
//! The SSE2 bodies (same domains as AVX2) have no FMA, so they do not imitate the AVX ones:
//! the four f32 lanes are widened to two f64 halves, the function is evaluated in f64 with plain
//! multiplies and adds — Taylor polynomials truncated below 2^-32 relative (exp: e^r to r^8 on
//! \|r\| <= ln2/2; exp2: 2^r = e^(r ln 2) likewise; log: 2 atanh(f/(2+f)) to s^13; sin/cos:
//! n = rint(\|x\| 2/pi), r = \|x\| - n p1 - n p2 with p1 = pi/2 to 33 bits, so n p1 and the
//! difference are exact, sin r to r^11, cos r to r^12) and reductions whose rounding errors stay
//! below 2^-45 — and the halves are narrowed back: one rounding to f32 at the end, so the error
//! stays below 0.5 ulp + 2^-7 ulp (0.500–0.503 measured).
//!
//! Constants come from `coeffs.py` (SSE2: Taylor coefficients, pi/2 split, printed by mpmath);
//! where a constant is a memory operand, it is a full-width pool vector (`f32x4` / `f32x8` /
//! `f32x16`, `f64x2`), chosen per variant by `vector_bytes()`.

use asmforge::{instruction, kernel};

/// SSE2: the low two lanes of `v` widened to f64 in `lo`, the high two in `hi` (the SSE2 f32
/// bodies compute in f64, which needs no FMA).
#[instruction]
fn widen_ps(lo: Vec, hi: Vec, v: Vec) {
    cvtps2pd(lo, v);
    movaps(hi, v);
    movhlps(hi, hi);
    cvtps2pd(hi, hi);
}

/// SSE2: jumps to `to` when any lane of the compare mask `m` is set (a lane the vector path
/// does not take).
#[instruction]
fn jnz_any_ps(m: Vec, to: Label) {
    let g = gp32();
    movmskps(g, m);
    test(g, g);
    jnz(to);
}

/// One f32 kernel `$name(x: &[f32], out: &mut [f32]) -> usize` around `$body`, which sees the
/// loaded vector `v`, the index `i` and the label `done` (jump there to stop before this
/// vector), and must store its result at `[out + i * 4]`. One vector per iteration: two in
/// flight (an unrolled loop) measured no faster for `expf` and `logf`.
///
/// Constants are full-width pool vectors of the variant (`f32x8` / `f32x16`, `i32x8` /
/// `i32x16`): those under `regf` are loaded into registers before the loop on every variant;
/// those under `memf` / `memi` stay memory operands for AVX2 (16 registers) and are loaded
/// into registers for AVX-512 (32). Loads of constants otherwise compete with the data for
/// the load ports. `pre` runs once before the AVX loop (tables and per-width constants).
macro_rules! f32_kernel {
    (
        $(#[$meta:meta])*
        $name:ident, fallback = $fallback:path, params($($params:tt)*),
        regf { $($rf:ident = ($($rv:tt)*)),* $(,)? }
        memf { $($mf:ident = ($($mv:tt)*)),* $(,)? }
        memi { $($mi:ident = ($($iv:tt)*)),* $(,)? }
        pre { $($pre:tt)* }
        sse2 { $($sse:tt)* }
        $($body:tt)*
    ) => {
        $(#[$meta])*
        #[kernel(targets(sse2, avx2 + fma, avx512f), fallback = $fallback, params($($params)*))]
        pub fn $name(x: &[f32], out: &mut [f32]) -> usize {
            use jnz_any_ps;
            use widen_ps;
            let n = gp64();
            let i = gp64();
            mov(n, x.len());
            cmp(n, out.len());
            cmova(n, out.len());
            and(n, -lanes(4));
            xor(i.r32(), i.r32());
            test(n, n);
            jz(done);
            if has!(avx2) {
            $(
                let $rf = vreg();
                vmovaps($rf, match vector_bytes() { 32 => f32x8($($rv)*), _ => f32x16($($rv)*) });
            )*
            $(
                let __mem = match vector_bytes() { 32 => f32x8($($mv)*), _ => f32x16($($mv)*) };
                let __reg = vreg();
                if has!(avx512f) {
                    vmovaps(__reg, __mem);
                }
                let $mf = match vector_bytes() { 32 => __mem, _ => __reg };
            )*
            $(
                let __mem = match vector_bytes() { 32 => i32x8($($iv)*), _ => i32x16($($iv)*) };
                let __reg = vreg();
                if has!(avx512f) {
                    vmovaps(__reg, __mem);
                }
                let $mi = match vector_bytes() { 32 => __mem, _ => __reg };
            )*
            $($pre)*
            align!(16);
            label!(top);
            let v = vreg();
            vmovups(v, [x + i * 4]);
            $($body)*
            add(i, lanes(4));
            cmp(i, n);
            jb(top);
            } else {
            let v = vreg();
            align!(16);
            label!(top);
            movups(v, [x + i * 4]);
            $($sse)*
            add(i, lanes(4));
            cmp(i, n);
            jb(top);
            }
            label!(done);
            return i;
        }
    };
}

f32_kernel! {
    /// e^x on whole vectors (AVX2: while |x| <= 87; see the module table).
    expf_k, fallback = crate::vmath::expf_rest, params(UNUSED = 0),
    regf { LOG2E = (1.4426950216293335), C1 = (0.693115234375), C2 = (3.194618329871446e-05) }
    memf {}
    memi {
        ABS = (0x7fff_ffff), MAXBITS = (0x42ae_0000), EXPBITS = (-0x0080_0000),
        LIMIT2 = (-0x7a60_0000),
    }
    pre {
        // 2^(j/K) = thi[j] + tlo[j] (K = 16 lanes of a zmm table, 8 of a ymm one, which is
        // what vpermps indexes), the shifter that rounds x log2 e to a multiple of 1/K, and
        // e^r - 1 = r + r² q(r) on |r| <= ln2/(2K) (q of degree 1 for K = 16, 2 for K = 8).
        let (thi, tlo, shift, q0, q1, q2) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
        if has!(avx512f) {
            vmovaps(thi, f32x16(
                1.0, 1.0442737340927124, 1.0905077457427979, 1.1387885808944702,
                1.1892070770263672, 1.2418577671051025, 1.2968395948410034, 1.3542555570602417,
                1.4142135381698608, 1.4768261909484863, 1.5422108173370361, 1.610490322113037,
                1.6817928552627563, 1.7562521696090698, 1.8340080976486206, 1.9152065515518188,
            ));
            vmovaps(tlo, f32x16(
                0.0, 4.8334701574503924e-08, -1.3077539939843064e-08, 5.386222312608879e-08,
                3.797635272917432e-08, 4.496838101886169e-08, -4.018999533172973e-08,
                -1.0123349269974824e-08, 2.4203234971764687e-08, -4.500898853621038e-08,
                8.070904833346049e-09, 9.836217174097328e-09, -2.4755326677450284e-08,
                -9.235770370707996e-09, -1.1239277952768134e-08, 9.845328108326612e-09,
            ));
            vmovaps(shift, f32x16(786432.0)); // 1.5·2^19: ulp 1/16
            vmovaps(q1, f32x16(0.16666869819164276));
            vmovaps(q2, f32x16(0.5000101923942566));
        } else {
            vmovaps(thi, f32x8(
                1.0, 1.0905077457427979, 1.1892070770263672, 1.2968395948410034,
                1.4142135381698608, 1.5422108173370361, 1.6817928552627563, 1.8340080976486206,
            ));
            vmovaps(tlo, f32x8(
                0.0, -1.3077539939843064e-08, 3.797635272917432e-08, -4.018999533172973e-08,
                2.4203234971764687e-08, 8.070904833346049e-09, -2.4755326677450284e-08,
                -1.1239277952768134e-08,
            ));
            vmovaps(shift, f32x8(1572864.0)); // 1.5·2^20: ulp 1/8
            vmovaps(q0, f32x8(0.04166870191693306));
            vmovaps(q1, f32x8(0.16667887568473816));
            vmovaps(q2, f32x8(0.5));
        }
    }
    sse2 {
        let a = vreg();
        movaps(a, v);
        andps(a, i32x4(0x7fff_ffff));
        cmpps(a, f32x4(87.0), 6); // NLE: |x| > 87 or NaN
        jnz_any_ps(a, done);
        let (lo, hi) = (vreg(), vreg());
        widen_ps(lo, hi, v);
        for h in [lo, hi] {
            // n = rint(x log2 e), r = x - n ln 2 (error < 2^-46), e^r to r^8
            let (t, nf, p) = (vreg(), vreg(), vreg());
            movaps(t, h);
            mulpd(t, f64x2(1.4426950408889634));
            addpd(t, f64x2(6755399441055744.0));
            movaps(nf, t);
            subpd(nf, f64x2(6755399441055744.0));
            mulpd(nf, f64x2(0.6931471805599453));
            subpd(h, nf);
            movaps(p, f64x2(2.48015873015873e-05));
            for c in [
                f64x2(0.0001984126984126984), f64x2(0.001388888888888889),
                f64x2(0.008333333333333333), f64x2(0.041666666666666664),
                f64x2(0.16666666666666666), f64x2(0.5), f64x2(1.0), f64x2(1.0),
            ] {
                mulpd(p, h);
                addpd(p, c);
            }
            psllq(t, 52); // n << 52
            paddq(p, t);
            movaps(h, p);
        }
        cvtpd2ps(lo, lo);
        cvtpd2ps(hi, hi);
        movlhps(lo, hi);
        movups([out + i * 4], lo);
    }
    let (t, nf, a, r2, th, tl) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
    if has!(avx512f) {
        // |x| <= 104 (the bits shifted left once, unsigned: the sign dropped): vscalefps
        // rounds the result once, so overflow gives inf and underflow a correctly rounded
        // subnormal or +0; larger |x|, infinities and NaN go to the scalar code.
        let k = kreg();
        vpslld(a, v, 1);
        vpcmpud(k, a, LIMIT2, 6); // 2|x| >u 2·104, in the bits
        kortestw(k, k);
        jnz(done);
    } else {
        vpand(a, v, ABS);
        vpcmpgtd(a, a, MAXBITS); // |x| > 87 or NaN
        vptest(a, a);
        jnz(done);
    }
    // x = (m + j/K) ln 2 + r: t = shift + rint(x log2 e K)/K, whose low mantissa bits are j
    vmovaps(t, shift);
    vfmadd231ps(t, v, LOG2E);
    vsubps(nf, t, shift); // m + j/K, at most 12 bits
    vfnmadd231ps(v, nf, C1); // exact: C1 has 12 bits, the difference is below 2^-5
    vfnmadd231ps(v, nf, C2); // r
    vmulps(r2, v, v);
    if has!(avx512f) {
        vmovaps(a, q1);
    } else {
        vmovaps(a, q0);
        vfmadd213ps(a, v, q1);
    }
    vfmadd213ps(a, v, q2);
    vfmadd213ps(a, r2, v); // e^r - 1
    vpermps(th, t, thi);
    vpermps(tl, t, tlo);
    // e^r 2^(j/K) = thi + (thi (e^r - 1) + tlo): one rounding of a sum whose big part is exact
    vfmadd213ps(a, th, tl);
    vaddps(a, a, th);
    if has!(avx512f) {
        vscalefps(a, a, nf); // 2^floor(nf) = 2^m
    } else {
        vpslld(t, t, 20); // m << 23, and j in bits 20..22
        vpand(t, t, EXPBITS);
        vpaddd(a, a, t);
    }
    vmovups([out + i * 4], a);
}

f32_kernel! {
    /// 2^x on whole vectors while |x| <= 126 (AVX-512: 151; see the module table).
    exp2f_k, fallback = crate::vmath::exp2f_rest, params(UNUSED = 0),
    regf {
        SHIFT = (12582912.0), ONE = (1.0),
        P1 = (0.0013390863364671234381), P2 = (0.0096180825572778514913),
        P3 = (0.055503571142190778186), P4 = (0.24022650760568126945),
        P5 = (0.69314718802622878106),
    }
    memf {
        MAXARG = (126.0), P0 = (0.00015453162945120690177),
    }
    memi { ABS = (0x7fff_ffff), LIMIT2 = (-0x79d2_0000) }
    pre {}
    sse2 {
        let a = vreg();
        movaps(a, v);
        andps(a, i32x4(0x7fff_ffff));
        cmpps(a, f32x4(126.0), 6);
        jnz_any_ps(a, done);
        let (lo, hi) = (vreg(), vreg());
        widen_ps(lo, hi, v);
        for h in [lo, hi] {
            // n = rint(x), r = x - n exact, 2^r = e^(r ln 2) to degree 8
            let (t, nf, p) = (vreg(), vreg(), vreg());
            movaps(t, h);
            addpd(t, f64x2(6755399441055744.0));
            movaps(nf, t);
            subpd(nf, f64x2(6755399441055744.0));
            subpd(h, nf);
            movaps(p, f64x2(1.321548679014431e-06));
            for c in [
                f64x2(1.5252733804059841e-05), f64x2(0.0001540353039338161),
                f64x2(0.0013333558146428443), f64x2(0.009618129107628477),
                f64x2(0.05550410866482158), f64x2(0.24022650695910072),
                f64x2(0.6931471805599453), f64x2(1.0),
            ] {
                mulpd(p, h);
                addpd(p, c);
            }
            psllq(t, 52);
            paddq(p, t);
            movaps(h, p);
        }
        cvtpd2ps(lo, lo);
        cvtpd2ps(hi, hi);
        movlhps(lo, hi);
        movups([out + i * 4], lo);
    }
    let (a, t, nf, p) = (vreg(), vreg(), vreg(), vreg());
    if has!(avx512f) {
        // |x| <= 151 (as `expf`): vscalefps rounds overflow and subnormal results once;
        // larger |x|, infinities and NaN go to the scalar code.
        let k = kreg();
        vpslld(a, v, 1);
        vpcmpud(k, a, LIMIT2, 6); // 2|x| >u 2·151, in the bits
        kortestw(k, k);
        jnz(done);
    } else {
        vandps(a, v, ABS);
        vcmpps(a, a, MAXARG, 0x16);
        vtestps(a, a);
        jnz(done);
    }
    vaddps(t, v, SHIFT); // 1.5·2^23 + rint(x)
    vsubps(nf, t, SHIFT);
    vsubps(v, v, nf); // r = x - n, exact
    vmovaps(p, P0);
    for c in [P1, P2, P3, P4, P5] {
        vfmadd213ps(p, v, c);
    }
    vfmadd213ps(p, v, ONE);
    if has!(avx512f) {
        vscalefps(p, p, nf);
    } else {
        vpslld(t, t, 23);
        vpaddd(p, p, t);
    }
    vmovups([out + i * 4], p);
}

/// log and log2 share the reduction and log1p's polynomial; `LOG2` picks the ending.
macro_rules! log_kernel {
    (
        $(#[$meta:meta])* $name:ident, $fallback:path, $log2:literal,
        regf { $($rf:tt)* } memf { $($mf:tt)* }
    ) => {
        f32_kernel! {
            $(#[$meta])*
            $name, fallback = $fallback, params(LOG2 = $log2),
            regf { $($rf)* }
            memf { P0 = (0.069716114714511778317), $($mf)* }
            memi {
                SQRTHALF = (0x3f35_04f3), EXPMASK = (-0x0080_0000), MINNORM = (0x0080_0000),
                NORMSPAN = (0x7eff_ffff), BIAS = (0x7f80_0000), BOUND = (-0x0100_0001),
            }
            pre {
                let (INVC, LCHI, LCLO, C2, C3, C4, C5, C6, FIXUP) = (
                    vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(),
                );
                if has!(avx512f) {
                    vmovaps(INVC, f32x16(
                        1.0, 0.90625, 0.875, 0.8125, 0.78125, 0.75, 0.71875, 0.6875, 0.65625,
                        0.625, 0.609375, 0.578125, 0.5625, 0.546875, 0.53125, 0.5,
                    ));
                }
                if has!(avx512f) && LOG2 {
                    // log2 c_j = LCHI + LCLO, LCHI a multiple of 2^-16
                    vmovaps(LCHI, f32x16(
                        0.0, 0.1420135498046875, 0.1926422119140625, 0.299560546875,
                        0.35614013671875, 0.4150390625, 0.4764404296875, 0.5405731201171875,
                        0.6076812744140625, 0.678070068359375, 0.714599609375,
                        0.7905426025390625, 0.830078125, 0.8707122802734375, 0.91253662109375,
                        1.0,
                    ));
                    vmovaps(LCLO, f32x16(
                        0.0, 5.455067821458215e-06, 2.8660283533099573e-06,
                        -2.650160979555949e-07, 3.6735066260007443e-06, -1.5632211898264359e-06,
                        -2.3857444375607884e-06, -4.7387543418153655e-06, 1.3028071634835214e-06,
                        1.8367533130003721e-06, -1.8282372593603213e-06, 4.0318318497156724e-06,
                        -3.1264423796528718e-06, 4.702781552623492e-06, 5.376559215619636e-07,
                        0.0,
                    ));
                    vmovaps(C2, f32x16(-0.7213475108146667));
                    vmovaps(C3, f32x16(0.48089736700057983));
                    vmovaps(C4, f32x16(-0.36067289113998413));
                    vmovaps(C5, f32x16(0.28955045342445374));
                    vmovaps(C6, f32x16(-0.24133425951004028));
                    vmovaps(FIXUP, i32x16(0x0353_0422));
                }
                if has!(avx512f) && !LOG2 {
                    // log c_j = -log(1/c_j) = LCHI + LCLO, LCHI a multiple of 2^-17
                    vmovaps(LCHI, f32x16(
                        0.0, 0.09844207763671875, 0.1335296630859375, 0.2076416015625,
                        0.246856689453125, 0.28768157958984375, 0.33023834228515625,
                        0.37469482421875, 0.42121124267578125, 0.470001220703125,
                        0.49532318115234375, 0.5479660034179688, 0.5753631591796875,
                        0.6035385131835938, 0.6325225830078125, 0.693359375,
                    ));
                    vmovaps(LCLO, f32x16(
                        0.0, -2.004823500101338e-06, 1.72953855326341e-06,
                        -2.236784212072962e-06, 3.388478489796398e-06, 4.928619432575942e-07,
                        3.344585365994135e-06, -1.3747772982242168e-06, 2.222400553364423e-06,
                        2.408542513876455e-06, -1.7439223256587866e-06, -8.327025398102705e-07,
                        9.857238865151885e-07, -3.4913132367364597e-06, -2.426430256718959e-08,
                        -0.00021219444170128554,
                    ));
                    vmovaps(C2, f32x16(-0.5));
                    vmovaps(C3, f32x16(0.3333326578140259));
                    vmovaps(C4, f32x16(-0.24999940395355225));
                    vmovaps(C5, f32x16(0.20070107281208038));
                    vmovaps(C6, f32x16(-0.1672801524400711));
                    vmovaps(FIXUP, i32x16(0x0353_0422));
                }
            }
            sse2 {
                let (a, t, e) = (vreg(), vreg(), vreg());
                movdqa(a, v);
                paddd(a, i32x4(0x7f80_0000));
                pcmpgtd(a, i32x4(-0x0100_0001)); // not a normal x > 0
                jnz_any_ps(a, done);
                // x = 2^e m, m in [sqrt(1/2), sqrt 2), in the f32 bits
                movdqa(t, v);
                psubd(t, i32x4(0x3f35_04f3));
                movdqa(e, t);
                psrad(e, 23);
                pand(t, i32x4(-0x0080_0000));
                psubd(v, t);
                cvtdq2ps(e, e);
                let (lo, hi) = (vreg(), vreg());
                widen_ps(lo, hi, v);
                let (elo, ehi) = (vreg(), vreg());
                widen_ps(elo, ehi, e);
                for (h, eh) in [(lo, elo), (hi, ehi)] {
                    // log1p(f) = 2 atanh(s), s = f/(2 + f), |s| <= 0.172: 2 s (1 + s²/3 + ...
                    // + s^12/13), truncated below 2^-39 relative
                    let (d, q, z, p) = (vreg(), vreg(), vreg(), vreg());
                    subpd(h, f64x2(1.0)); // f, exact
                    movaps(d, h);
                    addpd(d, f64x2(2.0));
                    movaps(q, h);
                    divpd(q, d);
                    movaps(z, q);
                    mulpd(z, q);
                    movaps(p, f64x2(0.15384615384615385));
                    for c in [
                        f64x2(0.18181818181818182), f64x2(0.2222222222222222),
                        f64x2(0.2857142857142857), f64x2(0.4), f64x2(0.6666666666666666),
                        f64x2(2.0),
                    ] {
                        mulpd(p, z);
                        addpd(p, c);
                    }
                    mulpd(p, q);
                    if LOG2 {
                        mulpd(p, f64x2(1.4426950408889634));
                    } else {
                        mulpd(eh, f64x2(0.6931471805599453));
                    }
                    addpd(p, eh);
                    movaps(h, p);
                }
                cvtpd2ps(lo, lo);
                cvtpd2ps(hi, hi);
                movlhps(lo, hi);
                movups([out + i * 4], lo);
            }
            if has!(avx512f) {
                // x = 2^k z, z in [1, 2) by vgetexpps / vgetmantps (subnormals too), j = the
                // top 4 bits of z's mantissa, log x = k ln 2 + log c_j + log1p(r) with
                // r = z/c_j - 1 exact (1/c_j has few bits) and |r| < 1/16; 1/c_0 = 1 and
                // 1/c_15 = 1/2 (log c_15 = ln 2 in the same two parts as k ln 2), so x near 1
                // from either side cancels exactly. Special inputs by vfixupimmps, no branch.
                let (z, k, j, ic, hi, lo, s, w) =
                    (vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
                vgetmantps(z, v, 0);
                vgetexpps(k, v);
                vpsrld(j, z, 19);
                vpermps(ic, j, INVC);
                vpermps(hi, j, LCHI);
                vpermps(lo, j, LCLO);
                vfmsub213ps(z, ic, ONE); // r, exact
                if LOG2 {
                    vaddps(hi, hi, k); // exact: multiples of 2^-16 below 2^8
                } else {
                    vfmadd231ps(hi, k, LN2HI); // exact: multiples of 2^-17 below 2^7
                    vfmadd231ps(lo, k, LN2LO);
                }
                vmulps(w, z, z);
                // log1p(r) = r + r² P(r) (log2: log1p(r)/ln 2 = r/ln 2 + r² P(r)), P of degree
                // 4 by Estrin
                let (b0, b1) = (vreg(), vreg());
                vmovaps(b0, C3);
                vfmadd213ps(b0, z, C2);
                vmovaps(b1, C5);
                vfmadd213ps(b1, z, C4);
                vfmadd231ps(b1, w, C6);
                vfmadd213ps(b1, w, b0); // P
                vfmadd213ps(b1, w, lo); // t = r² P + lo
                if LOG2 {
                    // r/ln 2 = p + pl exactly enough (FMA split, and r's product with the
                    // low part of 1/ln 2), so that p's rounding is not added to the result's
                    let (p, pl) = (vreg(), vreg());
                    vmulps(p, z, L);
                    vmovaps(pl, p);
                    vfmsub231ps(pl, z, L); // r L - p, exact
                    vfmadd231ps(pl, z, LLO);
                    vaddps(b1, b1, pl);
                    vaddps(b1, b1, p);
                } else {
                    vaddps(b1, b1, z);
                }
                // hi + (r + t): hi is exact and, where it is not 0, |r + t| <= |hi|/2, so
                // r + t rounds at most in the result's binade (logf 0.75 ulp in all, log2f
                // 0.XX, measured over all 2^32 inputs; a Fast2Sum of hi + r would give 0.54
                // for three more operations)
                vaddps(s, hi, b1);
                // +-0: -inf, +inf: +inf, x < 0 and -inf: NaN, NaN: NaN; otherwise s
                vfixupimmps(s, v, FIXUP, 0);
                vmovups([out + i * 4], s);
            } else {
                let (a, t, e, f, p, f2) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
                if has!(avx512f) {
                    let k = kreg();
                    vpsubd(a, v, MINNORM);
                    vpcmpud(k, a, NORMSPAN, 6); // bits - MIN_POSITIVE >u span: not a normal x > 0
                    kortestw(k, k);
                    jnz(done);
                } else {
                    // bits - MIN_POSITIVE >u span, as a signed compare: flip the sign bit of both
                    vpaddd(a, v, BIAS);
                    vpcmpgtd(a, a, BOUND);
                    vtestps(a, a);
                    jnz(done);
                }
                vpsubd(t, v, SQRTHALF);
                vpsrad(e, t, 23); // the exponent, for m in [sqrt(1/2), sqrt 2)
                if has!(avx512f) {
                    vpandd(t, t, EXPMASK);
                } else {
                    vpand(t, t, EXPMASK);
                }
                vpsubd(v, v, t); // m
                vcvtdq2ps(e, e);
                vsubps(f, v, ONE); // f = m - 1, exact
                // P(f) by Estrin's scheme: half the latency of Horner's, for one more operation.
                let (q0, q1, q2, q3, f4) = (vreg(), vreg(), vreg(), vreg(), vreg());
                vmulps(f2, f, f);
                vmulps(f4, f2, f2);
                vmovaps(q0, P7);
                vfmadd213ps(q0, f, P8);
                vmovaps(q1, P5);
                vfmadd213ps(q1, f, P6);
                vmovaps(q2, P3);
                vfmadd213ps(q2, f, P4);
                vmovaps(q3, P1);
                vfmadd213ps(q3, f, P2);
                vfmadd231ps(q0, q1, f2); // P8 + P7 f + f² (P6 + P5 f)
                vfmadd231ps(q2, q3, f2); // P4 + P3 f + f² (P2 + P1 f)
                vmovaps(p, P0);
                vfmadd213ps(p, f4, q2);
                vfmadd213ps(p, f4, q0);
                vfmadd213ps(p, f, MHALF); // -1/2 + f P(f)
                if LOG2 {
                    // log1p(f) = f + c with c = f² t; c's rounding errors (f², the product) would
                    // cost 0.3 ulp here, so they are kept (FMA splits) and scaled by 1/ln 2 too.
                    let (ph, pl, w, f2l, c, cl) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
                    vmovaps(f2l, f2);
                    vfmsub231ps(f2l, f, f); // f f - f2, exact
                    vmulps(c, f2, p);
                    vmovaps(cl, c);
                    vfmsub231ps(cl, f2, p); // f2 t - c, exact
                    vfmadd231ps(cl, f2l, p);
                    vmulps(ph, f, L);
                    vmovaps(pl, ph);
                    vfmsub231ps(pl, f, L); // f L - ph, exact
                    vfmadd231ps(pl, f, LLO);
                    vfmadd231ps(pl, cl, L);
                    vfmadd231ps(pl, c, L); // pl: everything small
                    vaddps(p, e, ph); // s = e + ph
                    vsubps(w, e, p);
                    vaddps(w, w, ph); // (e - s) + ph, exact (|e| >= |ph| or e = 0)
                    vaddps(pl, pl, w);
                    vaddps(p, p, pl);
                } else {
                    vfmadd213ps(p, f2, f); // log1p(f)
                    vfmadd231ps(p, e, LN2LO);
                    vfmadd231ps(p, e, LN2HI);
                }
    vmovups([out + i * 4], p);
            }
        }
    };
}

log_kernel! {
    /// log x on whole vectors of normal x > 0 (see the module table).
    logf_k, crate::vmath::logf_rest, false,
    regf {
        ONE = (1.0), MHALF = (-0.5), LN2LO = (-0.00021219444170128554), LN2HI = (0.693359375),
        P5 = (-0.16667802319501254074), P6 = (0.20000715748892101743),
        P7 = (-0.24999996957950882045), P8 = (0.33333331180030048052),
    }
    memf {
        P1 = (-0.11479733846637635556), P2 = (0.11685419923486739308),
        P3 = (-0.12425687331451106113), P4 = (0.14249057645697480404),
        L = (1.4426950216293335), LLO = (1.9259629911266175e-08),
    }
}
log_kernel! {
    /// log2 x on whole vectors of normal x > 0 (see the module table).
    log2f_k, crate::vmath::log2f_rest, true,
    regf {
        ONE = (1.0), MHALF = (-0.5),
        P5 = (-0.16667802319501254074), P6 = (0.20000715748892101743),
        P7 = (-0.24999996957950882045), P8 = (0.33333331180030048052),
    }
    memf {
        P1 = (-0.11479733846637635556), P2 = (0.11685419923486739308),
        P3 = (-0.12425687331451106113), P4 = (0.14249057645697480404),
        LN2HI = (0.693359375), LN2LO = (-0.00021219444170128554),
        L = (1.4426950216293335), LLO = (1.9259629911266175e-08),
    }
}

/// sin and cos share everything but the quadrant offset `COS`.
macro_rules! sincos_kernel {
    ($(#[$meta:meta])* $name:ident, $fallback:path, $cos:literal) => {
        f32_kernel! {
            $(#[$meta])*
            $name, fallback = $fallback, params(COS = $cos),
            regf {
                SHIFT = (12582912.0), TWO_OVER_PI = (0.6366197466850281),
                A = (1.5707963705062866), B = (-4.371138828673793e-08), ONE = (1.0),
            }
            memf {
                MAXARG = (131072.0), C = (-1.7151245100058819e-15), HALF = (0.5),
                S0 = (0.0000027246868722877944541), S1 = (-0.00019840063040804116852),
                S2 = (0.0083333318306294283635), S3 = (-0.1666666666374136766),
                C0 = (-0.00000027298407652795174718), C1 = (0.000024800580601354642352),
                C2 = (-0.0013888887635227974877), C3 = (0.041666666664226133516),
            }
            memi { ABS = (0x7fff_ffff), SIGN = (-0x8000_0000), IONE = (1) }
            pre {}
            sse2 {
                let (a, m) = (vreg(), vreg());
                movaps(a, v);
                andps(a, i32x4(0x7fff_ffff));
                movaps(m, a);
                cmpps(m, f32x4(131072.0), 6);
                jnz_any_ps(m, done);
                let (lo, hi) = (vreg(), vreg());
                widen_ps(lo, hi, a);
                let (ps, pc, q) = (vregs(2), vregs(2), vregs(2));
                for (k, h) in [(0, lo), (1, hi)] {
                    // n = rint(|x| 2/pi); r = |x| - n p1 - n p2, p1 = pi/2 to 33 bits (n p1
                    // exact, the difference exact by Sterbenz), error < 2^-69
                    let (nf, w, z) = (vreg(), vreg(), vreg());
                    movaps(q[k], h);
                    mulpd(q[k], f64x2(0.6366197723675814));
                    addpd(q[k], f64x2(6755399441055744.0));
                    movaps(nf, q[k]);
                    subpd(nf, f64x2(6755399441055744.0));
                    movaps(w, nf);
                    mulpd(w, f64x2(1.5707963267341256));
                    subpd(h, w);
                    mulpd(nf, f64x2(6.077100506506192e-11));
                    subpd(h, nf);
                    movaps(z, h);
                    mulpd(z, h);
                    // sin r = r + r z S(z), S to z^4; cos r = 1 + z C(z), C to z^5 (Taylor)
                    movaps(ps[k], f64x2(-2.505210838544172e-08));
                    for c in [
                        f64x2(2.7557319223985893e-06), f64x2(-0.0001984126984126984),
                        f64x2(0.008333333333333333), f64x2(-0.16666666666666666),
                    ] {
                        mulpd(ps[k], z);
                        addpd(ps[k], c);
                    }
                    mulpd(ps[k], z);
                    mulpd(ps[k], h);
                    addpd(ps[k], h);
                    movaps(pc[k], f64x2(2.08767569878681e-09));
                    for c in [
                        f64x2(-2.755731922398589e-07), f64x2(2.48015873015873e-05),
                        f64x2(-0.001388888888888889), f64x2(0.041666666666666664), f64x2(-0.5),
                    ] {
                        mulpd(pc[k], z);
                        addpd(pc[k], c);
                    }
                    mulpd(pc[k], z);
                    addpd(pc[k], f64x2(1.0));
                    cvtpd2ps(ps[k], ps[k]);
                    cvtpd2ps(pc[k], pc[k]);
                    pshufd(q[k], q[k], 0x08); // n: the low dwords of the shifted sums
                }
                movlhps(ps[0], ps[1]);
                movlhps(pc[0], pc[1]);
                punpcklqdq(q[0], q[1]);
                let (s4, c4, n4) = (ps[0], pc[0], q[0]);
                if COS {
                    paddd(n4, i32x4(1)); // cos x = sin(x + pi/2)
                }
                movdqa(m, n4);
                pslld(m, 31);
                psrad(m, 31); // odd quadrant: the cosine polynomial
                andps(c4, m);
                andnps(m, s4);
                orps(m, c4);
                pslld(n4, 30);
                pand(n4, i32x4(-0x8000_0000));
                xorps(m, n4); // quadrants 2 and 3: negate
                if !COS {
                    andps(v, i32x4(-0x8000_0000));
                    xorps(m, v); // sin(-x) = -sin x
                }
                movups([out + i * 4], m);
            }
            let (a, t, nf, rh, rl, z) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
            let (ps, pc, u, w) = (vreg(), vreg(), vreg(), vreg());
            if has!(avx512f) {
                let k = kreg();
                vpandd(a, v, ABS);
                vcmpps(k, a, MAXARG, 0x16);
                kortestw(k, k);
                jnz(done);
            } else {
                vandps(a, v, ABS);
                vcmpps(t, a, MAXARG, 0x16);
                vtestps(t, t);
                jnz(done);
            }
            // Reduce |x|: sin is odd (its sign goes back at the end), cos even.
            vmovaps(t, SHIFT);
            vfmadd231ps(t, a, TWO_OVER_PI); // 1.5·2^23 + n
            vsubps(nf, t, SHIFT);
            vfnmadd231ps(a, nf, A); // r1 = |x| - n A, exact
            // r1 - n B as rh + rl: n B = nb + nbl exactly (FMA), then TwoSum(r1, -nb), which
            // stays exact when r1 and n B cancel (near multiples of pi/2).
            vmulps(w, nf, B);
            vmovaps(u, w);
            vfmsub231ps(u, nf, B); // nbl = n B - nb
            vsubps(rh, a, w);
            vsubps(z, rh, a); // bb
            vsubps(pc, rh, z);
            vsubps(pc, a, pc); // r1 - (s - bb)
            vaddps(z, z, w); // nb + bb
            vsubps(rl, pc, z);
            vsubps(rl, rl, u);
            vfnmadd231ps(rl, nf, C); // r = rh + rl
            vmulps(z, rh, rh);
            // sin r = rh + (rl + rh z S(z))
            vmovaps(ps, S0);
            for c in [S1, S2, S3] {
                vfmadd213ps(ps, z, c);
            }
            vmulps(u, z, rh);
            vfmadd213ps(ps, u, rl);
            vaddps(ps, ps, rh);
            // cos r = w + (((1 - w) - z/2) + (z² C(z) - rh rl)), w = 1 - z/2 (fdlibm's split)
            vmovaps(pc, C0);
            for c in [C1, C2, C3] {
                vfmadd213ps(pc, z, c);
            }
            vmulps(u, rh, rl);
            vmulps(rh, z, z);
            vfmsub213ps(pc, rh, u); // z² C - rh rl
            vmulps(z, z, HALF);
            vmovaps(w, ONE);
            vsubps(w, w, z);
            vmovaps(u, ONE);
            vsubps(u, u, w);
            vsubps(u, u, z);
            vaddps(u, u, pc);
            vaddps(pc, w, u);
            if COS {
                vpaddd(t, t, IONE); // cos x = sin(x + pi/2)
            }
            if has!(avx512f) {
                let k = kreg();
                vptestmd(k, t, IONE);
                vblendmps(ps.k(k), ps, pc); // odd quadrant: the cosine polynomial
                vpslld(t, t, 30);
                vpandd(t, t, SIGN);
                vpxord(ps, ps, t); // quadrants 2 and 3: negate
                if !COS {
                    vpandd(v, v, SIGN);
                    vpxord(ps, ps, v); // sin(-x) = -sin x
                }
            } else {
                vpslld(u, t, 31);
                vblendvps(ps, ps, pc, u);
                vpslld(t, t, 30);
                vpand(t, t, SIGN);
                vxorps(ps, ps, t);
                if !COS {
                    vpand(v, v, SIGN);
                    vxorps(ps, ps, v);
                }
            }
            vmovups([out + i * 4], ps);
        }
    };
}

sincos_kernel! {
    /// sin x on whole vectors while |x| <= 2^17 (see the module table).
    sinf_k, crate::vmath::sinf_rest, false
}
sincos_kernel! {
    /// cos x on whole vectors while |x| <= 2^17 (see the module table).
    cosf_k, crate::vmath::cosf_rest, true
}
