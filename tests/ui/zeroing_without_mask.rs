use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(zmm0.z(), zmm1, zmm2);
}

fn main() {}
