use asmforge::kernel;

#[kernel(targets(sse2))]
fn twice_u64(x: u64) -> u64 {
    lea(rax, [x + x]);
    return rax;
}

#[kernel(targets(sse2))]
fn twice_u32(x: u32) -> u32 {
    lea(eax, [x.r64() + x.r64()]);
    return eax;
}

#[asmforge::dispatch(twice_u32, twice_u64)]
fn twice(x: u64) -> u64;

fn main() {
    let _ = twice(1);
}
