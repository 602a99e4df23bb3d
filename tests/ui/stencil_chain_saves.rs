use asmforge::stencil;

#[stencil(chain)]
fn k(x: u64) {
    mov(rbx, x);
}

fn main() {}
