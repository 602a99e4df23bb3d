use asmforge::stencil;

// A branch target hole must be rel32 (patched relative to where the code lands).
#[stencil]
fn k(x: u64) -> u64 {
    test(x, x);
    jnz(hole!(imm32 elsewhere));
    mov(rax, x);
    return rax;
}

fn main() {}
