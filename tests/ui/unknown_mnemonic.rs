use asmforge::kernel;

#[kernel]
fn k() {
    vaddpz(xmm0, xmm1, xmm2);
}

fn main() {}
