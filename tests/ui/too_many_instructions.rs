use asmforge::kernel;

#[kernel]
fn k() {
    for _ in 0..1000 {
        for _ in 0..1000 {
            nop();
        }
    }
}

fn main() {}
