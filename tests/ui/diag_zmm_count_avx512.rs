use asmforge::kernel;

/// 33 zmm values live at once in an AVX-512 variant: 32 registers (zmm0–31) can be
/// allocated, and the error says 32.
#[kernel(targets(avx512f))]
unsafe fn k(p: *mut f32) {
    let v = zmms(33);
    for i in 0..33 {
        vmovups(v[i], [p + i * 64]);
    }
    for i in 1..33 {
        vaddps(v[0], v[0], v[i]);
    }
    vmovups([p], v[0]);
}

fn main() {}
