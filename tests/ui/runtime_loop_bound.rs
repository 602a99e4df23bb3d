use asmforge::kernel;

#[kernel]
fn k(n: usize) {
    for _ in 0..n {
        nop();
    }
}

fn main() {}
