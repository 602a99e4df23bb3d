use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(zmm0, zmm1.k(k1), zmm2);
}

fn main() {}
