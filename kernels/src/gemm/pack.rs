//! Packing: copies a block of A or B into the order the micro-kernel reads.
//!
//! A packed panel of width `w` (`MR` rows of A, or `NR` columns of B) over `kc` steps is
//! `dst[p · w + j] = src[j · sj + p · sp]` for `p < kc`, `j < w`: one k step's `w` values
//! side by side. When the panel is narrower than `w` (`wv < w`, the matrix edge), the missing
//! rows or columns repeat the last valid one (`wv` must be ≥ 1): the micro-kernel computes
//! them from finite inputs like any other and never stores them, so no zero fill is needed.
//! The AVX-512 row copy instead zero-fills with masked loads, which also never reads past the
//! matrix.
//!
//! - `pack_strided_*`: any strides (A in either layout, transposed B), 32/64-bit scalar
//!   copies, four per iteration.
//! - `pack_rows_*`: B with unit column stride and full width: two vector copies per k step;
//!   variants match the micro-kernel's, so `NR` = two vectors of the same variant.

use asmforge::kernel;

macro_rules! pack_strided {
    ($(#[$attr:meta])* $name:ident: $t:ty, E = $e:tt, SH = $sh:tt) => {
        $(#[$attr])*
        ///
        /// # Safety
        ///
        /// `src[j · sj + p · sp]` must be readable for `j < wv`, `p < kc`; `dst` writable for
        /// `kc · w` elements; `1 ≤ wv ≤ w`.
        #[kernel(params(E = $e, SH = $sh))]
        pub unsafe fn $name(
            kc: usize,
            src: *const $t,
            sj: usize,
            sp: usize,
            dst: *mut $t,
            w: usize,
            wv: usize,
        ) {
            let x = match E {
                4 => gp32(),
                8 => gp64(),
            };
            let (j, row, d, p, wb, sp3, wb3, t) =
                (gp64(), gp64(), gp64(), gp64(), gp64(), gp64(), gp64(), gp64());
            shl(sj, SH);
            shl(sp, SH);
            mov(wb, w);
            shl(wb, SH);
            lea(sp3, [sp + sp * 2]);
            lea(wb3, [wb + wb * 2]);
            test(kc, kc);
            jz(done);
            xor(j.r32(), j.r32());
            label!(col);
            // row = src + min(j, wv - 1) · sj
            mov(t, wv);
            dec(t);
            cmp(t, j);
            cmova(t, j);
            imul(t, sj);
            lea(row, [src + t]);
            lea(d, [dst + j * E]);
            mov(p, kc);
            shr(p, 2);
            jz(rest);
            align!(16);
            label!(four);
            mov(x, [row]);
            mov([d], x);
            mov(x, [row + sp]);
            mov([d + wb], x);
            mov(x, [row + sp * 2]);
            mov([d + wb * 2], x);
            mov(x, [row + sp3]);
            mov([d + wb3], x);
            lea(row, [row + sp * 4]);
            lea(d, [d + wb * 4]);
            dec(p);
            jnz(four);
            label!(rest);
            mov(p, kc);
            and(p, 3);
            jz(next);
            label!(one);
            mov(x, [row]);
            mov([d], x);
            add(row, sp);
            add(d, wb);
            dec(p);
            jnz(one);
            label!(next);
            inc(j);
            cmp(j, w);
            jb(col);
            label!(done);
        }
    };
}

pack_strided! {
    /// Packs an f32 panel of any strides (see the module docs).
    spack_strided: f32, E = 4, SH = 2
}
pack_strided! {
    /// Packs an f64 panel of any strides (see the module docs).
    dpack_strided: f64, E = 8, SH = 3
}

macro_rules! pack_rows {
    ($(#[$attr:meta])* $name:ident: $t:ty, E = $e:tt, SH = $sh:tt, MOVU = $movu:ident,
     SMOVU = $smovu:ident) => {
        $(#[$attr])*
        ///
        /// # Safety
        ///
        /// `src[p · rs + j]` must be readable for `p < kc`, `j < nv`, and `dst` writable for
        /// `kc · NR` elements (`NR` = two vectors of the variant). SSE2 and AVX2 variants need
        /// `nv == NR`; the AVX-512 variant takes `1 ≤ nv ≤ NR` and zero-fills the rest.
        #[kernel(
            targets(sse2, avx2 + fma, avx512f),
            params(E = $e, SH = $sh, MOVU = $movu, SMOVU = $smovu)
        )]
        pub unsafe fn $name(kc: usize, src: *const $t, rs: usize, dst: *mut $t, nv: usize) {
            let vb = vector_bytes();
            let lanes = lanes(E);
            let (v0, v1, v2, v3) = (vreg(), vreg(), vreg(), vreg());
            shl(rs, SH);
            test(kc, kc);
            jz(done);
            if has!(avx512f) {
                let (k0, k1) = (kreg(), kreg());
                let (n0, n1, tb) = (gp64(), gp64(), gp64());
                mov(n0, nv);
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
                align!(16);
                label!(step);
                MOVU(v0.k(k0).z(), [src]);
                MOVU(v1.k(k1).z(), [src + vb]);
                MOVU([dst], v0);
                MOVU([dst + vb], v1);
                add(src, rs);
                add(dst, 2 * vb);
                dec(kc);
                jnz(step);
            } else {
                let p = gp64();
                mov(p, kc);
                shr(p, 1);
                jz(last);
                align!(16);
                label!(two);
                if has!(avx) {
                    MOVU(v0, [src]);
                    MOVU(v1, [src + vb]);
                    MOVU(v2, [src + rs]);
                    MOVU(v3, [src + rs + vb]);
                    MOVU([dst], v0);
                    MOVU([dst + vb], v1);
                    MOVU([dst + 2 * vb], v2);
                    MOVU([dst + 3 * vb], v3);
                } else {
                    SMOVU(v0, [src]);
                    SMOVU(v1, [src + vb]);
                    SMOVU(v2, [src + rs]);
                    SMOVU(v3, [src + rs + vb]);
                    SMOVU([dst], v0);
                    SMOVU([dst + vb], v1);
                    SMOVU([dst + 2 * vb], v2);
                    SMOVU([dst + 3 * vb], v3);
                }
                lea(src, [src + rs * 2]);
                add(dst, 4 * vb);
                dec(p);
                jnz(two);
                label!(last);
                test(kc, 1);
                jz(done);
                if has!(avx) {
                    MOVU(v0, [src]);
                    MOVU(v1, [src + vb]);
                    MOVU([dst], v0);
                    MOVU([dst + vb], v1);
                } else {
                    SMOVU(v0, [src]);
                    SMOVU(v1, [src + vb]);
                    SMOVU([dst], v0);
                    SMOVU([dst + vb], v1);
                }
            }
            label!(done);
        }
    };
}

pack_rows! {
    /// Packs a full-width f32 B panel whose rows are contiguous (see the module docs).
    spack_rows: f32, E = 4, SH = 2, MOVU = vmovups, SMOVU = movups
}
pack_rows! {
    /// Packs a full-width f64 B panel whose rows are contiguous (see the module docs).
    dpack_rows: f64, E = 8, SH = 3, MOVU = vmovupd, SMOVU = movupd
}

/// Packs a full 6-row f32 A micro-panel whose rows are contiguous (unit column stride) with
/// 4×4 (rows 0–3) and 2×4 (rows 4–5) register transposes: per 4 k steps six 16-byte loads,
/// ten shuffles and eight stores, instead of 24 scalar copies.
///
/// # Safety
///
/// `src[i · rs + p]` must be readable for `i < 6`, `p < kc`, and `dst` writable for `kc · 6`
/// elements.
#[kernel(targets(avx))]
pub unsafe fn spack_a6_rows(kc: usize, src: *const f32, rs: usize, dst: *mut f32) {
    let r = [gp64(), gp64(), gp64(), gp64(), gp64(), gp64()];
    let x = [xmm(), xmm(), xmm(), xmm(), xmm(), xmm()];
    let (t0, t1, t2, t3) = (xmm(), xmm(), xmm(), xmm());
    let (q, p, w) = (gp64(), gp64(), gp32());
    shl(rs, 2);
    mov(r[0], src);
    for i in 1..6 {
        lea(r[i], [r[i - 1] + rs]);
    }
    xor(q.r32(), q.r32());
    mov(p, kc);
    shr(p, 2);
    jz(rest);
    align!(16);
    label!(four);
    for i in 0..6 {
        vmovups(x[i], [r[i] + q]);
    }
    vunpcklps(t0, x[0], x[1]); // a0p0 a1p0 a0p1 a1p1
    vunpckhps(t1, x[0], x[1]); // a0p2 a1p2 a0p3 a1p3
    vunpcklps(t2, x[2], x[3]); // a2p0 a3p0 a2p1 a3p1
    vunpckhps(t3, x[2], x[3]); // a2p2 a3p2 a2p3 a3p3
    vunpcklps(x[0], x[4], x[5]); // a4p0 a5p0 a4p1 a5p1
    vunpckhps(x[1], x[4], x[5]); // a4p2 a5p2 a4p3 a5p3
    vmovlhps(x[2], t0, t2); // k step 0, rows 0-3
    vmovhlps(x[3], t2, t0); // k step 1
    vmovups([dst], x[2]);
    vmovlps([dst + 16], x[0]);
    vmovups([dst + 24], x[3]);
    vmovhps([dst + 40], x[0]);
    vmovlhps(x[2], t1, t3); // k step 2
    vmovhlps(x[3], t3, t1); // k step 3
    vmovups([dst + 48], x[2]);
    vmovlps([dst + 64], x[1]);
    vmovups([dst + 72], x[3]);
    vmovhps([dst + 88], x[1]);
    add(q, 16);
    add(dst, 96);
    dec(p);
    jnz(four);
    label!(rest);
    mov(p, kc);
    and(p, 3);
    jz(done);
    label!(one);
    for i in 0..6 {
        mov(w, [r[i] + q]);
        mov([dst + i * 4], w);
    }
    add(q, 4);
    add(dst, 24);
    dec(p);
    jnz(one);
    label!(done);
}

/// Packs a full 6-row f64 A micro-panel whose rows are contiguous, with 2×2 register
/// transposes: per 2 k steps six 16-byte loads, six shuffles, six stores.
///
/// # Safety
///
/// As [`spack_a6_rows()`], for f64.
#[kernel(targets(avx))]
pub unsafe fn dpack_a6_rows(kc: usize, src: *const f64, rs: usize, dst: *mut f64) {
    let r = [gp64(), gp64(), gp64(), gp64(), gp64(), gp64()];
    let x = [xmm(), xmm(), xmm(), xmm(), xmm(), xmm()];
    let (lo, hi) = (xmm(), xmm());
    let (q, p, w) = (gp64(), gp64(), gp64());
    shl(rs, 3);
    mov(r[0], src);
    for i in 1..6 {
        lea(r[i], [r[i - 1] + rs]);
    }
    xor(q.r32(), q.r32());
    mov(p, kc);
    shr(p, 1);
    jz(rest);
    align!(16);
    label!(two);
    for i in 0..6 {
        vmovupd(x[i], [r[i] + q]);
    }
    for j in 0..3 {
        vunpcklpd(lo, x[2 * j], x[2 * j + 1]); // rows 2j, 2j+1 at k step 0
        vunpckhpd(hi, x[2 * j], x[2 * j + 1]); // ... at k step 1
        vmovupd([dst + j * 16], lo);
        vmovupd([dst + 48 + j * 16], hi);
    }
    add(q, 16);
    add(dst, 96);
    dec(p);
    jnz(two);
    label!(rest);
    test(kc, 1);
    jz(done);
    for i in 0..6 {
        mov(w, [r[i] + q]);
        mov([dst + i * 8], w);
    }
    label!(done);
}
