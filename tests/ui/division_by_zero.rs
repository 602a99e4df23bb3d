use asmforge::kernel;

#[kernel(params(LANES = 0))]
fn k() -> u64 {
    mov(rax, 64 / LANES);
    return rax;
}

fn main() {}
