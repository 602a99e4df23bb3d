use asmforge::kernel;

/// 17 xmm values in an `avx512f` variant without AVX512VL: 128-bit EVEX forms need VL, so
/// only xmm0–15 can be allocated; the error says 16 and why.
#[kernel(targets(avx512f))]
unsafe fn k(p: *mut f32) {
    let v = xmms(17);
    for i in 0..17 {
        vmovups(v[i], [p + i * 16]);
    }
    for i in 1..17 {
        vaddps(v[0], v[0], v[i]);
    }
    vmovups([p], v[0]);
}

fn main() {}
