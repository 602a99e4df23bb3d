use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const f32) {
    movss(xmm0, qword[p]);
}

fn main() {}
