use asmforge::kernel;

#[kernel]
unsafe fn k(p: *const u8) -> u32 {
    movzx(eax, [p]);
    return eax;
}

fn main() {}
