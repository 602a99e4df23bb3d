use asmforge::kernel;

/// The EVEX form of a ymm `vpdpbusd` is one feature away (`+ avx512vl`); the VEX form
/// (AVX-VNNI) is the alternative.
#[kernel(targets(avx512f + avx512vnni))]
unsafe fn k(p: *mut i32) {
    vmovdqu32(zmm0, [p]);
    vpdpbusd(ymm0, ymm1, ymm2);
    vmovdqu32([p], zmm0);
}

fn main() {}
