use asmforge::kernel;

#[kernel]
fn k() {
    addps(xmm0, rax);
}

fn main() {}
