use asmforge::kernel;

#[kernel]
extern "C" fn k(x: u64) {
    nop();
}

fn main() {}
