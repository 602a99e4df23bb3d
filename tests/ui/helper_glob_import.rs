use asmforge::kernel;

mod helpers {}

#[kernel]
fn k() {
    use helpers::*;
    nop();
}

fn main() {}
