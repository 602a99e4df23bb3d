//! Listings 6 and 7 of the PeachPy paper: instruction streams.

use asmforge::kernel;

/// Listing 6: a scalar and a vector computation recorded as two streams and issued
/// interleaved, one instruction from each in turn, so their latencies overlap: the sum of
/// 8 `u64` and the lane-wise sum of 8 vectors of 4 `f32`.
///
/// # Safety
///
/// `x` must be valid for reading 8 `u64`, `y` 32 `f32` (16-byte aligned); `sx` for writing
/// 1 `u64`, `sy` 4 `f32`.
#[kernel]
pub unsafe fn listing6(x: *const u64, y: *const f32, sx: *mut u64, sy: *mut f32) {
    let (acc, v) = (gp64(), xmm());
    stream!(scalar => { xor(acc.r32(), acc.r32()); for i in 0..8 { add(acc, [x + i * 8]); } });
    stream!(vector => { xorps(v, v); for i in 0..8 { addps(v, [y + i * 16]); } });
    interleave!(scalar, vector);
    mov([sx], acc);
    movups([sy], v);
}

/// Listing 7: software pipelining by columns. Each of `ROWS` vectors is loaded, squared and
/// stored; the three stages are recorded as columns and issued shifted by one row each, so
/// row `r` loads vector `r` while squaring `r - 1` and storing `r - 2`.
///
/// # Safety
///
/// `x` must be valid for reading and `y` for writing `4 * ROWS` `f32`s.
#[kernel(params(ROWS = 8))]
pub unsafe fn listing7(x: *const f32, y: *mut f32) {
    let v = xmms(3);
    for i in 0..ROWS {
        stream!(load => { movups(v[i % 3], [x + i * 16]); });
        stream!(square => { mulps(v[i % 3], v[i % 3]); });
        stream!(store => { movups([y + i * 16], v[i % 3]); });
    }
    pipeline!(load, square, store);
}
