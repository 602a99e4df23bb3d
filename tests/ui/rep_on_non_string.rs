use asmforge::kernel;

#[kernel]
fn k() {
    rep_add(rax, 1);
}

fn main() {}
