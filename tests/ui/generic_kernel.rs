use asmforge::kernel;

#[kernel]
fn k<T: Copy>(x: *const T) {
    nop();
}

fn main() {}
