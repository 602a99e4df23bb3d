use asmforge::kernel;

#[kernel]
fn k(s: &str) {
    nop();
}

fn main() {}
