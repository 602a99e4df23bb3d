//! Run-time code: stencils with holes, copy-and-patch into W^X memory, stitched pipelines,
//! shipping built functions to other machines.
//!
//! Copy-and-patch compilation (Xu & Kjolstad, PLDI 2021; CPython 3.13's JIT) generates code
//! at run time by copying pre-built machine code — [`Stencil`]s — and patching their
//! [`Hole`]s with run-time values: microseconds per function, ahead-of-time code quality, no
//! compiler at run time. asmforge encodes every instruction itself, so it knows each hole's
//! exact offset.
//!
//! ```text
//!  Stencil ──specialize──────────────────────────────► JitFn<F>   (one function, own page)
//!     │     Builder::specialize ×N ─► Builder::finalize ─► ExecRegion ─get─► Func<F>
//!     └──► Stitch<F>::append ×N, labels, jumps ─► finish ─► Code ─map──► JitFn<F>
//!                                                            └─to_blob─► bytes ─load (unsafe)─► JitFn<F>
//! ```
//!
//! * [`specialize`]: one stencil → one callable: `mmap` read+write, copy, patch,
//!   `mprotect` read+execute. The pages are never writable and executable at once.
//! * [`Builder`]: many functions into shared 64 KiB chunks, one `mprotect` per chunk.
//! * [`Stitch`]: several stencils into one function; continuations fall through, labels and
//!   [`Cond`] jumps build loops; pool constants go to a pool after the code.
//! * [`Code::to_blob`] / [`load`]: a function serialized with its required CPU features,
//!   signature fingerprint, format version and checksum; loading checks all of them before
//!   anything is mapped.
//! * [`derive`] (with the `listing` feature): stencils cut from an ordinary kernel's encoded
//!   bytes, each hole located by decoding the code with iced-x86 and finding the sentinel
//!   value's exact field (`ConstantOffsets`).
//!
//! Errors are typed ([`JitError`], [`LoadError`]); nothing here panics on bad values.
//! Linux/Unix x86-64 with `std`; memory is mapped through rustix.

mod blob;
#[cfg(feature = "listing")]
pub mod derive;
mod error;
mod memory;
mod patch;
mod region;
mod sig;
mod stencil;
mod stitch;

pub use blob::{MAGIC, VERSION, Verified, checksum, load, verify};
pub use error::{JitError, LoadError};
pub use region::{Builder, CHUNK, ExecRegion, FnRef, Func, JitFn, specialize};
pub use sig::{AbiRet, AbiType, JitSig, Signature, Ty};
pub use stencil::{Hole, HoleKind, Stencil, Value};
pub use stitch::{Code, Cond, Label, Stitch};
