//! Builds the C shims through which the bench calls native peers, and links the peers. Fails
//! loudly, naming the package to install, when a peer is missing.
//!
//! `vmath_links()` is the vector-math part (libmvec, SLEEF, glibc's libm); other sections add
//! their own function and a call in `main`.

use std::path::Path;

/// Where Debian and Ubuntu put multiarch libraries and headers, then the classic places.
const LIB_DIRS: [&str; 4] = [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/local/lib",
];
const INCLUDE_DIRS: [&str; 3] = [
    "/usr/include/x86_64-linux-gnu",
    "/usr/include",
    "/usr/local/include",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    openblas_links();
    vmath_links();
}

/// OpenBLAS, the GEMM peer (`cblas_sgemm`/`cblas_dgemm`, run single-threaded).
/// `bench/install-peers.sh` installs every peer.
fn openblas_links() {
    require("libopenblas.so", &LIB_DIRS, "libopenblas-dev", "OpenBLAS");
}

/// Panics with the package to install unless `file` is in one of `dirs`.
fn require(file: &str, dirs: &[&str], package: &str, what: &str) {
    if !dirs.iter().any(|d| Path::new(d).join(file).exists()) {
        panic!(
            "\n\nasmforge-bench needs {what} ({file}) as a peer and did not find it in {dirs:?}.\n\
             Install it with `apt-get update && apt-get install -y {package}`.\n"
        );
    }
}

/// libmvec (glibc's vector math, AVX2 `_ZGVdN8v_*` and AVX-512 `_ZGVeN16v_*`), SLEEF 3.x
/// (`Sleef_*_u10avx2`, `Sleef_*_u10avx512f`) and glibc's scalar libm, called through
/// `shim/vmath_*.c`: one file per instruction set, each compiled with its own flags.
fn vmath_links() {
    require("libmvec.so", &LIB_DIRS, "libc6-dev", "glibc's libmvec");
    require("libsleef.so", &LIB_DIRS, "libsleef-dev", "SLEEF");
    require("sleef.h", &INCLUDE_DIRS, "libsleef-dev", "SLEEF's header");
    for (file, flags) in [
        ("shim/vmath_avx2.c", &["-mavx2", "-mfma"][..]),
        ("shim/vmath_avx512.c", &["-mavx512f"][..]),
        (
            "shim/vmath_scalar.c",
            &["-fno-tree-vectorize", "-fno-builtin"][..],
        ),
    ] {
        println!("cargo:rerun-if-changed={file}");
        let mut b = cc::Build::new();
        b.file(file).opt_level(2);
        for f in flags {
            b.flag(f);
        }
        let name = Path::new(file)
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("shim file name");
        b.compile(&format!("asmforge_{name}"));
    }
    println!("cargo:rustc-link-lib=dylib=sleef");
    println!("cargo:rustc-link-lib=dylib=mvec");
    println!("cargo:rustc-link-lib=dylib=m");
}
