use asmforge::kernel;

#[kernel]
fn k() {
    let x = add(rax, 1);
}

fn main() {}
