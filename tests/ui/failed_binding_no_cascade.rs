use asmforge::kernel;

// A `let` whose value fails is reported once; its later uses add no errors.
#[kernel]
fn k() -> u64 {
    let n = 1 << 64;
    for _ in 0..n {
        nop();
    }
    mov(rax, n);
    let zero = |r| xor(r, r);
    zero(eax);
    return rax;
}

fn main() {}
