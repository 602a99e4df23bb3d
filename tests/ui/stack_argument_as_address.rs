use asmforge::kernel;

#[kernel]
unsafe fn k(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, p: *const u64) -> u64 {
    mov(rax, [p + 8]);
    return rax;
}

fn main() {}
