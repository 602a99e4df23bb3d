use asmforge::stencil;

#[stencil]
fn k(x: u64) -> u64 {
    mov(rax, x);
    add(rax, hole!(imm32 c) + 1);
    return rax;
}

fn main() {}
