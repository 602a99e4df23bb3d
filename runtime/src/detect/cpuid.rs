//! One read of every CPUID word and XCR0 that detection looks at.
//!
//! Takes: a way to execute `CPUID` and `XGETBV` (the instructions themselves in [`read`]; made
//! up answers in tests). Guarantees: a [`Snapshot`] of plain words in which a word from a leaf
//! or sub-leaf the CPU does not implement is 0. CPUID does not fail on such leaves: Intel
//! returns the data of the highest basic leaf instead (SDM Vol. 2A, CPUID, "If a value entered
//! for CPUID.EAX is higher than the maximum input value ..."), so every leaf is checked against
//! the maximum first. `xcr0` is 0 unless `CPUID.01H:ECX.OSXSAVE[bit 27]` says `XGETBV` may be
//! executed.
//!
//! Each (leaf, sub-leaf) is executed at most once per snapshot, and only when some rule reads
//! it: 10 `CPUID`s and one `XGETBV` on an AMD or Intel CPU without SGX or Key Locker (the
//! conditional leaves 12H, 19H and the Centaur range add at most 3). Every feature rule reads
//! this one snapshot; nothing else executes `CPUID` (`tests.rs` counts).
#![cfg_attr(
    any(miri, target_env = "sgx"),
    allow(dead_code, reason = "without CPUID the snapshot stays empty")
)]

use core::arch::x86_64::CpuidResult;
#[cfg(not(any(miri, target_env = "sgx")))]
use core::arch::x86_64::{__cpuid_count, _xgetbv};

/// A 32-bit register returned by one CPUID leaf/sub-leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Word {
    /// `CPUID.01H:ECX`
    L1Ecx,
    /// `CPUID.01H:EDX`
    L1Edx,
    /// `CPUID.(EAX=07H, ECX=0):EBX`
    L7Ebx,
    /// `CPUID.(EAX=07H, ECX=0):ECX`
    L7Ecx,
    /// `CPUID.(EAX=07H, ECX=0):EDX`
    L7Edx,
    /// `CPUID.(EAX=07H, ECX=1):EAX`
    L7s1Eax,
    /// `CPUID.(EAX=07H, ECX=1):EBX`
    L7s1Ebx,
    /// `CPUID.(EAX=07H, ECX=1):EDX`
    L7s1Edx,
    /// `CPUID.(EAX=0DH, ECX=1):EAX` (XSAVE extensions)
    LdS1Eax,
    /// `CPUID.(EAX=12H, ECX=0):EAX` (SGX capabilities; read only when `CPUID.07H:EBX.SGX`)
    L12Eax,
    /// `CPUID.(EAX=14H, ECX=0):EBX` (Intel PT)
    L14Ebx,
    /// `CPUID.19H:EBX` (Key Locker; read only when `CPUID.07H:ECX.KL`)
    L19Ebx,
    /// `CPUID.80000001H:ECX`
    E1Ecx,
    /// `CPUID.80000001H:EDX`
    E1Edx,
    /// `CPUID.80000008H:EBX`
    E8Ebx,
    /// `CPUID.8000001FH:EAX` (AMD secure encryption)
    E1fEax,
    /// `CPUID.0C0000001H:EDX` (Centaur/Zhaoxin PadLock; read only on those vendors)
    CentaurEdx,
}

impl Word {
    /// `(leaf, sub-leaf, register name)` as the Intel SDM writes it.
    #[cfg(test)]
    pub(super) const fn location(self) -> (u32, u32, &'static str) {
        match self {
            Word::L1Ecx => (0x1, 0, "ECX"),
            Word::L1Edx => (0x1, 0, "EDX"),
            Word::L7Ebx => (0x7, 0, "EBX"),
            Word::L7Ecx => (0x7, 0, "ECX"),
            Word::L7Edx => (0x7, 0, "EDX"),
            Word::L7s1Eax => (0x7, 1, "EAX"),
            Word::L7s1Ebx => (0x7, 1, "EBX"),
            Word::L7s1Edx => (0x7, 1, "EDX"),
            Word::LdS1Eax => (0xD, 1, "EAX"),
            Word::L12Eax => (0x12, 0, "EAX"),
            Word::L14Ebx => (0x14, 0, "EBX"),
            Word::L19Ebx => (0x19, 0, "EBX"),
            Word::E1Ecx => (0x8000_0001, 0, "ECX"),
            Word::E1Edx => (0x8000_0001, 0, "EDX"),
            Word::E8Ebx => (0x8000_0008, 0, "EBX"),
            Word::E1fEax => (0x8000_001F, 0, "EAX"),
            Word::CentaurEdx => (0xC000_0001, 0, "EDX"),
        }
    }
}

/// The CPU's vendor string (`CPUID.00H:EBX,EDX,ECX`), where a rule depends on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Vendor {
    /// `GenuineIntel`
    Intel,
    /// `AuthenticAMD` or `HygonGenuine` (Hygon shares AMD's CPUID definitions).
    Amd,
    /// `CentaurHauls` (VIA) or `  Shanghai  ` (Zhaoxin): the vendors with PadLock leaves.
    Centaur,
    /// Anything else, or not read.
    #[default]
    Other,
}

impl Vendor {
    fn from_id(id: &[u8; 12]) -> Vendor {
        match id {
            b"GenuineIntel" => Vendor::Intel,
            b"AuthenticAMD" | b"HygonGenuine" => Vendor::Amd,
            b"CentaurHauls" | b"  Shanghai  " => Vendor::Centaur,
            _ => Vendor::Other,
        }
    }
}

/// Every CPUID word detection uses, with XCR0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Snapshot {
    pub(super) vendor: Vendor,
    pub(super) l1_ecx: u32,
    pub(super) l1_edx: u32,
    pub(super) l7_ebx: u32,
    pub(super) l7_ecx: u32,
    pub(super) l7_edx: u32,
    pub(super) l7s1_eax: u32,
    pub(super) l7s1_ebx: u32,
    pub(super) l7s1_edx: u32,
    pub(super) ld_s1_eax: u32,
    pub(super) l12_eax: u32,
    pub(super) l14_ebx: u32,
    pub(super) l19_ebx: u32,
    pub(super) e1_ecx: u32,
    pub(super) e1_edx: u32,
    pub(super) e8_ebx: u32,
    pub(super) e1f_eax: u32,
    pub(super) centaur_edx: u32,
    /// `XCR0` (`XGETBV` with `ECX = 0`), or 0 when the OS has not set `CR4.OSXSAVE`.
    pub(super) xcr0: u64,
}

impl Snapshot {
    /// The value of `word`.
    pub(super) const fn word(&self, word: Word) -> u32 {
        match word {
            Word::L1Ecx => self.l1_ecx,
            Word::L1Edx => self.l1_edx,
            Word::L7Ebx => self.l7_ebx,
            Word::L7Ecx => self.l7_ecx,
            Word::L7Edx => self.l7_edx,
            Word::L7s1Eax => self.l7s1_eax,
            Word::L7s1Ebx => self.l7s1_ebx,
            Word::L7s1Edx => self.l7s1_edx,
            Word::LdS1Eax => self.ld_s1_eax,
            Word::L12Eax => self.l12_eax,
            Word::L14Ebx => self.l14_ebx,
            Word::L19Ebx => self.l19_ebx,
            Word::E1Ecx => self.e1_ecx,
            Word::E1Edx => self.e1_edx,
            Word::E8Ebx => self.e8_ebx,
            Word::E1fEax => self.e1f_eax,
            Word::CentaurEdx => self.centaur_edx,
        }
    }
}

/// Bit 27 of `CPUID.01H:ECX`: the OS has set `CR4.OSXSAVE`, so `XGETBV` does not fault.
const OSXSAVE: u32 = 1 << 27;
/// Bit 2 of `CPUID.07H:EBX`: SGX, which makes leaf 12H meaningful.
const SGX: u32 = 1 << 2;
/// Bit 23 of `CPUID.07H:ECX`: Key Locker, which makes leaf 19H meaningful.
const KL: u32 = 1 << 23;

/// Whether the OS enabled `XGETBV` (and the XSAVE feature set).
pub(super) const fn os_xsave(s: &Snapshot) -> bool {
    s.l1_ecx & OSXSAVE != 0
}

/// Reads the CPU. Inside an SGX enclave CPUID faults, and Miri cannot run it: there every
/// word stays 0, so only the architectural baseline is reported.
#[cfg(any(miri, target_env = "sgx"))]
pub(super) fn read() -> Snapshot {
    Snapshot::default()
}

/// Reads the CPU.
#[cfg(not(any(miri, target_env = "sgx")))]
pub(super) fn read() -> Snapshot {
    read_with(cpuid, || {
        // SAFETY: `read_with` calls this only when CPUID.01H:ECX.OSXSAVE reports
        // CR4.OSXSAVE = 1, the only condition (with ECX = 0 naming XCR0, which always exists)
        // under which XGETBV does not raise #UD (SDM Vol. 2C, XGETBV, "Protected Mode
        // Exceptions").
        unsafe { _xgetbv(0) }
    })
}

/// Builds a snapshot from `cpuid(leaf, sub_leaf)` and `xgetbv()` (XCR0), calling `cpuid` at
/// most once per (leaf, sub-leaf) and `xgetbv` at most once, only when OSXSAVE is reported.
pub(super) fn read_with(
    mut cpuid: impl FnMut(u32, u32) -> CpuidResult,
    xgetbv: impl FnOnce() -> u64,
) -> Snapshot {
    let l0 = cpuid(0, 0);
    let mut id = [0u8; 12];
    for (chunk, reg) in id.chunks_exact_mut(4).zip([l0.ebx, l0.edx, l0.ecx]) {
        chunk.copy_from_slice(&reg.to_le_bytes());
    }
    let vendor = Vendor::from_id(&id);
    let max_basic = l0.eax;
    let mut basic = |leaf: u32, sub: u32| {
        if leaf <= max_basic {
            cpuid(leaf, sub)
        } else {
            ZERO
        }
    };
    let l1 = basic(1, 0);
    let l7 = basic(7, 0);
    // `CPUID.(EAX=07H, ECX=0):EAX` is the highest sub-leaf of leaf 7 (0 when leaf 7 is absent).
    let l7s1 = if l7.eax >= 1 { basic(7, 1) } else { ZERO };
    let ld_s1 = basic(0xD, 1);
    let l12 = if l7.ebx & SGX != 0 {
        basic(0x12, 0)
    } else {
        ZERO
    };
    let l14 = basic(0x14, 0);
    let l19 = if l7.ecx & KL != 0 {
        basic(0x19, 0)
    } else {
        ZERO
    };
    // The extended range answers with its own maximum in 8000_0000H..=8000_FFFFH; anything
    // else is another leaf's data (an out-of-range read), meaning no extended leaves.
    let e0 = cpuid(0x8000_0000, 0).eax;
    let max_ext = if e0 >> 16 == 0x8000 { e0 } else { 0 };
    let mut ext = |leaf: u32| {
        if max_ext >= leaf {
            cpuid(leaf, 0)
        } else {
            ZERO
        }
    };
    let e1 = ext(0x8000_0001);
    let e8 = ext(0x8000_0008);
    let e1f = ext(0x8000_001F);
    let centaur_edx = if vendor == Vendor::Centaur {
        centaur_edx(&mut cpuid)
    } else {
        0
    };
    let mut s = Snapshot {
        vendor,
        l1_ecx: l1.ecx,
        l1_edx: l1.edx,
        l7_ebx: l7.ebx,
        l7_ecx: l7.ecx,
        l7_edx: l7.edx,
        l7s1_eax: l7s1.eax,
        l7s1_ebx: l7s1.ebx,
        l7s1_edx: l7s1.edx,
        ld_s1_eax: ld_s1.eax,
        l12_eax: l12.eax,
        l14_ebx: l14.ebx,
        l19_ebx: l19.ebx,
        e1_ecx: e1.ecx,
        e1_edx: e1.edx,
        e8_ebx: e8.ebx,
        e1f_eax: e1f.eax,
        centaur_edx,
        xcr0: 0,
    };
    if os_xsave(&s) {
        s.xcr0 = xgetbv();
    }
    s
}

const ZERO: CpuidResult = CpuidResult {
    eax: 0,
    ebx: 0,
    ecx: 0,
    edx: 0,
};

/// `CPUID.0C0000001H:EDX` when the Centaur range exists (`CPUID.0C0000000H:EAX` names its
/// maximum, in `0C0000001H..=0C000FFFFH`), else 0.
fn centaur_edx(cpuid: &mut impl FnMut(u32, u32) -> CpuidResult) -> u32 {
    let max = cpuid(0xC000_0000, 0).eax;
    if (0xC000_0001..=0xC000_FFFF).contains(&max) {
        cpuid(0xC000_0001, 0).edx
    } else {
        0
    }
}

/// Executes `CPUID`.
#[cfg(not(any(miri, target_env = "sgx")))]
#[allow(
    unused_unsafe,
    reason = "`__cpuid_count` is a safe fn in recent Rust but unsafe in 1.88, our MSRV"
)]
pub(super) fn cpuid(leaf: u32, sub_leaf: u32) -> CpuidResult {
    // SAFETY: every x86-64 CPU implements CPUID (it is part of the long-mode baseline), and
    // CPUID has no side effects besides serialization.
    unsafe { __cpuid_count(leaf, sub_leaf) }
}

#[cfg(test)]
mod tests;
