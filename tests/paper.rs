//! The PeachPy paper's examples in asmforge (`examples/peachpy/*.rs`), run on every
//! variant this CPU supports against plain Rust references. Inputs are small integers, so
//! every sum is exact in any order and with or without FMA: a result differs only if a kernel
//! is wrong.

#[path = "../examples/peachpy/generalized.rs"]
#[allow(
    dead_code,
    reason = "tests call most kernels per variant through `k::call`, not the dispatching function"
)]
mod generalized;
#[path = "../examples/peachpy/helpers.rs"]
#[allow(
    dead_code,
    reason = "tests call most kernels per variant through `k::call`, not the dispatching function"
)]
mod helpers;
#[path = "../examples/peachpy/readme.rs"]
#[allow(
    dead_code,
    reason = "tests call most kernels per variant through `k::call`, not the dispatching function"
)]
mod readme;
#[path = "../examples/peachpy/reduce.rs"]
#[allow(
    dead_code,
    reason = "tests call most kernels per variant through `k::call`, not the dispatching function"
)]
mod reduce;
#[path = "../examples/peachpy/streams.rs"]
#[allow(
    dead_code,
    reason = "tests call most kernels per variant through `k::call`, not the dispatching function"
)]
mod streams;

use asmforge::{Feature, for_each_variant};
use reduce::{dot_f32, hadd_pd, sum_f32, sum_f64};

/// Deterministic small integers in -8..8.
fn ints(n: usize, seed: u64) -> Vec<i32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 33) % 16) as i32 - 8
        })
        .collect()
}

#[test]
fn haddpd_custom_instruction_emulates_sse3_on_sse2() {
    let report = for_each_variant(&hadd_pd::INFO, |v| {
        let (a, b, mut out) = ([1.5f64, 2.25], [-4.0f64, 10.0], [0.0f64; 2]);
        unsafe { hadd_pd::call(v, a.as_ptr(), b.as_ptr(), out.as_mut_ptr()) }.unwrap();
        assert_eq!(out, [3.75, 6.0], "variant {}", v.name);
    });
    assert!(report.ran.contains(&"sse2"));
    let variant = |name| {
        hadd_pd::INFO
            .variants
            .iter()
            .find(|v| v.name == name)
            .unwrap()
    };
    // The emulation uses no SSE3; the sse3 variant is the one instruction.
    assert!(!variant("sse2").used.contains(&Feature::SSE3));
    assert!(variant("sse3").used.contains(&Feature::SSE3));
    assert!(variant("sse3").code_size < variant("sse2").code_size);
}

#[test]
fn sum_f64_folds_with_haddpd_on_every_variant() {
    for_each_variant(&sum_f64::INFO, |v| {
        for n in 0..20 {
            let x: Vec<f64> = ints(n, n as u64).iter().map(|&i| f64::from(i)).collect();
            let want: f64 = x.iter().sum();
            assert_eq!(sum_f64::call(v, &x).unwrap(), want, "n = {n}, {}", v.name);
        }
    });
}

#[test]
fn dot_f32_with_muladd_and_reduce_sum_on_every_variant() {
    let report = for_each_variant(&dot_f32::INFO, |v| {
        for n in 0..150 {
            let x: Vec<f32> = ints(n, 1 + n as u64).iter().map(|&i| i as f32).collect();
            let y: Vec<f32> = ints(n, 1000 + n as u64).iter().map(|&i| i as f32).collect();
            let want: f32 = x.iter().zip(&y).map(|(a, b)| a * b).sum();
            assert_eq!(
                dot_f32::call(v, &x, &y).unwrap(),
                want,
                "n = {n}, {}",
                v.name
            );
        }
    });
    assert!(report.ran.contains(&"sse2"));
    // `muladd` is one FMA where the variant has it, a multiply and an add elsewhere.
    let fma = dot_f32::INFO
        .variants
        .iter()
        .find(|v| v.name == "avx2+fma")
        .unwrap();
    assert!(fma.used.contains(&Feature::FMA));
    let sse2 = dot_f32::INFO
        .variants
        .iter()
        .find(|v| v.name == "sse2")
        .unwrap();
    assert!(!sse2.used.contains(&Feature::FMA) && !sse2.used.contains(&Feature::AVX));
}

#[test]
fn sum_f32_with_reduce_sum_on_every_variant() {
    for_each_variant(&sum_f32::INFO, |v| {
        for n in 0..100 {
            let x: Vec<f32> = ints(n, 7 * n as u64).iter().map(|&i| i as f32).collect();
            let want: f32 = x.iter().sum();
            assert_eq!(sum_f32::call(v, &x).unwrap(), want, "n = {n}, {}", v.name);
        }
    });
}

/// PeachPy's `LOAD.ARGUMENT`: `param(x)` copies a parameter into a virtual register, so the
/// register it arrived in can be reused while the value lives on.
#[asmforge::kernel(targets(sse2, avx))]
fn load_parameter(a: u64, s: f32) -> u64 {
    let (a2, s2) = (param(a), param(s));
    mov(rdi, 1000); // `a` arrived in rdi
    xorps(xmm0, xmm0); // `s` arrived in xmm0
    cvttss2si(rax, s2);
    add(rax, a2);
    add(rax, rdi);
    return rax;
}

#[test]
fn load_parameter_copies_into_a_virtual_register() {
    for_each_variant(&load_parameter::INFO, |v| {
        let got = load_parameter::call(v, 5, 3.0).unwrap();
        assert_eq!(got, 5 + 3 + 1000, "{}", v.name);
    });
}

/// Runs one instance of listing 4 on every variant against `op`, lengths 0..40.
fn check_vector_op<T: Copy + PartialEq + std::fmt::Debug + From<i32>>(
    info: &'static asmforge::KernelInfo,
    call: impl Fn(&'static asmforge::VariantInfo, *const T, *const T, *mut T, usize),
    op: impl Fn(T, T) -> T,
) {
    for_each_variant(info, |v| {
        for n in 0..40 {
            let x: Vec<T> = ints(n, 3 + n as u64)
                .into_iter()
                .map(|i| T::from(i * 1000))
                .collect();
            let y: Vec<T> = ints(n, 5 + n as u64).into_iter().map(T::from).collect();
            let mut z = vec![T::from(77); n + 1];
            call(v, x.as_ptr(), y.as_ptr(), z.as_mut_ptr(), n);
            let want: Vec<T> = x.iter().zip(&y).map(|(a, b)| op(*a, *b)).collect();
            assert_eq!(&z[..n], &want[..], "n = {n}, {}", v.name);
            assert_eq!(z[n], T::from(77), "wrote past the end, n = {n}");
        }
    });
}

#[test]
fn listing4_generalized_kernel_instances() {
    use generalized::{add_i32, add_i64, sub_i32, sub_i64, sub_i64_win64};
    check_vector_op::<i32>(
        &add_i32::INFO,
        |v, x, y, z, n| unsafe { add_i32::call(v, x, y, z, n) }.unwrap(),
        |a, b| a + b,
    );
    check_vector_op::<i32>(
        &sub_i32::INFO,
        |v, x, y, z, n| unsafe { sub_i32::call(v, x, y, z, n) }.unwrap(),
        |a, b| a - b,
    );
    check_vector_op::<i64>(
        &add_i64::INFO,
        |v, x, y, z, n| unsafe { add_i64::call(v, x, y, z, n) }.unwrap(),
        |a, b| a + b,
    );
    check_vector_op::<i64>(
        &sub_i64::INFO,
        |v, x, y, z, n| unsafe { sub_i64::call(v, x, y, z, n) }.unwrap(),
        |a, b| a - b,
    );
    check_vector_op::<i64>(
        &sub_i64_win64::INFO,
        |v, x, y, z, n| unsafe { sub_i64_win64::call(v, x, y, z, n) }.unwrap(),
        |a, b| a - b,
    );
    // One source, five functions with their own code: the i64 instances scale by 8.
    assert_ne!(
        add_i32::INFO.variants[0].bytes,
        add_i64::INFO.variants[0].bytes
    );
    // The Windows x64 instance takes its arguments in rcx, rdx, r8, r9.
    assert_ne!(
        sub_i64::INFO.variants[0].bytes,
        sub_i64_win64::INFO.variants[0].bytes
    );
}

#[test]
fn listing6_interleaves_two_streams() {
    #[repr(align(16))]
    struct Floats([f32; 32]);
    let ints: Vec<u64> = (1..=8).map(|i| i * 1000).collect();
    let floats = Floats(core::array::from_fn(|i| i as f32));
    let (mut out_int, mut out_floats) = (0u64, [0f32; 4]);
    for_each_variant(&streams::listing6::INFO, |v| unsafe {
        streams::listing6::call(
            v,
            ints.as_ptr(),
            floats.0.as_ptr(),
            &mut out_int,
            out_floats.as_mut_ptr(),
        )
        .unwrap();
    });
    assert_eq!(out_int, 36_000);
    let want: [f32; 4] = core::array::from_fn(|lane| (0..8).map(|i| (i * 4 + lane) as f32).sum());
    assert_eq!(out_floats, want);
    // Interleaved: the scalar adds and the vector adds alternate in the code.
    let bytes = streams::listing6::INFO.variants[0].bytes;
    let code = &bytes[..streams::listing6::INFO.variants[0].code_size as usize];
    let mut decoder = iced_x86::Decoder::new(64, code, 0);
    let kinds: Vec<char> = decoder
        .iter()
        .filter_map(|i| match i.mnemonic() {
            iced_x86::Mnemonic::Add => Some('s'),
            iced_x86::Mnemonic::Addps => Some('v'),
            _ => None,
        })
        .collect();
    assert_eq!(kinds.iter().collect::<String>(), "svsvsvsvsvsvsvsv");
}

#[test]
fn listing7_pipelines_columns() {
    let x: Vec<f32> = (0..32).map(|i| i as f32 - 7.0).collect();
    for_each_variant(&streams::listing7::INFO, |v| {
        let mut y = vec![0f32; 33];
        unsafe { streams::listing7::call(v, x.as_ptr(), y.as_mut_ptr()) }.unwrap();
        let want: Vec<f32> = x.iter().map(|a| a * a).collect();
        assert_eq!(&y[..32], &want[..]);
        assert_eq!(y[32], 0.0, "wrote past the end");
    });
    // Shifted columns: the third load comes before the first store.
    let info = &streams::listing7::INFO.variants[0];
    let mut decoder = iced_x86::Decoder::new(64, &info.bytes[..info.code_size as usize], 0);
    let order: String = decoder
        .iter()
        .filter_map(|i| match (i.mnemonic(), i.op0_kind()) {
            (iced_x86::Mnemonic::Movups, iced_x86::OpKind::Register) => Some('l'),
            (iced_x86::Mnemonic::Mulps, _) => Some('m'),
            (iced_x86::Mnemonic::Movups, _) => Some('s'),
            _ => None,
        })
        .collect();
    // Rows: l, lm, then lms while all three columns have rows, then ms, s.
    assert_eq!(order, format!("llm{}mss", "lms".repeat(6)));
}

/// Four `f32`s where `movaps` may load them.
#[repr(C, align(16))]
struct Aligned([f32; 4]);

#[test]
fn readme_dot_product_with_dpps() {
    for_each_variant(&readme::dot_product::INFO, |v| {
        for seed in 0..32 {
            let x = Aligned(std::array::from_fn(|i| ints(4, seed)[i] as f32));
            let y = Aligned(std::array::from_fn(|i| ints(4, seed + 99)[i] as f32));
            let want: f32 = x.0.iter().zip(&y.0).map(|(a, b)| a * b).sum();
            let got = unsafe { readme::dot_product::call(v, x.0.as_ptr(), y.0.as_ptr()) };
            assert_eq!(got.unwrap(), want, "seed {seed}, {}", v.name);
        }
    });
}

#[test]
fn readme_add_returns_the_sum() {
    let pairs = [(2, 2), (-7, 3), (i32::MAX, 1), (i32::MIN, -1), (0, 0)];
    for_each_variant(&readme::add::INFO, |v| {
        for (a, b) in pairs {
            assert_eq!(
                readme::add::call(v, a, b).unwrap(),
                a.wrapping_add(b),
                "{}",
                v.name
            );
        }
    });
    assert_eq!(readme::add(2, 2), 4);
}
