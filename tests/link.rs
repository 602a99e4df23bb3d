//! Programs that must build, link and run: generated symbols that could collide at link time.
//! Each file in `tests/link/` is its own program (built by trybuild, so a link error fails
//! that case instead of this test binary).

#[test]
fn kernels_stamped_out_twice_link() {
    trybuild::TestCases::new().pass("tests/link/*.rs");
}
