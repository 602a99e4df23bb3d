use asmforge::stencil;

#[stencil]
fn k(x: u64) -> u64 {
    mov(rax, hole!(imm64 c));
    add(rax, hole!(imm32 c));
    return rax;
}

fn main() {}
