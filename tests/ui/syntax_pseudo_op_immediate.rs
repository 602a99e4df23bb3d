use asmforge::kernel;

// `cmpltps` carries its predicate (1) in the name; a written immediate is one too many.
#[kernel]
unsafe fn k(p: *const f32) {
    movups(xmm1, [p]);
    cmpltps(xmm1, xmm2, 1);
}

fn main() {}
