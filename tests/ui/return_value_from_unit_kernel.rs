use asmforge::kernel;

#[kernel]
fn k() {
    xor(eax, eax);
    return rax;
}

fn main() {}
