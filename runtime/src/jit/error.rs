//! Errors of building, mapping and loading run-time code. None of these paths panics.

use std::string::String;
use std::vec::Vec;

use crate::Feature;

use super::stencil::{HoleKind, Value};

/// Why run-time code could not be built or mapped.
#[derive(Debug)]
#[non_exhaustive]
pub enum JitError {
    /// A hole's value does not fit its field (an `imm8` given 300, a rel32 target more than
    /// 2 GiB away).
    HoleOutOfRange {
        /// The stencil.
        stencil: String,
        /// The hole.
        hole: String,
        /// Its kind.
        kind: HoleKind,
        /// The value given.
        value: Value,
    },
    /// A value of the wrong type for the hole (a float for an integer immediate, a label for
    /// an immediate).
    WrongValue {
        /// The stencil.
        stencil: String,
        /// The hole.
        hole: String,
        /// Its kind.
        kind: HoleKind,
        /// The value given.
        value: Value,
    },
    /// A hole without a value.
    MissingValue {
        /// The stencil.
        stencil: String,
        /// The hole.
        hole: String,
    },
    /// A value for a hole the stencil does not have.
    UnknownHole {
        /// The stencil.
        stencil: String,
        /// The name given.
        name: String,
    },
    /// This CPU (or OS) lacks features the stencil or blob needs.
    MissingFeatures {
        /// The stencil or blob.
        what: String,
        /// The missing features.
        missing: Vec<Feature>,
    },
    /// A stencil written for another signature than the function being built.
    SignatureMismatch {
        /// The stencil.
        stencil: String,
        /// The function's signature.
        expected: String,
        /// The stencil's.
        found: String,
    },
    /// A stencil whose hole layout is inconsistent ([`super::Stencil::check`]).
    BadStencil {
        /// The stencil.
        stencil: String,
        /// What is wrong.
        reason: String,
    },
    /// A label used by a jump but never bound.
    UnboundLabel(u32),
    /// The last stencil of a function chains to nothing.
    DanglingContinuation {
        /// The stencil.
        stencil: String,
    },
    /// Code that refers to absolute addresses of this process cannot be shipped.
    NotRelocatable,
    /// A function of zero bytes, or larger than 1 GiB.
    BadSize(usize),
    /// `mmap` failed.
    MapFailed(std::io::Error),
    /// No free pages could be mapped within [`super::NEAR`] bytes of this address (code that
    /// calls it through a rel32 must lie within ±2 GiB of it).
    NoMemoryNear(usize),
    /// `mprotect` failed.
    ProtectFailed(std::io::Error),
}

impl core::fmt::Display for JitError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            JitError::HoleOutOfRange {
                stencil,
                hole,
                kind,
                value,
            } => write!(
                f,
                "value {value:?} does not fit hole `{hole}` ({}) of stencil `{stencil}`",
                kind.describe()
            ),
            JitError::WrongValue {
                stencil,
                hole,
                kind,
                value,
            } => write!(
                f,
                "hole `{hole}` of stencil `{stencil}` is {}, not a place for {value:?}",
                kind.describe()
            ),
            JitError::MissingValue { stencil, hole } => {
                write!(f, "no value for hole `{hole}` of stencil `{stencil}`")
            }
            JitError::UnknownHole { stencil, name } => {
                write!(f, "stencil `{stencil}` has no hole `{name}`")
            }
            JitError::MissingFeatures { what, missing } => {
                write!(f, "`{what}` needs CPU features this machine lacks:")?;
                for m in missing {
                    write!(f, " {m}")?;
                }
                Ok(())
            }
            JitError::SignatureMismatch {
                stencil,
                expected,
                found,
            } => write!(
                f,
                "stencil `{stencil}` is written for `{found}`, the function is `{expected}`"
            ),
            JitError::BadStencil { stencil, reason } => write!(f, "stencil `{stencil}`: {reason}"),
            JitError::UnboundLabel(l) => write!(f, "label {l} is jumped to but never bound"),
            JitError::DanglingContinuation { stencil } => {
                write!(
                    f,
                    "stencil `{stencil}` ends the function but chains to a next stencil"
                )
            }
            JitError::NotRelocatable => {
                f.write_str("code with absolute addresses of this process cannot be serialized")
            }
            JitError::BadSize(n) => write!(f, "function of {n} bytes"),
            JitError::MapFailed(e) => write!(f, "mapping memory failed: {e}"),
            JitError::NoMemoryNear(a) => write!(
                f,
                "no free address within {} MiB of {a:#x} to map code that reaches it by rel32",
                super::NEAR >> 20
            ),
            JitError::ProtectFailed(e) => write!(f, "changing page protection failed: {e}"),
        }
    }
}

impl std::error::Error for JitError {}

/// Why a serialized function was refused. Nothing of a refused blob is mapped executable.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// Shorter than its header, or than the lengths it declares.
    Truncated,
    /// Longer than the lengths it declares.
    TrailingBytes,
    /// Not a blob of this crate.
    BadMagic,
    /// A format version this crate does not read.
    Version {
        /// The blob's.
        found: u16,
        /// The one supported.
        supported: u16,
    },
    /// The checksum does not match the content (corrupted in transit).
    Checksum {
        /// Stored in the blob.
        stored: u64,
        /// Computed over the content.
        computed: u64,
    },
    /// Flag bits this version does not know.
    UnknownFlags(u32),
    /// A feature name this crate does not know.
    UnknownFeature(String),
    /// No code, more than 1 GiB, or an entry point outside the code.
    BadLayout,
    /// The blob's function has another signature than the requested type.
    SignatureMismatch {
        /// Fingerprint of the requested type's signature.
        expected: u64,
        /// Fingerprint in the blob.
        found: u64,
    },
    /// Checks passed but the code cannot run here.
    Jit(JitError),
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoadError::Truncated => f.write_str("blob is truncated"),
            LoadError::TrailingBytes => f.write_str("blob has bytes after its end"),
            LoadError::BadMagic => f.write_str("not an asmforge code blob"),
            LoadError::Version { found, supported } => {
                write!(
                    f,
                    "blob format version {found}, this build reads version {supported}"
                )
            }
            LoadError::Checksum { stored, computed } => {
                write!(
                    f,
                    "checksum mismatch: stored {stored:#018x}, computed {computed:#018x}"
                )
            }
            LoadError::UnknownFlags(b) => write!(f, "unknown flag bits {b:#x}"),
            LoadError::UnknownFeature(n) => write!(f, "unknown CPU feature `{n}`"),
            LoadError::BadLayout => f.write_str("empty or oversized code, or entry outside it"),
            LoadError::SignatureMismatch { expected, found } => write!(
                f,
                "signature fingerprint {found:#018x} does not match the requested type's {expected:#018x}"
            ),
            LoadError::Jit(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<JitError> for LoadError {
    fn from(e: JitError) -> Self {
        LoadError::Jit(e)
    }
}
