//! Runs `sdot` on every variant this CPU supports and through dispatch.
//! `cargo run --release --example sdot` (try `ASMFORGE_ISA=sse2`).

#[path = "kernels/sdot.rs"]
mod sdot_kernel;

use sdot_kernel::{sdot, sdot_f64};

fn main() {
    let n = 1000;
    let x: Vec<f32> = (0..n).map(|i| (i % 7) as f32 * 0.25).collect();
    let y: Vec<f32> = (0..n).map(|i| (i % 5) as f32 - 2.0).collect();
    println!("reference (f64): {}", sdot_f64(&x, &y));
    asmforge::for_each_variant(&sdot::INFO, |v| {
        println!("{:>10}: {}", v.name, sdot::call(v, &x, &y).unwrap());
    });
    let picked = sdot::DISPATCH.selected().map_or("fallback", |v| v.name);
    println!("dispatched ({picked}): {}", sdot(&x, &y));
}
