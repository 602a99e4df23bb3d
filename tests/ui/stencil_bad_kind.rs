use asmforge::stencil;

#[stencil]
fn k(x: u64) -> u64 {
    mov(rax, hole!(imm12 c));
    return rax;
}

fn main() {}
