//! `out[i] = a[i] + b[i]`: the scalar SSE loop from the DSL reference.

use asmforge::kernel;

/// `out[i] = a[i] + b[i]` for `i < n`, one `f32` at a time.
///
/// # Safety
///
/// `a` and `b` must be valid for reading, and `out` for writing, `n` elements.
#[kernel]
pub unsafe fn add_f32(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    let i = gp64();
    let v = xmm();
    xor(i.r32(), i.r32()); // i = 0 (writing the 32-bit view zeroes the whole register)
    test(n, n);
    jz(done);
    align!(16);
    label!(top);
    movss(v, [a + i * 4]);
    addss(v, [b + i * 4]);
    movss([out + i * 4], v);
    inc(i);
    cmp(i, n);
    jb(top);
    label!(done);
}

/// The reference: element-wise `a[i] + b[i]` (exact: one IEEE addition per element, as the
/// kernel does).
pub fn add_f32_ref(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}
