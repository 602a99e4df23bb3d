use asmforge::kernel;

/// Eight mask values live at once: k1–k7 can be allocated (k0 means "no mask").
#[kernel(targets(avx512f))]
fn k(m: u32) -> u32 {
    let v = kregs(8);
    for i in 0..8 {
        kmovw(v[i], m);
    }
    for i in 1..8 {
        korw(v[0], v[0], v[i]);
    }
    kmovw(eax, v[0]);
    return eax;
}

fn main() {}
