use asmforge::kernel;

#[kernel]
fn k(n: u64) {
    if n > 0 {
        dec(n);
    }
}

fn main() {}
