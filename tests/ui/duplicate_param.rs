use asmforge::kernel;

#[kernel(params(N = 4, N = 8))]
fn k() {
    nop();
}

fn main() {}
