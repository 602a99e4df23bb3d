use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    const BIG: u64 = 1 << 63;
    mov(rax, BIG * 4);
    return rax;
}

fn main() {}
