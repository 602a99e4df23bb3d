use asmforge::kernel;

#[kernel(targets(avx2))]
unsafe fn k(p: *mut f32) {
    vmovups(xmm17, [p]);
}

fn main() {}
