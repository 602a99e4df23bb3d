use asmforge::kernel;

// BLENDVPS reads its mask from xmm0 implicitly: written out, it must be xmm0.
#[kernel]
unsafe fn k(p: *const f32) {
    movups(xmm1, [p]);
    blendvps(xmm1, xmm2, xmm3);
}

fn main() {}
