//! The snapshot on made-up CPUs (leaf gating, what is read and how often), and on this one
//! (how many `CPUID`s a detection executes).

use std::vec::Vec;

use super::*;

/// A made-up CPU: `leaves` answers `(leaf, sub-leaf)`; anything else returns the data of the
/// highest basic leaf, as Intel CPUs do for out-of-range leaves.
struct Fake {
    leaves: Vec<((u32, u32), CpuidResult)>,
    calls: Vec<(u32, u32)>,
    xgetbv_calls: usize,
}

fn r(eax: u32, ebx: u32, ecx: u32, edx: u32) -> CpuidResult {
    CpuidResult { eax, ebx, ecx, edx }
}

impl Fake {
    fn new(leaves: &[((u32, u32), CpuidResult)]) -> Fake {
        Fake {
            leaves: leaves.to_vec(),
            calls: Vec::new(),
            xgetbv_calls: 0,
        }
    }

    fn snapshot(&mut self) -> Snapshot {
        let leaves = self.leaves.clone();
        let max = leaves[0].1.eax;
        let calls = &mut self.calls;
        let mut xgetbv_calls = 0;
        let s = read_with(
            |leaf, sub| {
                calls.push((leaf, sub));
                let highest = leaves.iter().find(|(k, _)| k.0 == max).map(|(_, v)| *v);
                leaves
                    .iter()
                    .find(|(k, _)| *k == (leaf, sub))
                    .map(|(_, v)| *v)
                    .or(highest)
                    .unwrap_or(ZERO)
            },
            || {
                xgetbv_calls += 1;
                0b111
            },
        );
        self.xgetbv_calls = xgetbv_calls;
        s
    }
}

/// `GenuineIntel` in EBX, EDX, ECX order.
const INTEL: (u32, u32, u32) = (0x756e_6547, 0x4965_6e69, 0x6c65_746e);

#[test]
fn leaves_beyond_the_maximum_read_as_zero_and_are_not_executed() {
    // Highest basic leaf 6: leaf 7 and 0DH would return leaf 6's data on real hardware.
    let mut cpu = Fake::new(&[
        ((0, 0), r(6, INTEL.0, INTEL.2, INTEL.1)),
        ((1, 0), r(0, 0, 1 << 28 | 1 << 27, 0)),
        ((6, 0), r(!0, !0, !0, !0)),
        ((0x8000_0000, 0), r(0x8000_0001, 0, 0, 0)),
        ((0x8000_0001, 0), r(0, 0, 1 << 5, 1 << 29)),
    ]);
    let s = cpu.snapshot();
    assert_eq!(s.vendor, Vendor::Intel);
    assert_eq!((s.l7_ebx, s.l7_ecx, s.l7s1_eax, s.ld_s1_eax), (0, 0, 0, 0));
    assert_eq!(
        (s.e1_ecx, s.e8_ebx),
        (1 << 5, 0),
        "8000_0008H beyond the extended maximum"
    );
    assert_eq!(s.xcr0, 0b111, "OSXSAVE set: XCR0 read");
    assert_eq!(cpu.xgetbv_calls, 1);
    assert_eq!(
        cpu.calls,
        [(0, 0), (1, 0), (0x8000_0000, 0), (0x8000_0001, 0)],
        "only leaves that exist are executed"
    );
}

#[test]
fn sub_leaf_1_of_leaf_7_only_when_leaf_7_says_it_exists() {
    let base = |max_sub7: u32| {
        Fake::new(&[
            ((0, 0), r(7, 0, 0, 0)),
            ((7, 0), r(max_sub7, 1 << 16, 0, 0)),
            ((7, 1), r(1 << 5, 0, 0, 0)),
        ])
    };
    let mut without = base(0);
    let s = without.snapshot();
    assert_eq!((s.l7_ebx, s.l7s1_eax), (1 << 16, 0));
    assert!(!without.calls.contains(&(7, 1)));
    let mut with = base(1);
    assert_eq!(with.snapshot().l7s1_eax, 1 << 5);
}

#[test]
fn no_osxsave_no_xgetbv() {
    let mut cpu = Fake::new(&[((0, 0), r(1, 0, 0, 0)), ((1, 0), r(0, 0, 1 << 28, 0))]);
    assert_eq!(cpu.snapshot().xcr0, 0);
    assert_eq!(cpu.xgetbv_calls, 0, "XGETBV would #UD without CR4.OSXSAVE");
}

#[test]
fn conditional_leaves_follow_their_enumeration_bits() {
    // SGX (07H:EBX[2]) enables leaf 12H, Key Locker (07H:ECX[23]) leaf 19H, Centaur the
    // 0C000_0000H range.
    let leaves = |l7_ebx: u32, l7_ecx: u32, vendor: (u32, u32, u32)| {
        [
            ((0, 0), r(0x19, vendor.0, vendor.2, vendor.1)),
            ((7, 0), r(0, l7_ebx, l7_ecx, 0)),
            ((0x12, 0), r(1, 0, 0, 0)),
            ((0x19, 0), r(0, 1, 0, 0)),
            ((0xC000_0000, 0), r(0xC000_0001, 0, 0, 0)),
            ((0xC000_0001, 0), r(0, 0, 0, 0b11 << 6)),
        ]
    };
    let mut plain = Fake::new(&leaves(0, 0, INTEL));
    let s = plain.snapshot();
    assert_eq!((s.l12_eax, s.l19_ebx, s.centaur_edx), (0, 0, 0));
    for leaf in [0x12, 0x19, 0xC000_0000, 0xC000_0001] {
        assert!(!plain.calls.iter().any(|c| c.0 == leaf), "{leaf:#x} read");
    }
    // `CentaurHauls`.
    let centaur = (0x746e_6543, 0x4872_7561, 0x736c_7561);
    let mut all = Fake::new(&leaves(1 << 2, 1 << 23, centaur));
    let s = all.snapshot();
    assert_eq!(s.vendor, Vendor::Centaur);
    assert_eq!((s.l12_eax, s.l19_ebx, s.centaur_edx), (1, 1, 0b11 << 6));
}

/// Detection on this machine: every (leaf, sub-leaf) at most once, and few of them.
#[cfg(not(any(miri, target_env = "sgx")))]
#[test]
fn a_detection_executes_each_leaf_once() {
    let mut calls = Vec::new();
    let mut xgetbv_calls = 0;
    let counted = read_with(
        |leaf, sub| {
            calls.push((leaf, sub));
            cpuid(leaf, sub)
        },
        || {
            xgetbv_calls += 1;
            // SAFETY: `read_with` calls this only when CPUID reports OSXSAVE (see `read`).
            unsafe { core::arch::x86_64::_xgetbv(0) }
        },
    );
    assert_eq!(counted, read(), "the counted read is the real one");
    let mut distinct = calls.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        calls.len(),
        "a leaf executed twice: {calls:x?}"
    );
    // 0, 1, 7.0, 7.1, 0DH.1, 14H, 8000_0000H, 8000_0001H, 8000_0008H, 8000_001FH, and at most
    // 12H, 19H and two Centaur leaves besides.
    assert!(calls.len() <= 14, "{} CPUIDs: {calls:x?}", calls.len());
    assert!(xgetbv_calls <= 1);
    std::println!(
        "detection executes {} CPUID and {xgetbv_calls} XGETBV: {calls:x?}",
        calls.len()
    );
}
