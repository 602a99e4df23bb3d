//! vmath benchmarks.

pub fn run(_machine: &crate::probe::Machine, _quick: bool) {}
