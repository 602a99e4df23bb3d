use asmforge::kernel;

#[kernel]
fn k() {
    for _ in (0..10).step_by(1 << 62).step_by(1 << 62).step_by(1 << 62) {
        nop();
    }
}

fn main() {}
