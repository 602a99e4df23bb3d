//! Specializing one stencil many times: everything that does not depend on the values is
//! checked once.
//!
//! [`Builder::specialize`] takes values by name and, for every function, checks the
//! signature, the CPU features, the names and the hole layout. A [`Specializer`] does those
//! checks once, when it is made, and binds each hole to a position in the value list; each
//! [`Specializer::place`] then only reserves bytes, copies the code and writes the values
//! (range-checked as always).
//!
//! ```text
//!  Specializer::new(stencil, ["c"])  ── signature, features, names, layout: once
//!  place(&mut builder, [Value::UInt(c)]) ×N ── reserve, copy, patch
//! ```

use core::marker::PhantomData;
use std::string::ToString;
use std::vec::Vec;

use super::error::JitError;
use super::patch;
use super::region::{self, Builder, FnRef};

use super::sig::JitSig;
use super::stencil::{HoleKind, Stencil, Value};

/// What a position-free hole accepts.
#[derive(Clone, Copy, Debug)]
enum Class {
    /// Any `i64` or `u64` (an unsigned 64-bit immediate: both ranges fit).
    Any64,
    /// An integer in `min..=max`.
    Int {
        min: i128,
        max: i128,
    },
    F32,
    F64,
}

/// A position-free hole resolved: where its bytes go and which value fills them.
#[derive(Clone, Copy, Debug)]
struct Patch {
    hole: u32,
    at: u32,
    width: u8,
    slot: u32,
    class: Class,
}

/// A stencil checked for functions of type `F`, its holes bound to value positions.
#[derive(Clone, Debug)]
pub struct Specializer<'s, F> {
    st: Stencil<'s>,
    /// For each hole of the stencil, the position of its value.
    slots: Vec<usize>,
    arity: usize,
    /// The direct plan when every hole is position-free (immediates, displacements,
    /// floats): no relative field, no pool.
    direct: Option<Vec<Patch>>,
    pool_start: usize,
    total: usize,
    /// The code padded with `int3` to the 16-byte stride of [`Specializer::place_n`]: each
    /// function of a batch is this copied (whole 16-byte moves) and its fields written.
    template: Vec<u8>,
    _f: PhantomData<F>,
}

impl<'s, F: JitSig> Specializer<'s, F> {
    /// Checks `st` once for functions of type `F` whose holes get their values, by position,
    /// in the order of `names`.
    ///
    /// # Errors
    ///
    /// [`JitError::SignatureMismatch`], [`JitError::MissingFeatures`],
    /// [`JitError::DanglingContinuation`] for a stencil that chains,
    /// [`JitError::BadStencil`], [`JitError::UnknownHole`] for a name that is no hole,
    /// [`JitError::MissingValue`] for a hole without a name in `names`.
    pub fn new(st: &Stencil<'s>, names: &[&str]) -> Result<Self, JitError> {
        region::check_signature::<F>(st)?;
        region::check_features(st.name(), st.features())?;
        if st.continuation().is_some() {
            return Err(JitError::DanglingContinuation {
                stencil: st.name().to_string(),
            });
        }
        st.check().map_err(|reason| JitError::BadStencil {
            stencil: st.name().to_string(),
            reason,
        })?;
        for n in names {
            if !st.holes().iter().any(|h| h.name == *n) {
                return Err(JitError::UnknownHole {
                    stencil: st.name().to_string(),
                    name: n.to_string(),
                });
            }
        }
        let slots = st
            .holes()
            .iter()
            .map(|h| {
                names
                    .iter()
                    .position(|n| *n == h.name)
                    .ok_or_else(|| JitError::MissingValue {
                        stencil: st.name().to_string(),
                        hole: h.name.to_string(),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let (pool_start, total) = region::layout(st);
        let direct = st
            .holes()
            .iter()
            .zip(&slots)
            .enumerate()
            .map(|(i, (h, &slot))| {
                let class = match h.kind {
                    HoleKind::F32 => Class::F32,
                    HoleKind::F64 => Class::F64,
                    HoleKind::Imm8
                    | HoleKind::Imm16
                    | HoleKind::Imm32
                    | HoleKind::Imm64
                    | HoleKind::Disp32 => {
                        let (min, max) = patch::int_range(h);
                        if min <= i128::from(i64::MIN) && max >= i128::from(u64::MAX) {
                            Class::Any64
                        } else {
                            Class::Int { min, max }
                        }
                    }
                    _ => return None,
                };
                Some(Patch {
                    hole: i as u32,
                    at: h.offset,
                    width: h.kind.width() as u8,
                    slot: slot as u32,
                    class,
                })
            })
            .collect::<Option<Vec<_>>>();
        let mut template = st.code().to_vec();
        template.resize(total.div_ceil(16).max(1) * 16, 0xCC);
        Ok(Specializer {
            st: *st,
            slots,
            arity: names.len(),
            direct,
            pool_start,
            total,
            template,
            _f: PhantomData,
        })
    }

    /// The stencil.
    pub fn stencil(&self) -> &Stencil<'s> {
        &self.st
    }

    /// Copies the stencil into `b` as a function of type `F`, hole values in the order of
    /// the names given to [`Specializer::new`].
    ///
    /// # Errors
    ///
    /// [`JitError::MissingValue`] if `values` is shorter than the names, a value error
    /// ([`JitError::HoleOutOfRange`], [`JitError::WrongValue`]), [`JitError::MapFailed`]
    /// (or [`JitError::NoMemoryNear`]) when a new chunk cannot be mapped. On error nothing is
    /// added (the reserved bytes stay unused).
    #[inline]
    pub fn place(&self, b: &mut Builder, values: &[Value]) -> Result<FnRef<F>, JitError> {
        if values.len() < self.arity {
            let missing = self.slots.iter().position(|&s| s >= values.len());
            let hole = missing.map_or("", |i| self.st.holes()[i].name);
            return Err(JitError::MissingValue {
                stencil: self.st.name().to_string(),
                hole: hole.to_string(),
            });
        }
        let (base, dst, r) = b.claim::<F>(self.total)?;
        let Some(plan) = &self.direct else {
            region::fill(&self.st, base, self.pool_start, dst, |i, _| {
                Ok(values[self.slots[i]])
            })?;
            return Ok(r);
        };
        region::copy_code(dst, self.st.code());
        self.patch_direct(plan, values, dst)?;
        Ok(r)
    }
}

/// The functions one [`Specializer::place_n`] placed, in order. They lie at a fixed stride in
/// runs (one per chunk they went to, usually one), so each reference is computed when asked
/// for: a batch holds no list of references, and a loop over it calls each function through
/// an address it computes, not one it loads.
#[derive(Clone, Debug)]
pub struct FnBatch<F> {
    region: u64,
    stride: usize,
    /// The first run (start address, count), and any further ones.
    first: (usize, usize),
    more: Vec<(usize, usize)>,
    len: usize,
    _f: PhantomData<F>,
}

impl<F> FnBatch<F> {
    fn new(region: u64, stride: usize) -> Self {
        FnBatch {
            region,
            stride,
            first: (0, 0),
            more: Vec::new(),
            len: 0,
            _f: PhantomData,
        }
    }

    /// Appends `count` functions from `addr` on.
    fn push_run(&mut self, addr: usize, count: usize) {
        if count == 0 {
            return;
        }
        let last = self.more.last_mut().unwrap_or(&mut self.first);
        if last.1 == 0 || last.0 + last.1 * self.stride == addr {
            if last.1 == 0 {
                last.0 = addr;
            }
            last.1 += count;
        } else {
            self.more.push((addr, count));
        }
        self.len += count;
    }

    /// How many functions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn runs(&self) -> impl Iterator<Item = &(usize, usize)> {
        core::iter::once(&self.first).chain(&self.more)
    }

    /// The `i`-th function, if `i < len()`.
    pub fn get(&self, mut i: usize) -> Option<FnRef<F>> {
        for &(addr, count) in self.runs() {
            if i < count {
                return Some(FnRef::new(self.region, addr + i * self.stride));
            }
            i -= count;
        }
        None
    }

    /// The functions in order.
    pub fn iter(&self) -> FnBatchIter<'_, F> {
        FnBatchIter {
            batch: self,
            run: 0,
            addr: self.first.0,
            in_run: self.first.1,
            left: self.len,
        }
    }
}

impl<'a, F> IntoIterator for &'a FnBatch<F> {
    type Item = FnRef<F>;
    type IntoIter = FnBatchIter<'a, F>;
    fn into_iter(self) -> FnBatchIter<'a, F> {
        self.iter()
    }
}

/// The functions of a [`FnBatch`] in order (each address computed from the previous one).
#[derive(Clone, Debug)]
pub struct FnBatchIter<'a, F> {
    batch: &'a FnBatch<F>,
    /// How many of `more` were entered.
    run: usize,
    addr: usize,
    in_run: usize,
    left: usize,
}

impl<F> FnBatchIter<'_, F> {
    #[cold]
    fn next_run(&mut self) {
        while self.in_run == 0 && self.run < self.batch.more.len() {
            let (addr, count) = self.batch.more[self.run];
            self.run += 1;
            (self.addr, self.in_run) = (addr, count);
        }
    }
}

impl<F> Iterator for FnBatchIter<'_, F> {
    type Item = FnRef<F>;

    #[inline]
    fn next(&mut self) -> Option<FnRef<F>> {
        if self.in_run == 0 {
            self.next_run();
            if self.in_run == 0 {
                return None;
            }
        }
        let addr = self.addr;
        self.addr += self.batch.stride;
        self.in_run -= 1;
        self.left -= 1;
        Some(FnRef::new(self.batch.region, addr))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<F> ExactSizeIterator for FnBatchIter<'_, F> {}

impl<F: JitSig> Specializer<'_, F> {
    /// Places `n` functions into `b` in one go, the `i`-th with the values `values(i)` (in
    /// the order of the names given to [`Specializer::new`]): the bytes for as many as fit
    /// are claimed at once and each function costs a copy and its patches. The result has
    /// the functions in order.
    ///
    /// # Errors
    ///
    /// As [`Specializer::place`]. On error the functions placed so far stay placed (and
    /// unreferenced).
    pub fn place_n<const N: usize>(
        &self,
        b: &mut Builder,
        n: usize,
        mut values: impl FnMut(usize) -> [Value; N],
    ) -> Result<FnBatch<F>, JitError> {
        let stride = self.template.len();
        let mut out = FnBatch::new(b.id(), stride);
        let Some(plan) = self.direct.as_ref().filter(|_| N >= self.arity) else {
            for i in 0..n {
                let r = self.place(b, &values(i))?;
                out.push_run(r.addr(), 1);
            }
            return Ok(out);
        };
        let tmpl = self.template.as_slice();
        while out.len() < n {
            let (chunk, start, fit) = b.room(stride, n - out.len())?;
            let first = out.len();
            let r0 = b.fn_ref::<F>(chunk, start);
            let (_, mem) = b.chunk_mut(chunk);
            // The functions' bytes: `fit` strides from `start` (`room` says they fit).
            let mem = &mut mem[start..start + fit * stride];
            let mut done = 0;
            let mut result = Ok(());
            // The common shape — one unsigned 64-bit immediate — as a loop of its own: a
            // template copy, one 8-byte store, one reference per function.
            if let [p] = plan.as_slice()
                && matches!(p.class, Class::Any64)
                && p.width == 8
                && p.at as usize + 8 <= stride
            {
                let (slot, field) = (p.slot as usize, p.at as usize);
                for (k, dst) in mem.chunks_exact_mut(stride).enumerate() {
                    let v = values(first + k)[slot];
                    let bits = match v {
                        Value::Int(x) => x as u64,
                        Value::UInt(u) => u,
                        _ => {
                            result = Err(patch::wrong_value(&self.st, &self.st.holes()[0], v));
                            break;
                        }
                    };
                    copy_stride(dst, tmpl);
                    dst[field..field + 8].copy_from_slice(&bits.to_le_bytes());
                    done = k + 1;
                }
            } else {
                for (k, dst) in mem.chunks_exact_mut(stride).enumerate() {
                    let v = values(first + k);
                    copy_stride(dst, tmpl);
                    if let Err(e) = self.patch_direct(plan, &v, dst) {
                        result = Err(e);
                        break;
                    }
                    done = k + 1;
                }
            }
            out.push_run(r0.addr(), done);
            b.commit(start + done * stride);
            result?;
        }
        Ok(out)
    }

    /// Writes the values of a position-free stencil's holes into `dst` (its copy).
    #[inline(always)]
    fn patch_direct(
        &self,
        plan: &[Patch],
        values: &[Value],
        dst: &mut [u8],
    ) -> Result<(), JitError> {
        for p in plan {
            let v = values[p.slot as usize];
            let bits = match (p.class, v) {
                (Class::Any64, Value::Int(i)) => i as u64,
                (Class::Any64, Value::UInt(u)) => u,
                (Class::Int { min, max }, Value::Int(i))
                    if (min..=max).contains(&i128::from(i)) =>
                {
                    i as u64
                }
                (Class::Int { max, .. }, Value::UInt(u)) if i128::from(u) <= max => u,
                (Class::F32, Value::F32(x)) => u64::from(x.to_bits()),
                (Class::F64, Value::F64(x)) => x.to_bits(),
                _ => {
                    // The value does not fit or is of another type: the general path names
                    // the error.
                    let h = &self.st.holes()[p.hole as usize];
                    let mut scratch = [0u8; 8];
                    patch::write_value(&self.st, h, v, &mut scratch)?;
                    u64::from_le_bytes(scratch)
                }
            };
            patch::store(&mut dst[p.at as usize..], usize::from(p.width), bits);
        }
        Ok(())
    }
}

/// `dst = tmpl` (equal lengths, a multiple of 16): whole 16-byte moves, the usual single one
/// unrolled.
#[inline(always)]
fn copy_stride(dst: &mut [u8], tmpl: &[u8]) {
    if let (Ok(d), Ok(t)) = (
        <&mut [u8; 16]>::try_from(&mut *dst),
        <&[u8; 16]>::try_from(tmpl),
    ) {
        *d = *t;
        return;
    }
    for (d, t) in dst.chunks_exact_mut(16).zip(tmpl.chunks_exact(16)) {
        d.copy_from_slice(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::{Hole, HoleKind, Signature, Ty};

    type MulFn = extern "sysv64" fn(u64) -> u64;
    const CODE: &[u8] = &[
        0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x0F, 0xAF, 0xC7, 0xC3,
    ];
    const HOLES: &[Hole<'static>] = &[Hole {
        name: "c",
        kind: HoleKind::Imm64,
        signed: false,
        offset: 2,
        end: 10,
    }];
    const SIG: Signature<'static> = Signature {
        params: &[Ty::U64],
        ret: Ty::U64,
    };

    /// `mov rax, rdi; add rax, imm8 (sign-extended); ret`: a hole `d` of -128..=127.
    fn add8() -> Stencil<'static> {
        const ADD8: &[u8] = &[0x48, 0x89, 0xF8, 0x48, 0x83, 0xC0, 0x00, 0xC3];
        const D8: &[Hole<'static>] = &[Hole {
            name: "d",
            kind: HoleKind::Imm8,
            signed: true,
            offset: 6,
            end: 7,
        }];
        // SAFETY: register arithmetic only.
        unsafe { Stencil::new("add", ADD8, D8, &[], SIG) }
    }

    #[test]
    fn places_many_and_checks_once() {
        // SAFETY: register arithmetic only.
        let st = unsafe { Stencil::new("mul", CODE, HOLES, &[], SIG) };
        let sp = Specializer::<MulFn>::new(&st, &["c"]).unwrap();
        let mut b = Builder::new();
        let refs: Vec<_> = (0..5000u64)
            .map(|c| sp.place(&mut b, &[Value::UInt(c)]).unwrap())
            .collect();
        let region = b.finalize().unwrap();
        for (c, r) in refs.iter().enumerate() {
            assert_eq!(region.get(*r).call(3), 3 * c as u64);
        }
    }

    #[test]
    fn places_n_at_once_across_chunks() {
        // SAFETY: register arithmetic only.
        let st = unsafe { Stencil::new("mul", CODE, HOLES, &[], SIG) };
        let sp = Specializer::<MulFn>::new(&st, &["c"]).unwrap();
        let mut b = Builder::new();
        let one = sp.place(&mut b, &[Value::UInt(99)]).unwrap();
        // 10,000 functions of 16 bytes need three 64 KiB chunks.
        let refs = sp
            .place_n(&mut b, 10_000, |i| [Value::UInt(i as u64 * 7)])
            .unwrap();
        assert_eq!(refs.len(), 10_000);
        // An out-of-range value stops the batch with a typed error.
        let e = Specializer::<MulFn>::new(&st, &["c"])
            .unwrap()
            .place_n(&mut b, 3, |i| {
                [if i == 1 {
                    Value::F64(1.0)
                } else {
                    Value::UInt(1)
                }]
            })
            .unwrap_err();
        assert!(matches!(e, JitError::WrongValue { .. }), "{e}");
        // The batch spans three chunks (runs of one stride), indexed and iterated in order.
        assert_eq!(refs.len(), 10_000);
        assert!(refs.get(10_000).is_none());
        assert_eq!(refs.iter().len(), 10_000);
        for i in [0, 1, 4094, 4095, 4096, 9_999] {
            assert_eq!(
                refs.get(i).map(|r| r.addr()),
                refs.iter().nth(i).map(|r| r.addr())
            );
        }
        let region = b.finalize().unwrap();
        assert_eq!(region.chunk_addrs().count(), 3);
        assert_eq!(region.get(one).call(2), 198);
        for (i, r) in refs.iter().enumerate() {
            assert_eq!(region.get(r).call(3), 21 * i as u64);
        }
    }

    #[test]
    fn batches_are_padded_with_int3_and_checked() {
        // SAFETY: register arithmetic only.
        let st = unsafe { Stencil::new("mul", CODE, HOLES, &[], SIG) };
        let sp = Specializer::<MulFn>::new(&st, &["c"]).unwrap();
        let mut b = Builder::new();
        let refs = sp
            .place_n(&mut b, 3, |i| [Value::UInt(i as u64 + 5)])
            .unwrap();
        // The general loop, range-checked.
        let add = add8();
        let sp8 = Specializer::<MulFn>::new(&add, &["d"]).unwrap();
        let adds = sp8
            .place_n(&mut b, 256, |i| [Value::Int(i as i64 - 128)])
            .unwrap();
        let e = sp8
            .place_n(&mut b, 2, |i| [Value::Int(127 + i as i64)])
            .unwrap_err();
        assert!(matches!(e, JitError::HoleOutOfRange { .. }), "{e}");
        let region = b.finalize().unwrap();
        for (i, r) in refs.iter().enumerate() {
            let f = region.get(r);
            assert_eq!(f.call(2), 2 * (i as u64 + 5));
            // SAFETY: the 16 bytes of the function's stride, mapped read+execute.
            let bytes = unsafe { core::slice::from_raw_parts(f.addr(), 16) };
            assert_eq!(&bytes[10..], &[0x48, 0x0F, 0xAF, 0xC7, 0xC3, 0xCC]);
        }
        assert_eq!(adds.len(), 256);
        for (i, r) in adds.iter().enumerate() {
            let f = region.get(r);
            assert_eq!(f.call(1000), (1000 + i as i64 - 128) as u64);
            // SAFETY: as above.
            let bytes = unsafe { core::slice::from_raw_parts(f.addr(), 16) };
            assert!(bytes[8..].iter().all(|&b| b == 0xCC), "{bytes:x?}");
        }
    }

    #[test]
    fn errors_are_typed() {
        // SAFETY: as above.
        let st = unsafe { Stencil::new("mul", CODE, HOLES, &[], SIG) };
        type Other = extern "sysv64" fn(i64) -> u64;
        assert!(matches!(
            Specializer::<Other>::new(&st, &["c"]),
            Err(JitError::SignatureMismatch { .. })
        ));
        assert!(matches!(
            Specializer::<MulFn>::new(&st, &["c", "d"]),
            Err(JitError::UnknownHole { .. })
        ));
        assert!(matches!(
            Specializer::<MulFn>::new(&st, &[]),
            Err(JitError::MissingValue { .. })
        ));
        let sp = Specializer::<MulFn>::new(&st, &["c"]).unwrap();
        let mut b = Builder::new();
        assert!(matches!(
            sp.place(&mut b, &[]),
            Err(JitError::MissingValue { hole, .. }) if hole == "c"
        ));
        assert!(matches!(
            sp.place(&mut b, &[Value::F32(1.0)]),
            Err(JitError::WrongValue { .. })
        ));
        assert!(sp.place(&mut b, &[Value::Int(-1)]).is_ok());
        let add = add8();
        let sp = Specializer::<MulFn>::new(&add, &["d"]).unwrap();
        for bad in [Value::Int(128), Value::Int(-129), Value::UInt(200)] {
            assert!(
                matches!(
                    sp.place(&mut b, &[bad]),
                    Err(JitError::HoleOutOfRange { .. })
                ),
                "{bad:?}"
            );
        }
        let refs = [-128i64, -1, 0, 127].map(|d| (d, sp.place(&mut b, &[Value::Int(d)]).unwrap()));
        let region = b.finalize().unwrap();
        for (d, r) in refs {
            assert_eq!(region.get(r).call(1000), (1000 + d) as u64);
        }
    }
}
