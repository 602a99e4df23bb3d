use asmforge::stencil;

// The rel32 hole must be the branch's only operand.
#[stencil]
fn k(x: u64) -> u64 {
    jmp(hole!(rel32 f), x);
    return rax;
}

fn main() {}
