use asmforge::kernel;

#[kernel]
fn k() -> u32 {
    mov(eax, [ebx]);
    return eax;
}

fn main() {}
