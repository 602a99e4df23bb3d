use asmforge::kernel;

#[kernel]
fn k() {
    let a = local(40_000);
    let b = local(40_000);
    mov(byte[a], 0);
    mov(byte[b], 0);
}

fn main() {}
