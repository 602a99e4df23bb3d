// The body of the `fuse` example (see ../fuse.rs), which needs `asmforge::jit` (Unix).


use asmforge::measure::tsc;
use stencils::{FuseStencils, Op, PipeFn, Src};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        println!("this CPU lacks AVX2+FMA: the stencils cannot run here");
        return Ok(());
    }
    let args: Vec<f32> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (a, b, c) = match args[..] {
        [a, b, c, ..] => (a, b, c),
        _ => (0.5, -1.0, 0.25),
    };
    let st = FuseStencils::new();
    let ops = [Op::FmaConst(a, b), Op::FmaX(c), Op::Max(0.0)];
    let (ticks, code) = tsc::measure(|| st.pipeline(Src::X, &ops, false));
    let code = code?;
    println!(
        "a = {a}, b = {b}, c = {c}: stitched {} bytes of code + {} of pool in {ticks} TSC ticks",
        code.code_len(),
        code.bytes().len() - code.code_len()
    );
    let fused = code.map::<PipeFn>()?;

    let n = 1 << 20;
    let x: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 4096) as f32 / 512.0 - 4.0)
        .collect();
    let mut want = vec![0.0f32; n];
    for i in 0..n {
        want[i] = x[i].mul_add(a, b).mul_add(x[i], c).max(0.0);
    }
    let mut out = vec![f32::NAN; n];
    let (t_fused, ()) = tsc::measure(|| {
        // SAFETY: x and out hold n elements; y is not read by a Src::X pipeline.
        unsafe {
            fused
                .func()
                .call(x.as_ptr(), x.as_ptr(), out.as_mut_ptr(), n)
        }
    });
    assert_eq!(out, want, "fused");

    // Three passes: t = x·a + b; t = t·x + c; out = max(t, 0).
    let p1 = st
        .pipeline(Src::X, &[Op::FmaConst(a, b)], false)?
        .map::<PipeFn>()?;
    let p2 = st
        .pipeline(Src::Y, &[Op::FmaX(c)], false)?
        .map::<PipeFn>()?;
    let p3 = st
        .pipeline(Src::X, &[Op::Max(0.0)], false)?
        .map::<PipeFn>()?;
    let mut t = vec![f32::NAN; n];
    let mut out3 = vec![f32::NAN; n];
    let (t_three, ()) = tsc::measure(|| {
        // SAFETY: every array holds n elements.
        unsafe {
            p1.func().call(x.as_ptr(), x.as_ptr(), t.as_mut_ptr(), n);
            p2.func().call(x.as_ptr(), t.as_ptr(), t.as_mut_ptr(), n);
            p3.func().call(t.as_ptr(), t.as_ptr(), out3.as_mut_ptr(), n);
        }
    });
    assert_eq!(out3, want, "three passes");
    println!(
        "{n} elements checked against Rust: one fused pass {t_fused} ticks, three passes {t_three} ticks"
    );
    Ok(())
}
