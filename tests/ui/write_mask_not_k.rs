use asmforge::kernel;

#[kernel]
fn k() {
    vaddps(zmm0.k(rax), zmm1, zmm2);
}

fn main() {}
