use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const f32) {
    addps(xmm0, dword[p].bcst());
}

fn main() {}
