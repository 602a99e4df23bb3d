use asmforge::kernel;

#[kernel]
fn k() {
    let n = 3;
    stream!(a => { nop(); });
    interleave!(a, missing);
    pipeline!(a, n);
    stream!(a { nop(); });
}

fn main() {}
