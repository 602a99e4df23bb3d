use asmforge::kernel;

#[kernel]
fn k(&self) {
    nop();
}

fn main() {}
