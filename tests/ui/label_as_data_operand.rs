use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    label!(here);
    mov(rax, here);
    return rax;
}

fn main() {}
