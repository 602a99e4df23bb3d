use asmforge::kernel;

#[kernel]
fn k() {
    for i in 0..5 {
        pshufd(xmm0, xmm1, i * 100);
    }
}

fn main() {}
