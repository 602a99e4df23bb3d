use asmforge::kernel;

#[kernel]
fn k() {
    align!(24);
    nop();
}

fn main() {}
