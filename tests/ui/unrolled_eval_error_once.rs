use asmforge::kernel;

#[kernel]
fn k() {
    let regs = [xmm0, xmm1];
    for i in 0..4 {
        pxor(regs[i], regs[i]);
    }
}

fn main() {}
