//! Calling conventions: where arguments arrive, what a callee must preserve, and the names
//! the attribute and the generated `extern` blocks use for them.
//!
//! Two conventions come from one kernel source, chosen by `#[kernel(abi = "...")]`:
//!
//! | | `"sysv64"` (default) | `"win64"` |
//! |---|---|---|
//! | integer / pointer arguments | rdi, rsi, rdx, rcx, r8, r9 (by integer count) | rcx, rdx, r8, r9 (by position) |
//! | `f32` / `f64` arguments | xmm0–xmm7 (by float count) | xmm0–xmm3 (by position) |
//! | further arguments, at entry | `[rsp + 8]`, `[rsp + 16]`, ... in order | `[rsp + 40]`, `[rsp + 48]`, ... (after the 32-byte shadow space) |
//! | callee-saved | rbx, rbp, r12–r15 | rbx, rbp, rdi, rsi, r12–r15, xmm6–xmm15 |
//! | red zone | 128 bytes below rsp | none |
//! | results | rax / xmm0 | rax / xmm0 |
//!
//! System V AMD64 ABI §3.2.3 "Parameter Passing" (classification: each argument here is one
//! eightbyte of class INTEGER or SSE; registers are taken per class, and an argument for which
//! no register of its class is left goes to memory, each in its own 8-byte slot, the first at
//! `8(%rsp)` on entry), §3.2.1 Figure 3.4 (callee-saved registers), §3.2.2 (the red zone).
//! Microsoft, "x64 calling convention" (parameter passing: the *n*th argument takes the *n*th
//! register of its class, so a float in position 2 is xmm1 and leaves rdx unused; the caller
//! allocates 32 bytes of shadow space above the return address, which the callee owns, and
//! arguments from the fifth on follow it) and "x64 ABI conventions: register volatility"
//! (nonvolatile: rbx, rbp, rdi, rsi, rsp, r12–r15, xmm6–xmm15; the upper halves of ymm/zmm
//! and xmm16–31 are volatile). Both require the direction flag clear on entry and on return,
//! and rsp ≡ 8 (mod 16) on entry.
//!
//! Each slice travels as two arguments, pointer then length, exactly as the generated
//! `extern` declaration lists them; small integers take a whole register or 8-byte slot, and
//! the kernel reads only their low bytes (their upper bits are unspecified in both ABIs).

use iced_x86::Register;

/// A calling convention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Abi {
    /// System V AMD64 (`extern "sysv64"`): what Rust callers use on every OS.
    #[default]
    SysV,
    /// Microsoft x64 (`extern "win64"`): what C callers on Windows use.
    Win64,
}

/// Where one argument of the entry point arrives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgLoc {
    Reg(Register),
    /// In the caller's frame, this many bytes above rsp *at entry* (rsp points at the return
    /// address there, so the first System V stack argument is at 8).
    Stack(u32),
}

/// The register class an argument travels in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgClass {
    /// Integers and pointers (System V class INTEGER).
    Int,
    /// `f32` and `f64` (System V class SSE).
    Float,
}

const SYSV_INT: [Register; 6] = [
    Register::RDI,
    Register::RSI,
    Register::RDX,
    Register::RCX,
    Register::R8,
    Register::R9,
];
const WIN64_INT: [Register; 4] = [Register::RCX, Register::RDX, Register::R8, Register::R9];
const XMM_ARGS: [Register; 8] = [
    Register::XMM0,
    Register::XMM1,
    Register::XMM2,
    Register::XMM3,
    Register::XMM4,
    Register::XMM5,
    Register::XMM6,
    Register::XMM7,
];

const SYSV_SAVED: [Register; 6] = [
    Register::RBX,
    Register::RBP,
    Register::R12,
    Register::R13,
    Register::R14,
    Register::R15,
];
const WIN64_SAVED: [Register; 8] = [
    Register::RBX,
    Register::RBP,
    Register::RDI,
    Register::RSI,
    Register::R12,
    Register::R13,
    Register::R14,
    Register::R15,
];

/// Bytes of shadow space the Win64 caller allocates above the return address.
pub const SHADOW_SPACE: u32 = 32;

impl Abi {
    /// The attribute spelling (`abi = "win64"`), which is also Rust's ABI string.
    pub fn from_name(name: &str) -> Option<Abi> {
        match name {
            "sysv64" => Some(Abi::SysV),
            "win64" => Some(Abi::Win64),
            _ => None,
        }
    }

    /// The ABI string of the generated `extern` items.
    pub fn rust_name(self) -> &'static str {
        match self {
            Abi::SysV => "sysv64",
            Abi::Win64 => "win64",
        }
    }

    /// Callee-saved general-purpose registers, in the order the prologue pushes them.
    pub fn callee_saved_gprs(self) -> &'static [Register] {
        match self {
            Abi::SysV => &SYSV_SAVED,
            Abi::Win64 => &WIN64_SAVED,
        }
    }

    /// Whether vector register `number` (any width) has a callee-saved low 128 bits.
    pub fn is_callee_saved_vec(self, number: usize) -> bool {
        self == Abi::Win64 && (6..16).contains(&number)
    }

    /// Whether the 128 bytes below rsp are safe from signal and interrupt handlers.
    pub fn has_red_zone(self) -> bool {
        self == Abi::SysV
    }
}

/// Hands out argument locations left to right.
pub struct ArgAssigner {
    abi: Abi,
    ints: usize,
    floats: usize,
    position: u32,
    stack_slots: u32,
}

impl ArgAssigner {
    pub fn new(abi: Abi) -> Self {
        ArgAssigner {
            abi,
            ints: 0,
            floats: 0,
            position: 0,
            stack_slots: 0,
        }
    }

    /// The location of the next argument of the entry point.
    pub fn next(&mut self, class: ArgClass) -> ArgLoc {
        match self.abi {
            Abi::SysV => {
                let reg = match class {
                    ArgClass::Int => SYSV_INT.get(self.ints).inspect(|_| self.ints += 1),
                    ArgClass::Float => XMM_ARGS.get(self.floats).inspect(|_| self.floats += 1),
                };
                match reg {
                    Some(r) => ArgLoc::Reg(*r),
                    None => {
                        self.stack_slots += 1;
                        ArgLoc::Stack(8 * self.stack_slots)
                    }
                }
            }
            Abi::Win64 => {
                let p = self.position as usize;
                self.position += 1;
                let reg = match class {
                    ArgClass::Int => WIN64_INT.get(p),
                    ArgClass::Float => XMM_ARGS[..4].get(p),
                };
                match reg {
                    Some(r) => ArgLoc::Reg(*r),
                    // Slot p of the caller's parameter area, whose slots 0–3 are the shadow
                    // space: above the return address and the shadow space.
                    None => ArgLoc::Stack(8 + SHADOW_SPACE + 8 * (p as u32 - 4)),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(abi: Abi, classes: &[ArgClass]) -> Vec<ArgLoc> {
        let mut a = ArgAssigner::new(abi);
        classes.iter().map(|c| a.next(*c)).collect()
    }

    #[test]
    fn sysv_counts_per_class_and_spills_in_order() {
        use ArgClass::{Float as F, Int as I};
        let locs = assign(Abi::SysV, &[I, F, I, I, I, I, I, I, F, I]);
        assert_eq!(locs[0], ArgLoc::Reg(Register::RDI));
        assert_eq!(locs[1], ArgLoc::Reg(Register::XMM0));
        assert_eq!(locs[6], ArgLoc::Reg(Register::R9));
        assert_eq!(
            locs[7],
            ArgLoc::Stack(8),
            "the 7th integer is the first stack slot"
        );
        assert_eq!(
            locs[8],
            ArgLoc::Reg(Register::XMM1),
            "floats still have registers"
        );
        assert_eq!(locs[9], ArgLoc::Stack(16));
        let floats = assign(Abi::SysV, &[F; 10]);
        assert_eq!(floats[7], ArgLoc::Reg(Register::XMM7));
        assert_eq!(&floats[8..], &[ArgLoc::Stack(8), ArgLoc::Stack(16)]);
    }

    #[test]
    fn win64_assigns_by_position_after_the_shadow_space() {
        use ArgClass::{Float as F, Int as I};
        let locs = assign(Abi::Win64, &[I, F, I, F, I, F]);
        assert_eq!(
            locs,
            vec![
                ArgLoc::Reg(Register::RCX),
                ArgLoc::Reg(Register::XMM1),
                ArgLoc::Reg(Register::R8),
                ArgLoc::Reg(Register::XMM3),
                ArgLoc::Stack(40),
                ArgLoc::Stack(48),
            ]
        );
    }
}
