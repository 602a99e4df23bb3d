//! `z[i] = x[i] op y[i]` over `i32` and `i64` arrays: Listing 4 of the PeachPy paper, where one
//! generalized source yields add and subtract for both element sizes.
//!
//! The element type is a `macro_rules!` parameter (it appears in the signature); the vector
//! mnemonic (`OP`), the scalar mnemonic (`SOP`) and the element size (`SIZE`) are kernel
//! parameters. The main loop handles 32 bytes per iteration with AVX2; the scalar loop the
//! rest.

use asmforge::kernel;

macro_rules! vector_op {
    ($(#[$attr:meta])* $name:ident: $t:ty, OP = $op:ident, SOP = $sop:ident, SIZE = $size:tt) => {
        $(#[$attr])*
        ///
        /// # Safety
        ///
        /// `x` and `y` must be valid for reading, and `z` for writing, `n` elements.
        #[kernel(params(OP = $op, SOP = $sop, SIZE = $size))]
        pub unsafe fn $name(x: *const $t, y: *const $t, z: *mut $t, n: usize) {
            const LANES: usize = 32 / SIZE; // elements per ymm register
            let t = match SIZE {
                4 => gp32(),
                8 => gp64(),
            };
            let (i, end, v) = (gp64(), gp64(), ymm());
            mov(end, n);
            and(end, -LANES); // elements the vector loop handles
            xor(i.r32(), i.r32()); // i = 0
            test(end, end);
            jz(tail);
            align!(16);
            label!(vector);
            vmovdqu(v, [x + i * SIZE]);
            OP(v, v, [y + i * SIZE]);
            vmovdqu([z + i * SIZE], v);
            add(i, LANES);
            cmp(i, end);
            jb(vector);
            label!(tail);
            cmp(i, n);
            jae(done);
            label!(scalar);
            mov(t, [x + i * SIZE]);
            SOP(t, [y + i * SIZE]);
            mov([z + i * SIZE], t);
            inc(i);
            cmp(i, n);
            jb(scalar);
            label!(done);
        }
    };
}

vector_op! {
    /// `z[i] = x[i] + y[i]` (wrapping) for `i32`.
    vector_add_i32: i32, OP = vpaddd, SOP = add, SIZE = 4
}
vector_op! {
    /// `z[i] = x[i] - y[i]` (wrapping) for `i32`.
    vector_sub_i32: i32, OP = vpsubd, SOP = sub, SIZE = 4
}
vector_op! {
    /// `z[i] = x[i] + y[i]` (wrapping) for `i64`.
    vector_add_i64: i64, OP = vpaddq, SOP = add, SIZE = 8
}
vector_op! {
    /// `z[i] = x[i] - y[i]` (wrapping) for `i64`.
    vector_sub_i64: i64, OP = vpsubq, SOP = sub, SIZE = 8
}

/// The reference: `z[i] = op(x[i], y[i])`.
pub fn vector_op_ref<T: Copy>(x: &[T], y: &[T], op: impl Fn(T, T) -> T) -> Vec<T> {
    x.iter().zip(y).map(|(&a, &b)| op(a, b)).collect()
}
