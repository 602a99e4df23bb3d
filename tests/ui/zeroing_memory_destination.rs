use asmforge::kernel;

#[kernel]
unsafe fn k(p: *mut f32) {
    vmovups(zmmword[p].k(k1).z(), zmm0);
}

fn main() {}
