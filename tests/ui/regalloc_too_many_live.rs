use asmforge::kernel;

/// Seventeen vector values live at once: more than xmm0–15, and asmforge never spills.
#[kernel]
unsafe fn k(p: *mut f32) {
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
