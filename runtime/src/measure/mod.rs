//! Measuring code from the runtime: the time-stamp counter, hardware cycle counters and the
//! floating-point environment (MXCSR).
//!
//! * [`tsc`]: `rdtsc`/`rdtscp` raw and fenced so that the read cannot move past the code it
//!   brackets ([`tsc::start`] / [`tsc::stop`]).
//! * [`perf`] (Linux, `std`): a cycle counter through `perf_event_open(2)`; where the kernel
//!   refuses (no PMU in a VM, `perf_event_paranoid`, seccomp) opening returns a typed error
//!   that says which.
//! * [`mxcsr`]: read and write MXCSR, and [`mxcsr::MxcsrGuard`], a scope that sets
//!   flush-to-zero, denormals-are-zero and the rounding mode, restoring the caller's MXCSR on
//!   drop.
//!
//! x86-64 only: elsewhere the module is empty.

#[cfg(target_arch = "x86_64")]
pub mod mxcsr;
#[cfg(all(feature = "std", target_os = "linux", target_arch = "x86_64"))]
pub mod perf;
#[cfg(target_arch = "x86_64")]
pub mod tsc;
