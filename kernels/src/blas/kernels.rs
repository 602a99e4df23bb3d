//! The BLAS-1 kernels, each with SSE2, AVX2+FMA and AVX-512F variants and a Rust fallback.
//!
//! Each takes slices and works on the common length (`min` of the lengths); the safe API in
//! [`super`] checks lengths first. Reductions keep `ACC = 8` vector accumulators (enough
//! independent chains to cover the latency of FMA or add on two pipes), run a main loop of
//! `ACC` vectors, then single vectors, then the rest: under AVX-512 one masked vector, else
//! one element at a time after the horizontal sum. All loads are unaligned (`movups`), so
//! any alignment works; SSE2 never takes a vector memory operand (that would need alignment).

use asmforge::kernel;

/// Builds a reduction kernel from its pieces: `n` sets `n` (elements to do), `step` adds one
/// vector at `[.. + i * E + off]` into `a_` (`t`, `u` are scratch), `masked` adds the last
/// `n - i < lanes` elements under mask `km` into `acc[1]` (AVX-512), `scalar` adds element
/// `i` into the scalar sum `s` (other variants).
macro_rules! reduction {
    ($(#[$attr:meta])* $name:ident($($arg:ident: $ty:ty),*) -> $t:ty, fallback = $fb:path,
     params($($p:ident = $v:tt),*),
     n = { $($n:tt)* }, align = $align:ident, step = { $($step:tt)* },
     masked = { $($masked:tt)* }, scalar = { $($scalar:tt)* }) => {
        $(#[$attr])*
        #[kernel(
            targets(sse2, avx2 + fma, avx512f),
            params(ACC = 8, $($p = $v),*),
            fallback = $fb
        )]
        pub fn $name($($arg: $ty),*) -> $t {
            let lanes = lanes(E);
            let vb = vector_bytes();
            let block = ACC * lanes;
            let acc = vregs(ACC);
            let t = vreg();
            let u = vreg();
            let (n, i, end) = (gp64(), gp64(), gp64());
            $($n)*
            for k in 0..ACC {
                if has!(avx) {
                    vxorps(acc[k].xmm(), acc[k].xmm(), acc[k].xmm());
                } else {
                    xorps(acc[k], acc[k]);
                }
            }
            xor(i.r32(), i.r32());
            let tb = gp64();
            let km = kreg();
            if has!(avx512f) {
                // (1 << r) - 1 for r = 0..=16, as kmovw wants.
                lea(
                    tb,
                    u16x32(
                        0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383,
                        32767, 65535, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
                    )
                );
                // Head: up to lanes - 1 elements under a mask, so that `$align` is 64-byte
                // aligned in the loops (a split zmm load costs two).
                mov(i, $align);
                neg(i);
                and(i, 63);
                if E == 4 {
                    shr(i, 2);
                } else {
                    shr(i, 3);
                }
                cmp(i, n);
                cmova(i, n);
                test(i, i);
                jz(body);
                kmovw(km, word[tb + i * 2]);
                {
                    let i = gp64();
                    xor(i.r32(), i.r32());
                    $($masked)*
                }
                label!(body);
            }
            mov(end, n);
            sub(end, i);
            and(end, -block);
            jz(single);
            add(end, i);
            align!(32);
            label!(main);
            for k in 0..ACC {
                let a_ = acc[k];
                let off = k * vb;
                $($step)*
            }
            add(i, block);
            cmp(i, end);
            jb(main);

            label!(single);
            mov(end, n);
            sub(end, i);
            and(end, -lanes);
            jz(last);
            add(end, i);
            label!(one);
            {
                let a_ = acc[0];
                let off = 0;
                $($step)*
            }
            add(i, lanes);
            cmp(i, end);
            jb(one);

            label!(last);
            if has!(avx512f) {
                cmp(i, n);
                jae(reduce);
                let r = gp64();
                mov(r, n);
                sub(r, i);
                kmovw(km, word[tb + r * 2]);
                $($masked)*
                mov(i, n);
            }

            label!(reduce);
            // A tree over the accumulators, then a horizontal sum into the low lane.
            for h in [4, 2, 1] {
                for k in 0..h {
                    if has!(avx) {
                        VADD(acc[k], acc[k], acc[k + h]);
                    } else {
                        ADDP(acc[k], acc[k + h]);
                    }
                }
            }
            let s = acc[0].xmm();
            if has!(avx512f) {
                vextractf64x4(t.ymm(), acc[0], 1);
                VADD(acc[0].ymm(), acc[0].ymm(), t.ymm());
            }
            if has!(avx) {
                vextractf128(t.xmm(), acc[0].ymm(), 1);
                VADD(s, s, t.xmm());
                if E == 4 {
                    vmovhlps(t.xmm(), s, s);
                    vaddps(s, s, t.xmm());
                    vmovshdup(t.xmm(), s);
                    vaddss(s, s, t.xmm());
                } else {
                    vunpckhpd(t.xmm(), s, s);
                    vaddsd(s, s, t.xmm());
                }
            } else if E == 4 {
                movaps(t, s);
                movhlps(t, s);
                addps(s, t);
                movaps(t, s);
                shufps(t, t, 0x55);
                addss(s, t);
            } else {
                movapd(t, s);
                unpckhpd(t, t);
                addsd(s, t);
            }

            label!(tail);
            cmp(i, n);
            jae(done);
            $($scalar)*
            inc(i);
            jmp(tail);
            label!(done);
            return s;
        }
    };
}

macro_rules! dot {
    ($(#[$attr:meta])* $name:ident: $t:ty, fallback = $fb:path, E = $e:tt, FMA = $fma:ident,
     MOVU = $movu:ident, SMOVU = $smovu:ident, MULP = $mulp:ident, ADDP = $addp:ident,
     VADD = $vadd:ident, MOVS = $movs:ident, MULS = $muls:ident, ADDS = $adds:ident,
     VMOVS = $vmovs:ident, VFMAS = $vfmas:ident) => {
        reduction! {
            $(#[$attr])*
            $name(x: &[$t], y: &[$t]) -> $t, fallback = $fb,
            params(E = $e, FMA = $fma, MOVU = $movu, SMOVU = $smovu, MULP = $mulp, ADDP = $addp,
                   VADD = $vadd, MOVS = $movs, MULS = $muls, ADDS = $adds, VMOVS = $vmovs,
                   VFMAS = $vfmas),
            n = {
                mov(n, x.len());
                cmp(n, y.len());
                cmova(n, y.len());
            },
            align = x,
            step = {
                if has!(avx) {
                    MOVU(t, [x + i * E + off]);
                    FMA(a_, t, [y + i * E + off]);
                } else {
                    SMOVU(t, [x + i * E + off]);
                    SMOVU(u, [y + i * E + off]);
                    MULP(t, u);
                    ADDP(a_, t);
                }
            },
            masked = {
                MOVU(t.k(km).z(), [x + i * E]);
                MOVU(u.k(km).z(), [y + i * E]);
                FMA(acc[1], t, u);
            },
            scalar = {
                if has!(avx) {
                    VMOVS(t.xmm(), [x + i * E]);
                    VFMAS(s, t.xmm(), [y + i * E]);
                } else {
                    MOVS(t, [x + i * E]);
                    MULS(t, [y + i * E]);
                    ADDS(s, t);
                }
            }
        }
    };
}

dot! {
    /// Σ x\[i\]·y\[i\] in f32 over the common length (see [`super::sdot`]).
    sdot_kernel: f32, fallback = crate::blas::sdot_rust, E = 4, FMA = vfmadd231ps, MOVU = vmovups,
    SMOVU = movups, MULP = mulps, ADDP = addps, VADD = vaddps, MOVS = movss, MULS = mulss,
    ADDS = addss, VMOVS = vmovss, VFMAS = vfmadd231ss
}
dot! {
    /// Σ x\[i\]·y\[i\] in f64 over the common length (see [`super::ddot`]).
    ddot_kernel: f64, fallback = crate::blas::ddot_rust, E = 8, FMA = vfmadd231pd, MOVU = vmovupd,
    SMOVU = movupd, MULP = mulpd, ADDP = addpd, VADD = vaddpd, MOVS = movsd, MULS = mulsd,
    ADDS = addsd, VMOVS = vmovsd, VFMAS = vfmadd231sd
}

reduction! {
    /// Σ x\[i\] in f32 (see [`super::ssum`]).
    ssum_kernel(x: &[f32]) -> f32, fallback = crate::blas::ssum_rust,
    params(E = 4, VADD = vaddps, ADDP = addps),
    n = {
        mov(n, x.len());
    },
    align = x,
    step = {
        if has!(avx) {
            vaddps(a_, a_, [x + i * 4 + off]);
        } else {
            movups(t, [x + i * 4 + off]);
            addps(a_, t);
        }
    },
    masked = {
        vmovups(t.k(km).z(), [x + i * 4]);
        vaddps(acc[1], acc[1], t);
    },
    scalar = {
        if has!(avx) {
            vaddss(s, s, [x + i * 4]);
        } else {
            addss(s, [x + i * 4]);
        }
    }
}

reduction! {
    /// Σ x\[i\]² in f32 (the fast pass of [`super::snrm2`]).
    ssumsq_kernel(x: &[f32]) -> f32, fallback = crate::blas::ssumsq_rust,
    params(E = 4, VADD = vaddps, ADDP = addps),
    n = {
        mov(n, x.len());
    },
    align = x,
    step = {
        if has!(avx) {
            vmovups(t, [x + i * 4 + off]);
            vfmadd231ps(a_, t, t);
        } else {
            movups(t, [x + i * 4 + off]);
            mulps(t, t);
            addps(a_, t);
        }
    },
    masked = {
        vmovups(t.k(km).z(), [x + i * 4]);
        vfmadd231ps(acc[1], t, t);
    },
    scalar = {
        if has!(avx) {
            vmovss(t.xmm(), [x + i * 4]);
            vfmadd231ss(s, t.xmm(), t.xmm());
        } else {
            movss(t, [x + i * 4]);
            mulss(t, t);
            addss(s, t);
        }
    }
}

/// Σ x\[i\]² of f32 values, each widened to f64 and accumulated in f64: the square of any
/// f32 (up to 2²⁵⁶ ≈ 1.2·10⁷⁷, down to 2⁻²⁹⁸) is a normal f64, so this cannot overflow or
/// lose subnormal inputs — the safe pass of [`super::snrm2`].
#[kernel(targets(sse2, avx2 + fma, avx512f), params(ACC = 4), fallback = crate::blas::ssumsq_f64_rust)]
pub fn ssumsq_f64_kernel(x: &[f32]) -> f64 {
    let lanes = lanes(8); // f64 lanes; each step reads this many f32 (half a vector)
    let acc = vregs(ACC);
    let t = vreg();
    let (i, end) = (gp64(), gp64());
    for k in 0..ACC {
        if has!(avx) {
            vxorps(acc[k].xmm(), acc[k].xmm(), acc[k].xmm());
        } else {
            xorps(acc[k], acc[k]);
        }
    }
    xor(i.r32(), i.r32());
    mov(end, x.len());
    and(end, -(ACC * lanes));
    jz(reduce);
    align!(16);
    label!(main);
    for k in 0..ACC {
        let off = k * lanes * 4;
        if has!(avx) {
            vcvtps2pd(t, [x + i * 4 + off]);
            vfmadd231pd(acc[k], t, t);
        } else {
            cvtps2pd(t, [x + i * 4 + off]);
            mulpd(t, t);
            addpd(acc[k], t);
        }
    }
    add(i, ACC * lanes);
    cmp(i, end);
    jb(main);
    label!(reduce);
    for k in 1..ACC {
        if has!(avx) {
            vaddpd(acc[0], acc[0], acc[k]);
        } else {
            addpd(acc[0], acc[k]);
        }
    }
    let s = acc[0].xmm();
    if has!(avx512f) {
        vextractf64x4(t.ymm(), acc[0], 1);
        vaddpd(acc[0].ymm(), acc[0].ymm(), t.ymm());
    }
    if has!(avx) {
        vextractf128(t.xmm(), acc[0].ymm(), 1);
        vaddpd(s, s, t.xmm());
        vunpckhpd(t.xmm(), s, s);
        vaddsd(s, s, t.xmm());
    } else {
        movapd(t, s);
        unpckhpd(t, t);
        addsd(s, t);
    }
    label!(tail);
    cmp(i, x.len());
    jae(done);
    if has!(avx) {
        vcvtss2sd(t.xmm(), t.xmm(), [x + i * 4]);
        vfmadd231sd(s, t.xmm(), t.xmm());
    } else {
        cvtss2sd(t, [x + i * 4]);
        mulsd(t, t);
        addsd(s, t);
    }
    inc(i);
    jmp(tail);
    label!(done);
    return s;
}

macro_rules! axpy {
    ($(#[$attr:meta])* $name:ident: $t:ty, fallback = $fb:path, E = $e:tt, FMA = $fma:ident,
     MOVU = $movu:ident, SMOVU = $smovu:ident, MULP = $mulp:ident, ADDP = $addp:ident,
     BC = $bc:ident, SPLAT = $splat:ident, MOVS = $movs:ident, MULS = $muls:ident,
     ADDS = $adds:ident, VMOVS = $vmovs:ident, VFMAS = $vfmas:ident) => {
        $(#[$attr])*
        #[kernel(
            targets(sse2, avx2 + fma, avx512f),
            params(U = 4, E = $e, FMA = $fma, MOVU = $movu, SMOVU = $smovu, MULP = $mulp,
                   ADDP = $addp, BC = $bc, SPLAT = $splat, MOVS = $movs, MULS = $muls,
                   ADDS = $adds, VMOVS = $vmovs, VFMAS = $vfmas),
            fallback = $fb
        )]
        pub fn $name(alpha: $t, x: &[$t], y: &mut [$t]) {
            let lanes = lanes(E);
            let vb = vector_bytes();
            let block = U * lanes;
            let al = vreg();
            let v = vregs(U);
            let w = vregs(U);
            let (n, i, end) = (gp64(), gp64(), gp64());
            mov(n, x.len());
            cmp(n, y.len());
            cmova(n, y.len());
            if has!(avx) {
                BC(al, alpha);
            } else {
                movaps(al, alpha);
                SPLAT(al, al, 0);
            }
            xor(i.r32(), i.r32());
            let (km, tb) = (kreg(), gp64());
            if has!(avx512f) {
                // (1 << r) - 1 for r = 0..=16, as kmovw wants.
                lea(
                    tb,
                    u16x32(
                        0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383,
                        32767, 65535, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
                    )
                );
                // Head: up to lanes - 1 elements under a mask, so that the stores to y are
                // 64-byte aligned in the loops.
                mov(i, y);
                neg(i);
                and(i, 63);
                if E == 4 {
                    shr(i, 2);
                } else {
                    shr(i, 3);
                }
                cmp(i, n);
                cmova(i, n);
                test(i, i);
                jz(body);
                kmovw(km, word[tb + i * 2]);
                MOVU(v[0].k(km).z(), [x]);
                MOVU(w[0].k(km).z(), [y]);
                FMA(v[0], al, w[0]);
                MOVU([y].k(km), v[0]);
                label!(body);
            }
            mov(end, n);
            sub(end, i);
            and(end, -block);
            jz(single);
            add(end, i);
            align!(32);
            label!(main);
            for k in 0..U {
                let off = k * vb;
                if has!(avx) {
                    MOVU(v[k], [x + i * E + off]);
                    FMA(v[k], al, [y + i * E + off]);
                    MOVU([y + i * E + off], v[k]);
                } else {
                    SMOVU(v[k], [x + i * E + off]);
                    SMOVU(w[k], [y + i * E + off]);
                    MULP(v[k], al);
                    ADDP(v[k], w[k]);
                    SMOVU([y + i * E + off], v[k]);
                }
            }
            add(i, block);
            cmp(i, end);
            jb(main);

            label!(single);
            mov(end, n);
            sub(end, i);
            and(end, -lanes);
            jz(last);
            add(end, i);
            label!(one);
            if has!(avx) {
                MOVU(v[0], [x + i * E]);
                FMA(v[0], al, [y + i * E]);
                MOVU([y + i * E], v[0]);
            } else {
                SMOVU(v[0], [x + i * E]);
                SMOVU(w[0], [y + i * E]);
                MULP(v[0], al);
                ADDP(v[0], w[0]);
                SMOVU([y + i * E], v[0]);
            }
            add(i, lanes);
            cmp(i, end);
            jb(one);

            label!(last);
            cmp(i, n);
            jae(done);
            if has!(avx512f) {
                let r = gp64();
                mov(r, n);
                sub(r, i);
                kmovw(km, word[tb + r * 2]);
                MOVU(v[0].k(km).z(), [x + i * E]);
                MOVU(w[0].k(km).z(), [y + i * E]);
                FMA(v[0], al, w[0]);
                MOVU([y + i * E].k(km), v[0]);
            } else {
                label!(scalar);
                if has!(avx) {
                    VMOVS(v[0].xmm(), [x + i * E]);
                    VFMAS(v[0].xmm(), al.xmm(), [y + i * E]);
                    VMOVS([y + i * E], v[0].xmm());
                } else {
                    MOVS(v[0], [x + i * E]);
                    MULS(v[0], al);
                    ADDS(v[0], [y + i * E]);
                    MOVS([y + i * E], v[0]);
                }
                inc(i);
                cmp(i, n);
                jb(scalar);
            }
            label!(done);
        }
    };
}

axpy! {
    /// y\[i\] += alpha·x\[i\] in f32 over the common length (see [`super::saxpy`]).
    saxpy_kernel: f32, fallback = crate::blas::saxpy_rust, E = 4, FMA = vfmadd213ps, MOVU = vmovups,
    SMOVU = movups, MULP = mulps, ADDP = addps, BC = vbroadcastss, SPLAT = shufps,
    MOVS = movss, MULS = mulss, ADDS = addss, VMOVS = vmovss, VFMAS = vfmadd213ss
}
axpy! {
    /// y\[i\] += alpha·x\[i\] in f64 over the common length (see [`super::daxpy`]).
    daxpy_kernel: f64, fallback = crate::blas::daxpy_rust, E = 8, FMA = vfmadd213pd, MOVU = vmovupd,
    SMOVU = movupd, MULP = mulpd, ADDP = addpd, BC = vbroadcastsd, SPLAT = shufpd,
    MOVS = movsd, MULS = mulsd, ADDS = addsd, VMOVS = vmovsd, VFMAS = vfmadd213sd
}
