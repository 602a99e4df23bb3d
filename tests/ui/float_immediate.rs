use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, 1.5);
    return rax;
}

fn main() {}
