use asmforge::kernel;

/// Writing the caller's `&[f32]` or `*const u32`: each store is an error naming the parameter;
/// reads through them, and writes through `&mut [f32]`, are fine.
#[kernel]
unsafe fn k(x: &[f32], p: *const u32, out: &mut [f32]) {
    movss(xmm0, [x]);
    movss([x + 4], xmm0);
    add(dword[p + 8], 1);
    movss([out], xmm0);
}

fn main() {}
