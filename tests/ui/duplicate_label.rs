use asmforge::kernel;

#[kernel]
fn k(n: u64) {
    label!(top);
    dec(n);
    label!(top);
    jnz(top);
}

fn main() {}
