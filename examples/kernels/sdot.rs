//! `sdot`: the f32 dot product, one source for four variants — SSE2, AVX, AVX2+FMA and
//! AVX-512F — with `ACC` independent accumulators so the loop is bound by loads, not by the
//! latency of the adds.
//!
//! The variant decides the vector width (`vreg()` is xmm, ymm or zmm; `lanes(4)` is 4, 8 or
//! 16) and the instructions (`has!(avx)`: three-operand VEX forms; `has!(fma)`: fused
//! multiply-add). Any length works: the main loop takes blocks of `ACC * lanes` elements, the
//! rest goes through a scalar loop after the horizontal reduction. Unaligned inputs are fine
//! (`movups`/`vmovups`, and SSE never multiplies from memory, which would need alignment).
//! If the slices differ in length, the shorter one decides.

use asmforge::kernel;

/// Sum of `x[i] * y[i]` over the common length.
#[kernel(targets(sse2, avx, avx2 + fma, avx512f), params(ACC = 4), fallback = sdot_rust)]
pub fn sdot(x: &[f32], y: &[f32]) -> f32 {
    let lanes = lanes(4);
    let block = ACC * lanes;
    let acc = vregs(ACC);
    let t = vreg();
    let n = gp64();
    let i = gp64();
    let end = gp64();

    // n = min(x.len(), y.len())
    mov(n, x.len());
    cmp(n, y.len());
    cmova(n, y.len());
    for k in 0..ACC {
        if has!(avx) {
            // A VEX.128 write zeroes the whole register (and needs no AVX512DQ for zmm).
            vxorps(acc[k].xmm(), acc[k].xmm(), acc[k].xmm());
        } else {
            xorps(acc[k], acc[k]);
        }
    }
    xor(i.r32(), i.r32());
    mov(end, n);
    and(end, -block); // whole blocks only
    jz(reduce);

    align!(16);
    label!(main);
    for k in 0..ACC {
        let off = k * vector_bytes();
        if has!(fma) {
            vmovups(t, [x + i * 4 + off]);
            vfmadd231ps(acc[k], t, [y + i * 4 + off]);
        } else if has!(avx) {
            vmovups(t, [x + i * 4 + off]);
            vmulps(t, t, [y + i * 4 + off]);
            vaddps(acc[k], acc[k], t);
        } else {
            let u = xmm();
            movups(t, [x + i * 4 + off]);
            movups(u, [y + i * 4 + off]);
            mulps(t, u);
            addps(acc[k], t);
        }
    }
    add(i, block);
    cmp(i, end);
    jb(main);

    label!(reduce);
    // acc[0] = sum of the accumulators, then a horizontal sum into its low lane.
    for k in 1..ACC {
        if has!(avx) {
            vaddps(acc[0], acc[0], acc[k]);
        } else {
            addps(acc[0], acc[k]);
        }
    }
    let s = acc[0].xmm();
    if has!(avx512f) {
        vextractf64x4(t.ymm(), acc[0], 1);
        vaddps(acc[0].ymm(), acc[0].ymm(), t.ymm());
    }
    if has!(avx) {
        vextractf128(t.xmm(), acc[0].ymm(), 1);
        vaddps(s, s, t.xmm());
        vmovhlps(t.xmm(), s, s);
        vaddps(s, s, t.xmm());
        vmovshdup(t.xmm(), s);
        vaddss(s, s, t.xmm());
    } else {
        movaps(t, s);
        movhlps(t, s);
        addps(s, t);
        movaps(t, s);
        shufps(t, t, 0x55);
        addss(s, t);
    }

    // The elements after the last whole block, one at a time.
    label!(tail);
    cmp(i, n);
    jae(done);
    if has!(avx) {
        vmovss(t.xmm(), dword[x + i * 4]);
        vmulss(t.xmm(), t.xmm(), dword[y + i * 4]);
        vaddss(s, s, t.xmm());
    } else {
        movss(t, dword[x + i * 4]);
        mulss(t, dword[y + i * 4]);
        addss(s, t);
    }
    inc(i);
    jmp(tail);
    label!(done);
    return s;
}

/// The fallback for CPUs and targets without a variant: the same sum in plain Rust.
pub fn sdot_rust(x: &[f32], y: &[f32]) -> f32 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// The reference the tests use: the exact products summed in f64.
pub fn sdot_f64(x: &[f32], y: &[f32]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| f64::from(*a) * f64::from(*b))
        .sum()
}
