use asmforge::kernel;

#[kernel]
fn k() {
    fn helper() {}
    nop();
}

fn main() {}
