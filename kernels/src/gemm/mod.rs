//! GEMM: `C = alpha · op(A) · op(B) + beta · C` in f32 ([`sgemm`]) and f64 ([`dgemm`]),
//! row- or column-major, any leading dimensions, single-threaded.
//!
//! The structure is Goto's / BLIS's: for each `nc`-wide column block of C, for each `kc`-deep
//! slice of the k dimension, B's `kc × nc` block is packed into `NR`-wide micro-panels (L3),
//! then for each `mc`-tall row block A's `mc × kc` block is packed into `MR`-tall micro-panels
//! (L2), and the micro-kernel ([`ukr`]) computes each `MR × NR` tile of C from one A and one
//! B micro-panel, both streamed from L2 (see [`Blocking::for_tile`]). `kc`, `mc` and `nc` come from the cache sizes
//! CPUID reports ([`cache`]): `kc · NR · size ≤ L2 / 16` and `kc · size ≤ L2 / 512` (at most
//! 512), `mc · kc · size ≈ L2 / 2`, `kc · nc · size ≈ L3 / 4`.
//! Micro-kernel and packing are asmforge kernels ([`ukr`], [`pack`]); the loops around them are
//! Rust. A column-major C is computed as the row-major `Cᵀ = op(B)ᵀ · op(A)ᵀ`, so the
//! micro-kernel always writes rows of C with unit stride.
//!
//! **Numerics.** Each element of `op(A) · op(B)` is a sum of `k` products accumulated in the
//! working precision, in `k` order, with FMA on the AVX2+FMA and AVX-512 variants (SSE2:
//! rounded product, then add). Then `alpha · s` (one rounding) and `+ beta · c` (one FMA, or a
//! rounded product and an add on SSE2). So `|C − C_exact| ≤ (k + 2) · u · (|alpha| · Σ_p
//! |a_ip| |b_pj| + |beta| · |c_ij|)` with `u` the unit roundoff (2⁻²⁴ for f32, 2⁻⁵³ for f64);
//! the tests check exactly this bound against an f64 (for f32) triple loop.
//!
//! **BLAS semantics.** With `beta == 0`, C is not read (NaN there is overwritten). With
//! `alpha == 0` or `k == 0`, A and B are not read and `C = beta · C` (`C = 0` when
//! `beta == 0`). `m == 0` or `n == 0` does nothing.

pub mod cache;
pub mod pack;
pub mod ukr;

use std::cell::RefCell;

use asmforge::VariantInfo;
pub use cache::{CacheSizes, cache_sizes};
pub use ukr::MR;

/// Storage order of all three matrices (as CBLAS's `CblasRowMajor` / `CblasColMajor`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// Element `(i, j)` of a matrix with leading dimension `ld` is at `[i · ld + j]`.
    RowMajor,
    /// Element `(i, j)` is at `[i + j · ld]`.
    ColMajor,
}

/// Whether an input matrix is used as stored or transposed (`op(X) = X` or `Xᵀ`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trans {
    /// `op(X) = X`.
    No,
    /// `op(X) = Xᵀ`.
    Yes,
}

/// Block sizes for one micro-kernel variant on this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocking {
    /// Rows of the register tile.
    pub mr: usize,
    /// Columns of the register tile.
    pub nr: usize,
    /// Depth of a packed slice of k.
    pub kc: usize,
    /// Rows of a packed block of A.
    pub mc: usize,
    /// Columns of a packed block of B.
    pub nc: usize,
}

impl Blocking {
    /// Block sizes for a tile of `nr` columns of `elem`-byte elements, from [`cache_sizes`].
    pub fn for_tile(nr: usize, elem: usize) -> Blocking {
        let caches = cache_sizes();
        // Deep kc amortizes the C-tile load/store and the call of each micro-kernel over more
        // FMAs; both micro-panels then stream from L2, well under its bandwidth (an AVX-512
        // sgemm k step reads 152 bytes per 12 cycles). Two limits: the B micro-panel (kc × NR)
        // takes at most 1/16 of L2, and a row of the A block (kc elements) at most L2 / 512
        // bytes, so the A block (mc × kc ≈ L2 / 2) keeps mc ≥ 252 rows and B, re-read from L3
        // once per row block, is re-read as rarely for f64 as for f32. On Zen 4 (L1d 32 KiB,
        // L2 1 MiB) that is kc = 512 for f32, 256 for f64, mc = 252: sgemm beat the L1-resident
        // kc = 192 by 2-9% at n = 512...1024 in interleaved runs; dgemm at n = 2048 was 0-5%
        // faster with kc = 256, mc = 252 than with kc = 512, mc = 126.
        let kc = (caches.l2 / 16 / (nr * elem))
            .min(caches.l2 / 512 / elem)
            .clamp(64, 512)
            & !7;
        let mc = ((caches.l2 / 2 / (kc * elem)).clamp(MR, 4096) / MR) * MR;
        let l3_share = if caches.l3 == 0 {
            4 << 20
        } else {
            caches.l3 / 4
        };
        let nc = ((l3_share / (kc * elem)).clamp(nr, 8192) / nr) * nr;
        Blocking {
            mr: MR,
            nr,
            kc,
            mc,
            nc,
        }
    }
}

/// How [`gemm`] runs: which variant, which block sizes. `Config::default()` is what [`sgemm`]
/// and [`dgemm`] use: the best variant this CPU runs, blocking from its caches.
#[derive(Clone, Copy, Debug, Default)]
pub struct Config {
    /// A variant of the micro-kernel (`T::ukr_info().variants`), or `None` for the best this
    /// CPU runs.
    pub variant: Option<&'static VariantInfo>,
    /// `(kc, mc, nc)` instead of the cache-derived sizes (`mc` is rounded down to a multiple
    /// of `MR`, `nc` to a multiple of `NR`, each at least one tile); tests use small blocks to
    /// run every loop boundary on small matrices.
    pub blocking: Option<(usize, usize, usize)>,
}

/// f32 or f64: the element types with GEMM kernels.
pub trait Element: Copy + PartialEq + std::fmt::Debug + 'static {
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// The micro-kernel, whose variants name the GEMM variants.
    fn ukr_info() -> &'static asmforge::KernelInfo;
    #[doc(hidden)]
    fn kernels(v: &'static VariantInfo) -> Kernels<Self>;
    #[doc(hidden)]
    fn mul_add(acc: Self, a: Self, b: Self) -> Self;
    #[doc(hidden)]
    fn mul(a: Self, b: Self) -> Self;
}

type UkrFn<T> =
    unsafe extern "sysv64" fn(usize, *const T, *const T, *mut T, usize, *const T, usize, usize);
type RowsFn<T> = unsafe extern "sysv64" fn(usize, *const T, usize, *mut T, usize);
type A6Fn<T> = unsafe extern "sysv64" fn(usize, *const T, usize, *mut T);
type StridedFn<T> = unsafe extern "sysv64" fn(usize, *const T, usize, usize, *mut T, usize, usize);

/// The entry points of one variant (micro-kernel and packing share variant names).
#[doc(hidden)]
pub struct Kernels<T> {
    ukr: UkrFn<T>,
    rows: RowsFn<T>,
    strided: StridedFn<T>,
    /// The transposing packer of full A panels with contiguous rows (needs AVX).
    a6: Option<A6Fn<T>>,
    /// The row packer handles narrow panels (AVX-512 masks).
    masked: bool,
    nr: usize,
}

/// Looks up `name` in `info` and checks this CPU can run it.
fn entry(info: &'static asmforge::KernelInfo, name: &str) -> *const () {
    let v = info
        .variant(name)
        .unwrap_or_else(|| panic!("kernel `{}` has no variant `{name}`", info.name));
    match v.checked_entry() {
        Ok(e) => e.0,
        Err(missing) => panic!("variant `{name}` of `{}` needs {missing}", info.name),
    }
}

macro_rules! element {
    ($t:ty, $ukr:ident, $rows:ident, $strided:ident, $a6:ident) => {
        impl Element for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            fn ukr_info() -> &'static asmforge::KernelInfo {
                &ukr::$ukr::INFO
            }
            fn kernels(v: &'static VariantInfo) -> Kernels<Self> {
                // The variant's vector width: the micro-kernel's tile is two vectors wide.
                let vector_bytes = if v.name.starts_with("avx512") {
                    64
                } else if v.name.starts_with("avx") {
                    32
                } else {
                    16
                };
                let lanes = vector_bytes / size_of::<Self>();
                // SAFETY: each pointer is the checked entry of a kernel with exactly this
                // signature (the `Entry` type its module declares).
                unsafe {
                    Kernels {
                        ukr: std::mem::transmute::<*const (), ukr::$ukr::Entry>(entry(
                            &ukr::$ukr::INFO,
                            v.name,
                        )),
                        rows: std::mem::transmute::<*const (), pack::$rows::Entry>(entry(
                            &pack::$rows::INFO,
                            v.name,
                        )),
                        strided: std::mem::transmute::<*const (), pack::$strided::Entry>(entry(
                            &pack::$strided::INFO,
                            pack::$strided::INFO.variants[0].name,
                        )),
                        a6: pack::$a6::INFO.best_supported().map(|a6| {
                            std::mem::transmute::<*const (), pack::$a6::Entry>(a6.entry.0)
                        }),
                        masked: v.name.starts_with("avx512"),
                        nr: 2 * lanes,
                    }
                }
            }
            fn mul_add(acc: Self, a: Self, b: Self) -> Self {
                acc + a * b
            }
            fn mul(a: Self, b: Self) -> Self {
                a * b
            }
        }
    };
}

element!(f32, sgemm_ukr, spack_rows, spack_strided, spack_a6_rows);
element!(f64, dgemm_ukr, dpack_rows, dpack_strided, dpack_a6_rows);

/// A matrix operand after layout and transposition are resolved: element `(i, j)` of `op(X)`
/// is at `ptr[i · rs + j · cs]`.
#[derive(Clone, Copy)]
struct View<T> {
    ptr: *const T,
    rs: usize,
    cs: usize,
}

/// Strides of `op(X)` for a stored matrix with leading dimension `ld`.
fn strides(layout: Layout, trans: Trans, ld: usize) -> (usize, usize) {
    match (layout, trans) {
        (Layout::RowMajor, Trans::No) | (Layout::ColMajor, Trans::Yes) => (ld, 1),
        (Layout::RowMajor, Trans::Yes) | (Layout::ColMajor, Trans::No) => (1, ld),
    }
}

/// Panics unless `len` holds the `rows × cols` matrix `op(X)` with strides `(rs, cs)` and
/// its leading dimension `ld` is at least `max(1, stored row length)` (as BLAS requires).
#[allow(clippy::too_many_arguments, reason = "one check, every fact it needs")]
fn check(
    name: &str,
    len: usize,
    rows: usize,
    cols: usize,
    (rs, cs): (usize, usize),
    layout: Layout,
    trans: Trans,
    ld: usize,
) {
    let inner = match (layout, trans) {
        (Layout::RowMajor, Trans::No) | (Layout::ColMajor, Trans::Yes) => cols,
        (Layout::RowMajor, Trans::Yes) | (Layout::ColMajor, Trans::No) => rows,
    };
    assert!(
        ld >= inner.max(1),
        "gemm: leading dimension of {name} is {ld}, less than {}",
        inner.max(1)
    );
    if rows == 0 || cols == 0 {
        return;
    }
    let last = (rows - 1) * rs + (cols - 1) * cs;
    assert!(
        last < len,
        "gemm: {name} needs {} elements, the slice has {len}",
        last + 1
    );
}

/// `C = alpha · op(A) · op(B) + beta · C` on the best f32 variant this CPU runs.
///
/// `op(A)` is `m × k`, `op(B)` is `k × n`, C is `m × n`; `lda`, `ldb`, `ldc` are the leading
/// dimensions as CBLAS defines them. See the module docs for numerics and BLAS semantics.
///
/// # Panics
///
/// When a slice is too short for its matrix, or a leading dimension is smaller than the
/// stored row (row-major) or column (column-major) it must hold.
#[allow(
    clippy::too_many_arguments,
    reason = "the CBLAS signature, argument for argument"
)]
pub fn sgemm(
    layout: Layout,
    transa: Trans,
    transb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: &[f32],
    lda: usize,
    b: &[f32],
    ldb: usize,
    beta: f32,
    c: &mut [f32],
    ldc: usize,
) {
    gemm(
        &Config::default(),
        layout,
        transa,
        transb,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
    );
}

/// [`sgemm`] in f64.
///
/// # Panics
///
/// As [`sgemm`].
#[allow(
    clippy::too_many_arguments,
    reason = "the CBLAS signature, argument for argument"
)]
pub fn dgemm(
    layout: Layout,
    transa: Trans,
    transb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: f64,
    a: &[f64],
    lda: usize,
    b: &[f64],
    ldb: usize,
    beta: f64,
    c: &mut [f64],
    ldc: usize,
) {
    gemm(
        &Config::default(),
        layout,
        transa,
        transb,
        m,
        n,
        k,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
    );
}

/// [`sgemm`] / [`dgemm`] with a [`Config`]: a chosen variant of the micro-kernel, or block
/// sizes; tests and the bench use it to run every variant.
///
/// # Panics
///
/// As [`sgemm`], and when this CPU cannot run the variant.
#[allow(
    clippy::too_many_arguments,
    reason = "the CBLAS signature plus the variant"
)]
pub fn gemm<T: Element>(
    config: &Config,
    layout: Layout,
    transa: Trans,
    transb: Trans,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: &[T],
    lda: usize,
    b: &[T],
    ldb: usize,
    beta: T,
    c: &mut [T],
    ldc: usize,
) {
    let (rsa, csa) = strides(layout, transa, lda);
    let (rsb, csb) = strides(layout, transb, ldb);
    let (rsc, csc) = strides(layout, Trans::No, ldc);
    check("A", a.len(), m, k, (rsa, csa), layout, transa, lda);
    check("B", b.len(), k, n, (rsb, csb), layout, transb, ldb);
    check("C", c.len(), m, n, (rsc, csc), layout, Trans::No, ldc);
    if m == 0 || n == 0 {
        return;
    }
    let cptr = c.as_mut_ptr();
    // The micro-kernel writes rows of C: a column-major C is computed as Cᵀ = op(B)ᵀ op(A)ᵀ.
    let (m, n, a, b, rsc) = if csc == 1 {
        let a = View {
            ptr: a.as_ptr(),
            rs: rsa,
            cs: csa,
        };
        let b = View {
            ptr: b.as_ptr(),
            rs: rsb,
            cs: csb,
        };
        (m, n, a, b, rsc)
    } else {
        let at = View {
            ptr: b.as_ptr(),
            rs: csb,
            cs: rsb,
        };
        let bt = View {
            ptr: a.as_ptr(),
            rs: csa,
            cs: rsa,
        };
        (n, m, at, bt, csc)
    };
    if k == 0 || alpha == T::ZERO {
        // SAFETY: `check` proved every (i < m, j < n) element is inside `c`.
        unsafe { scale_rows(m, n, beta, cptr, rsc) };
        return;
    }
    let variant = config.variant.or_else(|| T::ukr_info().best_supported());
    match variant {
        Some(v) => {
            let kern = T::kernels(v);
            let mut bl = Blocking::for_tile(kern.nr, size_of::<T>());
            if let Some((kc, mc, nc)) = config.blocking {
                bl.kc = kc.max(1);
                bl.mc = (mc / MR).max(1) * MR;
                bl.nc = (nc / kern.nr).max(1) * kern.nr;
            }
            // SAFETY: `check` proved every element the loops touch is inside its slice.
            unsafe { run(&kern, &bl, m, n, k, alpha, a, b, beta, cptr, rsc) }
        }
        None => unsafe { run_rust(m, n, k, alpha, a, b, beta, cptr, rsc) },
    }
}

/// `C = beta · C` (`C = 0` when `beta == 0`, whatever C held) for a row-major C.
unsafe fn scale_rows<T: Element>(m: usize, n: usize, beta: T, c: *mut T, rsc: usize) {
    for i in 0..m {
        for j in 0..n {
            // SAFETY: the caller checked the bounds.
            unsafe {
                let p = c.add(i * rsc + j);
                *p = if beta == T::ZERO {
                    T::ZERO
                } else {
                    T::mul(beta, *p)
                };
            }
        }
    }
}

/// The Rust fallback, for CPUs (or ISA caps) where no variant runs: same semantics.
#[allow(
    clippy::too_many_arguments,
    reason = "internal: the resolved GEMM problem"
)]
unsafe fn run_rust<T: Element>(
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: View<T>,
    b: View<T>,
    beta: T,
    c: *mut T,
    rsc: usize,
) {
    for i in 0..m {
        for j in 0..n {
            let mut s = T::ZERO;
            for p in 0..k {
                // SAFETY: the caller checked the bounds.
                unsafe {
                    s = T::mul_add(
                        s,
                        *a.ptr.add(i * a.rs + p * a.cs),
                        *b.ptr.add(p * b.rs + j * b.cs),
                    );
                }
            }
            // SAFETY: as above.
            unsafe {
                let p = c.add(i * rsc + j);
                let old = if beta == T::ZERO {
                    T::ZERO
                } else {
                    T::mul(beta, *p)
                };
                *p = T::mul_add(old, alpha, s);
            }
        }
    }
}

thread_local! {
    /// Packing buffers, kept between calls so a call does not fault in fresh pages.
    static BUFFERS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

/// The blocked loops around the packing kernels and the micro-kernel.
#[allow(
    clippy::too_many_arguments,
    reason = "internal: the resolved GEMM problem"
)]
unsafe fn run<T: Element>(
    kern: &Kernels<T>,
    bl: &Blocking,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: View<T>,
    b: View<T>,
    beta: T,
    c: *mut T,
    rsc: usize,
) {
    let nr = kern.nr;
    let (kc, mc, nc) = (bl.kc.min(k), bl.mc.min(m.next_multiple_of(MR)), bl.nc);
    let nc = nc.min(n.next_multiple_of(nr));
    let a_len = mc.next_multiple_of(MR) * kc;
    let b_len = nc.next_multiple_of(nr) * kc;
    let elems = a_len + b_len + 128 / size_of::<T>();
    let words = (elems * size_of::<T>()).div_ceil(8);
    let body = |buf: &mut Vec<u64>| {
        if buf.len() < words {
            buf.resize(words, 0);
        }
        let base = buf.as_mut_ptr() as *mut T;
        let skew = base.align_offset(64);
        // SAFETY: the buffer holds `elems` elements, 128 bytes more than the two panels.
        let ap = unsafe { base.add(skew) };
        let bp = unsafe {
            ap.add(a_len)
                .add((64 - (a_len * size_of::<T>()) % 64) % 64 / size_of::<T>())
        };
        // SAFETY: the caller checked bounds; the panels fit the buffer.
        unsafe { blocked(kern, m, n, k, alpha, a, b, beta, c, rsc, kc, mc, nc, ap, bp) };
    };
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buf) => body(&mut buf),
        Err(_) => body(&mut Vec::new()),
    });
}

#[allow(
    clippy::too_many_arguments,
    reason = "internal: the resolved GEMM problem"
)]
unsafe fn blocked<T: Element>(
    kern: &Kernels<T>,
    m: usize,
    n: usize,
    k: usize,
    alpha: T,
    a: View<T>,
    b: View<T>,
    beta: T,
    c: *mut T,
    rsc: usize,
    kc: usize,
    mc: usize,
    nc: usize,
    ap: *mut T,
    bp: *mut T,
) {
    let nr = kern.nr;
    for jc in (0..n).step_by(nc) {
        let nb = nc.min(n - jc);
        for pc in (0..k).step_by(kc) {
            let kb = kc.min(k - pc);
            for (jp, jr) in (0..nb).step_by(nr).enumerate() {
                let nv = nr.min(nb - jr);
                // SAFETY (all calls below): pointers stay inside the checked matrices and the
                // packing buffers sized for (mc, kc, nc).
                unsafe {
                    let src = b.ptr.add(pc * b.rs + (jc + jr) * b.cs);
                    let dst = bp.add(jp * nr * kb);
                    if b.cs == 1 && (nv == nr || kern.masked) {
                        (kern.rows)(kb, src, b.rs, dst, nv);
                    } else {
                        (kern.strided)(kb, src, b.cs, b.rs, dst, nr, nv);
                    }
                }
            }
            let ab = [alpha, if pc == 0 { beta } else { T::ONE }];
            for ic in (0..m).step_by(mc) {
                let mb = mc.min(m - ic);
                for (ip, ir) in (0..mb).step_by(MR).enumerate() {
                    let mv = MR.min(mb - ir);
                    unsafe {
                        let src = a.ptr.add((ic + ir) * a.rs + pc * a.cs);
                        let dst = ap.add(ip * MR * kb);
                        match kern.a6 {
                            Some(a6) if a.cs == 1 && mv == MR => a6(kb, src, a.rs, dst),
                            _ => (kern.strided)(kb, src, a.rs, a.cs, dst, MR, mv),
                        }
                    }
                }
                for (jp, jr) in (0..nb).step_by(nr).enumerate() {
                    let nv = nr.min(nb - jr);
                    let bpanel = unsafe { bp.add(jp * nr * kb) };
                    for (ip, ir) in (0..mb).step_by(MR).enumerate() {
                        let mv = MR.min(mb - ir);
                        unsafe {
                            (kern.ukr)(
                                kb,
                                ap.add(ip * MR * kb),
                                bpanel,
                                c.add((ic + ir) * rsc + jc + jr),
                                rsc,
                                ab.as_ptr(),
                                mv,
                                nv,
                            );
                        }
                    }
                }
            }
        }
    }
}
