use asmforge::kernel;

#[kernel]
fn k() {
    vblendvps(xmm0, xmm1, xmm2, k1);
}

fn main() {}
