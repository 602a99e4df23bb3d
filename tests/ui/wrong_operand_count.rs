use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(xmm0, xmm1);
}

fn main() {}
