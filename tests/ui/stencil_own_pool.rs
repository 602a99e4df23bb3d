use asmforge::stencil;

#[stencil(targets(avx))]
fn k(x: f32) -> f32 {
    vaddss(xmm0, xmm0, f32(1.5));
    return xmm0;
}

fn main() {}
