//! The sum of an `f32` array with AVX: Listing 3 of the PeachPy paper (Dukhan, "PeachPy: A
//! Python Framework for Developing High-Performance Assembly Kernels", PyHPC 2013),
//! parameterized by the unroll factor and the prefetch distance.
//!
//! `UNROLL` ymm accumulators each take 8 lanes of a block of `8 * UNROLL` elements, so the
//! additions of one block are independent; `PREFETCH` bytes ahead of the block, `prefetcht0`
//! asks for data the loop will need soon (0 leaves the instruction out). What is left after
//! the blocks goes through a scalar loop after the horizontal reduction.

use asmforge::kernel;

/// Stamps out one parameterization of the kernel (kernel parameters live in the attribute,
/// so each instantiation is its own function).
macro_rules! vector_sum {
    ($(#[$attr:meta])* $name:ident, UNROLL = $unroll:tt, PREFETCH = $prefetch:tt) => {
        $(#[$attr])*
        #[kernel(params(UNROLL = $unroll, PREFETCH = $prefetch))]
        pub fn $name(x: &[f32]) -> f32 {
            const BLOCK: usize = 8 * UNROLL; // elements per iteration of the main loop
            let n = x.len();
            let acc = ymms(UNROLL); // UNROLL virtual ymm registers
            let upper = xmm();
            for k in 0..UNROLL {
                vxorps(acc[k], acc[k], acc[k]);
            }
            sub(n, BLOCK); // n = elements left after this block
            jb(reduce);
            align!(16);
            label!(block);
            for k in 0..UNROLL {
                vaddps(acc[k], acc[k], [x + k * 32]);
            }
            if PREFETCH > 0 {
                prefetcht0([x + PREFETCH]);
            }
            add(x, BLOCK * 4);
            sub(n, BLOCK);
            jae(block);
            label!(reduce);
            add(n, BLOCK); // 0 <= n < BLOCK elements remain
            for k in 1..UNROLL {
                vaddps(acc[0], acc[0], acc[k]);
            }
            let sum = acc[0].xmm();
            vextractf128(upper, acc[0], 1); // the upper 4 lanes
            vaddps(sum, sum, upper);
            vhaddps(sum, sum, sum);
            vhaddps(sum, sum, sum);
            test(n, n);
            jz(done);
            label!(scalar);
            vaddss(sum, sum, [x]);
            add(x, 4);
            dec(n);
            jnz(scalar);
            label!(done);
            return sum;
        }
    };
}

vector_sum! {
    /// The sum of `x`: 4 accumulators, prefetching 256 bytes ahead.
    vector_sum_u4_p256, UNROLL = 4, PREFETCH = 256
}

vector_sum! {
    /// The sum of `x`: 2 accumulators, no prefetch.
    vector_sum_u2, UNROLL = 2, PREFETCH = 0
}

/// The reference: the kernel's additions in the kernel's order, so the result is exact.
///
/// Lane `j` of accumulator `k` sums elements `8k + j` of every block of `8 * unroll`; the
/// accumulators fold into the first; its halves add lane-wise; two horizontal adds leave
/// `(s0 + s1) + (s2 + s3)`; the tail adds in order.
pub fn vector_sum_ref(x: &[f32], unroll: usize) -> f32 {
    let block = 8 * unroll;
    let mut acc = vec![[0.0f32; 8]; unroll];
    let blocks = x.len() / block;
    for chunk in x.chunks_exact(block) {
        for (k, a) in acc.iter_mut().enumerate() {
            for (j, lane) in a.iter_mut().enumerate() {
                *lane += chunk[8 * k + j];
            }
        }
    }
    let mut v = acc[0];
    for a in &acc[1..] {
        for (lane, x) in v.iter_mut().zip(a) {
            *lane += x;
        }
    }
    let s: [f32; 4] = core::array::from_fn(|j| v[j] + v[j + 4]);
    let mut sum = (s[0] + s[1]) + (s[2] + s[3]);
    for &t in &x[blocks * block..] {
        sum += t;
    }
    sum
}
