use asmforge::stencil;

#[stencil]
fn k(x: u64) -> u64 {
    let unused = hole!(imm32 c);
    mov(rax, x);
    return rax;
}

fn main() {}
