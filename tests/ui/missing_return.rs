use asmforge::kernel;

#[kernel]
fn k(x: u64) -> u64 {
    mov(rax, x);
    add(rax, 1);
}

fn main() {}
