use asmforge::kernel;

/// `vpdpbusd ymm` is AVX-VNNI (VEX) or AVX512-VNNI + AVX512VL (EVEX): a kernel without
/// `targets` must say which, or it would silently refuse to run on the other kind of CPU.
#[kernel]
unsafe fn k(p: *mut i32) {
    vmovdqu(ymm0, [p]);
    vpdpbusd(ymm0, ymm1, ymm2);
    vmovdqu([p], ymm0);
}

fn main() {}
