//! The peers' entry points: C shims (`bench/shim/vmath_*.c`) that loop over arrays and call
//! libmvec, SLEEF u10 and glibc's scalar libm (see `bench/build.rs`, `vmath_links`).

/// A peer over an array: `y[i] = f(x[i])`, `n` a multiple of the vector width.
pub type PeerFn<T> = unsafe extern "C" fn(*const T, *mut T, usize);

/// One function's peers: libmvec and SLEEF at AVX2 width (index 0) and AVX-512 width (1), and
/// the glibc scalar loop.
pub struct Peers<T: 'static> {
    pub libmvec: [PeerFn<T>; 2],
    pub sleef: [PeerFn<T>; 2],
    pub glibc: PeerFn<T>,
}

unsafe extern "C" {
    fn asmforge_vm_libmvec_expf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_expf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_expf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_expf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_glibc_expf(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_exp_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_exp_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_exp_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_exp_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_glibc_exp(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_exp2f_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_exp2f_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_exp2f_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_exp2f_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_glibc_exp2f(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_exp2_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_exp2_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_exp2_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_exp2_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_glibc_exp2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_logf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_logf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_logf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_logf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_glibc_logf(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_log_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_log_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_log_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_log_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_glibc_log(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_log2f_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_log2f_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_log2f_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_log2f_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_glibc_log2f(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_log2_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_log2_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_log2_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_log2_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_glibc_log2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_sinf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_sinf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_sinf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_sinf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_glibc_sinf(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_sin_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_sin_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_sin_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_sin_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_glibc_sin(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_cosf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_cosf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_cosf_avx2(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_sleef_cosf_avx512(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_glibc_cosf(x: *const f32, y: *mut f32, n: usize);
    fn asmforge_vm_libmvec_cos_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_libmvec_cos_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_cos_avx2(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_sleef_cos_avx512(x: *const f64, y: *mut f64, n: usize);
    fn asmforge_vm_glibc_cos(x: *const f64, y: *mut f64, n: usize);
}

/// The peers of an f32 function by name (`expf`, ...).
pub fn f32_peers(name: &str) -> Peers<f32> {
    match name {
        "expf" => Peers {
            libmvec: [
                asmforge_vm_libmvec_expf_avx2,
                asmforge_vm_libmvec_expf_avx512,
            ],
            sleef: [asmforge_vm_sleef_expf_avx2, asmforge_vm_sleef_expf_avx512],
            glibc: asmforge_vm_glibc_expf,
        },
        "exp2f" => Peers {
            libmvec: [
                asmforge_vm_libmvec_exp2f_avx2,
                asmforge_vm_libmvec_exp2f_avx512,
            ],
            sleef: [asmforge_vm_sleef_exp2f_avx2, asmforge_vm_sleef_exp2f_avx512],
            glibc: asmforge_vm_glibc_exp2f,
        },
        "logf" => Peers {
            libmvec: [
                asmforge_vm_libmvec_logf_avx2,
                asmforge_vm_libmvec_logf_avx512,
            ],
            sleef: [asmforge_vm_sleef_logf_avx2, asmforge_vm_sleef_logf_avx512],
            glibc: asmforge_vm_glibc_logf,
        },
        "log2f" => Peers {
            libmvec: [
                asmforge_vm_libmvec_log2f_avx2,
                asmforge_vm_libmvec_log2f_avx512,
            ],
            sleef: [asmforge_vm_sleef_log2f_avx2, asmforge_vm_sleef_log2f_avx512],
            glibc: asmforge_vm_glibc_log2f,
        },
        "sinf" => Peers {
            libmvec: [
                asmforge_vm_libmvec_sinf_avx2,
                asmforge_vm_libmvec_sinf_avx512,
            ],
            sleef: [asmforge_vm_sleef_sinf_avx2, asmforge_vm_sleef_sinf_avx512],
            glibc: asmforge_vm_glibc_sinf,
        },
        "cosf" => Peers {
            libmvec: [
                asmforge_vm_libmvec_cosf_avx2,
                asmforge_vm_libmvec_cosf_avx512,
            ],
            sleef: [asmforge_vm_sleef_cosf_avx2, asmforge_vm_sleef_cosf_avx512],
            glibc: asmforge_vm_glibc_cosf,
        },
        _ => unreachable!("no peers for {name}"),
    }
}

/// The peers of an f64 function by name (`exp`, ...).
pub fn f64_peers(name: &str) -> Peers<f64> {
    match name {
        "exp" => Peers {
            libmvec: [asmforge_vm_libmvec_exp_avx2, asmforge_vm_libmvec_exp_avx512],
            sleef: [asmforge_vm_sleef_exp_avx2, asmforge_vm_sleef_exp_avx512],
            glibc: asmforge_vm_glibc_exp,
        },
        "exp2" => Peers {
            libmvec: [
                asmforge_vm_libmvec_exp2_avx2,
                asmforge_vm_libmvec_exp2_avx512,
            ],
            sleef: [asmforge_vm_sleef_exp2_avx2, asmforge_vm_sleef_exp2_avx512],
            glibc: asmforge_vm_glibc_exp2,
        },
        "log" => Peers {
            libmvec: [asmforge_vm_libmvec_log_avx2, asmforge_vm_libmvec_log_avx512],
            sleef: [asmforge_vm_sleef_log_avx2, asmforge_vm_sleef_log_avx512],
            glibc: asmforge_vm_glibc_log,
        },
        "log2" => Peers {
            libmvec: [
                asmforge_vm_libmvec_log2_avx2,
                asmforge_vm_libmvec_log2_avx512,
            ],
            sleef: [asmforge_vm_sleef_log2_avx2, asmforge_vm_sleef_log2_avx512],
            glibc: asmforge_vm_glibc_log2,
        },
        "sin" => Peers {
            libmvec: [asmforge_vm_libmvec_sin_avx2, asmforge_vm_libmvec_sin_avx512],
            sleef: [asmforge_vm_sleef_sin_avx2, asmforge_vm_sleef_sin_avx512],
            glibc: asmforge_vm_glibc_sin,
        },
        "cos" => Peers {
            libmvec: [asmforge_vm_libmvec_cos_avx2, asmforge_vm_libmvec_cos_avx512],
            sleef: [asmforge_vm_sleef_cos_avx2, asmforge_vm_sleef_cos_avx512],
            glibc: asmforge_vm_glibc_cos,
        },
        _ => unreachable!("no peers for {name}"),
    }
}
