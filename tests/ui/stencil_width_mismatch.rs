use asmforge::stencil;

// `add r64, imm` has no 16-bit immediate form: the field is 4 bytes.
#[stencil]
fn k(x: u64) -> u64 {
    mov(rax, x);
    add(rax, hole!(imm16 c));
    return rax;
}

fn main() {}
