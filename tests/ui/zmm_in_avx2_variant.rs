use asmforge::kernel;

#[kernel(targets(avx2, avx512f))]
unsafe fn k(p: *mut f32) {
    vmovups(zmm0, [p]); // fine in avx512f, not in avx2: guard it with `if has!(avx512f)`
}

fn main() {}
