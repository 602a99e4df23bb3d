//! The PeachPy paper's custom instruction, shared by the kernels of `reduce.rs` (in
//! another module: they import it with `use crate::helpers::haddpd;`).

use asmforge::instruction;

/// `HADDPD dst, src` (SSE3: `dst = [dst0 + dst1, src0 + src1]`) on every variant: the real
/// instruction where the variant has SSE3, else the paper's SSE2 emulation through a private
/// temporary. Inside its own body, `haddpd` is the instruction it stands in for.
#[instruction]
pub fn haddpd(dst: Vec, src: Vec) {
    if has!(sse3) {
        haddpd(dst, src);
    } else {
        let t = like(dst);
        movapd(t, dst);
        unpcklpd(dst, src);
        unpckhpd(t, src);
        addpd(dst, t);
    }
}
