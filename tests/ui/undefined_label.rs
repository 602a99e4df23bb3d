use asmforge::kernel;

#[kernel]
fn k(n: u64) {
    label!(top);
    dec(n);
    jnz(tpo);
}

fn main() {}
