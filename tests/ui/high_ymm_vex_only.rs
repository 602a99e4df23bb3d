use asmforge::kernel;

#[kernel]
fn k() {
    vroundps(ymm17, ymm1, 0);
}

fn main() {}
