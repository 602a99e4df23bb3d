use asmforge::kernel;

#[kernel]
fn k() {
    println!("hello");
}

fn main() {}
