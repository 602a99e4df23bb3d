use asmforge::kernel;

#[kernel(params(n = 4))]
fn k(n: u64) {
    nop();
}

fn main() {}
