use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const f32) {
    vgatherdps(zmm0, [p + zmm1 * 4]);
}

fn main() {}
