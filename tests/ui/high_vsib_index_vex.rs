use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const f32) {
    vgatherdps(xmm0, [p + xmm16 * 4], xmm1);
}

fn main() {}
