use asmforge::kernel;

#[kernel(params(UNROLL = 4))]
fn k() {
    for _ in 0..UNROL {
        nop();
    }
}

fn main() {}
