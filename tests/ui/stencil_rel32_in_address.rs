use asmforge::stencil;

// An indirect call through memory takes a disp32 hole in its address, not a rel32 one.
#[stencil]
unsafe fn k(p: *const u64) -> u64 {
    call(qword[p + hole!(rel32 f)]);
    return rax;
}

fn main() {}
