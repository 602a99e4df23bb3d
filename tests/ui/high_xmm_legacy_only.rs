use asmforge::kernel;

#[kernel]
fn k() {
    pshufb(xmm16, xmm1);
}

fn main() {}
