use asmforge::kernel;

#[kernel(unroll = 4)]
fn k() {
    nop();
}

fn main() {}
