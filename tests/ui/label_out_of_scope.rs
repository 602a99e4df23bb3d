use asmforge::kernel;

#[kernel]
fn k() {
    for _ in 0..2 {
        label!(inner);
        nop();
    }
    jmp(inner);
}

fn main() {}
