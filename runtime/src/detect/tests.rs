//! Detection on the machine running the tests, against independent oracles: std's
//! `is_x86_feature_detected!` and, on Linux, the kernel's `/proc/cpuinfo` flags.

use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use super::*;

/// How our answer must relate to std's for one feature.
#[derive(Clone, Copy, Debug)]
enum Relation {
    /// The same answer.
    Same,
    /// Our rule is stricter by design: ours implies std's.
    Stricter,
    /// std's rule is stricter: std's implies ours.
    Looser,
}

macro_rules! std_oracle {
    ($($name:tt => $feature:ident $relation:ident,)*) => {
        [$(($name, std::is_x86_feature_detected!($name), Feature::$feature, Relation::$relation),)*]
    };
}

#[test]
fn agrees_with_std() {
    let oracle = std_oracle! {
        "mmx" => MMX Same,
        "sse" => SSE Same,
        "sse2" => SSE2 Same,
        "fxsr" => FXSR Same,
        "tsc" => TSC Same,
        "sse3" => SSE3 Same,
        "ssse3" => SSSE3 Same,
        "sse4.1" => SSE4_1 Same,
        "sse4.2" => SSE4_2 Same,
        "popcnt" => POPCNT Same,
        "pclmulqdq" => PCLMULQDQ Same,
        "aes" => AES Same,
        "cmpxchg16b" => CMPXCHG16B Same,
        "movbe" => MOVBE Same,
        "rdrand" => RDRAND Same,
        "rdseed" => RDSEED Same,
        "adx" => ADX Same,
        "sha" => SHA Same,
        "bmi1" => BMI1 Same,
        "bmi2" => BMI2 Same,
        "lzcnt" => LZCNT Same,
        "abm" => LZCNT Same,
        "rtm" => RTM Same,
        // std reports these only on AMD/Hygon; the bits are reserved (0) elsewhere.
        "sse4a" => SSE4A Same,
        "tbm" => TBM Same,
        // std requires XCR0 YMM state for XSAVE; the instructions only need CR4.OSXSAVE.
        "xsave" => XSAVE Looser,
        "xsaveopt" => XSAVEOPT Looser,
        "xsavec" => XSAVEC Looser,
        "xsaves" => XSAVES Looser,
        "avx" => AVX Same,
        "avx2" => AVX2 Same,
        "fma" => FMA Same,
        "f16c" => F16C Same,
        "gfni" => GFNI Same,
        "vaes" => VAES Same,
        "vpclmulqdq" => VPCLMULQDQ Same,
        "avxvnni" => AVX_VNNI Same,
        "avxifma" => AVX_IFMA Same,
        "avxneconvert" => AVX_NE_CONVERT Same,
        "avxvnniint8" => AVX_VNNI_INT8 Same,
        "avxvnniint16" => AVX_VNNI_INT16 Same,
        "sha512" => SHA512 Same,
        "sm3" => SM3 Same,
        "sm4" => SM4 Same,
        // std also requires F16C and FMA for every AVX-512 feature (a Rust codegen rule).
        "avx512f" => AVX512F Looser,
        "avx512cd" => AVX512CD Looser,
        "avx512bw" => AVX512BW Looser,
        "avx512dq" => AVX512DQ Looser,
        "avx512vl" => AVX512VL Looser,
        "avx512ifma" => AVX512_IFMA Looser,
        "avx512vbmi" => AVX512_VBMI Looser,
        "avx512vbmi2" => AVX512_VBMI2 Looser,
        "avx512vnni" => AVX512_VNNI Looser,
        "avx512bitalg" => AVX512_BITALG Looser,
        "avx512vpopcntdq" => AVX512_VPOPCNTDQ Looser,
        "avx512bf16" => AVX512_BF16 Looser,
        "avx512fp16" => AVX512_FP16 Looser,
        "avx512vp2intersect" => AVX512_VP2INTERSECT Looser,
        "avx512er" => AVX512ER Looser,
        "avx512pf" => AVX512PF Looser,
        // std's "kl" is AESKLE; its "widekl" does not require AESKLE, ours does.
        "kl" => AESKLE Same,
        "widekl" => WIDE_KL Stricter,
    };
    let mut wrong = Vec::new();
    for (name, std_says, feature, relation) in oracle {
        let ours = is_detected(feature);
        let ok = match relation {
            Relation::Same => ours == std_says,
            Relation::Stricter => !ours || std_says,
            Relation::Looser => ours || !std_says,
        };
        if !ok {
            wrong.push(format!(
                "{feature}: ours {ours}, std {name:?} {std_says} ({relation:?})"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "disagreements with std:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn baseline_is_always_there() {
    use Feature::*;
    for f in [
        INTEL8086,
        INTEL186,
        INTEL286,
        INTEL386,
        INTEL486,
        X64,
        CPUID,
        FPU,
        FPU287,
        FPU387,
        CX8,
        CMOV,
        MMX,
        SSE,
        SSE2,
        FXSR,
        TSC,
        PAUSE,
        MULTIBYTENOP,
        SYSCALL,
    ] {
        assert!(is_detected(f), "{f} is part of every x86-64 CPU");
    }
}

#[test]
fn obsolete_and_unknowable_are_absent() {
    use Feature::*;
    for f in [
        INTEL8086_ONLY,
        INTEL286_ONLY,
        INTEL386_ONLY,
        INTEL386_A0_ONLY,
        INTEL486_A_ONLY,
        UMOV,
        IA64,
        KNC,
        CYRIX_D3NOW,
        CYRIX_EMMI,
        CYRIX_FPU,
        MOV_TR,
        SMM,
        TDX,
        UDBG,
        PADLOCK_UNDOC,
        INVEPT,
        INVVPID,
        FSGSBASE,
        UINTR,
        CET_SS,
        RDPMC,
        CL1INVMB,
    ] {
        assert!(!is_detected(f), "{f} must be reported absent");
    }
}

#[test]
fn cache_matches_a_fresh_computation() {
    let fresh = compute();
    for (i, &f) in Feature::ALL.iter().enumerate() {
        assert_eq!(f as usize, i, "Feature::ALL must be in discriminant order");
        let expected = fresh[i / PER_WORD] & (1 << (i % PER_WORD)) != 0;
        assert_eq!(is_detected(f), expected, "{f}");
        assert_eq!(is_detected(f), expected, "{f} (second, cached, call)");
    }
    let listed: Vec<Feature> = detected().collect();
    let filtered: Vec<Feature> = Feature::ALL
        .iter()
        .copied()
        .filter(|&f| is_detected(f))
        .collect();
    assert_eq!(listed, filtered);
    assert!(listed.contains(&Feature::X64));
    for bits in CACHE.iter().map(|w| w.load(Ordering::Relaxed)) {
        assert_ne!(
            bits & FILLED,
            0,
            "every word is marked filled after the first call"
        );
    }
}

#[test]
fn vector_features_imply_their_foundations() {
    use Feature::*;
    let implies = [
        (AVX2, AVX),
        (FMA, AVX),
        (AVX512BW, AVX512F),
        (AVX512VL, AVX512F),
        (AVX512_VNNI, AVX),
        (AVX512_BF16, AVX),
        (AVX512_FP16, AVX),
        (VAES, AVX),
        (VPCLMULQDQ, AVX),
        (AMX_INT8, AMX_TILE),
        (XSAVEOPT, XSAVE),
    ];
    for (a, b) in implies {
        assert!(
            !is_detected(a) || is_detected(b),
            "{a} detected without {b}"
        );
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::string::String;
    use std::vec::Vec;
    use std::{format, println};

    use super::*;

    /// `/proc/cpuinfo` flags that are CPUID bits Linux has reported for years, with our feature.
    const LINUX_FLAGS: &[(&str, Feature)] = &[
        ("pni", Feature::SSE3),
        ("ssse3", Feature::SSSE3),
        ("sse4_1", Feature::SSE4_1),
        ("sse4_2", Feature::SSE4_2),
        ("sse4a", Feature::SSE4A),
        ("popcnt", Feature::POPCNT),
        ("abm", Feature::LZCNT),
        ("pclmulqdq", Feature::PCLMULQDQ),
        ("aes", Feature::AES),
        ("sha_ni", Feature::SHA),
        ("cx16", Feature::CMPXCHG16B),
        ("movbe", Feature::MOVBE),
        ("adx", Feature::ADX),
        ("rdseed", Feature::RDSEED),
        ("bmi1", Feature::BMI1),
        ("bmi2", Feature::BMI2),
        ("clflush", Feature::CLFSH),
        ("clflushopt", Feature::CLFLUSHOPT),
        ("clwb", Feature::CLWB),
        ("clzero", Feature::CLZERO),
        ("rdtscp", Feature::RDTSCP),
        ("rdpid", Feature::RDPID),
        ("movdiri", Feature::MOVDIRI),
        ("movdir64b", Feature::MOVDIR64B),
        ("xsave", Feature::XSAVE),
        ("xsaveopt", Feature::XSAVEOPT),
        ("xsavec", Feature::XSAVEC),
        ("avx", Feature::AVX),
        ("avx2", Feature::AVX2),
        ("fma", Feature::FMA),
        ("f16c", Feature::F16C),
        ("gfni", Feature::GFNI),
        ("vaes", Feature::VAES),
        ("vpclmulqdq", Feature::VPCLMULQDQ),
        ("avx512f", Feature::AVX512F),
        ("avx512cd", Feature::AVX512CD),
        ("avx512bw", Feature::AVX512BW),
        ("avx512dq", Feature::AVX512DQ),
        ("avx512vl", Feature::AVX512VL),
        ("avx512ifma", Feature::AVX512_IFMA),
        ("avx512vbmi", Feature::AVX512_VBMI),
        ("avx512_vbmi2", Feature::AVX512_VBMI2),
        ("avx512_vnni", Feature::AVX512_VNNI),
        ("avx512_bitalg", Feature::AVX512_BITALG),
        ("avx512_vpopcntdq", Feature::AVX512_VPOPCNTDQ),
    ];

    #[test]
    fn agrees_with_linux_cpuinfo() {
        let Ok(cpuinfo) = std::fs::read_to_string("/proc/cpuinfo") else {
            println!("no /proc/cpuinfo: nothing to compare");
            return;
        };
        let Some(flags) = cpuinfo.lines().find_map(|l| l.strip_prefix("flags")) else {
            println!("/proc/cpuinfo has no flags line: nothing to compare");
            return;
        };
        let flags: Vec<&str> = flags
            .trim_start_matches([' ', '\t', ':'])
            .split(' ')
            .collect();
        let mut wrong = String::new();
        for &(flag, feature) in LINUX_FLAGS {
            let linux = flags.contains(&flag);
            if linux != is_detected(feature) {
                wrong += &format!("{feature}: ours {}, Linux {flag:?} {linux}\n", !linux);
            }
        }
        assert!(
            wrong.is_empty(),
            "disagreements with /proc/cpuinfo:\n{wrong}"
        );
    }
}

/// One snapshot for every rule: `CPUID` and `XGETBV` are executed in `cpuid.rs` only (its
/// tests count how often), and no dependency probes the CPU behind our back.
#[test]
fn the_cpu_is_read_in_one_place() {
    fn sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                // `/` separators on every host (the suite also runs as Windows code).
                out.push((path.display().to_string().replace('\\', "/"), text));
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    assert!(files.len() > 5);
    // Spelled in pieces so that this file does not match itself.
    let (cpuid, xgetbv) = (["__", "cpuid"].concat(), ["_xgetbv", "("].concat());
    for (path, text) in &files {
        let executes = text.contains(&cpuid) || text.contains(&xgetbv);
        let allowed = path.ends_with("detect/cpuid.rs") || path.ends_with("cpuid/tests.rs");
        assert!(!executes || allowed, "{path} executes CPUID/XGETBV itself");
    }
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("read Cargo.toml");
    assert!(
        !manifest.contains(&["cpu", "features"].concat()),
        "a second CPUID reader"
    );
}
