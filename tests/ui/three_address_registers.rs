use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, [rdi + rsi + rdx]);
    return rax;
}

fn main() {}
