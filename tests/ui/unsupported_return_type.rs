use asmforge::kernel;

#[kernel]
fn k() -> bool {
    mov(eax, 1);
    return eax;
}

fn main() {}
