use asmforge::kernel;

#[kernel]
fn k(x: u64) -> u64 {
    mov(rax, x);
    return;
}

fn main() {}
