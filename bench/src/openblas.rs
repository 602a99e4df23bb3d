//! OpenBLAS through its C interface (`libopenblas-dev`; `build.rs` fails loudly without it).

use std::ffi::{CStr, c_char, c_int};

const ROW_MAJOR: c_int = 101;
const NO_TRANS: c_int = 111;

#[link(name = "openblas")]
unsafe extern "C" {
    fn cblas_sgemm(
        order: c_int,
        ta: c_int,
        tb: c_int,
        m: c_int,
        n: c_int,
        k: c_int,
        alpha: f32,
        a: *const f32,
        lda: c_int,
        b: *const f32,
        ldb: c_int,
        beta: f32,
        c: *mut f32,
        ldc: c_int,
    );
    fn cblas_dgemm(
        order: c_int,
        ta: c_int,
        tb: c_int,
        m: c_int,
        n: c_int,
        k: c_int,
        alpha: f64,
        a: *const f64,
        lda: c_int,
        b: *const f64,
        ldb: c_int,
        beta: f64,
        c: *mut f64,
        ldc: c_int,
    );
    fn openblas_set_num_threads(n: c_int);
    fn openblas_get_corename() -> *const c_char;
}

/// Makes OpenBLAS single-threaded (as `OPENBLAS_NUM_THREADS=1` would) and says which kernel
/// set it picked for this CPU (`OPENBLAS_CORETYPE` in the environment overrides its choice).
pub fn single_thread() {
    // SAFETY: plain C calls without pointers in; the name is a static NUL-terminated string.
    let core = unsafe {
        openblas_set_num_threads(1);
        CStr::from_ptr(openblas_get_corename())
            .to_string_lossy()
            .into_owned()
    };
    let env = std::env::var("OPENBLAS_CORETYPE").unwrap_or_else(|_| "unset".into());
    println!("openblas: core {core}, 1 thread, OPENBLAS_CORETYPE {env}");
}

fn dim(n: usize) -> c_int {
    c_int::try_from(n).expect("n fits a C int")
}

/// Row-major n × n `C = A · B`.
pub fn sgemm(n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    assert!(a.len() >= n * n && b.len() >= n * n && c.len() >= n * n);
    let d = dim(n);
    // SAFETY: the three slices hold n × n row-major matrices.
    unsafe {
        cblas_sgemm(
            ROW_MAJOR,
            NO_TRANS,
            NO_TRANS,
            d,
            d,
            d,
            1.0,
            a.as_ptr(),
            d,
            b.as_ptr(),
            d,
            0.0,
            c.as_mut_ptr(),
            d,
        )
    }
}

/// Row-major n × n `C = A · B` in f64.
pub fn dgemm(n: usize, a: &[f64], b: &[f64], c: &mut [f64]) {
    assert!(a.len() >= n * n && b.len() >= n * n && c.len() >= n * n);
    let d = dim(n);
    // SAFETY: as above.
    unsafe {
        cblas_dgemm(
            ROW_MAJOR,
            NO_TRANS,
            NO_TRANS,
            d,
            d,
            d,
            1.0,
            a.as_ptr(),
            d,
            b.as_ptr(),
            d,
            0.0,
            c.as_mut_ptr(),
            d,
        )
    }
}
