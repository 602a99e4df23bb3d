//! The x86-64 CPU feature facts asmforge's compiler and runtime share, as plain data.
//!
//! `asmforge-codegen` reads these tables while it compiles a kernel (which features a
//! `targets(...)` variant may use, which psABI level a name means, the rustc names for
//! `cfg(target_feature)`); `asmforge-runtime` reads the same tables at run time (which
//! features dispatch requires, what an `ASMFORGE_ISA` cap masks). Defining them once is what
//! keeps the two from disagreeing.
//!
//! * [`Feature`]: every feature an instruction form can require — iced-x86's `CpuidFeature`,
//!   generated from it (`tests/generate.rs`), same names and order.
//! * [`FeatureSet`]: a `const`-friendly bitset of features.
//! * [`BASELINE`]: what every x86-64 CPU has.
//! * [`Level`]: the ladder of ISA levels; four of its steps are the psABI levels x86-64-v1..v4.
//! * [`IMPLIES`] / [`closure`]: rustc's implications between target features.
//! * [`by_name`], [`SPELLINGS`], [`rustc_name`]: names.
//!
//! `no_std`, no dependencies, no allocation.
#![no_std]
#![deny(missing_docs)]

mod feature;
mod implies;
mod levels;
mod names;
mod set;

pub use feature::Feature;
pub use implies::{IMPLIES, closure, implied_by};
pub use levels::{BASELINE, LEVEL_NAMES, Level};
pub use names::{RUSTC_NAMES, SPELLINGS, by_name, rustc_name};
pub use set::FeatureSet;
