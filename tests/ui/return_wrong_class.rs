use asmforge::kernel;

#[kernel]
fn k(x: u64) -> u64 {
    movq(xmm0, x);
    return xmm0;
}

fn main() {}
