use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(zmm0, zmm1, zmm2, rn_sae, rz_sae);
}

fn main() {}
