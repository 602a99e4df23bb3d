use asmforge::kernel;

/// The instruction limit stops the kernel with one error: the label defined after the cut
/// and the instruction after it add nothing.
#[kernel]
fn k() {
    jmp(end);
    for _ in 0..1000 {
        for _ in 0..1000 {
            nop();
        }
    }
    label!(end);
    vaddpz(xmm0, xmm1, xmm2);
}

fn main() {}
