use asmforge::kernel;

#[kernel]
fn k(x: u64) -> u64 {
    let t = local(8);
    push(x);
    mov([t], x);
    pop(rax);
    return rax;
}

fn main() {}
