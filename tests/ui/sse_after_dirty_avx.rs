use asmforge::kernel;

#[kernel]
unsafe fn k(p: *mut f32) {
    vmovups(ymm0, [p]);
    vaddps(ymm0, ymm0, ymm0);
    vmovups([p], ymm0);
    movss(xmm1, [p]); // legacy SSE while the upper halves are dirty
    movss([p + 4], xmm1);
}

fn main() {}
