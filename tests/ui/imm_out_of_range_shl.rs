use asmforge::kernel;

#[kernel]
fn k(x: u64) -> u64 {
    mov(rax, x);
    shl(rax, 300);
    return rax;
}

fn main() {}
