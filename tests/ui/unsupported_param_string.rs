use asmforge::kernel;

#[kernel]
fn k(s: String) {
    nop();
}

fn main() {}
