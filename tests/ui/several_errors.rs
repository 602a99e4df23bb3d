use asmforge::kernel;

#[kernel]
unsafe fn k(p: *mut u64) {
    vaddpz(xmm0, xmm1, xmm2);
    shl(rax, 300);
    inc([p]);
}

fn main() {}
