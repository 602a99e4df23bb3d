//! Building functions into writable pages and sealing them executable.
//!
//! ```text
//!  Builder (pages RW)                         ExecRegion (pages R-X)
//!  ┌──────┬──────┬──────┬──── ─ ─┐  finalize  ┌──────┬──────┬──────┬──── ─ ─┐
//!  │ fn 0 │ fn 1 │ fn 2 │ free   │ ─────────► │ fn 0 │ fn 1 │ fn 2 │        │
//!  └──────┴──────┴──────┴──── ─ ─┘  mprotect  └──────┴──────┴──────┴──── ─ ─┘
//!    specialize / add copy + patch              get(FnRef) → Func (borrows the region)
//! ```
//!
//! A [`Builder`] places many functions (16-byte aligned) in 64 KiB chunks, mapping another
//! chunk when one is full, and patches every hole while the pages are writable.
//! [`Builder::finalize`] makes all of them read+execute with one `mprotect` per chunk and
//! returns the [`ExecRegion`] that owns them; dropping it unmaps them. A [`Func`] borrows its
//! region, so a function cannot be called after its pages are gone. [`specialize`] is the
//! one-function path (one mapping, one `mprotect`) that [`JitFn`] owns.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU64, Ordering};
use std::string::ToString;
use std::vec::Vec;

use crate::Feature;

use super::error::JitError;
use super::memory::Mapping;
use super::patch;
use super::sig::{AbiRet, AbiType, JitSig};
use super::stencil::{HoleKind, Stencil, Value};
use super::stitch::Code;

/// Size of each chunk a [`Builder`] maps (a larger function gets a chunk of its own size).
pub const CHUNK: usize = 64 * 1024;
const ALIGN: usize = 16;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The features of `required` this CPU (and OS) lacks.
pub(crate) fn missing(required: &[Feature]) -> Vec<Feature> {
    required
        .iter()
        .copied()
        .filter(|f| !crate::detect::is_detected(*f))
        .collect()
}

pub(crate) fn check_features(what: &str, required: &[Feature]) -> Result<(), JitError> {
    if required.iter().all(|f| crate::detect::is_detected(*f)) {
        return Ok(());
    }
    Err(JitError::MissingFeatures {
        what: what.to_string(),
        missing: missing(required),
    })
}

#[inline]
pub(crate) fn check_signature<F: JitSig>(st: &Stencil<'_>) -> Result<(), JitError> {
    if st.facts().fingerprint == const { F::SIGNATURE.fingerprint() } {
        return Ok(());
    }
    Err(JitError::SignatureMismatch {
        stencil: st.name().to_string(),
        expected: F::SIGNATURE.describe(),
        found: st.signature().describe(),
    })
}

/// A function placed by a [`Builder`]: redeem it with [`ExecRegion::get`].
///
/// It holds the function's address (pages keep their address when sealed), so redeeming it
/// is a comparison of region ids and no look-up: a loop calling a batch of functions computes
/// each call's target from one load.
#[derive(Debug)]
pub struct FnRef<F> {
    region: u64,
    addr: usize,
    _f: PhantomData<F>,
}

impl<F> FnRef<F> {
    /// The function at `addr`, placed by the builder with id `region`.
    #[inline(always)]
    pub(crate) fn new(region: u64, addr: usize) -> FnRef<F> {
        FnRef {
            region,
            addr,
            _f: PhantomData,
        }
    }

    /// Its address.
    #[inline(always)]
    pub(crate) fn addr(&self) -> usize {
        self.addr
    }
}

impl<F> Clone for FnRef<F> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<F> Copy for FnRef<F> {}

/// Writable pages being filled with functions.
#[derive(Debug)]
pub struct Builder {
    id: u64,
    chunks: Vec<Mapping>,
    used: usize,
    near: Option<usize>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// An empty builder; the first function maps the first chunk.
    pub fn new() -> Builder {
        Builder {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            chunks: Vec::new(),
            used: 0,
            near: None,
        }
    }

    /// An empty builder whose chunks are all mapped within [`super::NEAR`] (1 GiB) of
    /// `target`, so that its functions reach `target` — and whatever lies within another
    /// GiB of it, such as the rest of the executable image — through `Rel32` holes. Without
    /// this, the kernel places pages where it likes, typically far more than 2 GiB from the
    /// program's code on Linux, and a `Rel32` hole given such an address fails with
    /// [`JitError::HoleOutOfRange`].
    ///
    /// Mapping (on the first function) fails with [`JitError::NoMemoryNear`] when no free
    /// range is found there.
    pub fn near(target: usize) -> Builder {
        Builder {
            near: Some(target),
            ..Builder::new()
        }
    }

    /// A builder with `bytes` (rounded up to pages) mapped up front.
    ///
    /// # Errors
    ///
    /// [`JitError::MapFailed`] or [`JitError::BadSize`].
    pub fn with_capacity(bytes: usize) -> Result<Builder, JitError> {
        let mut b = Builder::new();
        b.chunks.push(Mapping::new(bytes)?);
        Ok(b)
    }

    fn map(&self, bytes: usize) -> Result<Mapping, JitError> {
        match self.near {
            Some(t) => Mapping::new_near(bytes, t),
            None => Mapping::new(bytes),
        }
    }

    /// As [`Builder::with_capacity`], the pages within [`super::NEAR`] of `target` (see
    /// [`Builder::near`]).
    ///
    /// # Errors
    ///
    /// [`JitError::NoMemoryNear`], [`JitError::MapFailed`] or [`JitError::BadSize`].
    pub fn with_capacity_near(bytes: usize, target: usize) -> Result<Builder, JitError> {
        let mut b = Builder::near(target);
        b.chunks.push(b.map(bytes)?);
        Ok(b)
    }

    /// The id its functions' references carry.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The start address of the writable chunk in use (for tests that inspect the process's
    /// mappings), if any.
    pub fn current_chunk_addr(&self) -> Option<usize> {
        self.chunks.last().map(Mapping::addr)
    }

    /// The address function `r` will have once finalized (to call it from another function
    /// of the same builder through a `Rel32` hole).
    ///
    /// # Panics
    ///
    /// If `r` came from another builder.
    pub fn addr_of<F>(&self, r: FnRef<F>) -> usize {
        assert_eq!(r.region, self.id, "FnRef from another builder");
        r.addr
    }

    /// Room for up to `want` functions of `stride` bytes (a multiple of 16) in the current
    /// chunk, or a new one: the chunk's index, the first free offset and how many fit. The
    /// caller fills them and then calls [`Builder::commit`].
    pub(crate) fn room(
        &mut self,
        stride: usize,
        want: usize,
    ) -> Result<(usize, usize, usize), JitError> {
        let start = self.used.div_ceil(ALIGN) * ALIGN;
        if let Some(m) = self.chunks.last()
            && start + stride <= m.len()
        {
            return Ok((
                self.chunks.len() - 1,
                start,
                ((m.len() - start) / stride).min(want),
            ));
        }
        let m = self.map(stride.saturating_mul(want).clamp(stride, CHUNK.max(stride)))?;
        let fit = (m.len() / stride).min(want);
        self.chunks.push(m);
        self.used = 0;
        Ok((self.chunks.len() - 1, 0, fit))
    }

    /// Marks the chunk in use as filled up to `end`.
    pub(crate) fn commit(&mut self, end: usize) {
        self.used = end;
    }

    /// The address and writable bytes of chunk `chunk`.
    pub(crate) fn chunk_mut(&mut self, chunk: usize) -> (usize, &mut [u8]) {
        let m = &mut self.chunks[chunk];
        (m.addr(), m.bytes_mut())
    }

    /// The reference to the function at `offset` of chunk `chunk`.
    pub(crate) fn fn_ref<F>(&self, chunk: usize, offset: usize) -> FnRef<F> {
        FnRef {
            region: self.id,
            addr: self.chunks[chunk].addr() + offset,
            _f: PhantomData,
        }
    }

    /// Reserves `total` bytes for a function of type `F`: the address they will run at,
    /// the writable bytes, and the function's reference.
    #[inline]
    pub(crate) fn claim<F>(
        &mut self,
        total: usize,
    ) -> Result<(usize, &mut [u8], FnRef<F>), JitError> {
        let (chunk, offset) = self.reserve(total)?;
        let r = self.fn_ref(chunk, offset);
        let m = &mut self.chunks[chunk];
        let base = m.addr() + offset;
        Ok((base, &mut m.bytes_mut()[offset..offset + total], r))
    }

    /// Reserves `n` bytes, 16-byte aligned: (chunk, offset).
    #[inline]
    fn reserve(&mut self, n: usize) -> Result<(usize, usize), JitError> {
        let start = self.used.div_ceil(ALIGN) * ALIGN;
        match self.chunks.last() {
            Some(m) if start + n <= m.len() => {
                self.used = start + n;
                Ok((self.chunks.len() - 1, start))
            }
            _ => {
                let m = self.map(n.max(CHUNK))?;
                self.chunks.push(m);
                self.used = n;
                Ok((self.chunks.len() - 1, 0))
            }
        }
    }

    /// Copies `st` into the pages as a function of type `F` and fills its holes from
    /// `values` (by name). Pool holes get entries after the code; `Rel32` holes take
    /// [`Value::Addr`].
    ///
    /// # Errors
    ///
    /// [`JitError::SignatureMismatch`], [`JitError::MissingFeatures`], a value error
    /// ([`JitError::HoleOutOfRange`], [`JitError::WrongValue`], [`JitError::MissingValue`],
    /// [`JitError::UnknownHole`]), [`JitError::DanglingContinuation`] for a stencil that
    /// chains, [`JitError::MapFailed`]. On error nothing is added (the reserved bytes stay
    /// unused).
    pub fn specialize<F: JitSig>(
        &mut self,
        st: &Stencil<'_>,
        values: &[(&str, Value)],
    ) -> Result<FnRef<F>, JitError> {
        check_signature::<F>(st)?;
        check_features(st.name(), st.features())?;
        if st.continuation().is_some() {
            return Err(JitError::DanglingContinuation {
                stencil: st.name().to_string(),
            });
        }
        patch::check_names(st, values)?;
        let (pool_start, total) = layout(st);
        let (chunk, offset) = self.reserve(total)?;
        let m = &mut self.chunks[chunk];
        let base = m.addr() + offset;
        let dst = &mut m.bytes_mut()[offset..offset + total];
        fill(st, base, pool_start, dst, |_, h| {
            patch::value_for(st, h, values)
        })?;
        Ok(FnRef {
            region: self.id,
            addr: base,
            _f: PhantomData,
        })
    }

    /// Copies a stitched [`Code`] into the pages as a function of type `F`, resolving its
    /// absolute call targets for the address it lands at.
    ///
    /// # Errors
    ///
    /// [`JitError::SignatureMismatch`], [`JitError::MissingFeatures`],
    /// [`JitError::HoleOutOfRange`] for a target more than 2 GiB away, [`JitError::MapFailed`].
    pub fn add<F: JitSig>(&mut self, code: &Code) -> Result<FnRef<F>, JitError> {
        code.check_signature::<F>()?;
        check_features("stitched function", code.features())?;
        let (chunk, offset) = self.reserve(code.bytes().len())?;
        let m = &mut self.chunks[chunk];
        let base = m.addr() + offset;
        let dst = &mut m.bytes_mut()[offset..offset + code.bytes().len()];
        dst.copy_from_slice(code.bytes());
        code.relocate(base, dst)?;
        Ok(FnRef {
            region: self.id,
            addr: base,
            _f: PhantomData,
        })
    }

    /// Makes every chunk read+execute (one `mprotect` each).
    ///
    /// # Errors
    ///
    /// [`JitError::ProtectFailed`]; the pages are unmapped.
    pub fn finalize(mut self) -> Result<ExecRegion, JitError> {
        for m in &mut self.chunks {
            m.seal()?;
        }
        Ok(ExecRegion {
            id: self.id,
            chunks: core::mem::take(&mut self.chunks),
        })
    }
}

/// Where a stencil's pool starts when it is placed alone, and the bytes it takes.
pub(crate) fn layout(st: &Stencil<'_>) -> (usize, usize) {
    let code = st.code();
    let mut pool_len = 0usize;
    for h in st.holes() {
        if let HoleKind::PoolF32 { lanes } | HoleKind::PoolF64 { lanes } = h.kind {
            let size = pool_entry_size(h.kind, lanes);
            pool_len = pool_len.div_ceil(size) * size + size;
        }
    }
    let pool_start = if pool_len == 0 {
        code.len()
    } else {
        code.len().div_ceil(64) * 64
    };
    (pool_start, pool_start + pool_len)
}

/// Copies `st` to `dst` (which will run at address `base`) and patches hole `i` with
/// `value(i, hole)`; pool entries from `pool_start`.
#[inline]
pub(crate) fn fill(
    st: &Stencil<'_>,
    base: usize,
    pool_start: usize,
    dst: &mut [u8],
    value: impl Fn(usize, &super::stencil::Hole<'_>) -> Result<Value, JitError>,
) -> Result<(), JitError> {
    copy_code(dst, st.code());
    let mut pool_at = pool_start;
    for (i, h) in st.holes().iter().enumerate() {
        let v = value(i, h)?;
        let (o, e) = (h.offset as usize, h.end as usize);
        match h.kind {
            HoleKind::Rel32 => match v {
                Value::Addr(a) => {
                    patch::write_rel32(st, h, v, a as i128, (base + e) as i128, &mut dst[o..])?
                }
                _ => return Err(patch::wrong_value(st, h, v)),
            },
            HoleKind::PoolF32 { lanes } | HoleKind::PoolF64 { lanes } => {
                let size = pool_entry_size(h.kind, lanes);
                pool_at = pool_at.div_ceil(size) * size;
                fill_pool(st, h, v, &mut dst[pool_at..pool_at + size])?;
                patch::write_rel32(st, h, v, pool_at as i128, e as i128, &mut dst[o..])?;
                pool_at += size;
            }
            _ => patch::write_value(st, h, v, &mut dst[o..])?,
        }
    }
    Ok(())
}

/// `dst[..src.len()] = src`; short code (up to 32 bytes, a typical stencil) as two
/// overlapping fixed-size moves instead of a call to `memcpy`.
#[inline(always)]
pub(crate) fn copy_code(dst: &mut [u8], src: &[u8]) {
    let dst = &mut dst[..src.len()];
    // SAFETY: `dst` holds `src.len()` writable bytes.
    unsafe { copy_raw(dst.as_mut_ptr(), src) }
}

/// Appends `src` to `v` as [`copy_code`] copies.
#[inline(always)]
pub(crate) fn extend_code(v: &mut Vec<u8>, src: &[u8]) {
    v.reserve(src.len());
    let len = v.len();
    // SAFETY: `reserve` made room for `src.len()` bytes after `len`; `copy_raw` writes all of
    // them before the length covers them.
    unsafe {
        copy_raw(v.as_mut_ptr().add(len), src);
        v.set_len(len + src.len());
    }
}

/// Copies `src` to `d`: lengths up to 32 as two overlapping fixed-size moves (unaligned),
/// longer ones through `copy_nonoverlapping`.
///
/// # Safety
///
/// `d` is valid for `src.len()` writes and does not overlap `src`.
#[inline(always)]
pub(crate) unsafe fn copy_raw(d: *mut u8, src: &[u8]) {
    let n = src.len();
    let s = src.as_ptr();
    // SAFETY (every arm): each move reads `src` and writes `d` at offsets 0 and n - width
    // with width <= n, so inside both.
    unsafe {
        match n {
            0 => {}
            1..=3 => {
                *d = *s;
                *d.add(n / 2) = *s.add(n / 2);
                *d.add(n - 1) = *s.add(n - 1);
            }
            4..=7 => {
                let (a, b) = (
                    s.cast::<u32>().read_unaligned(),
                    s.add(n - 4).cast::<u32>().read_unaligned(),
                );
                d.cast::<u32>().write_unaligned(a);
                d.add(n - 4).cast::<u32>().write_unaligned(b);
            }
            8..=15 => {
                let (a, b) = (
                    s.cast::<u64>().read_unaligned(),
                    s.add(n - 8).cast::<u64>().read_unaligned(),
                );
                d.cast::<u64>().write_unaligned(a);
                d.add(n - 8).cast::<u64>().write_unaligned(b);
            }
            16..=32 => {
                let (a, b) = (
                    s.cast::<u128>().read_unaligned(),
                    s.add(n - 16).cast::<u128>().read_unaligned(),
                );
                d.cast::<u128>().write_unaligned(a);
                d.add(n - 16).cast::<u128>().write_unaligned(b);
            }
            _ => core::ptr::copy_nonoverlapping(s, d, n),
        }
    }
}

#[inline]
pub(crate) fn pool_entry_size(kind: HoleKind, lanes: u8) -> usize {
    let elem = if matches!(kind, HoleKind::PoolF64 { .. }) {
        8
    } else {
        4
    };
    elem * usize::from(lanes.max(1))
}

#[inline]
pub(crate) fn fill_pool(
    st: &Stencil<'_>,
    h: &super::stencil::Hole<'_>,
    v: Value,
    entry: &mut [u8],
) -> Result<(), JitError> {
    match (h.kind, v) {
        (HoleKind::PoolF32 { .. }, Value::F32(x)) => {
            for c in entry.chunks_exact_mut(4) {
                c.copy_from_slice(&x.to_le_bytes());
            }
        }
        (HoleKind::PoolF64 { .. }, Value::F64(x)) => {
            for c in entry.chunks_exact_mut(8) {
                c.copy_from_slice(&x.to_le_bytes());
            }
        }
        _ => return Err(patch::wrong_value(st, h, v)),
    }
    Ok(())
}

/// Read+execute pages holding finished functions; unmapped on drop.
#[derive(Debug)]
pub struct ExecRegion {
    id: u64,
    chunks: Vec<Mapping>,
}

impl ExecRegion {
    /// The function `r` placed by the builder this region came from.
    ///
    /// # Panics
    ///
    /// If `r` came from another builder.
    #[inline]
    pub fn get<F: JitSig>(&self, r: FnRef<F>) -> Func<'_, F> {
        assert_eq!(r.region, self.id, "FnRef from another region");
        debug_assert!(
            self.chunks
                .iter()
                .any(|m| m.is_executable() && (m.addr()..m.addr() + m.len()).contains(&r.addr))
        );
        let addr = r.addr as *const u8;
        // SAFETY: the builder with this region's id (ids are unique, `FnRef`s cannot be
        // forged) placed code of signature `F` at `addr`, inside one of the chunks this region
        // now owns; it stays mapped while the returned `Func` borrows `self`.
        Func {
            f: unsafe { F::from_addr(addr) },
            addr,
            _region: PhantomData,
        }
    }

    /// Start addresses of the region's chunks.
    pub fn chunk_addrs(&self) -> impl Iterator<Item = usize> + '_ {
        self.chunks.iter().map(Mapping::addr)
    }
}

/// A callable function in an [`ExecRegion`], borrowing it.
#[derive(Clone, Copy, Debug)]
pub struct Func<'r, F> {
    f: F,
    addr: *const u8,
    _region: PhantomData<&'r ExecRegion>,
}

impl<F: Copy> Func<'_, F> {
    /// The entry address.
    pub fn addr(&self) -> *const u8 {
        self.addr
    }

    /// The raw function pointer.
    ///
    /// # Safety
    ///
    /// The pointer must not be called after the region it lives in is dropped.
    pub unsafe fn as_fn(&self) -> F {
        self.f
    }
}

/// One function that owns its pages: the result of [`specialize`] or [`Code::map`].
#[derive(Debug)]
pub struct JitFn<F> {
    region: ExecRegion,
    r: FnRef<F>,
}

impl<F: JitSig> JitFn<F> {
    pub(crate) fn new(region: ExecRegion, r: FnRef<F>) -> Self {
        JitFn { region, r }
    }

    /// The callable.
    pub fn func(&self) -> Func<'_, F> {
        self.region.get(self.r)
    }

    /// The region holding it (for inspecting its address).
    pub fn region(&self) -> &ExecRegion {
        &self.region
    }
}

macro_rules! callable {
    ($($a:ident: $t:ident),*) => {
        impl<R: AbiRet, $($t: AbiType),*> Func<'_, extern "sysv64" fn($($t),*) -> R> {
            /// Calls the function.
            #[inline(always)]
            pub fn call(&self, $($a: $t),*) -> R {
                (self.f)($($a),*)
            }
        }
        impl<R: AbiRet, $($t: AbiType),*> Func<'_, unsafe extern "sysv64" fn($($t),*) -> R> {
            /// Calls the function.
            ///
            /// # Safety
            ///
            /// Whatever the code's author says the arguments must satisfy (valid pointers and
            /// lengths, typically).
            #[inline(always)]
            pub unsafe fn call(&self, $($a: $t),*) -> R {
                // SAFETY: the caller upholds the function's contract.
                unsafe { (self.f)($($a),*) }
            }
        }
    };
}
callable!();
callable!(a: A);
callable!(a: A, b: B);
callable!(a: A, b: B, c: C);
callable!(a: A, b: B, c: C, d: D);
callable!(a: A, b: B, c: C, d: D, e: E);
callable!(a: A, b: B, c: C, d: D, e: E, g: G);

/// One stencil → one fresh function: map a page, copy, patch, `mprotect` to read+execute.
///
/// # Errors
///
/// As [`Builder::specialize`] and [`Builder::finalize`].
pub fn specialize<F: JitSig>(
    st: &Stencil<'_>,
    values: &[(&str, Value)],
) -> Result<JitFn<F>, JitError> {
    let bytes = st.code().len() + 64 * st.holes().len();
    // Code that calls an absolute address through a rel32 is mapped near it.
    let near = values.iter().find_map(|(n, v)| match v {
        Value::Addr(a)
            if st
                .holes()
                .iter()
                .any(|h| h.name == *n && h.kind == HoleKind::Rel32) =>
        {
            Some(*a)
        }
        _ => None,
    });
    let mut b = match near {
        Some(t) => Builder::with_capacity_near(bytes, t)?,
        None => Builder::with_capacity(bytes)?,
    };
    let r = b.specialize::<F>(st, values)?;
    Ok(JitFn::new(b.finalize()?, r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_copies_are_exact_at_every_length() {
        let src: Vec<u8> = (1..=80u8).collect();
        for n in 0..=70 {
            let mut dst = [0xAAu8; 80];
            copy_code(&mut dst, &src[..n]);
            assert_eq!(&dst[..n], &src[..n], "{n}");
            assert!(
                dst[n..].iter().all(|&b| b == 0xAA),
                "{n}: wrote past the end"
            );
            let mut v = std::vec![7u8; 3];
            extend_code(&mut v, &src[..n]);
            assert_eq!(v.len(), 3 + n);
            assert_eq!(&v[3..], &src[..n], "{n}");
        }
    }
}
