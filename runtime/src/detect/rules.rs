//! The detection rule of every [`Feature`], as data, and its evaluation against a [`Snapshot`].
//!
//! Takes: a feature and a snapshot. Guarantees: [`supports`] is true only when the CPU
//! reports the feature *and* everything the OS must enable for it is enabled, as far as user
//! code can see. [`rule`] is one `match` with no wildcard arm, so a feature added to iced-x86
//! (and thus to [`Feature`]) does not compile until someone decides how to detect it.
//!
//! OS state, by the register file an instruction form touches (SDM Vol. 1 §13.1, XCR0 bits):
//!
//! | state  | XCR0 bits                  | for                                               |
//! |--------|----------------------------|---------------------------------------------------|
//! | `Ymm`  | 1 SSE, 2 AVX               | every VEX/XOP form that touches vector registers  |
//! | `Zmm`  | 1, 2, 5 opmask, 6–7 ZMM    | every AVX-512 feature (EVEX)                      |
//! | `Tile` | 17 TILECFG, 18 TILEDATA    | AMX                                               |
//! | `Mpx`  | 3 BNDREGS, 4 BNDCSR        | MPX                                               |
//! | `Lwp`  | 62 LWP                     | AMD LWP                                           |
//!
//! VEX-encoded forms fault with #UD unless `XCR0[2:1] = 11b`, even at 128 bits (they zero the
//! upper YMM bits; SDM Vol. 2A, table "OS XSAVE Enabling Requirements of Instruction
//! Categories", and the VEX exception-type tables), hence `Ymm` for every VEX vector feature,
//! including SM3 (which cpufeatures checks with SSE state only). EVEX needs `111xx111b`.
//! Legacy SSE forms need no XCR0 bit: x86-64 operating systems enable SSE through CR4.OSFXSR,
//! which the psABI requires.
//!
//! GFNI, VAES and VPCLMULQDQ: cpufeatures requires ZMM state for all three, which would hide
//! them on CPUs or OSes without AVX-512. iced gives their VEX and EVEX forms a second feature
//! (`AVX`, `AVX512F`/`AVX512VL`) that carries the right state check, so here GFNI needs
//! nothing (it has legacy SSE forms) and VAES/VPCLMULQDQ, which exist only as VEX/EVEX, need
//! YMM state: conservative for the EVEX forms, which also name an AVX-512 feature.
//!
//! Features whose OS enable bit user code cannot read are reported absent (FSGSBASE needs
//! CR4.FSGSBASE, UINTR CR4.UINTR, CET_SS per-thread shadow stacks, RDPMC CR4.PCE): a kernel
//! using them refuses to run rather than faulting. AMX additionally needs, on Linux, an
//! `arch_prctl(ARCH_REQ_XCOMP_PERM)` per process that XCR0 does not reflect; the caller must
//! make it. Privileged instructions (VMX, SVM, SMX, MSR, ...) are reported as the CPU reports
//! them: whether the current privilege level may execute them is the kernel author's business.

use super::cpuid::{Snapshot, Vendor, Word, os_xsave};
use crate::Feature;

/// OS-enabled register state a feature needs, beyond what the CPU reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// Nothing beyond the x86-64 baseline.
    None,
    /// CR4.OSXSAVE (XSAVE family).
    OsXsave,
    /// CR4.PKE, reported as `CPUID.(EAX=07H, ECX=0):ECX.OSPKE[bit 4]`.
    OsPke,
    /// XCR0 bits 1–2.
    Ymm,
    /// XCR0 bits 1–2 and 5–7.
    Zmm,
    /// XCR0 bits 17–18.
    Tile,
    /// XCR0 bits 3–4.
    Mpx,
    /// XCR0 bit 62.
    Lwp,
}

/// How a feature is detected.
#[derive(Clone, Copy, Debug)]
pub(super) enum Rule {
    /// Part of every x86-64 CPU.
    Always,
    /// Not detectable, or not usable from code that cannot read the OS's enable bit.
    Never,
    /// All bits of the mask set in the word, and `State`.
    Bits(Word, u32, State),
    /// As `Bits`, and the AVX bit (`CPUID.01H:ECX[bit 28]`) too.
    WithAvx(Word, u32, State),
    /// Either feature.
    Any(Feature, Feature),
    /// Needs more than one word; the function says why.
    Custom(fn(&Snapshot) -> bool),
}

/// `CPUID.01H:ECX.AVX[bit 28]`.
const AVX_BIT: u32 = 1 << 28;

const fn bit(word: Word, n: u32, state: State) -> Rule {
    Rule::Bits(word, 1 << n, state)
}

/// Whether `f` is supported according to `s`.
pub(super) fn supports(s: &Snapshot, f: Feature) -> bool {
    match rule(f) {
        Rule::Always => true,
        Rule::Never => false,
        Rule::Bits(word, mask, state) => s.word(word) & mask == mask && enabled(s, state),
        Rule::WithAvx(word, mask, state) => {
            s.word(word) & mask == mask && s.l1_ecx & AVX_BIT != 0 && enabled(s, state)
        }
        Rule::Any(a, b) => supports(s, a) || supports(s, b),
        Rule::Custom(check) => check(s),
    }
}

/// Whether the OS enabled `state`.
pub(super) fn enabled(s: &Snapshot, state: State) -> bool {
    let xcr0 = |mask: u64| s.xcr0 & mask == mask;
    match state {
        State::None => true,
        State::OsXsave => os_xsave(s),
        State::OsPke => s.l7_ecx & (1 << 4) != 0,
        State::Ymm => xcr0(0b110),
        State::Zmm => xcr0(0b1110_0110),
        State::Tile => xcr0(0b11 << 17),
        State::Mpx => xcr0(0b11 << 3),
        State::Lwp => xcr0(1 << 62),
    }
}

/// The rule for `f`.
#[rustfmt::skip]
pub(super) const fn rule(f: Feature) -> Rule {
    use Feature::*;
    use State as S;
    use Word::*;
    match f {
        // The x86-64 baseline (psABI level x86-64: CMOV, CX8, FPU, FXSR, MMX, OSFXSR, SCE,
        // SSE, SSE2), what it implies (8086..486, x87, CPUID, long mode), TSC (every AMD64
        // CPU), PAUSE (F3 90, a NOP before the P4) and 0F 1F NOPs (Linux sets NOPL on every
        // x86-64 CPU).
        INTEL8086 | INTEL186 | INTEL286 | INTEL386 | INTEL486 | X64 | CPUID | FPU | FPU287
        | FPU387 | CX8 | CMOV | MMX | SSE | SSE2 | FXSR | TSC | PAUSE | MULTIBYTENOP
        | SYSCALL => Rule::Always,

        // Instructions of CPUs that cannot run x86-64 code, or with no CPUID bit.
        INTEL8086_ONLY | INTEL286_ONLY | INTEL386_ONLY | INTEL386_A0_ONLY | INTEL486_A_ONLY
        | UMOV | IA64 | CL1INVMB | FPU287XL_ONLY | FPU387SL_ONLY | MOV_TR | KNC | UDBG
        | PADLOCK_UNDOC | TDX => Rule::Never,
        // Cyrix/Geode: no 64-bit parts (and 80000001H:EDX[24], EMMI on Cyrix, is FXSR on AMD).
        CYRIX_D3NOW | CYRIX_FPU | CYRIX_SMM | CYRIX_SMINT | CYRIX_SMINT_0F7E | CYRIX_SHR
        | CYRIX_DDI | CYRIX_EMMI | CYRIX_DMI => Rule::Never,
        // RSM faults outside SMM; INVEPT/INVVPID are enumerated by a VMX MSR.
        SMM | INVEPT | INVVPID => Rule::Never,
        // The OS enable bit is invisible to user code (see the module docs).
        FSGSBASE | UINTR | CET_SS | RDPMC => Rule::Never,

        // CPUID.01H. FMA and AVX2 also need the AVX bit (as std and cpufeatures require).
        SSE3 => bit(L1Ecx, 0, S::None),
        PCLMULQDQ => bit(L1Ecx, 1, S::None),
        MONITOR => bit(L1Ecx, 3, S::None),
        SSSE3 => bit(L1Ecx, 9, S::None),
        FMA => Rule::WithAvx(L1Ecx, 1 << 12, S::Ymm),
        SSE4_1 => bit(L1Ecx, 19, S::None),
        SSE4_2 => bit(L1Ecx, 20, S::None),
        POPCNT => bit(L1Ecx, 23, S::None),
        AES => bit(L1Ecx, 25, S::None),
        AVX => bit(L1Ecx, 28, S::Ymm),
        RDRAND => bit(L1Ecx, 30, S::None),
        VMX => bit(L1Ecx, 5, S::None),
        SMX => bit(L1Ecx, 6, S::None),
        CMPXCHG16B => bit(L1Ecx, 13, S::None),
        MOVBE => bit(L1Ecx, 22, S::None),
        XSAVE => bit(L1Ecx, 26, S::OsXsave),
        F16C => bit(L1Ecx, 29, S::Ymm),
        MSR => bit(L1Edx, 5, S::None),
        SEP => Rule::Custom(sep),
        CLFSH => bit(L1Edx, 19, S::None),

        // CPUID.(EAX=07H, ECX=0)
        BMI1 => Rule::Custom(bmi1),
        AVX2 => Rule::WithAvx(L7Ebx, 1 << 5, S::Ymm),
        BMI2 => Rule::Custom(bmi2),
        AVX512F => bit(L7Ebx, 16, S::Zmm),
        AVX512DQ => bit(L7Ebx, 17, S::Zmm),
        RDSEED => bit(L7Ebx, 18, S::None),
        ADX => bit(L7Ebx, 19, S::None),
        AVX512_IFMA => bit(L7Ebx, 21, S::Zmm),
        AVX512CD => bit(L7Ebx, 28, S::Zmm),
        SHA => bit(L7Ebx, 29, S::None),
        AVX512BW => bit(L7Ebx, 30, S::Zmm),
        AVX512VL => bit(L7Ebx, 31, S::Zmm),
        AVX512_VBMI => bit(L7Ecx, 1, S::Zmm),
        AVX512_VBMI2 => bit(L7Ecx, 6, S::Zmm),
        AVX512_BITALG => bit(L7Ecx, 12, S::Zmm),
        AVX512_VPOPCNTDQ => bit(L7Ecx, 14, S::Zmm),
        HLE => bit(L7Ebx, 4, S::None),
        INVPCID => bit(L7Ebx, 10, S::None),
        RTM => bit(L7Ebx, 11, S::None),
        MPX => bit(L7Ebx, 14, S::Mpx),
        AVX512PF => bit(L7Ebx, 26, S::Zmm),
        AVX512ER => bit(L7Ebx, 27, S::Zmm),
        SMAP => bit(L7Ebx, 20, S::None),
        PCOMMIT => bit(L7Ebx, 22, S::None),
        CLFLUSHOPT => bit(L7Ebx, 23, S::None),
        CLWB => bit(L7Ebx, 24, S::None),
        PREFETCHWT1 => bit(L7Ecx, 0, S::None),
        PKU => bit(L7Ecx, 3, S::OsPke),
        WAITPKG => bit(L7Ecx, 5, S::None),
        GFNI => bit(L7Ecx, 8, S::None),
        VAES => bit(L7Ecx, 9, S::Ymm),
        VPCLMULQDQ => bit(L7Ecx, 10, S::Ymm),
        AVX512_VNNI => bit(L7Ecx, 11, S::Zmm),
        RDPID => bit(L7Ecx, 22, S::None),
        KL => bit(L7Ecx, 23, S::None),
        CLDEMOTE => bit(L7Ecx, 25, S::None),
        MOVDIRI => bit(L7Ecx, 27, S::None),
        MOVDIR64B => bit(L7Ecx, 28, S::None),
        ENQCMD => bit(L7Ecx, 29, S::None),
        AVX512_4VNNIW => bit(L7Edx, 2, S::Zmm),
        AVX512_4FMAPS => bit(L7Edx, 3, S::Zmm),
        AVX512_VP2INTERSECT => bit(L7Edx, 8, S::Zmm),
        SERIALIZE => bit(L7Edx, 14, S::None),
        TSXLDTRK => bit(L7Edx, 16, S::None),
        PCONFIG => bit(L7Edx, 18, S::None),
        CET_IBT => bit(L7Edx, 20, S::None),
        AMX_BF16 => bit(L7Edx, 22, S::Tile),
        AVX512_FP16 => bit(L7Edx, 23, S::Zmm),
        AMX_TILE => bit(L7Edx, 24, S::Tile),
        AMX_INT8 => bit(L7Edx, 25, S::Tile),

        // CPUID.(EAX=07H, ECX=1). SHA512, SM3 and SM4 exist only as VEX forms.
        SHA512 => bit(L7s1Eax, 0, S::Ymm),
        SM3 => bit(L7s1Eax, 1, S::Ymm),
        SM4 => bit(L7s1Eax, 2, S::Ymm),
        RAO_INT => bit(L7s1Eax, 3, S::None),
        AVX_VNNI => bit(L7s1Eax, 4, S::Ymm),
        AVX512_BF16 => bit(L7s1Eax, 5, S::Zmm),
        CMPCCXADD => bit(L7s1Eax, 7, S::None),
        FRED => bit(L7s1Eax, 17, S::None),
        LKGS => bit(L7s1Eax, 18, S::None),
        WRMSRNS => bit(L7s1Eax, 19, S::None),
        AMX_FP16 => bit(L7s1Eax, 21, S::Tile),
        HRESET => bit(L7s1Eax, 22, S::None),
        AVX_IFMA => bit(L7s1Eax, 23, S::Ymm),
        MSRLIST => bit(L7s1Eax, 27, S::None),
        TSE => bit(L7s1Ebx, 1, S::None),
        AVX_VNNI_INT8 => bit(L7s1Edx, 4, S::Ymm),
        AVX_NE_CONVERT => bit(L7s1Edx, 5, S::Ymm),
        AMX_COMPLEX => bit(L7s1Edx, 8, S::Tile),
        AVX_VNNI_INT16 => bit(L7s1Edx, 10, S::Ymm),
        PREFETCHITI => bit(L7s1Edx, 14, S::None),

        // XSAVE extensions (0DH), SGX (12H), PT (14H), Key Locker (19H). AESKLE means "fully
        // enabled" (the OS set CR4.KL and loaded a key); the wide forms need it too.
        XSAVEOPT => bit(LdS1Eax, 0, S::OsXsave),
        XSAVEC => bit(LdS1Eax, 1, S::OsXsave),
        XSAVES => bit(LdS1Eax, 3, S::OsXsave),
        SGX1 => bit(L12Eax, 0, S::None),
        OSS => bit(L12Eax, 5, S::None),
        PTWRITE => bit(L14Ebx, 4, S::None),
        AESKLE => bit(L19Ebx, 0, S::None),
        WIDE_KL => Rule::Bits(L19Ebx, 0b101, S::None),

        // CPUID.80000001H
        SVM => bit(E1Ecx, 2, S::None),
        LZCNT => bit(E1Ecx, 5, S::None),
        SSE4A => bit(E1Ecx, 6, S::None),
        PREFETCHW => Rule::Custom(prefetchw),
        XOP => bit(E1Ecx, 11, S::Ymm),
        SKINIT => bit(E1Ecx, 12, S::None),
        LWP => bit(E1Ecx, 15, S::Lwp),
        FMA4 => bit(E1Ecx, 16, S::Ymm),
        TBM => bit(E1Ecx, 21, S::None),
        MONITORX => bit(E1Ecx, 29, S::None),
        RDTSCP => bit(E1Edx, 27, S::None),
        D3NOWEXT => bit(E1Edx, 30, S::None),
        D3NOW => bit(E1Edx, 31, S::None),
        HLE_or_RTM => Rule::Any(HLE, RTM),
        SKINIT_or_SVM => Rule::Any(SKINIT, SVM),

        // CPUID.80000008H, CPUID.8000001FH (AMD)
        CLZERO => bit(E8Ebx, 0, S::None),
        INVLPGB => bit(E8Ebx, 3, S::None),
        RDPRU => bit(E8Ebx, 4, S::None),
        MCOMMIT => bit(E8Ebx, 8, S::None),
        WBNOINVD => bit(E8Ebx, 9, S::None),
        SEV_ES => bit(E1fEax, 3, S::None),
        SEV_SNP => bit(E1fEax, 4, S::None),
        RMPQUERY => bit(E1fEax, 6, S::None),

        // CPUID.0C0000001H (VIA/Zhaoxin): each unit has an "exists" and an "enabled" bit.
        CENTAUR_AIS => Rule::Bits(CentaurEdx, 0b11, S::None),
        PADLOCK_RNG => Rule::Bits(CentaurEdx, 0b11 << 2, S::None),
        PADLOCK_GMI => Rule::Bits(CentaurEdx, 0b11 << 4, S::None),
        PADLOCK_ACE => Rule::Bits(CentaurEdx, 0b11 << 6, S::None),
        PADLOCK_PHE => Rule::Bits(CentaurEdx, 0b11 << 10, S::None),
        PADLOCK_PMM => Rule::Bits(CentaurEdx, 0b11 << 12, S::None),
    }
}

/// BMI1/BMI2, except on Intel CPUs without AVX: some Skylake Pentiums/Celerons report BMI but
/// fault on it (erratum SKL052); std's detection makes the same exception.
fn bmi(s: &Snapshot, bit: u32) -> bool {
    s.l7_ebx & (1 << bit) != 0 && (s.vendor != Vendor::Intel || s.l1_ecx & AVX_BIT != 0)
}

/// `CPUID.(EAX=07H, ECX=0):EBX.BMI1[bit 3]`, but see [`bmi`].
fn bmi1(s: &Snapshot) -> bool {
    bmi(s, 3)
}

/// `CPUID.(EAX=07H, ECX=0):EBX.BMI2[bit 8]`, but see [`bmi`].
fn bmi2(s: &Snapshot) -> bool {
    bmi(s, 8)
}

/// SYSENTER/SYSEXIT: AMD CPUs report SEP but raise #UD for both in long mode (AMD APM Vol. 3,
/// SYSENTER, "Exceptions").
fn sep(s: &Snapshot) -> bool {
    s.l1_edx & (1 << 11) != 0 && s.vendor != Vendor::Amd
}

/// PREFETCHW: `CPUID.80000001H:ECX.3DNowPrefetch[bit 8]`, or 3DNow! (`EDX[bit 31]`), which
/// includes it (AMD APM Vol. 3, PREFETCHW). Long mode alone implies it on AMD only, and those
/// CPUs set one of the two bits anyway.
fn prefetchw(s: &Snapshot) -> bool {
    s.e1_ecx & (1 << 8) != 0 || s.e1_edx & (1 << 31) != 0
}

#[cfg(test)]
mod tests;
