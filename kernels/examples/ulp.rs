//! Accuracy of the vector math, in ulp, against references at least 20 bits more precise.
//!
//! ```text
//! cargo run --release -p asmforge-kernels --example ulp -- [--exhaustive]
//!     [--all-variants | --variant NAME] [--f32 | --f64] [--per-binade N] [--only NAME]
//! ```
//!
//! f32 functions (`--f32` alone skips f64): against f64 std (the platform libm; glibc's f64
//! exp/log/sin/cos are within 1 f64 ulp, i.e. within 2^-28 f32 ulp: 28 bits more precise; for
//! sin/cos of |x| >= 2^17 an exact integer reduction finished by libm, see
//! `accuracy::sincos_f32_reference`) on every input — all 2^32 with `--exhaustive`, else 2^24
//! random bit patterns plus 2^22 random values of the range where the function's result is
//! finite and nonzero. The best variant the CPU runs (the one users get), every one with
//! `--all-variants` (the reference computed once per input for all of them), or one by name
//! with `--variant sse2`; every core works.
//!
//! f64 functions (`--f64` alone skips f32): `N` random inputs (default 10^5, `--per-binade N`)
//! per binade range (`accuracy::binade_ranges`: single binades where the kernels change
//! behaviour, groups of binades elsewhere), through every variant and the scalar code, against
//! the double-double reference `ddref` (~106 bits, validated against glibc's binary128 in
//! `tests/vmath.rs`), plus the special values against glibc's binary128 functions.
//!
//! Prints, per function and path, the maximum error, where, and how many inputs exceed the
//! documented bound (and for f64 a line per binade range); exits with status 1 if any does.
//!
//! Linux/glibc on x86-64 only: the special-value references are glibc's binary128 functions. Elsewhere
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
