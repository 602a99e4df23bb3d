//! `cargo run --release -p asmforge-bench [-- --quick]`: measures the machine's own limits
//! first (probe), then every kernel as a fraction of them and as ratios to peers run side by
//! side. Each section prints lines a script can read.

mod blas;
mod gemm;
mod openblas;
mod plot;
mod probe;
mod vmath;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let machine = probe::measure(quick);
    machine.print();
    blas::run(&machine, quick);
    gemm::run(&machine, quick);
    vmath::run(&machine, quick);
}
