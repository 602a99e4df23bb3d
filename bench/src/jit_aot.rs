//! `max((x·a + b)·x + c, 0)` written as one asmforge kernel at build time: the reference the
//! run-time fused function is held to.

use asmforge::kernel;

/// `out[i] = max((x[i]·a + b)·x[i] + c, 0)` for i < n.
///
/// # Safety
///
/// `x` and `out` hold `n` elements.
#[kernel(targets(avx2 + fma))]
pub unsafe fn fused_aot(x: *const f32, out: *mut f32, n: usize, a: f32, b: f32, c: f32) {
    let (va, vb, vc, vz, t, acc) = (ymm(), ymm(), ymm(), ymm(), ymm(), ymm());
    let (i, end) = (gp64(), gp64());
    vbroadcastss(va, a);
    vbroadcastss(vb, b);
    vbroadcastss(vc, c);
    vxorps(vz, vz, vz);
    xor(i.r32(), i.r32());
    mov(end, n);
    and(end, -8);
    jz(tail);
    label!(top);
    vmovups(t, [x + i * 4]);
    vmovaps(acc, va);
    vfmadd213ps(acc, t, vb);
    vfmadd213ps(acc, t, vc);
    vmaxps(acc, acc, vz);
    vmovups([out + i * 4], acc);
    add(i, 8);
    cmp(i, end);
    jb(top);
    label!(tail);
    cmp(i, n);
    jae(done);
    label!(stop);
    vmovss(t.xmm(), dword[x + i * 4]);
    vmovaps(acc.xmm(), va.xmm());
    vfmadd213ss(acc.xmm(), t.xmm(), vb.xmm());
    vfmadd213ss(acc.xmm(), t.xmm(), vc.xmm());
    vmaxss(acc.xmm(), acc.xmm(), vz.xmm());
    vmovss(dword[out + i * 4], acc.xmm());
    add(i, 1);
    cmp(i, n);
    jb(stop);
    label!(done);
}
