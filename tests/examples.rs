//! Execution tests of the example kernels (`examples/kernels/`) against their plain Rust
//! references: random inputs from a seeded PRNG, every length up to a bound, aligned and
//! unaligned (start offset by one element) pointers, and sentinels past the end of every
//! output. A kernel whose variant this CPU cannot run is skipped with a note on stderr.

#[path = "../examples/kernels/mod.rs"]
#[allow(
    dead_code,
    reason = "tests call most kernels per variant through `k::call`, not the dispatching function"
)]
mod kernels;

#[cfg(not(windows))]
use std::process::Command;

use asmforge::{Feature, KernelInfo, MissingFeatures, VariantInfo};
use iced_x86::{Code, Decoder, DecoderOptions, Instruction, Mnemonic, Register};
use kernels::{add_f32, mul_const, mxcsr, peachpy, rdtsc, sdot, vector_op, vector_sum};

/// The variant's code (its constant pool excluded) decoded with iced, as at address 0.
fn decode(v: &VariantInfo) -> Vec<Instruction> {
    let code = &v.bytes[..v.code_size as usize];
    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while decoder.can_decode() {
        out.push(decoder.decode());
    }
    out
}

/// SplitMix64: small, deterministic, and good enough to spread test inputs.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1000, 1000), with a fractional part so additions round.
    fn f32(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2000.0 - 1000.0
    }
}

/// Whether this CPU can run the kernel's variant; says so on stderr when it cannot.
fn runnable(info: &KernelInfo) -> bool {
    let v = &info.variants[0];
    let missing = v.missing_features();
    if !missing.is_empty() {
        eprintln!(
            "skipping `{}` variant `{}`: this CPU lacks {missing}",
            info.name, v.name
        );
    }
    missing.is_empty()
}

/// Sentinel written past the end of outputs: a kernel that overruns `n` overwrites it.
const GUARD: usize = 3;

/// A buffer holding `len` elements starting `offset` elements past a 64-byte boundary.
///
/// `f32`, `i32` and `i64` buffers from `Vec` are only guaranteed their element alignment;
/// this makes "aligned" mean aligned for any vector width, and offset 1 misaligned for all.
struct Buf<T> {
    storage: Vec<T>,
    start: usize,
    len: usize,
}

impl<T: Copy> Buf<T> {
    fn new(values: &[T], offset: usize, fill: T) -> Self {
        let elem = size_of::<T>();
        let mut storage = vec![fill; values.len() + offset + GUARD + 64 / elem];
        let misalign = storage.as_ptr() as usize % 64;
        let start = (64 - misalign) % 64 / elem + offset;
        storage[start..start + values.len()].copy_from_slice(values);
        Buf {
            storage,
            start,
            len: values.len(),
        }
    }

    fn as_slice(&self) -> &[T] {
        &self.storage[self.start..self.start + self.len]
    }

    fn as_ptr(&self) -> *const T {
        self.as_slice().as_ptr()
    }

    fn as_mut_ptr(&mut self) -> *mut T {
        self.storage[self.start..].as_mut_ptr()
    }

    /// The `GUARD` elements after the end.
    fn guard(&self) -> &[T] {
        &self.storage[self.start + self.len..self.start + self.len + GUARD]
    }
}

#[test]
fn add_f32_matches_reference() {
    asmforge::for_each_variant(&add_f32::add_f32::INFO, |v| {
        let mut rng = Rng::new(1);
        for n in 0..=64 {
            for offset in [0, 1] {
                let a: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
                let b: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
                let (a, b) = (Buf::new(&a, offset, 0.0), Buf::new(&b, offset, 0.0));
                let mut out = Buf::new(&vec![f32::NAN; n], offset, -7.0);
                // SAFETY: each buffer holds `n` elements from its pointer on.
                unsafe { add_f32::add_f32::call(v, a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), n) }
                    .unwrap();
                let want = add_f32::add_f32_ref(a.as_slice(), b.as_slice());
                // Exact: the kernel does the same single IEEE addition per element.
                let got: Vec<u32> = out.as_slice().iter().map(|x| x.to_bits()).collect();
                let want: Vec<u32> = want.iter().map(|x| x.to_bits()).collect();
                assert_eq!(got, want, "n = {n}, offset = {offset}");
                assert_eq!(out.guard(), [-7.0; GUARD], "wrote past n = {n}");
            }
        }
    });
}

#[test]
fn mul_const_matches_reference() {
    asmforge::for_each_variant(&mul_const::mul_const::INFO, |v| {
        let mul_const = |x| mul_const::mul_const::call(v, x).unwrap();
        let mut rng = Rng::new(2);
        let edges = [
            0,
            1,
            2,
            u64::MAX,
            1 << 63,
            u64::from(u32::MAX),
            0x1_0000_0000,
        ];
        let random = (0..1000).map(|_| rng.next_u64());
        for x in edges.into_iter().chain(random) {
            assert_eq!(mul_const(x), mul_const::mul_const_ref(x), "x = {x:#x}");
        }
        // The constant really has more than 32 bits: a truncated immediate would differ here.
        assert_eq!(mul_const(1), 0xde_adbe_efed);
    });
}

#[test]
fn rdtsc_is_monotonic_and_agrees_with_the_intrinsic() {
    if !runnable(&rdtsc::rdtsc::INFO) {
        return;
    }
    let mut last = rdtsc::rdtsc();
    for _ in 0..1000 {
        let before = rdtsc::rdtsc_ref();
        let t = rdtsc::rdtsc();
        let after = rdtsc::rdtsc_ref();
        // A kernel that lost the high half (edx) or mixed the halves up would fall outside.
        assert!(
            before <= t && t <= after,
            "{before} <= {t} <= {after} does not hold"
        );
        assert!(t >= last, "the counter went backwards: {last} then {t}");
        last = t;
    }
    // The counter has long passed 2^32 on any machine that has been up for seconds, so the
    // high half matters.
    assert!(last > u64::from(u32::MAX));
}

/// MXCSR bits 0–5: sticky exception flags, set by any floating-point code that raises them.
const STATUS_FLAGS: u32 = 0x3f;

/// The MXCSR as the compiler intrinsic reads it.
#[allow(
    deprecated,
    reason = "`_mm_getcsr` is deprecated to discourage changing the FP environment; reading it is what this test compares against"
)]
fn mxcsr_ref() -> u32 {
    // SAFETY: SSE is part of x86-64.
    unsafe { core::arch::x86_64::_mm_getcsr() }
}

#[test]
fn mxcsr_reads_and_writes_the_control_register() {
    for info in [&mxcsr::get_mxcsr::INFO, &mxcsr::set_mxcsr::INFO] {
        if !runnable(info) {
            return;
        }
    }
    let old = mxcsr_ref();
    assert_eq!(mxcsr::get_mxcsr(), old);
    // Flip a sticky status flag (bit 0, invalid operation): it changes no results, so Rust
    // code between the calls keeps its default floating-point environment.
    let flipped = old ^ 1;
    // SAFETY: only a status flag changes.
    unsafe { mxcsr::set_mxcsr(flipped) };
    let seen_by_kernel = mxcsr::get_mxcsr();
    let seen_by_rust = mxcsr_ref();
    // SAFETY: restores the caller's value.
    unsafe { mxcsr::set_mxcsr(old) };
    assert_eq!(seen_by_kernel, flipped);
    assert_eq!(seen_by_rust, flipped);
    assert_eq!(mxcsr_ref(), old);
}

#[test]
fn ftz_daz_apply_inside_the_kernel_only() {
    if !runnable(&mxcsr::add_ftz_daz::INFO) {
        return;
    }
    let before = mxcsr_ref();
    assert_eq!(
        before & (mxcsr::FTZ | mxcsr::DAZ),
        0,
        "the test thread starts in the default environment"
    );
    let tiny = f32::MIN_POSITIVE / 4.0; // a denormal
    assert!(tiny.is_subnormal());
    // DAZ: a denormal input reads as zero.
    let inside = mxcsr::add_ftz_daz(tiny, 0.0);
    assert_eq!(inside.to_bits(), 0.0f32.to_bits());
    // FTZ: two normal inputs whose sum is denormal give zero (with the sum's sign).
    let (a, b) = (-f32::MIN_POSITIVE, f32::MIN_POSITIVE * 1.5);
    assert!((a + b).is_subnormal());
    assert_eq!(mxcsr::add_ftz_daz(a, b).to_bits(), 0.0f32.to_bits());
    assert_eq!(mxcsr::add_ftz_daz(b, a).to_bits(), 0.0f32.to_bits());
    assert_eq!(mxcsr::add_ftz_daz(-b, -a).to_bits(), (-0.0f32).to_bits());
    // The kernel restored MXCSR exactly, status flags included...
    assert_eq!(mxcsr_ref(), before);
    assert_eq!(mxcsr::get_mxcsr(), before);
    // ...so outside, the same additions keep their denormals (and may now raise the sticky
    // denormal flag, which is why later comparisons ignore the status bits).
    let outside = std::hint::black_box(tiny) + std::hint::black_box(0.0f32);
    assert!(outside.is_subnormal());
    assert!((std::hint::black_box(a) + std::hint::black_box(b)).is_subnormal());
    // Random operands around the denormal range, against the flushing reference.
    let mut rng = Rng::new(3);
    for _ in 0..10_000 {
        let bits = |r: &mut Rng| {
            // Exponents 0..=3 (denormals and the smallest normals), random sign and mantissa.
            let v = r.next_u64();
            ((v & 0x8000_0000) | ((v >> 32) & 0x0180_0000) | (v & 0x007f_ffff)) as u32
        };
        let (a, b) = (
            f32::from_bits(bits(&mut rng)),
            f32::from_bits(bits(&mut rng)),
        );
        let got = mxcsr::add_ftz_daz(a, b);
        let want = mxcsr::add_ftz_daz_ref(a, b);
        assert_eq!(got.to_bits(), want.to_bits(), "{a:e} + {b:e}");
    }
    assert_eq!(mxcsr_ref() & !STATUS_FLAGS, before & !STATUS_FLAGS);
}

#[test]
fn add_i32_matches_reference() {
    asmforge::for_each_variant(&peachpy::add_i32::INFO, |v| {
        let mut rng = Rng::new(4);
        let edges = [
            (0, 0),
            (i32::MAX, 1),
            (i32::MIN, -1),
            (-5, 3),
            (i32::MAX, i32::MAX),
        ];
        let random = (0..1000).map(|_| {
            let v = rng.next_u64();
            (v as i32, (v >> 32) as i32)
        });
        for (x, y) in edges.into_iter().chain(random) {
            assert_eq!(
                peachpy::add_i32::call(v, x, y).unwrap(),
                peachpy::add_i32_ref(x, y),
                "{x} + {y}"
            );
        }
    });
}

#[test]
fn dot_sse41_matches_reference() {
    asmforge::for_each_variant(&peachpy::dot_sse41::INFO, |v| {
        let mut rng = Rng::new(5);
        for round in 0..1000 {
            let offset = round % 2;
            let x: [f32; 4] = core::array::from_fn(|_| rng.f32());
            let y: [f32; 4] = core::array::from_fn(|_| rng.f32());
            let (bx, by) = (Buf::new(&x, offset, 0.0), Buf::new(&y, offset, 0.0));
            // SAFETY: both buffers hold 4 floats.
            let got = unsafe { peachpy::dot_sse41::call(v, bx.as_ptr(), by.as_ptr()) }.unwrap();
            let want = peachpy::dot_sse41_ref(&x, &y);
            // Exact: the reference rounds and adds in dpps's order.
            assert_eq!(got.to_bits(), want.to_bits(), "{x:?} . {y:?}");
        }
        let e: [f32; 4] = [1.0, 2.0, 3.0, 4.0];
        // SAFETY: 4 floats each.
        assert_eq!(
            unsafe { peachpy::dot_sse41::call(v, e.as_ptr(), e.as_ptr()) }.unwrap(),
            30.0
        );
    });
}

/// Checks one parameterization of `vector_sum` for every length 0..=200, aligned and not.
fn check_vector_sum(
    call: fn(&VariantInfo, &[f32]) -> Result<f32, MissingFeatures>,
    info: &'static KernelInfo,
    unroll: usize,
    seed: u64,
) {
    asmforge::for_each_variant(info, |v| {
        let kernel = |x: &[f32]| call(v, x).unwrap();
        let mut rng = Rng::new(seed);
        for n in 0..=200 {
            for offset in [0, 1] {
                let values: Vec<f32> = (0..n).map(|_| rng.f32()).collect();
                // NaN right after the end: reading one element too many poisons the sum.
                let buf = Buf::new(&values, offset, f32::NAN);
                let got = kernel(buf.as_slice());
                let want = vector_sum::vector_sum_ref(&values, unroll);
                // Exact against the reference that adds in the kernel's order...
                assert_eq!(got.to_bits(), want.to_bits(), "n = {n}, offset = {offset}");
                // ...and close to the f64 sum, so the reference itself cannot drift: a bound of
                // n·ε·Σ|x| covers any order of n - 1 roundings in f32 (Higham, Accuracy and
                // Stability of Numerical Algorithms, §4.2).
                let exact: f64 = values.iter().map(|&v| f64::from(v)).sum();
                let abs: f64 = values.iter().map(|&v| f64::from(v.abs())).sum();
                let bound = n as f64 * f64::from(f32::EPSILON) * abs;
                assert!(
                    (f64::from(got) - exact).abs() <= bound,
                    "n = {n}: {got} vs {exact} (bound {bound})"
                );
            }
        }
        // Small integers sum exactly in any order.
        let ones: Vec<f32> = (1..=100).map(|i| i as f32).collect();
        assert_eq!(kernel(&ones), 5050.0);
    });
}

#[test]
fn vector_sum_unroll4_prefetch256_matches_reference() {
    check_vector_sum(
        vector_sum::vector_sum_u4_p256::call,
        &vector_sum::vector_sum_u4_p256::INFO,
        4,
        6,
    );
}

#[test]
fn vector_sum_unroll2_no_prefetch_matches_reference() {
    check_vector_sum(
        vector_sum::vector_sum_u2::call,
        &vector_sum::vector_sum_u2::INFO,
        2,
        7,
    );
}

#[test]
fn vector_sum_parameters_shape_the_code() {
    let code = |info: &KernelInfo| decode(&info.variants[0]);
    let (u4, u2) = (
        code(&vector_sum::vector_sum_u4_p256::INFO),
        code(&vector_sum::vector_sum_u2::INFO),
    );
    let prefetches = |code: &[Instruction]| -> Vec<u64> {
        code.iter()
            .filter(|i| i.mnemonic() == Mnemonic::Prefetcht0)
            .map(Instruction::memory_displacement64)
            .collect()
    };
    assert_eq!(prefetches(&u4), [256]);
    assert_eq!(prefetches(&u2), []);
    // UNROLL additions from memory in the loop, UNROLL - 1 folds of the accumulators.
    let ymm_adds = |code: &[Instruction]| {
        code.iter()
            .filter(|i| i.code() == Code::VEX_Vaddps_ymm_ymm_ymmm256)
            .count()
    };
    assert_eq!(ymm_adds(&u4), 4 + 3);
    assert_eq!(ymm_adds(&u2), 2 + 1);
}

/// Checks a `vector_op` kernel for every length 0..=100 and every alignment of x, y and z.
type VectorOpCall<T> =
    unsafe fn(&VariantInfo, *const T, *const T, *mut T, usize) -> Result<(), MissingFeatures>;

fn check_vector_op<T>(
    call: VectorOpCall<T>,
    info: &'static KernelInfo,
    random: impl Fn(&mut Rng) -> T,
    op: impl Fn(T, T) -> T + Copy,
    seed: u64,
) where
    T: Copy + PartialEq + std::fmt::Debug + Default,
{
    asmforge::for_each_variant(info, |v| {
        let mut rng = Rng::new(seed);
        let sentinel = random(&mut rng);
        for n in 0..=100 {
            for offsets in 0..8 {
                let (ox, oy, oz) = (offsets & 1, (offsets >> 1) & 1, (offsets >> 2) & 1);
                let x: Vec<T> = (0..n).map(|_| random(&mut rng)).collect();
                let y: Vec<T> = (0..n).map(|_| random(&mut rng)).collect();
                let (bx, by) = (
                    Buf::new(&x, ox, T::default()),
                    Buf::new(&y, oy, T::default()),
                );
                let mut bz = Buf::new(&vec![T::default(); n], oz, sentinel);
                // SAFETY: x and y hold n elements, z has room for n.
                unsafe { call(v, bx.as_ptr(), by.as_ptr(), bz.as_mut_ptr(), n) }.unwrap();
                let want = vector_op::vector_op_ref(&x, &y, op);
                assert_eq!(bz.as_slice(), want, "n = {n}, offsets = {ox}/{oy}/{oz}");
                assert_eq!(bz.guard(), [sentinel; GUARD], "wrote past n = {n}");
            }
        }
    });
}

fn random_i32(rng: &mut Rng) -> i32 {
    rng.next_u64() as i32
}

fn random_i64(rng: &mut Rng) -> i64 {
    rng.next_u64() as i64
}

#[test]
fn vector_add_i32_matches_reference() {
    check_vector_op(
        vector_op::vector_add_i32::call,
        &vector_op::vector_add_i32::INFO,
        random_i32,
        i32::wrapping_add,
        8,
    );
}

#[test]
fn vector_sub_i32_matches_reference() {
    check_vector_op(
        vector_op::vector_sub_i32::call,
        &vector_op::vector_sub_i32::INFO,
        random_i32,
        i32::wrapping_sub,
        9,
    );
}

#[test]
fn vector_add_i64_matches_reference() {
    check_vector_op(
        vector_op::vector_add_i64::call,
        &vector_op::vector_add_i64::INFO,
        random_i64,
        i64::wrapping_add,
        10,
    );
}

#[test]
fn vector_sub_i64_matches_reference() {
    check_vector_op(
        vector_op::vector_sub_i64::call,
        &vector_op::vector_sub_i64::INFO,
        random_i64,
        i64::wrapping_sub,
        11,
    );
}

#[test]
fn vector_op_kernels_use_avx2_and_their_own_instruction() {
    use Mnemonic::{Add, Sub, Vpaddd, Vpaddq, Vpsubd, Vpsubq};
    // (kernel, vector instruction, scalar instruction, scalar width in bytes); registers are
    // the allocator's choice, so only their class and width are checked.
    let cases: [(&KernelInfo, Mnemonic, Mnemonic, usize); 4] = [
        (&vector_op::vector_add_i32::INFO, Vpaddd, Add, 4),
        (&vector_op::vector_sub_i32::INFO, Vpsubd, Sub, 4),
        (&vector_op::vector_add_i64::INFO, Vpaddq, Add, 8),
        (&vector_op::vector_sub_i64::INFO, Vpsubq, Sub, 8),
    ];
    for (info, vector, scalar, width) in cases {
        let v = &info.variants[0];
        let code = decode(v);
        let has = |m: Mnemonic, ok: &dyn Fn(Register) -> bool| {
            code.iter()
                .any(|i| i.mnemonic() == m && ok(i.op0_register()))
        };
        let name = |r: Register| format!("{r:?}");
        assert!(
            has(vector, &|r| name(r).starts_with("YMM")),
            "{}: no {vector:?} on a ymm register",
            info.name
        );
        // 64-bit GPRs are RAX..R15, 32-bit ones EAX..R15D (iced's names).
        let gpr_of_width = |r: Register| match width {
            8 => (Register::RAX as u32..=Register::R15 as u32).contains(&(r as u32)),
            _ => (Register::EAX as u32..=Register::R15D as u32).contains(&(r as u32)),
        };
        assert!(
            has(scalar, &gpr_of_width),
            "{}: no {scalar:?} on a {width}-byte register",
            info.name
        );
        assert!(
            v.used.contains(&Feature::AVX2),
            "{}: {:?}",
            info.name,
            v.used
        );
    }
}

/// Every kernel compiled into this test binary, with its metadata.
fn all_kernels() -> Vec<&'static KernelInfo> {
    vec![
        &add_f32::add_f32::INFO,
        &mul_const::mul_const::INFO,
        &rdtsc::rdtsc::INFO,
        &mxcsr::get_mxcsr::INFO,
        &mxcsr::set_mxcsr::INFO,
        &mxcsr::add_ftz_daz::INFO,
        &peachpy::add_i32::INFO,
        &peachpy::dot_sse41::INFO,
        &vector_sum::vector_sum_u4_p256::INFO,
        &vector_sum::vector_sum_u2::INFO,
        &vector_op::vector_add_i32::INFO,
        &vector_op::vector_sub_i32::INFO,
        &vector_op::vector_add_i64::INFO,
        &vector_op::vector_sub_i64::INFO,
        &sdot::sdot::INFO,
    ]
}

#[test]
fn sdot_matches_its_references() {
    // Every variant, lengths and alignments: tests/dispatch.rs. Here: the dispatched call and
    // the Rust fallback agree with the f64 reference on a case with an exact answer.
    let x: Vec<f32> = (0..100).map(|i| i as f32).collect();
    let want = sdot::sdot_f64(&x, &x);
    assert_eq!(want, 328_350.0);
    assert_eq!(f64::from(sdot::sdot(&x, &x)), want);
    assert_eq!(f64::from(sdot::sdot_rust(&x, &x)), want);
}

/// Every variant's symbol is a sized function in this binary's symbol table, found by its
/// demangled name (`VariantInfo::symbol`, the naked function's path), and holds the bytes the
/// metadata describes. ELF: `nm -C -S` (binutils). Kernels are `t`, local text symbols: rustc
/// marks a `pub(super)` naked function `.hidden`, and the linker turns hidden globals into
/// locals in the executable — perf, gdb and nm find them all the same.
#[cfg(not(windows))]
#[test]
fn every_kernel_is_a_sized_function_symbol_in_this_binary() {
    let exe = std::env::current_exe().expect("path of the test binary");
    let out = Command::new("nm")
        .args(["-C", "-S"])
        .arg(&exe)
        .output()
        .expect("run `nm` (binutils)");
    assert!(
        out.status.success(),
        "nm -C -S failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8_lossy(&out.stdout);
    for info in all_kernels() {
        for v in info.variants {
            // `nm -C -S` rows: address, size, type, name (demangled, without the hash).
            let row: Vec<&str> = table
                .lines()
                .map(|l| l.splitn(4, ' ').collect::<Vec<_>>())
                .find(|f| f.len() == 4 && f[3] == v.symbol)
                .unwrap_or_else(|| panic!("`{}` ({}) is not in nm's output", info.name, v.symbol));
            assert!(
                row[2] == "t" || row[2] == "T",
                "`{}` has type {}",
                v.symbol,
                row[2]
            );
            let address = u64::from_str_radix(row[0], 16).expect("hex address");
            let size = u64::from_str_radix(row[1], 16).expect("hex size");
            check_placed(info, v, address, size);
        }
    }
}

/// The same on Windows, the COFF way, from this executable's own PE image: the symbol table
/// (which the GNU toolchain keeps in the image) names each variant by its mangled path, and
/// an exception-directory (`.pdata`) entry covers exactly its code — the unwind information
/// that makes the system unwinder step over it.
#[cfg(windows)]
#[test]
fn every_kernel_is_a_sized_function_symbol_in_this_binary() {
    let exe = std::env::current_exe().expect("path of the test binary");
    let data = std::fs::read(&exe).expect("read the test binary");
    let image = pe::Image::read(&data);
    let base = pe::base_address();
    let symbols = image.symbols();
    let functions = image.runtime_functions();
    for info in all_kernels() {
        for v in info.variants {
            let rva = (v.entry.0 as u64 - base) as u32;
            let (name, at) = symbols
                .iter()
                .find(|(name, _)| pe::demangle(name).as_deref() == Some(v.symbol))
                .unwrap_or_else(|| {
                    panic!("`{}` ({}) is not in the symbol table", info.name, v.symbol)
                });
            assert_eq!(*at, rva, "address of {name}");
            let f = functions
                .iter()
                .find(|f| f.0 == rva)
                .unwrap_or_else(|| panic!("no .pdata entry starts at `{}`", v.symbol));
            assert_eq!(
                f.1 - f.0,
                v.code_size,
                "the .pdata entry of `{}` ends with the code",
                v.symbol
            );
            check_placed(info, v, v.entry.0 as u64, v.bytes.len() as u64);
        }
    }
}

/// The symbol's address is the entry point, 64-aligned (the pool's alignment is relative to
/// it), its size the code and the pool, and the bytes there the ones the metadata describes.
fn check_placed(info: &KernelInfo, v: &VariantInfo, address: u64, size: u64) {
    let entry = v.entry.0 as u64;
    // nm reports link addresses; the loader moves the image by whole pages, so both align.
    assert_eq!(
        entry % 64,
        0,
        "`{}` starts at {entry:#x}, not 64-aligned",
        v.symbol
    );
    assert_eq!(
        address % 64,
        0,
        "`{}` at {address:#x} in the symbol table",
        v.symbol
    );
    assert_eq!(size, v.bytes.len() as u64, "size of `{}`", v.symbol);
    assert_eq!(
        v.bytes.len() as u64,
        u64::from(v.code_size) + u64::from(v.pool_size),
        "{}",
        info.name
    );
    // SAFETY: `entry` points at `bytes.len()` bytes of code in this binary's text.
    let placed = unsafe { std::slice::from_raw_parts(v.entry.0.cast::<u8>(), v.bytes.len()) };
    assert_eq!(placed, v.bytes, "{}", info.name);
}

/// Just enough of PE/COFF (Microsoft, "PE Format") to read an image's symbol table and
/// exception directory.
#[cfg(windows)]
mod pe {
    pub struct Image<'a> {
        data: &'a [u8],
        /// (virtual address, virtual size, file offset) per section.
        sections: Vec<(u32, u32, u32)>,
        symtab: (usize, usize),
        exception: (u32, u32),
    }

    fn u16_at(d: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([d[at], d[at + 1]])
    }

    fn u32_at(d: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(d[at..at + 4].try_into().unwrap())
    }

    impl<'a> Image<'a> {
        pub fn read(data: &'a [u8]) -> Self {
            let pe = u32_at(data, 0x3c) as usize;
            assert_eq!(&data[pe..pe + 4], b"PE\0\0", "not a PE image");
            let coff = pe + 4;
            let nsections = u16_at(data, coff + 2) as usize;
            let symtab = (
                u32_at(data, coff + 8) as usize,
                u32_at(data, coff + 12) as usize,
            );
            let opt = coff + 20;
            assert_eq!(u16_at(data, opt), 0x20b, "not PE32+");
            // Data directory 3: the exception table (.pdata).
            let dir = opt + 112 + 3 * 8;
            let exception = (u32_at(data, dir), u32_at(data, dir + 4));
            let first = opt + u16_at(data, coff + 16) as usize;
            let sections = (0..nsections)
                .map(|i| {
                    let s = first + 40 * i;
                    (
                        u32_at(data, s + 12),
                        u32_at(data, s + 8),
                        u32_at(data, s + 20),
                    )
                })
                .collect();
            Image {
                data,
                sections,
                symtab,
                exception,
            }
        }

        fn at_rva(&self, rva: u32) -> usize {
            let (va, _, raw) = *self
                .sections
                .iter()
                .find(|(va, size, _)| rva >= *va && rva < va + size)
                .expect("an address inside a section");
            (rva - va + raw) as usize
        }

        /// (name, RVA) of every symbol defined in a section.
        pub fn symbols(&self) -> Vec<(String, u32)> {
            let (at, n) = self.symtab;
            assert!(
                at != 0 && n != 0,
                "the image has no COFF symbol table (stripped?)"
            );
            let strings = at + 18 * n;
            let mut out = Vec::new();
            let mut i = 0;
            while i < n {
                let s = at + 18 * i;
                let raw = &self.data[s..s + 8];
                let name = if raw[..4] == [0, 0, 0, 0] {
                    let off = strings + u32_at(raw, 4) as usize;
                    let end = self.data[off..].iter().position(|b| *b == 0).unwrap();
                    String::from_utf8_lossy(&self.data[off..off + end]).into_owned()
                } else {
                    let end = raw.iter().position(|b| *b == 0).unwrap_or(8);
                    String::from_utf8_lossy(&raw[..end]).into_owned()
                };
                let value = u32_at(self.data, s + 8);
                let section = u16_at(self.data, s + 12) as i16;
                if section > 0 {
                    let va = self.sections[section as usize - 1].0;
                    out.push((name, va + value));
                }
                i += 1 + self.data[s + 17] as usize;
            }
            out
        }

        /// (begin, end) RVAs of every `RUNTIME_FUNCTION` in the exception directory.
        pub fn runtime_functions(&self) -> Vec<(u32, u32)> {
            let (rva, size) = self.exception;
            assert!(size > 0, "the image has no exception directory");
            let at = self.at_rva(rva);
            (0..size as usize / 12)
                .map(|i| {
                    (
                        u32_at(self.data, at + 12 * i),
                        u32_at(self.data, at + 12 * i + 4),
                    )
                })
                .collect()
        }
    }

    /// `crate::path::name` from a legacy-mangled `_ZN…17h<hash>E` symbol, without the hash.
    pub fn demangle(sym: &str) -> Option<String> {
        let mut rest = sym.strip_prefix("_ZN")?;
        let mut parts = Vec::new();
        while !rest.starts_with('E') {
            let digits = rest.find(|c: char| !c.is_ascii_digit())?;
            let len: usize = rest[..digits].parse().ok()?;
            parts.push(rest.get(digits..digits + len)?);
            rest = &rest[digits + len..];
        }
        if parts.last()?.starts_with('h') {
            parts.pop();
        }
        Some(parts.join("::"))
    }

    /// Where the executable is mapped (it may be relocated).
    pub fn base_address() -> u64 {
        #[link(name = "kernel32")]
        unsafe extern "system" {
            fn GetModuleHandleW(name: *const u16) -> *const u8;
        }
        // SAFETY: a null name asks for the executable's own module; nothing is freed.
        unsafe { GetModuleHandleW(std::ptr::null()) as u64 }
    }
}

#[test]
fn saved_registers_and_features_are_recorded() {
    // None of the examples touches a callee-saved register...
    for info in all_kernels() {
        assert_eq!(info.variants[0].saved, [] as [&str; 0], "{}", info.name);
    }
    // ...and each records the extensions its instructions need.
    let uses = |info: &KernelInfo, f: Feature| info.variants[0].used.contains(&f);
    assert!(uses(&peachpy::dot_sse41::INFO, Feature::SSE4_1));
    assert!(uses(&vector_sum::vector_sum_u2::INFO, Feature::AVX));
    assert!(!uses(&vector_sum::vector_sum_u2::INFO, Feature::AVX2));
    assert!(uses(&rdtsc::rdtsc::INFO, Feature::TSC));
    assert!(uses(&mul_const::mul_const::INFO, Feature::X64));
}
