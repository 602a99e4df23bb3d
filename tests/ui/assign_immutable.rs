use asmforge::kernel;

#[kernel]
fn k() {
    let n = 4;
    n += 1;
    for _ in 0..n {
        nop();
    }
}

fn main() {}
