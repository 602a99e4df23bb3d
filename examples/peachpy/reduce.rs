//! Kernels built from custom instructions: the paper's `HADDPD` emulation
//! (`helpers.rs`, another module of this crate) and `muladd` / `reduce_sum` from
//! `asmforge::helpers` (another crate). One body per kernel serves every target.

use asmforge::kernel;

/// `out = [a0 + a1, b0 + b1]`: one `HADDPD`, emulated on SSE2.
///
/// # Safety
///
/// `a` and `b` must be valid for reading 2 `f64`s, `out` for writing 2.
#[kernel(targets(sse2, sse3))]
pub unsafe fn hadd_pd(a: *const f64, b: *const f64, out: *mut f64) {
    use crate::helpers::haddpd;
    let (x, y) = (xmm(), xmm());
    movupd(x, [a]);
    movupd(y, [b]);
    haddpd(x, y);
    movupd([out], x);
}

/// The sum of `x`, two lanes at a time, folded with `HADDPD`.
#[kernel(targets(sse2, sse3))]
pub fn sum_f64(x: &[f64]) -> f64 {
    use crate::helpers::haddpd;
    let (acc, v, i, n) = (xmm(), xmm(), gp64(), gp64());
    xorpd(acc, acc);
    xor(i.r32(), i.r32());
    mov(n, x.len());
    and(n, -2);
    label!(pairs);
    cmp(i, n);
    jae(fold);
    movupd(v, [x + i * 8]);
    addpd(acc, v);
    add(i, 2);
    jmp(pairs);
    label!(fold);
    haddpd(acc, acc);
    cmp(i, x.len());
    jae(done);
    addsd(acc, [x + i * 8]);
    label!(done);
    return acc;
}

/// `sum(x[i] * y[i])` over `x.len()` elements (`y` at least as long): `UNROLL` accumulators
/// of the variant's vector width, `muladd` (FMA where the variant has it), a tree
/// `reduce_sum`, then a scalar tail through the same `muladd`.
#[kernel(targets(sse2, avx, avx2 + fma, avx512f), params(UNROLL = 4))]
pub fn dot_f32(x: &[f32], y: &[f32]) -> f32 {
    use asmforge::helpers::{muladd, reduce_sum};
    let (acc, vx, vy) = (vregs(UNROLL), vregs(UNROLL), vregs(UNROLL));
    let (i, n) = (gp64(), gp64());
    let (movu, movs) = if has!(avx) {
        (vmovups, vmovss)
    } else {
        (movups, movss)
    };
    let step = UNROLL * lanes(4);
    for a in acc {
        if has!(avx) {
            vxorps(a.xmm(), a.xmm(), a.xmm());
        } else {
            xorps(a, a);
        }
    }
    xor(i.r32(), i.r32());
    mov(n, x.len());
    and(n, -step);
    jz(reduce);
    label!(main);
    for k in 0..UNROLL {
        movu(vx[k], [x + i * 4 + k * vector_bytes()]);
        movu(vy[k], [y + i * 4 + k * vector_bytes()]);
        muladd(acc[k], vx[k], vy[k]);
    }
    add(i, step);
    cmp(i, n);
    jb(main);
    label!(reduce);
    reduce_sum(acc);
    label!(tail);
    cmp(i, x.len());
    jae(done);
    movs(vx[0].xmm(), [x + i * 4]);
    movs(vy[0].xmm(), [y + i * 4]);
    muladd(acc[0].xmm(), vx[0].xmm(), vy[0].xmm());
    inc(i);
    jmp(tail);
    label!(done);
    return acc[0].xmm();
}

/// The sum of `x`: two accumulators, the same `reduce_sum`, a scalar tail.
#[kernel(targets(sse2, avx, avx512f))]
pub fn sum_f32(x: &[f32]) -> f32 {
    use asmforge::helpers::reduce_sum;
    let (acc, v, i, n) = (vregs(2), vregs(2), gp64(), gp64());
    let (movu, movs) = if has!(avx) {
        (vmovups, vmovss)
    } else {
        (movups, movss)
    };
    let step = 2 * lanes(4);
    for a in acc {
        if has!(avx) {
            vxorps(a.xmm(), a.xmm(), a.xmm());
        } else {
            xorps(a, a);
        }
    }
    xor(i.r32(), i.r32());
    mov(n, x.len());
    and(n, -step);
    jz(reduce);
    label!(main);
    for k in 0..2 {
        movu(v[k], [x + i * 4 + k * vector_bytes()]);
        if has!(avx) {
            vaddps(acc[k], acc[k], v[k]);
        } else {
            addps(acc[k], v[k]);
        }
    }
    add(i, step);
    cmp(i, n);
    jb(main);
    label!(reduce);
    reduce_sum(acc);
    label!(tail);
    cmp(i, x.len());
    jae(done);
    movs(v[0].xmm(), [x + i * 4]);
    if has!(avx) {
        vaddss(acc[0].xmm(), acc[0].xmm(), v[0].xmm());
    } else {
        addss(acc[0].xmm(), v[0].xmm());
    }
    inc(i);
    jmp(tail);
    label!(done);
    return acc[0].xmm();
}
