use asmforge::kernel;

#[kernel]
fn k() {
    let zero = |r| xor(r, r);
    zero(eax);
}

fn main() {}
