use asmforge::kernel;

#[kernel]
fn k() -> u64 {
    mov(rax, [rax + rsp * 2]);
    return rax;
}

fn main() {}
