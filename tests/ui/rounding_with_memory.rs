use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const f32) {
    vaddps(zmm0, zmm1, [p], rn_sae);
}

fn main() {}
