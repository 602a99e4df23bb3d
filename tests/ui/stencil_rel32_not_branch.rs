use asmforge::stencil;

// A rel32 hole is a branch target: as a data operand it is refused.
#[stencil]
fn k(x: u64) -> u64 {
    mov(rax, hole!(rel32 f));
    return rax;
}

fn main() {}
