//! The PeachPy paper's listings in asmforge (`examples/peachpy/`), run on every variant this
//! CPU supports: `cargo run --example paper`. `tests/paper.rs` checks them against Rust.

#[path = "peachpy/generalized.rs"]
#[allow(dead_code, reason = "the example runs a few kernels of each file")]
mod generalized;
#[path = "peachpy/helpers.rs"]
#[allow(dead_code, reason = "the example runs a few kernels of each file")]
mod helpers;
#[path = "peachpy/readme.rs"]
#[allow(dead_code, reason = "the example runs a few kernels of each file")]
mod readme;
#[path = "peachpy/reduce.rs"]
#[allow(dead_code, reason = "the example runs a few kernels of each file")]
mod reduce;
#[path = "peachpy/streams.rs"]
#[allow(dead_code, reason = "the example runs a few kernels of each file")]
mod streams;

fn main() {
    let x: Vec<f32> = (0..100).map(|i| (i % 7) as f32).collect();
    let y: Vec<f32> = (0..100).map(|i| (i % 5) as f32 - 2.0).collect();
    asmforge::for_each_variant(&reduce::dot_f32::INFO, |v| {
        println!(
            "dot_f32 {:>9}: {}",
            v.name,
            reduce::dot_f32::call(v, &x, &y).unwrap()
        );
    });
    let d: Vec<f64> = (0..11).map(f64::from).collect();
    asmforge::for_each_variant(&reduce::sum_f64::INFO, |v| {
        println!(
            "sum_f64 {:>9}: {}",
            v.name,
            reduce::sum_f64::call(v, &d).unwrap()
        );
    });
    let (a, b) = ([1i64, 2, 3], [10i64, 20, 30]);
    let mut z = [0i64; 3];
    asmforge::for_each_variant(&generalized::sub_i64::INFO, |v| {
        unsafe { generalized::sub_i64::call(v, a.as_ptr(), b.as_ptr(), z.as_mut_ptr(), 3) }
            .unwrap();
        println!("sub_i64 {:>9}: {z:?}", v.name);
    });
    let src: Vec<f32> = (0..32).map(|i| i as f32).collect();
    let mut dst = [0f32; 32];
    unsafe { streams::listing7(src.as_ptr(), dst.as_mut_ptr()) };
    println!("listing7 (x * x): {:?}", &dst[..8]);
    println!("README Add(2, 2) = {}", readme::add(2, 2));
}
