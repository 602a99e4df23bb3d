use asmforge::kernel;

#[kernel]
fn k() {
    let buf = local(100_000, 64);
    mov(byte[buf], 0);
}

fn main() {}
