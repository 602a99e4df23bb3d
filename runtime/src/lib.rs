//! Run-time support for [asmforge](https://docs.rs/asmforge) kernels.
//!
//! The `#[asmforge::kernel]` macro encodes each kernel while the crate compiles and describes
//! it with a `static` [`KernelInfo`]. This crate holds what has to happen at run time:
//!
//! * [`Feature`]: every CPU feature an instruction form can require (iced-x86's
//!   `CpuidFeature`, from the asmforge-features tables the compiler reads too), with detection
//!   that also checks OS support (XCR0) — see [`detect`].
//! * [`KernelInfo`] / [`VariantInfo`]: per kernel, per variant metadata (symbol, bytes, sizes,
//!   declared and used features, source-line map).
//! * [`Dispatch`]: the atomic function pointer each kernel calls through. It starts empty; the
//!   first call resolves the best variant the CPU can run, and every later call is one load.
//!   A CPU that lacks a variant's features never executes it: the call fails with a message
//!   naming the kernel and the missing features instead of faulting on an illegal instruction.
//!
//! `no_std` unless the `std` feature is on (it only adds reading `ASMFORGE_ISA`; every API is
//! the same without it); `listing` (off by default) adds a disassembler for [`VariantInfo`].
#![no_std]
#![deny(missing_docs)]

// Tests use std (and `is_x86_feature_detected!`) even when the `std` feature is off.
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod detect;
pub mod isa;
#[cfg(all(feature = "std", unix, target_arch = "x86_64"))]
pub mod jit;
mod kernel;
#[cfg(feature = "listing")]
pub mod listing;
pub mod measure;

pub use asmforge_features::{Feature, FeatureSet};
pub use kernel::{
    CallingConvention, Dispatch, EntryPoint, KernelInfo, LineTable, MissingFeatures, SourceLine,
    VariantInfo,
};
