//! Accuracy of the vector math, in ulp, against references at least 20 bits more precise.
//!
//! ```text
//! cargo run --release -p asmforge-kernels --example ulp -- [--exhaustive] [--all-variants] [--f64 N] [--only expf]
//! ```
//!
//! f32 functions: against f64 std (the platform libm, 53 bits: 29 more than f32; for sin/cos
//! of |x| >= 2^17 an exact integer reduction finished by libm, see
//! `accuracy::sincos_f32_reference`) on every
//! input — all 2^32 with `--exhaustive`, else 2^24 random bit patterns plus 2^22 random values
//! of the range where the function's result is finite and nonzero. The best variant the CPU
//! runs, or each with `--all-variants`. f64 functions: `N` random inputs per binade range
//! (default 10^5, `--f64 N`) against glibc's binary128 functions (113 bits), plus the
//! special values. Prints, per function, the maximum error, where, and how many inputs exceed
//! the documented bound; exits with status 1 if any does.
//!
//! Linux/glibc on x86-64 only: the f64 references are glibc's binary128 functions. Elsewhere
//! the example says so and exits with status 2.

#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu"))]
include!("ulp_impl/imp.rs");

#[cfg(not(all(target_arch = "x86_64", target_os = "linux", target_env = "gnu")))]
fn main() {
    eprintln!(
        "ulp: needs x86-64 Linux with glibc (the f64 references are glibc's binary128 functions)"
    );
    std::process::exit(2);
}
