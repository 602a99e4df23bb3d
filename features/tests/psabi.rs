//! The shared tables against their sources: the System V psABI's level table (§3.1.1) and the
//! rustc running the tests (`--print cfg` lists every target feature a `-C target-cpu` or
//! `-C target-feature` enables, implications included).

use std::collections::BTreeSet;
use std::process::Command;

use asmforge_features::{
    BASELINE, Feature, FeatureSet, IMPLIES, Level, RUSTC_NAMES, by_name, closure, rustc_name,
};

/// psABI §3.1.1, "Micro-Architecture Levels", each level's own row, in the psABI's names.
const PSABI: [&[&str]; 4] = [
    &[
        "CMOV", "CX8", "FPU", "FXSR", "MMX", "OSFXSR", "SCE", "SSE", "SSE2",
    ],
    &[
        "CMPXCHG16B",
        "LAHF-SAHF",
        "POPCNT",
        "SSE3",
        "SSE4_1",
        "SSE4_2",
        "SSSE3",
    ],
    &[
        "AVX", "AVX2", "BMI1", "BMI2", "F16C", "FMA", "LZCNT", "MOVBE", "OSXSAVE",
    ],
    &["AVX512F", "AVX512BW", "AVX512CD", "AVX512DQ", "AVX512VL"],
];

/// A psABI name as an iced feature: `None` for the two with no instruction feature (see
/// `levels.rs`).
fn psabi_feature(name: &str) -> Option<Feature> {
    match name {
        "OSFXSR" | "LAHF-SAHF" => None,
        "SCE" => Some(Feature::SYSCALL),
        "OSXSAVE" => Some(Feature::XSAVE),
        _ => Some(Feature::from_name(name).unwrap_or_else(|| panic!("{name} is no iced name"))),
    }
}

#[test]
fn psabi_levels_are_the_psabi_table() {
    let v1: FeatureSet = PSABI[0].iter().filter_map(|n| psabi_feature(n)).collect();
    assert!(
        v1.is_subset(BASELINE),
        "x86-64-v1 {v1:?} not in the baseline"
    );
    assert!(Level::from_psabi(1).unwrap().features().is_empty());
    for n in 2..=4u8 {
        let level = Level::from_psabi(n).unwrap();
        assert_eq!(level.psabi(), Some(n));
        let below = Level::from_psabi(n - 1).unwrap().features();
        let own = level.features().minus(below);
        let psabi: FeatureSet = PSABI[n as usize - 1]
            .iter()
            .filter_map(|name| psabi_feature(name))
            .collect();
        assert_eq!(own, psabi, "x86-64-v{n}");
        assert_eq!(
            Level::from_name(&format!("x86-64-v{n}")),
            Some(level),
            "x86-64-v{n} by name"
        );
    }
    // The decision the two old copies disagreed on.
    assert!(
        Level::from_psabi(3)
            .unwrap()
            .features()
            .contains(Feature::XSAVE)
    );
    assert!(
        !Level::from_psabi(2)
            .unwrap()
            .features()
            .contains(Feature::XSAVE)
    );
}

#[test]
fn ladder_steps_partition_the_levels() {
    let mut seen = FeatureSet::EMPTY;
    for level in Level::ALL {
        assert!(
            level.adds().minus(seen) == level.adds(),
            "{level:?} repeats a feature of a lower step"
        );
        seen = seen.union(level.adds());
        assert_eq!(level.features(), seen, "{level:?}");
        for f in level.adds().iter() {
            assert_eq!(Level::of(f), Some(level), "{f}");
        }
        assert_eq!(
            Level::from_name(&format!("{level:?}")).map(Level::features),
            Some(seen)
        );
    }
    assert_eq!(Level::of(Feature::AVX512_VNNI), Some(Level::Avx512));
    assert_eq!(Level::of(Feature::AES), None);
    assert_eq!(Level::of(Feature::SSE2), None);
}

/// The target features rustc enables with `flags`, as features (names we cannot map ignored).
fn rustc_enables(flags: &[&str]) -> BTreeSet<Feature> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "cfg", "--target", "x86_64-unknown-linux-gnu"])
        .args(flags)
        .output()
        .expect("run rustc");
    assert!(
        out.status.success(),
        "{rustc} {flags:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .lines()
        .filter_map(|l| l.strip_prefix("target_feature=\""))
        .filter_map(|l| l.strip_suffix('"'))
        .filter_map(|name| {
            RUSTC_NAMES
                .iter()
                .find(|(_, n)| *n == name)
                .map(|(f, _)| *f)
        })
        .collect()
}

/// `set` restricted to the features rustc can name.
fn named(set: FeatureSet) -> BTreeSet<Feature> {
    set.iter().filter(|f| rustc_name(*f).is_some()).collect()
}

#[test]
fn psabi_levels_match_rustcs_target_cpus() {
    for n in 1..=4u8 {
        let cpu = format!("target-cpu=x86-64-v{n}");
        let cpu = if n == 1 {
            "target-cpu=x86-64".into()
        } else {
            cpu
        };
        let rustc = rustc_enables(&["-C", &cpu]);
        let ours = named(closure(Level::from_psabi(n).unwrap().features()));
        assert_eq!(ours, rustc, "x86-64-v{n}: ours vs rustc -C {cpu}");
    }
}

/// Where our table implies more than rustc, on purpose (see `implies.rs`).
const BEYOND_RUSTC: &[(&str, &[Feature])] =
    &[("avx512fp16", &[Feature::AVX512DQ, Feature::AVX512VL])];

#[test]
fn implications_match_rustcs() {
    let mut wrong = Vec::new();
    for &(f, name) in RUSTC_NAMES {
        let mut rustc = rustc_enables(&["-C", &format!("target-feature=+{name}")]);
        if let Some((_, more)) = BEYOND_RUSTC.iter().find(|(n, _)| *n == name) {
            let flags: Vec<String> = more
                .iter()
                .map(|m| format!("+{}", rustc_name(*m).unwrap()))
                .collect();
            rustc.extend(rustc_enables(&[
                "-C",
                &format!("target-feature={}", flags.join(",")),
            ]));
        }
        let ours = named(closure(FeatureSet::of(&[f])));
        if ours != rustc {
            wrong.push(format!(
                "+{name}: ours {:?}, rustc {:?}",
                ours.difference(&rustc).collect::<Vec<_>>(),
                rustc.difference(&ours).collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "implications differ:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_name_round_trips() {
    for &(f, name) in RUSTC_NAMES {
        assert_eq!(by_name(name), Some(f), "rustc name {name}");
    }
    for &f in Feature::ALL {
        assert_eq!(by_name(&f.name().to_ascii_lowercase()), Some(f));
    }
    assert_eq!(by_name("sse4.1"), Some(Feature::SSE4_1));
    assert_eq!(by_name("cx16"), Some(Feature::CMPXCHG16B));
    assert_eq!(by_name("avx3"), None);
    for (f, implied) in IMPLIES {
        assert!(!implied.contains(f), "{f} implies itself");
    }
}
