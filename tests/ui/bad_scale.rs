use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const u32, i: usize) -> u32 {
    mov(eax, [p + i * 3]);
    return eax;
}

fn main() {}
