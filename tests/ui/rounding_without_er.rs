use asmforge::kernel;

#[kernel]
fn k() {
    vmaxps(zmm0, zmm1, zmm2, rn_sae);
}

fn main() {}
