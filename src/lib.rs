//! # asmforge
//!
//! Write x86-64 assembly kernels inside Rust functions; asmforge encodes them while your crate
//! compiles and places the machine code in your binary as a named function.
#![no_std]

pub use asmforge_macros::kernel;
pub use asmforge_runtime::{Feature, KernelInfo, MissingFeatures, SourceLine, VariantInfo, detect};

#[cfg(feature = "listing")]
pub use asmforge_runtime::listing;

#[doc(hidden)]
pub mod __private {
    pub use asmforge_runtime::{Dispatch, EntryPoint, Feature, KernelInfo, SourceLine, VariantInfo};
}
