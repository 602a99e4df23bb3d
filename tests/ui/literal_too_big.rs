use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, 0x1_0000_0000_0000_0000);
    return rax;
}

fn main() {}
