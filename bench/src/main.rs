//! `cargo run --release -p asmforge-bench [-- --quick]`: measures the machine's own limits
//! first (probe), then every kernel as a fraction of them and as ratios to peers run side by
//! side. Each section prints lines a script can read.

mod blas;
mod gemm;
mod jit;
mod openblas;
mod plot;
mod probe;
mod vmath;

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    // `--only=blas,gemm` runs only those sections (the probe always runs).
    let only: Option<String> =
        std::env::args().find_map(|a| a.strip_prefix("--only=").map(String::from));
    let wanted = |section: &str| {
        only.as_ref()
            .is_none_or(|o| o.split(',').any(|s| s == section))
    };
    // `--jit-profile=...`: one jit path, repeated, for callgrind (bench/src/jit.rs).
    if let Some(what) =
        std::env::args().find_map(|a| a.strip_prefix("--jit-profile=").map(String::from))
    {
        jit::profile(&what);
        return;
    }
    let machine = probe::measure(quick);
    machine.print();
    if wanted("blas") {
        blas::run(&machine, quick);
    }
    if wanted("gemm") {
        gemm::run(&machine, quick);
    }
    if wanted("vmath") {
        vmath::run(&machine, quick);
    }
    if wanted("jit") {
        jit::run(quick);
    }
}
