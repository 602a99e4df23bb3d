//! Compile-fail tests of the kernel macro's diagnostics: one diagnostic per file, each with
//! its expected `.stderr` committed beside it (plus a few `pass/` cases, which must build
//! and run). Regenerate with
//! `TRYBUILD=overwrite cargo test --test ui`, then read every changed `.stderr`.
//!
//! Host only: trybuild runs cargo for each case and the `.stderr` files are the host's
//! output, so the Windows suite (`.ci/windows`, run under wine) leaves this file out.

#![cfg(not(windows))]

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
    // Valid kernels that once failed to compile or ran wrong.
    t.pass("tests/ui/pass/*.rs");
}
