use asmforge::kernel;

#[kernel]
fn k() {
    pshufb(xmm0.k(k1), xmm1);
}

fn main() {}
