use asmforge::kernel;

#[kernel]
fn k() {
    vpaddd(zmm0, zmm1, zmm2, sae);
}

fn main() {}
