use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const u64) -> u64 {
    return [p];
}

fn main() {}
