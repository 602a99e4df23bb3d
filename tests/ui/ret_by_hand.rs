use asmforge::kernel;

#[kernel]
fn k() {
    xor(eax, eax);
    ret();
}

fn main() {}
