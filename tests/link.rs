//! Programs that must build, link and run: generated symbols that could collide at link time.
//! Each file in `tests/link/` is its own program (built by trybuild, so a link error fails
//! that case instead of this test binary).

#[test]
#[ignore = "known bug: a macro_rules! that defines one kernel in two modules gives both \
            copies the same symbol (duplicate symbol at link time); see \
            tests/link/same_kernel_in_two_modules.rs"]
fn kernels_stamped_out_twice_link() {
    trybuild::TestCases::new().pass("tests/link/*.rs");
}
