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
//! * [`Builder`]: many functions into shared 64 KiB chunks, one `mprotect` per chunk;
//!   [`Specializer`] checks a stencil once and binds its holes to value positions, so each
//!   function of a batch costs a copy and the patches; [`Specializer::place_n`] returns a
//!   [`FnBatch`], whose references are computed from a start and a stride.
//! * [`Stitch`]: several stencils into one function; continuations fall through, labels and
//!   [`Cond`] jumps build loops; pool constants go to a pool after the code;
//!   [`Stitch::finish_and_clear`] keeps the buffers for the next function.
//! * [`Code::to_blob`] / [`load`]: a function serialized with its required CPU features,
//!   signature fingerprint, format version and checksum; loading checks all of them before
//!   anything is mapped.
//! * `derive` (module, with the `listing` feature): stencils cut from an ordinary kernel's encoded
//!   bytes, each hole located by decoding the code with iced-x86 and finding the sentinel
//!   value's exact field (`ConstantOffsets`).
//!
//! # Example: the multiply-by-constant JIT
//!
//! ```
//! use asmforge_runtime::jit::{self, Hole, HoleKind, Signature, Stencil, Ty, Value};
//!
//! // movabs rax, C; imul rax, rdi; ret — the 8-byte immediate C is the hole (SDM Vol. 2B:
//! // REX.W B8+r io, REX.W 0F AF /r, C3).
//! const CODE: &[u8] = &[0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x0F, 0xAF, 0xC7, 0xC3];
//! const HOLES: &[Hole<'static>] =
//!     &[Hole { name: "c", kind: HoleKind::Imm64, signed: false, offset: 2, end: 10 }];
//! const SIG: Signature<'static> = Signature { params: &[Ty::U64], ret: Ty::U64 };
//! // SAFETY: register arithmetic only, sound for every value of `c`.
//! let mul = unsafe { Stencil::new("mul", CODE, HOLES, &[], SIG) };
//!
//! let c = std::env::args().count() as u64 + 41; // known only at run time
//! let f = jit::specialize::<extern "sysv64" fn(u64) -> u64>(&mul, &[("c", Value::UInt(c))])?;
//! assert_eq!(f.func().call(3), 3 * c);
//!
//! // A value that does not fit is an error, not a panic or a truncation.
//! // mov rax, rdi; add rax, imm8 (sign-extended: REX.W 83 /0 ib); ret
//! let add8 = [0x48, 0x89, 0xF8, 0x48, 0x83, 0xC0, 0x00, 0xC3];
//! const D8: &[Hole<'static>] = &[Hole { name: "d", kind: HoleKind::Imm8, signed: true, offset: 6, end: 7 }];
//! // SAFETY: as above.
//! let add = unsafe { Stencil::new("add", &add8, D8, &[], SIG) };
//! let e = jit::specialize::<extern "sysv64" fn(u64) -> u64>(&add, &[("d", Value::Int(300))]);
//! assert!(matches!(e, Err(jit::JitError::HoleOutOfRange { .. })));
//!
//! // Shipping: serialize, then load (elsewhere) after every check.
//! let mut s = jit::Stitch::<extern "sysv64" fn(u64) -> u64>::new();
//! s.append(&mul, &[("c", Value::UInt(7))])?;
//! let blob = s.finish()?.to_blob()?;
//! // SAFETY: the blob was produced just above by `to_blob`.
//! let g = unsafe { jit::load::<extern "sysv64" fn(u64) -> u64>(&blob) }?;
//! assert_eq!(g.func().call(6), 42);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
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
mod specializer;
mod stencil;
mod stitch;

pub use blob::{MAGIC, VERSION, Verified, checksum, load, verify};
pub use error::{JitError, LoadError};
pub use memory::NEAR;
pub use region::{Builder, CHUNK, ExecRegion, FnRef, Func, JitFn, specialize};
pub use sig::{AbiRet, AbiType, JitSig, Signature, Ty};
pub use specializer::{FnBatch, FnBatchIter, Specializer};
pub use stencil::{Hole, HoleKind, Stencil, Value};
pub use stitch::{Code, Cond, Label, Stitch};
