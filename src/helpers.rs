//! A library of custom instructions (`#[asmforge::instruction]`), usable from any crate:
//! `use asmforge::helpers::{muladd, reduce_sum};` at the top of a kernel body.
//!
//! Each adapts to the variant being built (`has!(...)`), so one kernel body serves SSE2,
//! AVX, AVX2+FMA and AVX-512 targets.
//!
//! ```
//! use asmforge::kernel;
//!
//! /// The sum of `x`, four `f32` at a time (the length is a multiple of 4).
//! #[kernel(targets(sse2, avx))]
//! pub unsafe fn sum4(x: *const f32, n: usize) -> f32 {
//!     use asmforge::helpers::reduce_sum;
//!     let acc = [xmm(), xmm()];
//!     xorps(acc[0], acc[0]);
//!     xorps(acc[1], acc[1]);
//!     xor(eax, eax);
//!     label!(top);
//!     movups(acc[1], [x + rax * 4]);
//!     addps(acc[0], acc[1]);
//!     add(rax, 4);
//!     cmp(rax, n);
//!     jb(top);
//!     xorps(acc[1], acc[1]);
//!     reduce_sum(acc);
//!     return acc[0];
//! }
//!
//! assert_eq!(unsafe { sum4([1.0f32, 2.0, 3.0, 4.0].as_ptr(), 4) }, 10.0);
//! ```

use asmforge_macros::instruction;

/// `acc += a * b` on packed `f32`, at the width of `acc`: one `vfmadd231ps` where the
/// variant has FMA, else a multiply into a private temporary and an add (VEX-encoded with
/// AVX, SSE otherwise; there `b` in memory must be 16-byte aligned, as for `mulps`).
#[instruction]
pub fn muladd(acc: Vec, a: Vec, b: Operand) {
    if has!(fma) {
        vfmadd231ps(acc, a, b);
    } else if has!(avx) {
        let t = like(acc);
        vmulps(t, a, b);
        vaddps(acc, acc, t);
    } else {
        let t = like(acc);
        movaps(t, a);
        mulps(t, b);
        addps(acc, t);
    }
}

/// Sums every `f32` lane of every register in `acc` into the low lane of `acc[0]`: the
/// accumulators pairwise (a tree, `ceil(log2(len))` rounds), then the lanes of `acc[0]`
/// (zmm → ymm → xmm → scalar). The other registers and lanes are clobbered.
#[instruction]
pub fn reduce_sum(acc: [Vec]) {
    let mut n = acc.len();
    for _ in 0..n.next_power_of_two().ilog2() {
        let half = n / 2;
        for i in 0..half {
            let (a, b) = (acc[i], acc[n - half + i]);
            if has!(avx) {
                vaddps(a, a, b);
            } else {
                addps(a, b);
            }
        }
        n -= half;
    }
    let x = acc[0];
    let t = like(x);
    if x.bytes() == 64 {
        vextractf64x4(t.ymm(), x, 1);
        vaddps(x.ymm(), x.ymm(), t.ymm());
    }
    if x.bytes() >= 32 {
        vextractf128(t.xmm(), x.ymm(), 1);
        vaddps(x.xmm(), x.xmm(), t.xmm());
    }
    let (x, t) = (x.xmm(), t.xmm());
    if has!(avx) {
        vpshufd(t, x, 0x4e);
        vaddps(x, x, t);
        vpshufd(t, x, 0x55);
        vaddss(x, x, t);
    } else {
        pshufd(t, x, 0x4e); // the high 64 bits to the low
        addps(x, t);
        pshufd(t, x, 0x55); // lane 1 to lane 0
        addss(x, t);
    }
}
