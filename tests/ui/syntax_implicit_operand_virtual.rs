use asmforge::kernel;

// A virtual register cannot stand for the implicit xmm0 of SHA256RNDS2.
#[kernel]
unsafe fn k(p: *const u32) {
    let wk = xmm();
    movdqu(wk, [p]);
    sha256rnds2(xmm1, xmm2, wk);
}

fn main() {}
