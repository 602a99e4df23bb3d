use asmforge::kernel;

#[kernel]
fn k(flag: u8) {
    if flag {
        nop();
    }
}

fn main() {}
