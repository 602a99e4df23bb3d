use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, [xmm0]);
    return rax;
}

fn main() {}
