//! The rule table against iced's documented CPUID bits, and rules on made-up CPUs.

use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use super::*;

/// A CPU that reports nothing and an OS that enables nothing.
fn bare() -> Snapshot {
    Snapshot::default()
}

/// A CPU that reports everything and an OS that enables everything.
fn everything() -> Snapshot {
    Snapshot {
        l1_ecx: !0,
        l1_edx: !0,
        l7_ebx: !0,
        l7_ecx: !0,
        l7_edx: !0,
        l7s1_eax: !0,
        l7s1_ebx: !0,
        l7s1_edx: !0,
        ld_s1_eax: !0,
        l12_eax: !0,
        l14_ebx: !0,
        l19_ebx: !0,
        e1_ecx: !0,
        e1_edx: !0,
        e8_ebx: !0,
        e1f_eax: !0,
        centaur_edx: !0,
        xcr0: !0,
        vendor: Vendor::Other,
    }
}

fn detected_on(s: &Snapshot) -> Vec<Feature> {
    Feature::ALL
        .iter()
        .copied()
        .filter(|&f| supports(s, f))
        .collect()
}

#[test]
fn a_bare_cpu_has_only_the_baseline() {
    let always: Vec<Feature> = Feature::ALL
        .iter()
        .copied()
        .filter(|&f| matches!(rule(f), Rule::Always))
        .collect();
    assert_eq!(detected_on(&bare()), always);
    assert_eq!(always.len(), 20);
}

#[test]
fn a_cpu_with_everything_has_all_but_the_undetectable() {
    let never: Vec<Feature> = Feature::ALL
        .iter()
        .copied()
        .filter(|&f| matches!(rule(f), Rule::Never))
        .collect();
    let expected: Vec<Feature> = Feature::ALL
        .iter()
        .copied()
        .filter(|f| !never.contains(f))
        .collect();
    assert_eq!(detected_on(&everything()), expected);
}

/// `(leaf, sub-leaf, register, mask)` from an iced description such as
/// `CPUID.(EAX=07H, ECX=0H):EBX.AVX2[bit 5]` or `CPUID.0C0000001H:EDX.ACE[Bits 7:6] = 11B`.
fn documented_bits(description: &str) -> Option<(u32, u32, String, u32)> {
    let text = &description[description.rfind("CPUID.")? + "CPUID.".len()..];
    let hex = |s: &str| u32::from_str_radix(s.trim().trim_end_matches('H'), 16).ok();
    let (leaf, sub, rest) = if let Some(paren) = text.strip_prefix("(EAX=") {
        let (inside, rest) = paren.split_once(')')?;
        let (eax, ecx) = inside.split_once(", ECX=")?;
        (hex(eax)?, hex(ecx)?, rest)
    } else {
        let (leaf, rest) = text.split_once(':')?;
        (hex(leaf)?, 0, rest)
    };
    let rest = rest.strip_prefix(':').unwrap_or(rest);
    let register = rest.get(..3)?.to_string();
    let range = &rest[rest.find('[')? + 1..];
    let range = &range[..range.find(']')?].trim_end_matches('\\');
    let mask = if let Some(n) = range.strip_prefix("bit ") {
        1u32.checked_shl(n.parse().ok()?)?
    } else {
        let (high, low) = range.strip_prefix("Bits ")?.split_once(':')?;
        let (high, low): (u32, u32) = (high.parse().ok()?, low.parse().ok()?);
        (low..=high).map(|b| 1u32 << b).sum()
    };
    Some((leaf, sub, register, mask))
}

#[test]
fn description_parser_reads_the_three_shapes() {
    assert_eq!(
        documented_bits(Feature::AVX2.description()),
        Some((7, 0, "EBX".to_string(), 1 << 5))
    );
    assert_eq!(
        documented_bits(Feature::AES.description()),
        Some((1, 0, "ECX".to_string(), 1 << 25))
    );
    assert_eq!(
        documented_bits(Feature::PADLOCK_ACE.description()),
        Some((0xC000_0001, 0, "EDX".to_string(), 0b11 << 6))
    );
    assert_eq!(documented_bits(Feature::PAUSE.description()), None);
}

/// Features iced documents with a CPUID bit whose rule deliberately tests something else.
const NOT_BY_THEIR_BIT: &[Feature] = &[
    // Baseline: true without asking.
    Feature::X64,
    Feature::CX8,
    Feature::CMOV,
    Feature::FPU,
    Feature::FXSR,
    Feature::MMX,
    Feature::SSE,
    Feature::SSE2,
    Feature::TSC,
    Feature::SYSCALL,
    // Reported absent.
    Feature::FSGSBASE,
    Feature::UINTR,
    Feature::CET_SS,
    Feature::CYRIX_EMMI,
    // Custom rules (checked by the made-up-CPU tests below).
    Feature::BMI1,
    Feature::BMI2,
    Feature::SEP,
    Feature::PREFETCHW,
];

#[test]
fn every_documented_bit_is_the_bit_tested() {
    let mut wrong = Vec::new();
    for &f in Feature::ALL {
        let tested = match rule(f) {
            Rule::Bits(word, mask, _) | Rule::WithAvx(word, mask, _) => Some((word, mask)),
            _ => None,
        };
        match (documented_bits(f.description()), tested) {
            (Some((leaf, sub, reg, doc_mask)), Some((word, mask))) => {
                let (w_leaf, w_sub, w_reg) = word.location();
                if (leaf, sub, reg.as_str()) != (w_leaf, w_sub, w_reg)
                    || mask & doc_mask != doc_mask
                {
                    let documented = format!("{leaf:#x}.{sub} {reg} {doc_mask:#x}");
                    wrong.push(format!(
                        "{f}: documented {documented}, tested {word:?} {mask:#x}"
                    ));
                }
            }
            (Some(_), None) if !NOT_BY_THEIR_BIT.contains(&f) => {
                wrong.push(format!("{f}: documented bit not tested ({:?})", rule(f)));
            }
            (None, Some(_)) => wrong.push(format!("{f}: tested bit is not documented")),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn with(build: impl FnOnce(&mut Snapshot)) -> Snapshot {
    let mut s = bare();
    build(&mut s);
    s
}

const YMM: u64 = 0b110;
const ZMM: u64 = 0b1110_0110;

#[test]
fn avx512_class_needs_opmask_and_zmm_state() {
    use Feature::*;
    let cases = [
        (AVX512_VNNI, with(|s| s.l7_ecx = 1 << 11)),
        (AVX512_FP16, with(|s| s.l7_edx = 1 << 23)),
        (AVX512_VP2INTERSECT, with(|s| s.l7_edx = 1 << 8)),
        (AVX512_BF16, with(|s| s.l7s1_eax = 1 << 5)),
    ];
    for (f, cpu) in cases {
        assert!(
            supports(&Snapshot { xcr0: ZMM, ..cpu }, f),
            "{f} with full ZMM state"
        );
        assert!(!supports(&cpu, f), "{f} without XSAVE state");
        for missing in [1, 2, 5, 6, 7] {
            let xcr0 = ZMM & !(1 << missing);
            assert!(
                !supports(&Snapshot { xcr0, ..cpu }, f),
                "{f} without XCR0 bit {missing}"
            );
        }
    }
}

#[test]
fn vex_only_features_need_ymm_state_and_gfni_does_not() {
    use Feature::*;
    let cpu = with(|s| {
        s.l7_ecx = 0b111 << 8;
        s.l1_ecx = 1 << 29;
        s.l7s1_eax = 1 << 4;
    });
    for f in [VAES, VPCLMULQDQ, F16C, AVX_VNNI] {
        assert!(!supports(&cpu, f), "{f} without YMM state");
        assert!(
            supports(&Snapshot { xcr0: YMM, ..cpu }, f),
            "{f} with YMM state"
        );
        assert!(
            !supports(&Snapshot { xcr0: 0b010, ..cpu }, f),
            "{f} with SSE state only"
        );
    }
    assert!(supports(&cpu, GFNI), "GFNI has SSE forms");
}

#[test]
fn avx2_and_fma_need_the_avx_bit_and_ymm_state() {
    let cpu = with(|s| {
        s.l7_ebx = 1 << 5;
        s.l1_ecx = 1 << 12;
        s.xcr0 = YMM;
    });
    assert!(!supports(&cpu, Feature::AVX2), "AVX2 without the AVX bit");
    assert!(!supports(&cpu, Feature::FMA), "FMA without the AVX bit");
    let avx = Snapshot {
        l1_ecx: cpu.l1_ecx | 1 << 28,
        ..cpu
    };
    for f in [Feature::AVX, Feature::AVX2, Feature::FMA] {
        assert!(supports(&avx, f), "{f}");
        assert!(
            !supports(&Snapshot { xcr0: 0b010, ..avx }, f),
            "{f} without YMM state"
        );
    }
}

#[test]
fn sha512_sm3_sm4_are_vex_only_and_need_ymm_state() {
    let cpu = with(|s| s.l7s1_eax = 0b111);
    for f in [Feature::SHA512, Feature::SM3, Feature::SM4] {
        assert!(!supports(&cpu, f), "{f} without YMM state");
        assert!(supports(&Snapshot { xcr0: YMM, ..cpu }, f), "{f}");
    }
}

#[test]
fn amx_needs_tile_state() {
    let cpu = with(|s| s.l7_edx = 0b1101 << 22);
    for f in [Feature::AMX_TILE, Feature::AMX_INT8, Feature::AMX_BF16] {
        assert!(
            !supports(
                &Snapshot {
                    xcr0: ZMM | 1 << 17,
                    ..cpu
                },
                f
            ),
            "{f} without TILEDATA"
        );
        assert!(
            supports(
                &Snapshot {
                    xcr0: 0b11 << 17,
                    ..cpu
                },
                f
            ),
            "{f}"
        );
    }
}

#[test]
fn os_enable_bits_are_required() {
    let xsave = with(|s| s.l1_ecx = 1 << 26);
    assert!(
        !supports(&xsave, Feature::XSAVE),
        "XSAVE without CR4.OSXSAVE"
    );
    assert!(supports(
        &Snapshot {
            l1_ecx: 0b11 << 26,
            ..xsave
        },
        Feature::XSAVE
    ));
    let pku = with(|s| s.l7_ecx = 1 << 3);
    assert!(!supports(&pku, Feature::PKU), "PKU without OSPKE");
    assert!(supports(
        &Snapshot {
            l7_ecx: 0b11 << 3,
            ..pku
        },
        Feature::PKU
    ));
    let mpx = with(|s| s.l7_ebx = 1 << 14);
    assert!(
        !supports(&mpx, Feature::MPX),
        "MPX without BNDREGS/BNDCSR state"
    );
    assert!(supports(
        &Snapshot {
            xcr0: 0b11 << 3,
            ..mpx
        },
        Feature::MPX
    ));
    let lwp = with(|s| s.e1_ecx = 1 << 15);
    assert!(!supports(&lwp, Feature::LWP));
    assert!(supports(
        &Snapshot {
            xcr0: 1 << 62,
            ..lwp
        },
        Feature::LWP
    ));
}

#[test]
fn vendor_specific_rules() {
    let bmi = with(|s| s.l7_ebx = 1 << 3 | 1 << 8);
    for vendor in [Vendor::Amd, Vendor::Other] {
        assert!(supports(&Snapshot { vendor, ..bmi }, Feature::BMI1));
    }
    let intel = Snapshot {
        vendor: Vendor::Intel,
        ..bmi
    };
    assert!(
        !supports(&intel, Feature::BMI1),
        "SKL052: Intel without AVX"
    );
    assert!(
        !supports(&intel, Feature::BMI2),
        "SKL052: Intel without AVX"
    );
    assert!(supports(
        &Snapshot {
            l1_ecx: 1 << 28,
            ..intel
        },
        Feature::BMI2
    ));

    let sep = with(|s| s.l1_edx = 1 << 11);
    assert!(supports(
        &Snapshot {
            vendor: Vendor::Intel,
            ..sep
        },
        Feature::SEP
    ));
    assert!(
        !supports(
            &Snapshot {
                vendor: Vendor::Amd,
                ..sep
            },
            Feature::SEP
        ),
        "#UD in long mode"
    );
}

#[test]
fn two_bit_and_either_or_rules() {
    let exists_only = with(|s| s.centaur_edx = 1 << 6);
    assert!(
        !supports(&exists_only, Feature::PADLOCK_ACE),
        "present but not enabled"
    );
    assert!(supports(
        &with(|s| s.centaur_edx = 0b11 << 6),
        Feature::PADLOCK_ACE
    ));

    assert!(
        !supports(&with(|s| s.l19_ebx = 0b100), Feature::WIDE_KL),
        "needs AESKLE"
    );
    assert!(supports(&with(|s| s.l19_ebx = 0b101), Feature::WIDE_KL));

    assert!(supports(&with(|s| s.l7_ebx = 1 << 11), Feature::HLE_or_RTM));
    assert!(supports(
        &with(|s| s.e1_ecx = 1 << 2),
        Feature::SKINIT_or_SVM
    ));
    assert!(!supports(&bare(), Feature::HLE_or_RTM));

    for prefetchw in [with(|s| s.e1_ecx = 1 << 8), with(|s| s.e1_edx = 1 << 31)] {
        assert!(supports(&prefetchw, Feature::PREFETCHW));
    }
}
