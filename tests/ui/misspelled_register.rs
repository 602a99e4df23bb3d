use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, rbxx);
    return rax;
}

fn main() {}
