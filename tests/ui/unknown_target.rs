use asmforge::kernel;

#[kernel(targets(sse2, avx3))]
fn k() {}

fn main() {}
