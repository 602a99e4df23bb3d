use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(zmm0.k(k0), zmm1, zmm2);
}

fn main() {}
