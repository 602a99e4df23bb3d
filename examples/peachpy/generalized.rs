//! Listing 4 of the PeachPy paper: one generalized source, four kernels — add and subtract
//! over `i32` and `i64` — plus a Windows-x64 instance of the same body. The element type is
//! a parameter that appears in the signature; no `macro_rules!` is needed.

use asmforge::kernel;

/// `z[i] = x[i] OP y[i]` for `i < n`: 32 bytes per AVX2 iteration, then a scalar tail.
///
/// # Safety
///
/// `x` and `y` must be valid for reading, and `z` for writing, `n` elements.
#[kernel(targets(avx2), instances(
    add_i32 = (T = i32, OP = vpaddd, SOP = add),
    sub_i32 = (T = i32, OP = vpsubd, SOP = sub),
    add_i64 = (T = i64, OP = vpaddq, SOP = add),
    sub_i64 = (T = i64, OP = vpsubq, SOP = sub),
    sub_i64_win64 = (T = i64, OP = vpsubq, SOP = sub, abi = "win64"),
))]
pub unsafe fn vector_op(x: *const T, y: *const T, z: *mut T, n: usize) {
    let (size, t) = match T {
        i32 => (4, gp32()),
        i64 => (8, gp64()),
    };
    let (i, end, v) = (gp64(), gp64(), ymm());
    mov(end, n);
    and(end, -(32 / size)); // elements the vector loop handles
    xor(i.r32(), i.r32());
    label!(vector);
    cmp(i, end);
    jae(scalar);
    vmovdqu(v, [x + i * size]);
    OP(v, v, [y + i * size]);
    vmovdqu([z + i * size], v);
    add(i, 32 / size);
    jmp(vector);
    label!(scalar);
    cmp(i, n);
    jae(done);
    mov(t, [x + i * size]);
    SOP(t, [y + i * size]);
    mov([z + i * size], t);
    inc(i);
    jmp(scalar);
    label!(done);
}
