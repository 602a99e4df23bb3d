//! The f64 vector kernels, AVX2+FMA (4 lanes) and AVX-512F (8 lanes): `exp`, `exp2`, `log`,
//! `log2`, `sin`, `cos`; `exp`, `log` and `log2` also SSE2 (2 lanes: the scalar code's FMA-free
//! arithmetic — fdlibm's `exp` split and `s = f/(2+f)` log — lane for lane, so exactly as
//! accurate; `exp2` and `sin`/`cos` rest on FMA's exact products and have no SSE2 body). Same
//! contract as `f32k`: whole vectors from the start while every lane is in the fast domain,
//! returning how many elements were written. The fast domains and methods of the AVX bodies:
//!
//! | kernel | lanes it runs | method |
//! |---|---|---|
//! | `exp` | \|x\| <= 708 | n = rint(x log2 e) by the 1.5·2^52 shifter; hi = x - n ln2_hi (exact: ln2_hi has 32 bits), lo = n ln2_lo; e^r = 1 + hi + (r² q(r) - lo), q of degree 10 (Estrin's scheme on AVX, Horner on SSE2); 2^n added to the exponent bits |
//! | `exp2` | \|x\| <= 1022 | n = rint(x), r = x - n exact, 2^r = 1 + r p(r) (degree 12) in one FMA |
//! | `sin`, `cos` | \|x\| <= 2^20 | n = rint(\|x\| 2/pi); r = \|x\| - n pi/2 as hi + lo with pi/2 in three parts (the first product exact by FMA, the second by an FMA split and TwoSum); fdlibm's kernels on (hi, lo), both, selected and signed by n mod 4 |
//! | `log`, `log2` | normal x > 0 | x = 2^k m, m in [sqrt(1/2), sqrt 2) by integer ops (k through the 2^52 magic number: AVX2 has no `vcvtqq2pd`); fdlibm's `s = f/(2+f)` form with R of degree 6 in s²; log2 splits `f - hfsq` as fdlibm's e_log2.c does |

use asmforge::kernel;

/// One f64 kernel around `$body`; see `f32k`'s `f32_kernel!` for the conventions. `keepf`
/// constants stay memory operands on every variant (for kernels with more constants than
/// even AVX-512's 32 registers hold next to the working set).
macro_rules! f64_kernel {
    (
        $(#[$meta:meta])*
        $name:ident, fallback = $fallback:path, params($($params:tt)*),
        targets($($tg:tt)*),
        regf { $($rf:ident = ($($rv:tt)*)),* $(,)? }
        memf { $($mf:ident = ($($mv:tt)*)),* $(,)? }
        memi { $($mi:ident = ($($iv:tt)*)),* $(,)? }
        keepf { $($kf:ident = ($($kv:tt)*)),* $(,)? }
        sse2 { $($sse:tt)* }
        $($body:tt)*
    ) => {
        $(#[$meta])*
        #[kernel(targets($($tg)*), fallback = $fallback, params($($params)*))]
        pub fn $name(x: &[f64], out: &mut [f64]) -> usize {
            let n = gp64();
            let i = gp64();
            let v = vreg();
            mov(n, x.len());
            cmp(n, out.len());
            cmova(n, out.len());
            and(n, -lanes(8));
            xor(i.r32(), i.r32());
            test(n, n);
            jz(done);
            if has!(avx2) {
            $(
                let $rf = vreg();
                vmovapd($rf, match vector_bytes() { 32 => f64x4($($rv)*), _ => f64x8($($rv)*) });
            )*
            $(
                let __mem = match vector_bytes() { 32 => f64x4($($mv)*), _ => f64x8($($mv)*) };
                let __reg = vreg();
                if has!(avx512f) {
                    vmovapd(__reg, __mem);
                }
                let $mf = match vector_bytes() { 32 => __mem, _ => __reg };
            )*
            $(
                let __mem = match vector_bytes() { 32 => i64x4($($iv)*), _ => i64x8($($iv)*) };
                let __reg = vreg();
                if has!(avx512f) {
                    vmovapd(__reg, __mem);
                }
                let $mi = match vector_bytes() { 32 => __mem, _ => __reg };
            )*
            $(
                let $kf = match vector_bytes() { 32 => f64x4($($kv)*), _ => f64x8($($kv)*) };
            )*
            align!(16);
            label!(top);
            vmovupd(v, [x + i * 8]);
            $($body)*
            add(i, lanes(8));
            cmp(i, n);
            jb(top);
            } else {
            align!(16);
            label!(top);
            movupd(v, [x + i * 8]);
            $($sse)*
            add(i, lanes(8));
            cmp(i, n);
            jb(top);
            }
            label!(done);
            return i;
        }
    };
}

f64_kernel! {
    /// e^x on whole vectors while |x| <= 708 (see the module table).
    exp_k, fallback = crate::vmath::exp_rest, params(UNUSED = 0),
    targets(sse2, avx2 + fma, avx512f),
    regf {
        SHIFT = (6755399441055744.0), LOG2E = (1.4426950408889634),
        LN2HI = (6.93147180369123816490e-01), Q10 = (0.5),
    }
    memf {
        MAXARG = (708.0), LN2LO = (1.90821492927058770002e-10), ONE = (1.0),
        Q0 = (0.0000000020915433598076004511), Q1 = (0.000000025106262550879078665),
        Q2 = (0.00000027557271831536129671), Q3 = (0.000002755725286336732037),
        Q4 = (0.000024801587326990048826), Q5 = (0.00019841269876840355864),
        Q6 = (0.0013888888888883331673), Q7 = (0.0083333333333255516999),
        Q8 = (0.041666666666666670071), Q9 = (0.16666666666666671433),
    }
    memi { ABS = (0x7fff_ffff_ffff_ffff) }
    keepf {}
    sse2 {
        // scalar::exp's arithmetic (no FMA anywhere), two lanes
        let (a, t, nf, lo, q, r) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
        let g = gp64();
        movapd(a, v);
        andpd(a, i64x2(0x7fff_ffff_ffff_ffff));
        cmppd(a, f64x2(708.0), 6); // NLE: |x| > 708 or NaN
        movmskpd(g.r32(), a);
        test(g.r32(), g.r32());
        jnz(done);
        movapd(t, v);
        mulpd(t, f64x2(1.4426950408889634));
        addpd(t, f64x2(6755399441055744.0));
        movapd(nf, t);
        subpd(nf, f64x2(6755399441055744.0));
        movapd(a, nf);
        mulpd(a, f64x2(6.93147180369123816490e-01));
        subpd(v, a); // hi, exact
        movapd(lo, nf);
        mulpd(lo, f64x2(1.90821492927058770002e-10));
        movapd(r, v);
        subpd(r, lo);
        movapd(q, f64x2(0.0000000020915433598076004511));
        for c in [
            f64x2(0.000000025106262550879078665), f64x2(0.00000027557271831536129671),
            f64x2(0.000002755725286336732037), f64x2(0.000024801587326990048826),
            f64x2(0.00019841269876840355864), f64x2(0.0013888888888883331673),
            f64x2(0.0083333333333255516999), f64x2(0.041666666666666670071),
            f64x2(0.16666666666666671433), f64x2(0.5),
        ] {
            mulpd(q, r);
            addpd(q, c);
        }
        mulpd(r, r);
        mulpd(r, q); // r² q
        subpd(lo, r);
        subpd(v, lo); // hi - (lo - r² q)
        addpd(v, f64x2(1.0));
        psllq(t, 52);
        paddq(v, t);
        movupd([out + i * 8], v);
    }
    let (a, t, nf, lo, q, r2) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
    if has!(avx512f) {
        let k = kreg();
        vpandq(a, v, ABS);
        vcmppd(k, a, MAXARG, 0x16); // NLE_UQ: |x| > 708 or NaN
        kortestw(k, k);
        jnz(done);
    } else {
        vandpd(a, v, ABS);
        vcmppd(a, a, MAXARG, 0x16);
        vtestpd(a, a);
        jnz(done);
    }
    vmovapd(t, SHIFT);
    vfmadd231pd(t, v, LOG2E); // 1.5·2^52 + n
    vsubpd(nf, t, SHIFT);
    vfnmadd231pd(v, nf, LN2HI); // hi, exact
    vmulpd(lo, nf, LN2LO);
    let r = vreg();
    vsubpd(r, v, lo); // r
    // q(r) = Q10 + Q9 r + ... + Q0 r^10 by Estrin's scheme: pairs, then r², r⁴, r⁸ (a chain
    // of 5 dependent operations instead of Horner's 10).
    let (p0, p1, p2, r4) = (vreg(), vreg(), vreg(), vreg());
    vmulpd(r2, r, r);
    vmovapd(q, Q9);
    vfmadd213pd(q, r, Q10); // Q10 + Q9 r
    vmovapd(p0, Q7);
    vfmadd213pd(p0, r, Q8); // Q8 + Q7 r
    vmovapd(p1, Q5);
    vfmadd213pd(p1, r, Q6); // Q6 + Q5 r
    vmovapd(p2, Q3);
    vfmadd213pd(p2, r, Q4); // Q4 + Q3 r
    vmulpd(r4, r2, r2);
    vfmadd231pd(q, p0, r2); // c0..c3
    vfmadd231pd(p1, p2, r2); // c4..c7
    vmovapd(p0, Q1);
    vfmadd213pd(p0, r, Q2); // Q2 + Q1 r
    vfmadd231pd(p0, r2, Q0); // c8..c10
    vfmadd231pd(q, p1, r4); // c0..c7
    vmulpd(r4, r4, r4); // r⁸
    vfmadd231pd(q, p0, r4);
    vfmsub213pd(q, r2, lo); // r² q - lo
    vaddpd(q, q, v); // hi + (r² q - lo) = r + r² q
    vaddpd(q, q, ONE);
    vpsllq(t, t, 52);
    vpaddq(q, q, t);
    vmovupd([out + i * 8], q);
}

/// log and log2 share the reduction and fdlibm's `R`; `LOG2` picks fdlibm's ending.
macro_rules! log_kernel {
    ($(#[$meta:meta])* $name:ident, $fallback:path, $log2:literal) => {
f64_kernel! {
    $(#[$meta])*
    $name, fallback = $fallback, params(LOG2 = $log2),
    targets(sse2, avx2 + fma, avx512f),
    regf {
        ONE = (1.0), TWO = (2.0), HALF = (0.5), MAGIC = (4503599627372544.0),
        R3 = (0.22222210674238515246), R4 = (0.28571428628810995598),
        R5 = (0.39999999999893221763), R6 = (0.6666666666666669907),
    }
    memf {
        R0 = (0.1463003136412286048), R1 = (0.15330617306743304884),
        R2 = (0.18182922513515941633),
        LN2HI = (6.93147180369123816490e-01), LN2LO = (1.90821492927058770002e-10),
        IVLN2HI = (1.44269504072144627571e+00), IVLN2LO = (1.67517131648865118353e-10),
    }
    memi {
        BIAS = (0x7ff0_0000_0000_0000), BOUND = (-0x0020_0000_0000_0001),
        SQRTHALF = (0x3fe6_a09e_667f_3bcd), EXPMASK = (-0x0010_0000_0000_0000),
        SIGN = (-0x8000_0000_0000_0000), EXP52 = (0x4330_0000_0000_0000),
        HIMASK = (-0x1_0000_0000),
    }
    keepf {}
    sse2 {
        // scalar::log / log2's arithmetic (fdlibm, no FMA anywhere), two lanes
        let (a, b, t, dk, f, s, z, p, h, u) =
            (vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
        let g = gp64();
        movapd(a, f64x2(2.2250738585072014e-308));
        cmppd(a, v, 6); // !(MIN_POSITIVE <= x): zero, subnormal, negative or NaN
        movapd(b, v);
        cmppd(b, f64x2(1.7976931348623157e308), 6); // !(x <= MAX): inf or NaN
        orpd(a, b);
        movmskpd(g.r32(), a);
        test(g.r32(), g.r32());
        jnz(done);
        movdqa(t, v);
        psubq(t, i64x2(0x3fe6_a09e_667f_3bcd));
        movdqa(a, t);
        pand(a, i64x2(-0x0010_0000_0000_0000));
        psubq(v, a); // m in [sqrt(1/2), sqrt 2)
        pxor(t, i64x2(-0x8000_0000_0000_0000));
        psrlq(t, 52); // k + 2048
        por(t, i64x2(0x4330_0000_0000_0000));
        movapd(dk, t);
        subpd(dk, f64x2(4503599627372544.0)); // k, exactly
        movapd(f, v);
        subpd(f, f64x2(1.0));
        movapd(a, f);
        addpd(a, f64x2(2.0));
        movapd(s, f);
        divpd(s, a); // s = f / (2 + f)
        movapd(z, s);
        mulpd(z, s);
        movapd(p, f64x2(0.1189655856841216452));
        for c in [
            f64x2(0.11686508917312045955), f64x2(0.13335711085008435313),
            f64x2(0.1538457345002896918), f64x2(0.18181818615177278632),
            f64x2(0.22222222219710296254), f64x2(0.28571428571435857662),
            f64x2(0.39999999999999991869), f64x2(0.66666666666666666668),
        ] {
            mulpd(p, z);
            addpd(p, c);
        }
        mulpd(p, z); // R
        movapd(h, f);
        mulpd(h, f64x2(0.5));
        mulpd(h, f); // hfsq
        addpd(p, h);
        mulpd(p, s); // s (hfsq + R)
        if LOG2 {
            let (hi, vh) = (vreg(), vreg());
            movapd(hi, f);
            subpd(hi, h);
            andpd(hi, i64x2(-0x1_0000_0000));
            movapd(u, f);
            subpd(u, hi);
            subpd(u, h);
            addpd(u, p); // lo = (f - hi) - hfsq + s (hfsq + R)
            movapd(vh, hi);
            mulpd(vh, f64x2(1.44269504072144627571e+00)); // val_hi
            movapd(z, u);
            addpd(z, hi);
            mulpd(z, f64x2(1.67517131648865118353e-10));
            mulpd(u, f64x2(1.44269504072144627571e+00));
            addpd(z, u); // val_lo
            movapd(hi, dk);
            addpd(hi, vh); // w = k + val_hi
            subpd(dk, hi);
            addpd(dk, vh);
            addpd(z, dk); // val_lo + ((k - w) + val_hi)
            addpd(z, hi);
            movupd([out + i * 8], z);
        } else {
            movapd(u, dk);
            mulpd(u, f64x2(1.90821492927058770002e-10));
            addpd(p, u); // s (hfsq + R) + k ln2_lo
            subpd(h, p);
            subpd(h, f); // (hfsq - (..)) - f
            mulpd(dk, f64x2(6.93147180369123816490e-01));
            subpd(dk, h);
            movupd([out + i * 8], dk);
        }
    }
    let (a, t, dk, f, s, z, p, h) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
    // bits - MIN_POSITIVE >u span, as a signed compare: flip the sign bit of both sides
    vpaddq(a, v, BIAS);
    if has!(avx512f) {
        let k = kreg();
        vpcmpgtq(k, a, BOUND);
        kortestw(k, k);
        jnz(done);
    } else {
        vpcmpgtq(a, a, BOUND);
        vtestpd(a, a);
        jnz(done);
    }
    vpsubq(t, v, SQRTHALF);
    if has!(avx512f) {
        vpandq(a, t, EXPMASK);
        vpxorq(t, t, SIGN);
    } else {
        vpand(a, t, EXPMASK);
        vpxor(t, t, SIGN);
    }
    vpsubq(v, v, a); // m in [sqrt(1/2), sqrt 2)
    vpsrlq(t, t, 52); // k + 2048
    if has!(avx512f) {
        vporq(t, t, EXP52);
    } else {
        vpor(t, t, EXP52);
    }
    vsubpd(dk, t, MAGIC); // k, exactly
    vsubpd(f, v, ONE);
    vaddpd(s, f, TWO);
    vdivpd(s, f, s); // s = f / (2 + f)
    vmulpd(z, s, s);
    vmovapd(p, R0);
    for c in [R1, R2, R3, R4, R5, R6] {
        vfmadd213pd(p, z, c);
    }
    vmulpd(p, p, z); // R
    vmulpd(h, f, f);
    vmulpd(h, h, HALF); // hfsq
    vaddpd(p, p, h); // hfsq + R
    if LOG2 {
        // fdlibm's e_log2.c: hi = f - hfsq with its low 32 bits cleared, so hi / ln 2 keeps them
        let (hi, lo, vh) = (vreg(), vreg(), vreg());
        vsubpd(hi, f, h);
        if has!(avx512f) {
            vpandq(hi, hi, HIMASK);
        } else {
            vandpd(hi, hi, HIMASK);
        }
        vsubpd(lo, f, hi);
        vsubpd(lo, lo, h);
        vfmadd231pd(lo, s, p); // lo = (f - hi) - hfsq + s (hfsq + R)
        vmulpd(vh, hi, IVLN2HI);
        vaddpd(z, lo, hi);
        vmulpd(z, z, IVLN2LO);
        vfmadd231pd(z, lo, IVLN2HI); // val_lo
        vaddpd(hi, dk, vh); // w = k + val_hi
        vsubpd(lo, dk, hi);
        vaddpd(lo, lo, vh);
        vaddpd(z, z, lo); // val_lo + (k - w) + val_hi
        vaddpd(z, z, hi);
    } else {
        vmulpd(z, dk, LN2LO);
        vfmadd231pd(z, s, p); // s (hfsq + R) + k ln2_lo
        vsubpd(z, h, z);
        vsubpd(z, z, f);
        vfmsub231pd(z, dk, LN2HI); // k ln2_hi - ((hfsq - (s (hfsq + R) + k ln2_lo)) - f)
    }
    vmovupd([out + i * 8], z);
}
    };
}

log_kernel! {
    /// log x on whole vectors of normal x > 0 (see the module table).
    log_k, crate::vmath::log_rest, false
}
log_kernel! {
    /// log2 x on whole vectors of normal x > 0 (see the module table).
    log2_k, crate::vmath::log2_rest, true
}

f64_kernel! {
    /// 2^x on whole vectors while |x| <= 1022 (see the module table).
    exp2_k, fallback = crate::vmath::exp2_rest, params(UNUSED = 0),
    targets(avx2 + fma, avx512f),
    regf {
        SHIFT = (6755399441055744.0), ONE = (1.0),
        P6 = (0.000015252733804051129178), P7 = (0.00015403530393362755291),
        P8 = (0.0013333558146428446146), P9 = (0.0096181291076284830543),
        P10 = (0.055504108664821579951), P11 = (0.24022650695910071228),
        P12 = (0.69314718055994530942),
    }
    memf {
        MAXARG = (1022.0),
        P0 = (0.0000000000013716962392737587204), P1 = (0.000000000025733568308756891235),
        P2 = (0.00000000044455303091051065886), P3 = (0.0000000070548943863483480445),
        P4 = (0.0000001017808602118547427), P5 = (0.0000013215486815999976975),
    }
    memi { ABS = (0x7fff_ffff_ffff_ffff) }
    keepf {}
    sse2 {}
    let (a, t, nf, p) = (vreg(), vreg(), vreg(), vreg());
    if has!(avx512f) {
        let k = kreg();
        vpandq(a, v, ABS);
        vcmppd(k, a, MAXARG, 0x16);
        kortestw(k, k);
        jnz(done);
    } else {
        vandpd(a, v, ABS);
        vcmppd(a, a, MAXARG, 0x16);
        vtestpd(a, a);
        jnz(done);
    }
    vaddpd(t, v, SHIFT); // 1.5·2^52 + rint(x)
    vsubpd(nf, t, SHIFT);
    vsubpd(v, v, nf); // r = x - n, exact
    vmovapd(p, P0);
    for c in [P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12] {
        vfmadd213pd(p, v, c);
    }
    vfmadd213pd(p, v, ONE); // 1 + r p(r), one rounding
    vpsllq(t, t, 52);
    vpaddq(p, p, t);
    vmovupd([out + i * 8], p);
}

/// sin and cos share everything but the quadrant offset `COS`.
macro_rules! sincos_kernel {
    ($(#[$meta:meta])* $name:ident, $fallback:path, $cos:literal) => {
f64_kernel! {
    $(#[$meta])*
    $name, fallback = $fallback, params(COS = $cos),
    targets(avx2 + fma, avx512f),
    regf {
        SHIFT = (6755399441055744.0), TWO_OVER_PI = (0.6366197723675814),
        A = (1.5707963267948966), ONE = (1.0), HALF = (0.5),
    }
    memf { MAXARG = (1048576.0), B = (6.123233995736766e-17), C = (-1.4973849048591698e-33) }
    memi { ABS = (0x7fff_ffff_ffff_ffff), SIGN = (-0x8000_0000_0000_0000), IONE = (1) }
    keepf {
        S7 = (-0.0000000000007586094789672620073), S6 = (0.00000000016058521349954986332),
        S5 = (-0.000000025052106167335706388), S4 = (0.0000027557319219150781578),
        S3 = (-0.00019841269841264821617), S2 = (0.0083333333333333313789),
        S1 = (-0.16666666666666666665),
        C7 = (0.000000000000047455370173192583658), C6 = (-0.000000000011470455178216906579),
        C5 = (0.0000000020876755754879596407), C4 = (-0.00000027557319221298086973),
        C3 = (0.000024801587301584511144), C2 = (-0.0013888888888888887802),
        C1 = (0.041666666666666666666),
    }
    sse2 {}
    let (a, t, nf, rh, rl, z) = (vreg(), vreg(), vreg(), vreg(), vreg(), vreg());
    let (ps, pc, u, w, e) = (vreg(), vreg(), vreg(), vreg(), vreg());
    if has!(avx512f) {
        let k = kreg();
        vpandq(a, v, ABS);
        vcmppd(k, a, MAXARG, 0x16);
        kortestw(k, k);
        jnz(done);
    } else {
        vandpd(a, v, ABS);
        vcmppd(t, a, MAXARG, 0x16);
        vtestpd(t, t);
        jnz(done);
    }
    // Reduce |x| (sin is odd: its sign goes back at the end).
    vmovapd(t, SHIFT);
    vfmadd231pd(t, a, TWO_OVER_PI); // 1.5·2^52 + n
    vsubpd(nf, t, SHIFT);
    vfnmadd231pd(a, nf, A); // r1 = |x| - n A, exact
    vmulpd(w, nf, B); // nb
    vmovapd(u, w);
    vfmsub231pd(u, nf, B); // nbl = n B - nb, exact
    vsubpd(rh, a, w); // TwoSum(r1, -nb)
    vsubpd(z, rh, a);
    vsubpd(pc, rh, z);
    vsubpd(pc, a, pc);
    vaddpd(z, z, w);
    vsubpd(rl, pc, z);
    vsubpd(rl, rl, u);
    vfnmadd231pd(rl, nf, C); // r = rh + rl
    // sin(rh + rl), fdlibm's __kernel_sin
    vmulpd(z, rh, rh);
    vmulpd(w, z, rh);
    vmovapd(ps, S7);
    for c in [S6, S5, S4, S3, S2] {
        vfmadd213pd(ps, z, c);
    }
    vmulpd(u, rl, HALF);
    vfnmadd231pd(u, w, ps); // y/2 - v r
    vfmsub213pd(u, z, rl); // z (y/2 - v r) - y
    vfnmadd231pd(u, w, S1);
    vsubpd(ps, rh, u);
    // cos(rh + rl), fdlibm's __kernel_cos
    vmovapd(pc, C7);
    for c in [C6, C5, C4, C3, C2, C1] {
        vfmadd213pd(pc, z, c);
    }
    vmulpd(pc, pc, z); // r = z C(z)
    vmulpd(u, rh, rl);
    vfmsub213pd(pc, z, u); // z r - x y
    vmulpd(w, z, HALF);
    vmovapd(e, ONE);
    vsubpd(e, e, w); // w = 1 - z/2
    vmovapd(u, ONE);
    vsubpd(u, u, e);
    vsubpd(u, u, w);
    vaddpd(u, u, pc);
    vaddpd(pc, e, u);
    if COS {
        vpaddq(t, t, IONE); // cos x = sin(x + pi/2)
    }
    if has!(avx512f) {
        let k = kreg();
        vptestmq(k, t, IONE);
        vblendmpd(ps.k(k), ps, pc); // odd quadrant: the cosine kernel
        vpsllq(t, t, 62);
        vpandq(t, t, SIGN);
        vpxorq(ps, ps, t); // quadrants 2 and 3: negate
        if !COS {
            vpandq(v, v, SIGN);
            vpxorq(ps, ps, v);
        }
    } else {
        vpsllq(u, t, 63);
        vblendvpd(ps, ps, pc, u);
        vpsllq(t, t, 62);
        vpand(t, t, SIGN);
        vxorpd(ps, ps, t);
        if !COS {
            vpand(v, v, SIGN);
            vxorpd(ps, ps, v);
        }
    }
    vmovupd([out + i * 8], ps);
}
    };
}

sincos_kernel! {
    /// sin x on whole vectors while |x| <= 2^20 (see the module table).
    sin_k, crate::vmath::sin_rest, false
}
sincos_kernel! {
    /// cos x on whole vectors while |x| <= 2^20 (see the module table).
    cos_k, crate::vmath::cos_rest, true
}
