use asmforge::kernel;

#[kernel(params(WIDTH = 3))]
fn k() {
    match WIDTH {
        1 => nop(),
        2 => pause(),
    }
}

fn main() {}
