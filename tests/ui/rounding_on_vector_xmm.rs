use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(xmm0, xmm1, xmm2, rn_sae);
}

fn main() {}
