//! GEMM micro-kernels: `C[mr × nr] = alpha · Ap · Bp + beta · C` for one register tile.
//!
//! Takes a packed A micro-panel (`kc` steps of `MR = 6` elements, see [`super::pack`]), a packed
//! B micro-panel (`kc` steps of `NR` elements) and a row-major C tile (`ldc` elements between
//! rows, unit column stride). Guarantees: only `C[i][j]` for `i < mr`, `j < nr` is read or
//! written; with `beta == 0` (either sign) C is not read at all, so NaN or garbage there is
//! overwritten, as BLAS specifies. Products accumulate with FMA (AVX2+FMA, AVX-512) or
//! `mul` + `add` (SSE2) in `kc` order, one accumulator per C element; then
//! `alpha · acc + beta · c` (one rounding for `alpha · acc`, one FMA for the `beta` term).
//!
//! Tile per variant (`NR` = two vectors): SSE2 6×8 f32 / 6×4 f64 (12 xmm accumulators),
//! AVX2+FMA 6×16 / 6×8 (12 ymm accumulators, `vbroadcastss` + two loads + 12 FMAs per k step),
//! AVX-512F 6×32 / 6×16 (12 zmm accumulators). A full tile is written with plain vector stores;
//! an edge tile with AVX-512 write masks (no scratch tile); without masks (SSE2, AVX2 — where
//! `vmaskmovps` stores are microcoded and slow on AMD) the accumulators go to a stack tile
//! and a scalar loop writes the `mr × nr` corner.

use asmforge::kernel;

/// Rows of the register tile, the same for every variant and type.
pub const MR: usize = 6;

macro_rules! gemm_ukr {
    ($(#[$attr:meta])* $name:ident: $t:ty, E = $e:tt, SH = $sh:tt, FMA = $fma:ident,
     BC = $bc:ident, MOVU = $movu:ident, VMUL = $vmul:ident, MULP = $mulp:ident,
     ADDP = $addp:ident, MOVS = $movs:ident, SPLAT = $splat:ident, MULS = $muls:ident,
     ADDS = $adds:ident, FMAS = $fmas:ident, SMOVU = $smovu:ident,
     VMOVS = $vmovs:ident) => {
        $(#[$attr])*
        ///
        /// # Safety
        ///
        /// `a` must hold `kc · 6` and `b` `kc · NR` readable elements (NR of the variant);
        /// `ab` points at `[alpha, beta]`; `c` must be valid for reading and writing the
        /// `mr × nr` tile with row stride `ldc`; `1 ≤ mr ≤ 6`, `1 ≤ nr ≤ NR`.
        #[kernel(
            targets(sse2, avx2 + fma, avx512f),
            params(E = $e, SH = $sh, FMA = $fma, BC = $bc, MOVU = $movu, VMUL = $vmul,
                   MULP = $mulp, ADDP = $addp, MOVS = $movs, SPLAT = $splat, MULS = $muls,
                   ADDS = $adds, FMAS = $fmas, SMOVU = $smovu, VMOVS = $vmovs)
        )]
        #[allow(clippy::too_many_arguments, reason = "the BLIS micro-kernel interface")]
        pub unsafe fn $name(
            kc: usize,
            a: *const $t,
            b: *const $t,
            c: *mut $t,
            ldc: usize,
            ab: *const $t,
            mr: usize,
            nr: usize,
        ) {
            const MR: usize = 6;
            let vb = vector_bytes();
            let lanes = lanes(E);
            let nrb = 2 * vb; // bytes of one packed B row
            let acc = vregs(12);
            let b0 = vreg();
            let b1 = vreg();
            let t = vreg();
            let kk = gp64();
            for k in 0..12 {
                if has!(avx) {
                    vxorps(acc[k].xmm(), acc[k].xmm(), acc[k].xmm());
                } else {
                    xorps(acc[k], acc[k]);
                }
            }
            // Prefetch the C tile while the k loop runs: at the end its rows are needed at
            // once, and C (touched once per kc slice) is usually in L3 or memory by then.
            let rs = gp64();
            let cp = gp64();
            mov(rs, ldc);
            shl(rs, SH);
            mov(cp, c);
            for i in 0..MR {
                prefetcht0([cp]);
                prefetcht0([cp + nrb - 1]);
                if nrb > 64 {
                    prefetcht0([cp + 64]);
                }
                if i + 1 < MR {
                    add(cp, rs);
                }
            }
            // Two loops: four k steps per iteration, then the remaining kc % 4.
            for pass in 0..2 {
                let unroll = match pass {
                    0 => 4,
                    _ => 1,
                };
                mov(kk, kc);
                if pass == 0 {
                    shr(kk, 2);
                } else {
                    and(kk, 3);
                }
                jz(next);
                align!(32);
                label!(top);
                for u in 0..unroll {
                    let ao = u * MR * E;
                    let bo = u * nrb;
                    if has!(avx) {
                        MOVU(b0, [b + bo]);
                        MOVU(b1, [b + bo + vb]);
                        for i in 0..MR {
                            BC(t, [a + ao + i * E]);
                            FMA(acc[2 * i], b0, t);
                            FMA(acc[2 * i + 1], b1, t);
                        }
                    } else {
                        let u2 = vreg();
                        SMOVU(b0, [b + bo]);
                        SMOVU(b1, [b + bo + vb]);
                        for i in 0..MR {
                            MOVS(t, [a + ao + i * E]);
                            SPLAT(t, t, 0);
                            movaps(u2, t);
                            MULP(u2, b0);
                            ADDP(acc[2 * i], u2);
                            MULP(t, b1);
                            ADDP(acc[2 * i + 1], t);
                        }
                    }
                }
                add(a, unroll * MR * E);
                add(b, unroll * nrb);
                dec(kk);
                jnz(top);
                label!(next);
            }

            // acc *= alpha
            let al = vreg();
            if has!(avx) {
                BC(al, [ab]);
            } else {
                MOVS(al, [ab]);
                SPLAT(al, al, 0);
            }
            for k in 0..12 {
                if has!(avx) {
                    VMUL(acc[k], acc[k], al);
                } else {
                    MULP(acc[k], al);
                }
            }
            let be = vreg();
            if has!(avx) {
                BC(be, [ab + E]);
            } else {
                MOVS(be, [ab + E]);
                SPLAT(be, be, 0);
            }
            // beta's bits without the sign: zero exactly when beta is +0 or -0.
            let bz = gp64();
            if E == 4 {
                mov(bz.r32(), dword[ab + E]);
                add(bz.r32(), bz.r32());
            } else {
                mov(bz, qword[ab + E]);
                add(bz, bz);
            }
            cmp(mr, MR);
            jne(edge);
            cmp(nr, 2 * lanes);
            jne(edge);

            // A full tile.
            test(bz, bz);
            jz(full_beta0);
            for i in 0..MR {
                for v in 0..2 {
                    if has!(avx) {
                        FMA(acc[2 * i + v], be, [c + v * vb]);
                        MOVU([c + v * vb], acc[2 * i + v]);
                    } else {
                        SMOVU(t, [c + v * vb]);
                        MULP(t, be);
                        ADDP(acc[2 * i + v], t);
                        SMOVU([c + v * vb], acc[2 * i + v]);
                    }
                }
                add(c, rs);
            }
            jmp(done);
            label!(full_beta0);
            for i in 0..MR {
                for v in 0..2 {
                    if has!(avx) {
                        MOVU([c + v * vb], acc[2 * i + v]);
                    } else {
                        SMOVU([c + v * vb], acc[2 * i + v]);
                    }
                }
                add(c, rs);
            }
            jmp(done);

            label!(edge);
            if has!(avx512f) {
                // Masks for the two vectors of a row: min(nr, lanes) and nr - that lanes.
                let (k0, k1) = (kreg(), kreg());
                let (n0, n1, tb) = (gp64(), gp64(), gp64());
                mov(n0, nr);
                mov(n1, n0);
                mov(tb, lanes);
                cmp(n0, tb);
                cmova(n0, tb);
                sub(n1, n0);
                // (1 << n) - 1 for n = 0..=16, as kmovw wants.
                lea(
                    tb,
                    u16x32(
                        0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 1023, 2047, 4095, 8191, 16383,
                        32767, 65535, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
                    )
                );
                kmovw(k0, word[tb + n0 * 2]);
                kmovw(k1, word[tb + n1 * 2]);
                let ks = [k0, k1];
                test(bz, bz);
                jz(edge_beta0);
                for i in 0..MR {
                    if i > 0 {
                        cmp(mr, i);
                        jbe(done);
                    }
                    for v in 0..2 {
                        MOVU(t.k(ks[v]).z(), [c + v * vb]);
                        FMA(acc[2 * i + v], be, t);
                        MOVU([c + v * vb].k(ks[v]), acc[2 * i + v]);
                    }
                    add(c, rs);
                }
                jmp(done);
                label!(edge_beta0);
                for i in 0..MR {
                    if i > 0 {
                        cmp(mr, i);
                        jbe(done);
                    }
                    for v in 0..2 {
                        MOVU([c + v * vb].k(ks[v]), acc[2 * i + v]);
                    }
                    add(c, rs);
                }
            } else {
                // No masks: the tile goes to the stack, a scalar loop writes the corner.
                let tile = local(MR * nrb, 32);
                for i in 0..MR {
                    for v in 0..2 {
                        if has!(avx) {
                            MOVU([tile + i * nrb + v * vb], acc[2 * i + v]);
                        } else {
                            SMOVU([tile + i * nrb + v * vb], acc[2 * i + v]);
                        }
                    }
                }
                let (i, j, tp) = (gp64(), gp64(), gp64());
                let x = xmm();
                lea(tp, tile);
                xor(i.r32(), i.r32());
                label!(row);
                xor(j.r32(), j.r32());
                label!(col);
                if has!(avx) {
                    VMOVS(x, [tp + j * E]);
                } else {
                    MOVS(x, [tp + j * E]);
                }
                test(bz, bz);
                jz(store);
                if has!(fma) {
                    FMAS(x, be.xmm(), [c + j * E]);
                } else {
                    let y = xmm();
                    MOVS(y, [c + j * E]);
                    MULS(y, be.xmm());
                    ADDS(x, y);
                }
                label!(store);
                if has!(avx) {
                    VMOVS([c + j * E], x);
                } else {
                    MOVS([c + j * E], x);
                }
                inc(j);
                cmp(j, nr);
                jb(col);
                add(c, rs);
                add(tp, nrb);
                inc(i);
                cmp(i, mr);
                jb(row);
            }
            label!(done);
        }
    };
}

gemm_ukr! {
    /// The f32 micro-kernel (tiles 6×8, 6×16, 6×32).
    sgemm_ukr: f32, E = 4, SH = 2, FMA = vfmadd231ps, BC = vbroadcastss, MOVU = vmovups,
    VMUL = vmulps, MULP = mulps, ADDP = addps, MOVS = movss, SPLAT = shufps, MULS = mulss,
    ADDS = addss, FMAS = vfmadd231ss, SMOVU = movups, VMOVS = vmovss
}

gemm_ukr! {
    /// The f64 micro-kernel (tiles 6×4, 6×8, 6×16).
    dgemm_ukr: f64, E = 8, SH = 3, FMA = vfmadd231pd, BC = vbroadcastsd, MOVU = vmovupd,
    VMUL = vmulpd, MULP = mulpd, ADDP = addpd, MOVS = movsd, SPLAT = shufpd, MULS = mulsd,
    ADDS = addsd, FMAS = vfmadd231sd, SMOVU = movupd, VMOVS = vmovsd
}
