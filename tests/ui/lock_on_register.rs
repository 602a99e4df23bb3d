use asmforge::kernel;

#[kernel]
fn k() {
    lock_add(rax, 1);
}

fn main() {}
