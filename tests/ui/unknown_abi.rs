use asmforge::kernel;

#[kernel(abi = "C")]
fn k() {
    nop();
}

fn main() {}
