use asmforge::kernel;

/// Dispatch tries the last target first: `sse2` after `avx2` would never run where `avx2`
/// can, so the order is an error, not a silent choice.
#[kernel(targets(avx2, sse2))]
fn k(x: u64) -> u64 {
    lea(rax, [x + 1]);
    return rax;
}

fn main() {}
