use asmforge::kernel;

#[kernel]
fn k(n: u64) {
    while n != 0 {
        dec(n);
    }
}

fn main() {}
