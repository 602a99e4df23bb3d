use asmforge::stencil;

#[stencil]
fn k(x: u64) -> u64 {
    mov(rax, hole!(imm64 next));
    return rax;
}

fn main() {}
