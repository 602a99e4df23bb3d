use asmforge::kernel;

#[kernel]
fn k() {
    add(al, 1000);
}

fn main() {}
