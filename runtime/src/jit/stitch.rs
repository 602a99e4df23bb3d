//! Stitching stencils into one function, and the finished position-independent [`Code`].
//!
//! [`Stitch`] appends stencils one after another. A stencil that chains ends in a
//! `jmp rel32` continuation; when the next stencil is appended right after it, the jump is
//! left out and control falls through ([`Stitch::keep_continuation_jumps`] keeps them, to
//! measure what eliding saves). Labels mark positions; `Rel32` holes and the glue jumps
//! ([`Stitch::jump`], [`Stitch::jump_if`]) target them, which is how loops are built around
//! stitched bodies:
//!
//! ```text
//!   prologue ─► top: load ─► op ─► op ─► store ─► jump_if(Below, top) ─► epilogue (ret)
//! ```
//!
//! Pool holes get entries in a constant pool placed after the code (64-byte aligned), so the
//! finished code refers only to itself. `Rel32` holes given an absolute address
//! ([`Value::Addr`]) stay as relocations, resolved when the code is placed; such code cannot
//! be serialized.

use core::marker::PhantomData;
use std::string::ToString;
use std::vec::Vec;

use crate::Feature;

use super::error::JitError;
use super::patch;
use super::region::{self, Builder, JitFn};
use super::sig::{JitSig, Signature};
use super::stencil::{Hole, HoleKind, Stencil, Value};

/// A position in a stitched function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Label(u32);

/// The condition of a [`Stitch::jump_if`] (the `cc` of `jcc`, SDM Vol. 2A Jcc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Cond {
    /// Overflow.
    O = 0,
    /// No overflow.
    No = 1,
    /// Below (unsigned <, CF = 1).
    B = 2,
    /// Above or equal (unsigned >=).
    Ae = 3,
    /// Equal / zero.
    E = 4,
    /// Not equal / not zero.
    Ne = 5,
    /// Below or equal (unsigned <=).
    Be = 6,
    /// Above (unsigned >).
    A = 7,
    /// Sign.
    S = 8,
    /// No sign.
    Ns = 9,
    /// Parity.
    P = 10,
    /// No parity.
    Np = 11,
    /// Less (signed <).
    L = 12,
    /// Greater or equal (signed >=).
    Ge = 13,
    /// Less or equal (signed <=).
    Le = 14,
    /// Greater (signed >).
    G = 15,
}

const TARGET: &[Hole<'static>] = &[Hole {
    name: "target",
    kind: HoleKind::Rel32,
    signed: true,
    offset: 1,
    end: 5,
}];
const TARGET2: &[Hole<'static>] = &[Hole {
    name: "target",
    kind: HoleKind::Rel32,
    signed: true,
    offset: 2,
    end: 6,
}];
const GLUE_SIG: Signature<'static> = Signature {
    params: &[],
    ret: super::sig::Ty::Unit,
};
// SAFETY: `jmp rel32` (E9 cd), the target a label of the same function.
const JMP: Stencil<'static> =
    unsafe { Stencil::new("jmp", &[0xE9, 0, 0, 0, 0], TARGET, &[], GLUE_SIG) };
macro_rules! jcc {
    ($($cc:literal),*) => {
        // SAFETY: `jcc rel32` (0F 80+cc cd), the target a label of the same function.
        [$(unsafe { Stencil::new("jcc", &[0x0F, 0x80 + $cc, 0, 0, 0, 0], TARGET2, &[], GLUE_SIG) }),*]
    };
}
const JCC: [Stencil<'static>; 16] = jcc!(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);

#[derive(Clone, Copy, Debug)]
enum Target {
    Label(Label),
    Pool(u32),
}

#[derive(Clone, Copy, Debug)]
struct Fixup {
    at: u32,
    end: u32,
    target: Target,
}

/// An absolute rel32 target resolved where the code lands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reloc {
    pub(crate) at: u32,
    pub(crate) end: u32,
    pub(crate) target: usize,
}

/// A function being stitched from stencils, of type `F`.
#[derive(Debug)]
pub struct Stitch<F> {
    code: Vec<u8>,
    pool: Vec<u8>,
    labels: Vec<Option<u32>>,
    fixups: Vec<Fixup>,
    relocs: Vec<Reloc>,
    features: Vec<Feature>,
    /// Whether the last stencil chains to whatever is appended next, and its name (a buffer
    /// reused from stencil to stencil: no allocation per append).
    pending: bool,
    pending_name: std::string::String,
    keep_jumps: bool,
    _f: PhantomData<F>,
}

impl<F: JitSig> Default for Stitch<F> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: JitSig> Stitch<F> {
    /// An empty function.
    pub fn new() -> Self {
        Stitch {
            code: Vec::with_capacity(1024),
            pool: Vec::with_capacity(256),
            labels: Vec::with_capacity(8),
            fixups: Vec::with_capacity(16),
            relocs: Vec::new(),
            features: Vec::with_capacity(4),
            pending: false,
            pending_name: std::string::String::new(),
            keep_jumps: false,
            _f: PhantomData,
        }
    }

    /// Keep each continuation's `jmp` (to the next stencil) instead of eliding it.
    pub fn keep_continuation_jumps(mut self, keep: bool) -> Self {
        self.keep_jumps = keep;
        self
    }

    /// Bytes of code so far.
    pub fn len(&self) -> usize {
        self.code.len()
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.code.is_empty()
    }

    /// A label bound to the current position (where the next stencil starts).
    pub fn label(&mut self) -> Label {
        self.labels.push(Some(self.code.len() as u32));
        Label(self.labels.len() as u32 - 1)
    }

    /// A label to be bound later with [`Stitch::bind`].
    pub fn new_label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() as u32 - 1)
    }

    /// Binds `l` to the current position.
    pub fn bind(&mut self, l: Label) {
        if let Some(slot) = self.labels.get_mut(l.0 as usize) {
            *slot = Some(self.code.len() as u32);
        }
    }

    /// Appends `st` with its holes filled from `values` (by name). A continuation hole given
    /// a [`Value::Label`] jumps there; without a value, the next appended stencil follows.
    ///
    /// # Errors
    ///
    /// [`JitError::SignatureMismatch`] if `st` is written for another signature than `F`,
    /// [`JitError::BadStencil`], and the value errors of [`Builder::specialize`]. Feature
    /// checks happen when the code is placed.
    pub fn append(
        &mut self,
        st: &Stencil<'_>,
        values: &[(&str, Value)],
    ) -> Result<&mut Self, JitError> {
        region::check_signature::<F>(st)?;
        st.check().map_err(|reason| JitError::BadStencil {
            stencil: st.name().to_string(),
            reason,
        })?;
        self.place(st, values)?;
        Ok(self)
    }

    /// Appends `jmp rel32` to `target`.
    ///
    /// # Errors
    ///
    /// None in practice (the glue stencil is well formed).
    pub fn jump(&mut self, target: Label) -> Result<&mut Self, JitError> {
        self.place(&JMP, &[("target", Value::Label(target))])?;
        Ok(self)
    }

    /// Appends `jcc rel32` to `target` (taken when `cond` holds).
    ///
    /// # Errors
    ///
    /// None in practice (the glue stencil is well formed).
    pub fn jump_if(&mut self, cond: Cond, target: Label) -> Result<&mut Self, JitError> {
        self.place(&JCC[cond as usize], &[("target", Value::Label(target))])?;
        Ok(self)
    }

    fn place(&mut self, st: &Stencil<'_>, values: &[(&str, Value)]) -> Result<(), JitError> {
        patch::check_names(st, values)?;
        for f in st.features() {
            if !self.features.contains(f) {
                self.features.push(*f);
            }
        }
        let base = self.code.len();
        let cont = st.continuation();
        let explicit =
            cont.and_then(|h| values.iter().find(|(n, _)| *n == h.name).map(|(_, v)| *v));
        let copy = match (cont, explicit) {
            // The continuation's field is the last 4 bytes, after its `E9` (checked).
            (Some(h), None) if !self.keep_jumps => h.offset as usize - 1,
            _ => st.code().len(),
        };
        self.code.extend_from_slice(&st.code()[..copy]);
        self.pending = false;
        for h in st.holes() {
            let (o, e) = (base + h.offset as usize, base + h.end as usize);
            match h.kind {
                HoleKind::Continuation => match explicit {
                    Some(Value::Label(l)) => self.fixups.push(Fixup {
                        at: o as u32,
                        end: e as u32,
                        target: Target::Label(l),
                    }),
                    Some(v) => return Err(patch::wrong_value(st, h, v)),
                    None => {
                        // Falls through (jump elided), or jumps 0 bytes to the next stencil.
                        if self.keep_jumps {
                            self.code[o..o + 4].fill(0);
                        }
                        self.pending = true;
                        self.pending_name.clear();
                        self.pending_name.push_str(st.name());
                    }
                },
                HoleKind::Rel32 => match patch::value_for(st, h, values)? {
                    Value::Label(l) => self.fixups.push(Fixup {
                        at: o as u32,
                        end: e as u32,
                        target: Target::Label(l),
                    }),
                    Value::Addr(a) => self.relocs.push(Reloc {
                        at: o as u32,
                        end: e as u32,
                        target: a,
                    }),
                    v => return Err(patch::wrong_value(st, h, v)),
                },
                HoleKind::PoolF32 { lanes } | HoleKind::PoolF64 { lanes } => {
                    let v = patch::value_for(st, h, values)?;
                    let size = region::pool_entry_size(h.kind, lanes);
                    let at = self.pool.len().div_ceil(size) * size;
                    self.pool.resize(at + size, 0);
                    region::fill_pool(st, h, v, &mut self.pool[at..])?;
                    self.fixups.push(Fixup {
                        at: o as u32,
                        end: e as u32,
                        target: Target::Pool(at as u32),
                    });
                }
                _ => {
                    let v = patch::value_for(st, h, values)?;
                    patch::write_value(st, h, v, &mut self.code[o..])?;
                }
            }
        }
        Ok(())
    }

    /// Lays out the pool after the code, resolves labels and pool references.
    ///
    /// # Errors
    ///
    /// [`JitError::DanglingContinuation`] if the last stencil chains to nothing,
    /// [`JitError::UnboundLabel`], [`JitError::BadSize`] for empty code.
    pub fn finish(self) -> Result<Code, JitError> {
        if self.pending {
            return Err(JitError::DanglingContinuation {
                stencil: self.pending_name,
            });
        }
        if self.code.is_empty() || self.code.len() > 1 << 30 {
            return Err(JitError::BadSize(self.code.len()));
        }
        let code_len = self.code.len();
        let pool_start = if self.pool.is_empty() {
            code_len
        } else {
            code_len.div_ceil(64) * 64
        };
        let mut bytes = self.code;
        // int3 padding between code and pool.
        bytes.resize(pool_start, 0xCC);
        bytes.extend_from_slice(&self.pool);
        for f in &self.fixups {
            let target = match f.target {
                Target::Label(l) => match self.labels.get(l.0 as usize) {
                    Some(Some(off)) => *off as usize,
                    _ => return Err(JitError::UnboundLabel(l.0)),
                },
                Target::Pool(p) => pool_start + p as usize,
            };
            let d = target as i64 - i64::from(f.end);
            bytes[f.at as usize..f.at as usize + 4].copy_from_slice(&(d as i32).to_le_bytes());
        }
        let mut features = self.features;
        features.sort();
        Ok(Code {
            bytes,
            code_len: code_len as u32,
            features,
            signature: F::SIGNATURE.fingerprint(),
            relocs: self.relocs,
        })
    }
}

/// A finished function: patched code (and its pool), the CPU features it needs and its
/// signature's fingerprint. Position-independent except for [`Value::Addr`] targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Code {
    pub(crate) bytes: Vec<u8>,
    pub(crate) code_len: u32,
    pub(crate) features: Vec<Feature>,
    pub(crate) signature: u64,
    pub(crate) relocs: Vec<Reloc>,
}

impl Code {
    /// Code, padding and pool, as they will be placed.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Bytes of code before the pool.
    pub fn code_len(&self) -> usize {
        self.code_len as usize
    }

    /// The CPU features the stencils need (sorted, each once).
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// The fingerprint of the signature it was stitched for.
    pub fn signature_fingerprint(&self) -> u64 {
        self.signature
    }

    /// Whether it refers to absolute addresses (and so cannot be serialized).
    pub fn has_relocations(&self) -> bool {
        !self.relocs.is_empty()
    }

    pub(crate) fn check_signature<F: JitSig>(&self) -> Result<(), JitError> {
        if self.signature == F::SIGNATURE.fingerprint() {
            return Ok(());
        }
        Err(JitError::SignatureMismatch {
            stencil: "stitched function".into(),
            expected: F::SIGNATURE.describe(),
            found: std::format!("fingerprint {:#018x}", self.signature),
        })
    }

    /// Patches the absolute targets for code placed at `base` (`dst` is its copy).
    pub(crate) fn relocate(&self, base: usize, dst: &mut [u8]) -> Result<(), JitError> {
        for r in &self.relocs {
            let d = r.target as i128 - (base + r.end as usize) as i128;
            let d = i32::try_from(d).map_err(|_| JitError::HoleOutOfRange {
                stencil: "stitched function".into(),
                hole: "call target".into(),
                kind: HoleKind::Rel32,
                value: Value::Addr(r.target),
            })?;
            dst[r.at as usize..r.at as usize + 4].copy_from_slice(&d.to_le_bytes());
        }
        Ok(())
    }

    /// Maps the code as a function of its own (one mapping, one `mprotect`).
    ///
    /// # Errors
    ///
    /// As [`Builder::add`] and [`Builder::finalize`].
    pub fn map<F: JitSig>(&self) -> Result<JitFn<F>, JitError> {
        // Code that calls absolute addresses is mapped near the first of them.
        let mut b = match self.relocs.first() {
            Some(r) => Builder::with_capacity_near(self.bytes.len(), r.target)?,
            None => Builder::with_capacity(self.bytes.len())?,
        };
        let r = b.add::<F>(self)?;
        Ok(JitFn::new(b.finalize()?, r))
    }
}
