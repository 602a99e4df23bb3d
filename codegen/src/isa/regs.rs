//! Physical registers by name and by width, and [`RegRef`]: what the form queries ask of a
//! register operand of the IR ([`Reg`], defined in `ir`, or a physical `Register`).
//!
//! Names are iced-x86's register names in lower case (`rax`, `r8d`, `xmm17`, `k3`, `st0`, `mm2`,
//! `tmm1`, `cr0`, `es`, MPX's `bnd0`..`bnd3`), plus the Intel/GNU spelling `r8b`..`r15b` for iced's `r8l`..`r15l`.
//! The table is derived from `Register::values()`, never typed by hand.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use iced_x86::Register;

pub use crate::ir::{Reg, RegClass, VReg};

/// What the form queries (`forms`, `choose`, `instr`) need of a register operand, so that they
/// answer both before allocation (over [`Reg`], possibly virtual) and after it (over iced's
/// physical [`Register`], which cannot name a virtual one).
pub trait RegRef: Copy + Eq + std::fmt::Debug {
    /// The physical register, if this is one.
    fn phys(self) -> Option<Register>;
    /// The virtual register, if this is one.
    fn virt(self) -> Option<VReg>;
    /// The same register viewed at `bytes` bytes (GPRs and vectors), if that view exists.
    fn view(self, bytes: u8) -> Option<Self>;
}

impl RegRef for Reg {
    fn phys(self) -> Option<Register> {
        Reg::phys(self)
    }
    fn virt(self) -> Option<VReg> {
        match self {
            Reg::Virt(v) => Some(v),
            Reg::Phys(_) => None,
        }
    }
    fn view(self, bytes: u8) -> Option<Self> {
        match self {
            Reg::Phys(r) => r.view(bytes).map(Reg::Phys),
            Reg::Virt(v) => Some(Reg::Virt(v.view(bytes))),
        }
    }
}

impl RegRef for Register {
    fn phys(self) -> Option<Register> {
        Some(self)
    }
    fn virt(self) -> Option<VReg> {
        None
    }
    fn view(self, bytes: u8) -> Option<Self> {
        if self.is_gpr() {
            gpr_of_size(self, usize::from(bytes))
        } else {
            vec_of_size(self, usize::from(bytes))
        }
    }
}

fn table() -> &'static BTreeMap<String, Register> {
    static TABLE: OnceLock<BTreeMap<String, Register>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = BTreeMap::new();
        for r in Register::values() {
            if r == Register::None || r.is_ip() || r.is_tr() {
                continue;
            }
            // `DontUse*` placeholders are not registers.
            let name = format!("{r:?}").to_ascii_lowercase();
            if name.starts_with("dontuse") {
                continue;
            }
            if let Some(n) = name.strip_prefix('r').and_then(|s| s.strip_suffix('l'))
                && n.parse::<u8>().is_ok()
            {
                map.insert(format!("r{n}b"), r);
            }
            map.insert(name, r);
        }
        map
    })
}

/// The physical register with this (lower-case) name.
pub fn by_name(name: &str) -> Option<Register> {
    table().get(name).copied()
}

/// Every register name, for suggestions.
pub fn names() -> impl Iterator<Item = &'static str> {
    table().keys().map(String::as_str)
}

/// The canonical lower-case name of a register (`r8b`, not iced's `r8l`).
pub fn name(r: Register) -> String {
    let n = format!("{r:?}").to_ascii_lowercase();
    match n.strip_prefix('r').and_then(|s| s.strip_suffix('l')) {
        Some(num) if num.parse::<u8>().is_ok() => format!("r{num}b"),
        _ => n,
    }
}

/// The GPR of the same number as `r` with `size` bytes (`rax`, 4 → `eax`).
pub fn gpr_of_size(r: Register, size: usize) -> Option<Register> {
    let full = r.full_register();
    if !full.is_gpr64() {
        return None;
    }
    let n = full.number();
    let base = match size {
        8 => Register::RAX,
        4 => Register::EAX,
        2 => Register::AX,
        1 => {
            // 8-bit registers: al..bl, spl..dil (need REX), r8l..r15l. iced orders them
            // AL CL DL BL AH CH DH BH SPL BPL SIL DIL R8L..R15L.
            let idx = if n < 4 { n } else { n + 4 };
            return Register::values().nth(Register::AL as usize + idx);
        }
        _ => return None,
    };
    Register::values().nth(base as usize + n)
}

/// The vector register of the same number with `size` bytes (16 → xmm, 32 → ymm, 64 → zmm).
pub fn vec_of_size(r: Register, size: usize) -> Option<Register> {
    if !r.is_vector_register() {
        return None;
    }
    let n = r.number();
    let base = match size {
        16 => Register::XMM0,
        32 => Register::YMM0,
        64 => Register::ZMM0,
        _ => return None,
    };
    Register::values().nth(base as usize + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(by_name("rax"), Some(Register::RAX));
        assert_eq!(by_name("r8b"), Some(Register::R8L));
        assert_eq!(by_name("r8l"), Some(Register::R8L));
        assert_eq!(by_name("xmm31"), Some(Register::XMM31));
        assert_eq!(by_name("k7"), Some(Register::K7));
        assert_eq!(by_name("st0"), Some(Register::ST0));
        assert_eq!(by_name("rip"), None);
        assert_eq!(by_name("bnd3"), Some(Register::BND3));
        assert_eq!(name(Register::R15L), "r15b");
        assert_eq!(name(Register::ZMM17), "zmm17");
    }

    #[test]
    fn views() {
        assert_eq!(gpr_of_size(Register::RDI, 4), Some(Register::EDI));
        assert_eq!(gpr_of_size(Register::RSI, 1), Some(Register::SIL));
        assert_eq!(gpr_of_size(Register::RBX, 1), Some(Register::BL));
        assert_eq!(gpr_of_size(Register::R9, 1), Some(Register::R9L));
        assert_eq!(gpr_of_size(Register::ECX, 8), Some(Register::RCX));
        assert_eq!(gpr_of_size(Register::R11D, 2), Some(Register::R11W));
        assert_eq!(vec_of_size(Register::XMM5, 64), Some(Register::ZMM5));
        assert_eq!(vec_of_size(Register::ZMM20, 16), Some(Register::XMM20));
    }
}
