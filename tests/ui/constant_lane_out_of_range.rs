use asmforge::kernel;

#[kernel]
fn k() {
    vpaddb(xmm0, xmm0, u8x16(256));
}

fn main() {}
