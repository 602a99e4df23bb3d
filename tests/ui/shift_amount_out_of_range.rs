use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, 1 << 64);
    return rax;
}

fn main() {}
