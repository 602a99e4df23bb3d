//! `out[i] = a[i] + b[i]`: the scalar SSE loop from the DSL reference.

use asmforge::kernel;

/// `out[i] = a[i] + b[i]` for `i < n`, one `f32` at a time.
///
/// # Safety
///
/// `a` and `b` must be valid for reading, and `out` for writing, `n` elements.
#[kernel]
pub unsafe fn add_f32(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    xor(eax, eax); // i = 0 (writing eax zeroes all of rax)
    test(n, n);
    jz(done);
    align!(16);
    label!(top);
    movss(xmm0, [a + rax * 4]);
    addss(xmm0, [b + rax * 4]);
    movss([out + rax * 4], xmm0);
    inc(rax);
    cmp(rax, n);
    jb(top);
    label!(done);
}

/// The reference: element-wise `a[i] + b[i]` (exact: one IEEE addition per element, as the
/// kernel does).
pub fn add_f32_ref(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}
