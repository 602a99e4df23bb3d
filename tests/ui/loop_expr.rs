use asmforge::kernel;

#[kernel]
fn k() {
    loop {
        pause();
    }
}

fn main() {}
