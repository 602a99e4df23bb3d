//! The machine's limits, measured with asmforge probe kernels.

pub struct Machine {}

pub fn measure(_quick: bool) -> Machine {
    Machine {}
}

impl Machine {
    pub fn print(&self) {}
}
