//! The register vocabulary of the IR: a register operand is physical (iced's `Register`) or
//! virtual ([`VReg`]) until allocation; after it, operands hold `Register` itself.

use iced_x86::Register;

/// A virtual register (allocated to a physical one by the register allocator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VReg {
    pub id: u32,
    pub class: RegClass,
    /// Width of the view in bytes (8/4/2/1 for GPRs, 16/32/64 for vectors, 8 for masks).
    pub size: u8,
}

/// Register classes the allocator distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RegClass {
    Gpr,
    Vec,
    Mask,
}

/// A register operand: physical, or virtual until allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Reg {
    Phys(Register),
    Virt(VReg),
}

impl VReg {
    /// The same virtual register viewed at another width.
    pub fn view(self, size: u8) -> VReg {
        VReg { size, ..self }
    }
}

impl Reg {
    /// The physical register, if this is one.
    pub fn phys(self) -> Option<Register> {
        match self {
            Reg::Phys(r) => Some(r),
            Reg::Virt(_) => None,
        }
    }
}
