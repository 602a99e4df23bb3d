use asmforge::instruction;

#[instruction]
fn returns(x: Gp) -> u64 {
    mov(rax, x);
}

#[instruction]
fn untyped(x: String, y: Reg) {
    mov(y, x);
}

fn main() {}
