use asmforge::kernel;

/// Three independent errors in one compile: an evaluation error, a selection error, and too
/// many live registers in the statements that did compile.
#[kernel]
unsafe fn k(p: *mut f32) {
    let scale = 1 / 0;
    vaddpz(xmm0, xmm1, xmm2);
    let v = xmms(17);
    for i in 0..17 {
        movups(v[i], [p + i * 16]);
    }
    for i in 1..17 {
        addps(v[0], v[i]);
    }
    movups([p], v[0]);
}

fn main() {}
