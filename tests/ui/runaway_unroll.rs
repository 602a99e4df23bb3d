use asmforge::kernel;

#[kernel]
fn k() {
    for _ in 0..100000000 {
        nop();
    }
}

fn main() {}
