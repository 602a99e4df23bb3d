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

use crate::{Feature, FeatureSet};

use super::error::JitError;
use super::patch;
use super::region::{self, Builder, JitFn};
use super::sig::JitSig;
use super::stencil::{HoleKind, Stencil, Value};

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

/// Bytes of the glue jumps before their rel32: `jmp rel32` (E9 cd) and `jcc rel32`
/// (0F 80+cc cd), SDM Vol. 2A JMP, Jcc.
const JMP: [u8; 5] = [0xE9, 0, 0, 0, 0];

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

/// Labels and fixups share one list (one allocation per function): a [`Label`] is the index
/// of its entry.
#[derive(Clone, Copy, Debug)]
enum Mark {
    /// A label, bound or not yet.
    Label(Option<u32>),
    /// A rel32 field to resolve in [`Stitch::finish`].
    Fixup(Fixup),
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
    marks: Vec<Mark>,
    relocs: Vec<Reloc>,
    /// The features of the stencils appended, as a set (one test per append) and in order
    /// of first appearance (extended only when a stencil brings a new one).
    features: FeatureSet,
    feature_list: Vec<Feature>,
    /// Whether the last stencil chains to whatever is appended next, and its name.
    pending: bool,
    pending_name: PendingName,
    keep_jumps: bool,
    _f: PhantomData<F>,
}

/// The name of the stencil whose continuation is pending, for
/// [`JitError::DanglingContinuation`]: copied on every append of a chaining stencil, so a
/// short one (the usual case) goes to a fixed buffer with two moves, a long one to a `String`
/// reused from append to append.
#[derive(Debug, Default)]
struct PendingName {
    len: usize,
    short: [u8; 32],
    long: std::string::String,
}

impl PendingName {
    #[inline(always)]
    fn set(&mut self, name: &str) {
        let b = name.as_bytes();
        self.len = b.len();
        if b.len() <= self.short.len() {
            // SAFETY: `short` has room for `b.len()` bytes; separate memory.
            unsafe { region::copy_raw(self.short.as_mut_ptr(), b) };
        } else {
            self.long.clear();
            self.long.push_str(name);
        }
    }

    fn get(&self) -> std::string::String {
        match self.short.get(..self.len) {
            // The bytes of a `&str` cut at its length: valid UTF-8.
            Some(b) => std::string::String::from_utf8_lossy(b).into_owned(),
            None => self.long.clone(),
        }
    }
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
            // Allocated on the first pool entry: a function without one allocates nothing for it.
            pool: Vec::new(),
            marks: Vec::with_capacity(32),
            relocs: Vec::new(),
            features: FeatureSet::EMPTY,
            feature_list: Vec::new(),
            pending: false,
            pending_name: PendingName::default(),
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
        self.marks.push(Mark::Label(Some(self.code.len() as u32)));
        Label(self.marks.len() as u32 - 1)
    }

    /// A label to be bound later with [`Stitch::bind`].
    pub fn new_label(&mut self) -> Label {
        self.marks.push(Mark::Label(None));
        Label(self.marks.len() as u32 - 1)
    }

    /// Binds `l` to the current position.
    pub fn bind(&mut self, l: Label) {
        if let Some(Mark::Label(slot)) = self.marks.get_mut(l.0 as usize) {
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
    #[inline]
    pub fn append(
        &mut self,
        st: &Stencil<'_>,
        values: &[(&str, Value)],
    ) -> Result<&mut Self, JitError> {
        // The usual piece of a pipeline — well formed, of this signature, no hole but its
        // continuation (if any), no value, no new CPU feature — is its body copied; the next
        // piece follows. Everything else (and every error) takes the general path.
        let facts = st.facts();
        if let (Some((body, chains)), [], false, true, true) = (
            facts.plain,
            values,
            self.keep_jumps,
            facts.fingerprint == const { F::SIGNATURE.fingerprint() },
            facts.features.is_subset(self.features),
        ) && let Some(code) = st.code().get(..body as usize)
        {
            region::extend_code(&mut self.code, code);
            self.pending = chains;
            if chains {
                self.pending_name.set(st.name());
            }
            return Ok(self);
        }
        self.append_checked(st, values)
    }

    #[inline(never)]
    fn append_checked(
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
        self.glue(&JMP, target);
        Ok(self)
    }

    /// Appends `jcc rel32` to `target` (taken when `cond` holds).
    ///
    /// # Errors
    ///
    /// None in practice (the glue stencil is well formed).
    pub fn jump_if(&mut self, cond: Cond, target: Label) -> Result<&mut Self, JitError> {
        self.glue(&[0x0F, 0x80 + cond as u8, 0, 0, 0, 0], target);
        Ok(self)
    }

    /// Appends a glue jump (`insn` ends with its rel32 field) to `target`.
    #[inline]
    fn glue(&mut self, insn: &[u8], target: Label) {
        region::extend_code(&mut self.code, insn);
        let end = self.code.len() as u32;
        self.marks.push(Mark::Fixup(Fixup {
            at: end - 4,
            end,
            target: Target::Label(target),
        }));
        self.pending = false;
    }

    /// Records features `st` brings that no stencil before it did.
    #[cold]
    fn add_features(&mut self, st: &Stencil<'_>) {
        let new = st.facts().features.minus(self.features);
        if self.features.is_empty() {
            // The first stencil with features: all of them (`finish` removes repeats).
            self.feature_list = st.features().to_vec();
        } else {
            self.feature_list.reserve(new.len());
            for &f in st.features() {
                if new.contains(f) {
                    self.feature_list.push(f);
                }
            }
        }
        self.features = self.features.union(new);
    }

    #[inline]
    fn place(&mut self, st: &Stencil<'_>, values: &[(&str, Value)]) -> Result<(), JitError> {
        patch::check_names(st, values)?;
        if !st.facts().features.is_subset(self.features) {
            self.add_features(st);
        }
        let cont = st.continuation();
        let base = self.code.len();
        let explicit = match cont {
            Some(h) if !values.is_empty() => values
                .iter()
                .find(|(n, _)| patch::name_eq(n, h.name))
                .map(|(_, v)| *v),
            _ => None,
        };
        let copy = match (cont, explicit) {
            // The continuation's field is the last 4 bytes, after its `E9` (checked).
            (Some(h), None) if !self.keep_jumps => h.offset as usize - 1,
            _ => st.code().len(),
        };
        region::extend_code(&mut self.code, &st.code()[..copy]);
        self.pending = false;
        for h in st.holes() {
            let (o, e) = (base + h.offset as usize, base + h.end as usize);
            match h.kind {
                HoleKind::Continuation => match explicit {
                    Some(Value::Label(l)) => self.marks.push(Mark::Fixup(Fixup {
                        at: o as u32,
                        end: e as u32,
                        target: Target::Label(l),
                    })),
                    Some(v) => return Err(patch::wrong_value(st, h, v)),
                    None => {
                        // Falls through (jump elided), or jumps 0 bytes to the next stencil.
                        if self.keep_jumps {
                            self.code[o..o + 4].fill(0);
                        }
                        self.pending = true;
                        self.pending_name.set(st.name());
                    }
                },
                HoleKind::Rel32 => match patch::value_for(st, h, values)? {
                    Value::Label(l) => self.marks.push(Mark::Fixup(Fixup {
                        at: o as u32,
                        end: e as u32,
                        target: Target::Label(l),
                    })),
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
                    if self.pool.capacity() == 0 {
                        self.pool = Vec::with_capacity(256);
                    }
                    // The entry, aligned to its size: `lanes` copies of the value.
                    let at = if size.is_power_of_two() {
                        (self.pool.len() + size - 1) & !(size - 1)
                    } else {
                        self.pool.len().div_ceil(size) * size
                    };
                    self.pool.resize(at, 0);
                    match (h.kind, v) {
                        (HoleKind::PoolF32 { .. }, Value::F32(x)) => {
                            for _ in 0..lanes.max(1) {
                                self.pool.extend_from_slice(&x.to_le_bytes());
                            }
                        }
                        (HoleKind::PoolF64 { .. }, Value::F64(x)) => {
                            for _ in 0..lanes.max(1) {
                                self.pool.extend_from_slice(&x.to_le_bytes());
                            }
                        }
                        _ => return Err(patch::wrong_value(st, h, v)),
                    }
                    self.marks.push(Mark::Fixup(Fixup {
                        at: o as u32,
                        end: e as u32,
                        target: Target::Pool(at as u32),
                    }));
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
    pub fn finish(mut self) -> Result<Code, JitError> {
        self.check_finished()?;
        // The buffers become the `Code`'s.
        let bytes = core::mem::take(&mut self.code);
        let features = core::mem::take(&mut self.feature_list);
        let relocs = core::mem::take(&mut self.relocs);
        self.assemble(bytes, features, relocs)
    }

    /// Empties the function being built, keeping the buffers (and the
    /// [`Stitch::keep_continuation_jumps`] setting): with [`Stitch::finish_and_clear`], one
    /// `Stitch` builds function after function (a server compiling query after query) without
    /// allocating its code, label, fixup and pool buffers again.
    pub fn clear(&mut self) {
        self.code.clear();
        self.pool.clear();
        self.marks.clear();
        self.relocs.clear();
        self.features = FeatureSet::EMPTY;
        self.feature_list.clear();
        self.pending = false;
    }

    /// As [`Stitch::finish`], but `self` stays, [cleared](Stitch::clear), for the next
    /// function: the [`Code`] gets its own copy of the bytes (exactly sized) and of the
    /// feature list, the buffers are kept. Labels of the finished function must not be used
    /// in the next one.
    ///
    /// # Errors
    ///
    /// As [`Stitch::finish`]; `self` is cleared either way.
    pub fn finish_and_clear(&mut self) -> Result<Code, JitError> {
        let r = self.check_finished().and_then(|()| {
            let pool_start = self.pool_start(self.code.len());
            let mut bytes = Vec::with_capacity(pool_start + self.pool.len());
            bytes.extend_from_slice(&self.code);
            let features = self.feature_list.clone();
            let relocs = self.relocs.clone();
            self.assemble(bytes, features, relocs)
        });
        self.clear();
        r
    }

    fn check_finished(&self) -> Result<(), JitError> {
        if self.pending {
            return Err(JitError::DanglingContinuation {
                stencil: self.pending_name.get(),
            });
        }
        if self.code.is_empty() || self.code.len() > 1 << 30 {
            return Err(JitError::BadSize(self.code.len()));
        }
        Ok(())
    }

    /// Where the pool goes after `code_len` bytes of code: 64-byte aligned.
    fn pool_start(&self, code_len: usize) -> usize {
        if self.pool.is_empty() {
            code_len
        } else {
            code_len.div_ceil(64) * 64
        }
    }

    /// The `Code` from `bytes` (a copy of the code so far): padding, pool, resolved fields.
    #[inline]
    fn assemble(
        &self,
        mut bytes: Vec<u8>,
        mut features: Vec<Feature>,
        relocs: Vec<Reloc>,
    ) -> Result<Code, JitError> {
        let code_len = bytes.len();
        let pool_start = self.pool_start(code_len);
        // int3 padding between code and pool.
        bytes.resize(pool_start, 0xCC);
        bytes.extend_from_slice(&self.pool);
        for m in &self.marks {
            let Mark::Fixup(f) = m else { continue };
            let target = match f.target {
                Target::Label(l) => match self.marks.get(l.0 as usize) {
                    Some(Mark::Label(Some(off))) => *off as usize,
                    _ => return Err(JitError::UnboundLabel(l.0)),
                },
                Target::Pool(p) => pool_start + p as usize,
            };
            let d = target as i64 - i64::from(f.end);
            bytes[f.at as usize..f.at as usize + 4].copy_from_slice(&(d as i32).to_le_bytes());
        }
        features.sort_unstable();
        features.dedup();
        Ok(Code {
            bytes,
            code_len: code_len as u32,
            features,
            signature: F::SIGNATURE.fingerprint(),
            relocs,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::{Hole, Signature, Ty};

    type U64Fn = extern "sysv64" fn(u64) -> u64;
    const SIG: Signature<'static> = Signature {
        params: &[Ty::U64],
        ret: Ty::U64,
    };
    // add rax, imm8 (REX.W 83 /0 ib); jmp rel32.
    const CODE: &[u8] = &[0x48, 0x83, 0xC0, 0, 0xE9, 0, 0, 0, 0];
    const HOLES: &[Hole<'static>] = &[
        Hole {
            name: "d",
            kind: HoleKind::Imm8,
            signed: true,
            offset: 3,
            end: 4,
        },
        Hole {
            name: "next",
            kind: HoleKind::Continuation,
            signed: true,
            offset: 5,
            end: 9,
        },
    ];

    #[test]
    fn dangling_continuation_names_the_stencil_short_or_long() {
        let long = "a_stencil_name_longer_than_thirty_two_bytes";
        for name in ["add", long, "x"] {
            // SAFETY: only stitched, never run.
            let st = unsafe { Stencil::new(name, CODE, HOLES, &[], SIG) };
            let mut s = Stitch::<U64Fn>::new();
            s.append(&st, &[("d", Value::Int(1))]).unwrap();
            s.append(&st, &[("d", Value::Int(2))]).unwrap();
            match s.finish() {
                Err(JitError::DanglingContinuation { stencil }) => assert_eq!(stencil, name),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn the_fast_path_keeps_every_check() {
        // mov rax, rdi (REX.W 89 /r); jmp rel32: a piece with no hole but its continuation.
        const MOV: &[u8] = &[0x48, 0x89, 0xF8, 0xE9, 0, 0, 0, 0];
        const NEXT: &[Hole<'static>] = &[Hole {
            name: "next",
            kind: HoleKind::Continuation,
            signed: true,
            offset: 4,
            end: 8,
        }];
        // SAFETY (all): only stitched, never run.
        let mov = unsafe { Stencil::new("mov", MOV, NEXT, &[Feature::AVX2], SIG) };
        let ret = unsafe { Stencil::new("ret", &[0xC3], &[], &[Feature::BMI2], SIG) };
        assert!(mov.facts().plain.is_some() && ret.facts().plain.is_some());
        let mut s = Stitch::<U64Fn>::new();
        s.append(&mov, &[]).unwrap().append(&mov, &[]).unwrap();
        s.append(&ret, &[]).unwrap();
        let code = s.finish().unwrap();
        assert_eq!(code.bytes(), &[0x48, 0x89, 0xF8, 0x48, 0x89, 0xF8, 0xC3]);
        // Features of pieces that took the fast path are still recorded, once each.
        assert_eq!(code.features(), &[Feature::AVX2, Feature::BMI2]);
        // Another signature.
        type Other = extern "sysv64" fn(f64) -> f64;
        let e = Stitch::<Other>::new()
            .append(&mov, &[])
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(e, JitError::SignatureMismatch { .. }), "{e}");
        // A value for a piece without holes.
        let e = Stitch::<U64Fn>::new()
            .append(&mov, &[("d", Value::Int(1))])
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(e, JitError::UnknownHole { .. }), "{e}");
        // A bad layout (the continuation not after an `E9`).
        let bad_holes = [Hole {
            offset: 2,
            end: 6,
            ..NEXT[0]
        }];
        let bad = unsafe { Stencil::new("bad", &[0x90, 0x90, 0, 0, 0, 0], &bad_holes, &[], SIG) };
        assert!(bad.facts().plain.is_none());
        let e = Stitch::<U64Fn>::new()
            .append(&bad, &[])
            .map(|_| ())
            .unwrap_err();
        assert!(matches!(e, JitError::BadStencil { .. }), "{e}");
        // Kept continuation jumps: the general path, a jump of 0 to the next piece.
        let mut s = Stitch::<U64Fn>::new().keep_continuation_jumps(true);
        s.append(&mov, &[]).unwrap().append(&ret, &[]).unwrap();
        assert_eq!(
            s.finish().unwrap().bytes(),
            &[0x48, 0x89, 0xF8, 0xE9, 0, 0, 0, 0, 0xC3]
        );
    }

    #[test]
    fn one_stitch_builds_function_after_function() {
        // SAFETY: only stitched, never run.
        let st = unsafe { Stencil::new("add", CODE, HOLES, &[Feature::AVX2], SIG) };
        let pool_holes = [Hole {
            name: "p",
            kind: HoleKind::PoolF32 { lanes: 4 },
            signed: true,
            offset: 3,
            end: 7,
        }];
        // A field referring to a pool entry (only the layout matters: never run).
        // SAFETY: as above.
        let pooled = unsafe {
            Stencil::new(
                "p",
                &[0xC3, 0, 0, 0, 0, 0, 0],
                &pool_holes,
                &[Feature::FMA],
                SIG,
            )
        };
        let build = |s: &mut Stitch<U64Fn>, d: i64| {
            let top = s.label();
            s.append(&st, &[("d", Value::Int(d))]).unwrap();
            s.jump_if(Cond::Ne, top).unwrap();
            s.append(&pooled, &[("p", Value::F32(d as f32))]).unwrap();
        };
        let mut reused = Stitch::<U64Fn>::new();
        for d in [1, -2, 3] {
            let mut fresh = Stitch::<U64Fn>::new();
            build(&mut fresh, d);
            let want = fresh.finish().unwrap();
            build(&mut reused, d);
            let got = reused.finish_and_clear().unwrap();
            assert_eq!(got, want, "d = {d}");
            assert!(reused.is_empty());
        }
        assert!(matches!(
            Stitch::<U64Fn>::new().finish_and_clear(),
            Err(JitError::BadSize(0))
        ));
        // An error clears too: the dangling piece is gone from the next function.
        reused.append(&st, &[("d", Value::Int(1))]).unwrap();
        assert!(matches!(
            reused.finish_and_clear(),
            Err(JitError::DanglingContinuation { .. })
        ));
        assert!(reused.is_empty());
        build(&mut reused, 4);
        let code = reused.finish_and_clear().unwrap();
        assert_eq!(code.features(), &[Feature::AVX2, Feature::FMA]);
    }

    #[test]
    fn glue_jumps_are_encoded_and_resolved() {
        // SAFETY: only stitched, never run.
        let st = unsafe { Stencil::new("add", CODE, HOLES, &[], SIG) };
        let mut s = Stitch::<U64Fn>::new();
        let top = s.label();
        s.append(&st, &[("d", Value::Int(-3))]).unwrap();
        let end = s.new_label();
        s.jump_if(Cond::Ne, top).unwrap().jump(end).unwrap();
        s.bind(end);
        s.append(&st, &[("d", Value::Int(5)), ("next", Value::Label(top))])
            .unwrap();
        let code = s.finish().unwrap();
        // add (continuation elided: falls into the jne), jne top, jmp end, add, jmp top.
        let want: &[u8] = &[
            0x48, 0x83, 0xC0, 0xFD, // add rax, -3
            0x0F, 0x85, 0xF6, 0xFF, 0xFF, 0xFF, // jne -10 (to 0)
            0xE9, 0x00, 0x00, 0x00, 0x00, // jmp +0 (to 15)
            0x48, 0x83, 0xC0, 0x05, // add rax, 5
            0xE9, 0xE8, 0xFF, 0xFF, 0xFF, // jmp -24 (to 0)
        ];
        assert_eq!(code.bytes(), want);
    }
}
