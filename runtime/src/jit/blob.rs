//! Shipping a built function: serialization to bytes and checked loading.
//!
//! Format version 1, all integers little-endian:
//!
//! ```text
//! offset  size  field
//!  0       8    magic  b"ASMFJIT\0"
//!  8       2    format version (1)
//! 10       2    number of features F
//! 12       4    flags (none defined: must be 0)
//! 16       8    signature fingerprint (super::Signature::fingerprint)
//! 24       4    total length of code + pool, N
//! 28       4    bytes of code before the pool (entry is offset 0)
//! 32       …    F features, each: u8 length, then the iced-x86 name (e.g. "AVX2")
//!  …       N    code, padding and pool, holes patched
//!  …       8    checksum: FNV-1a 64 of every byte before it
//! ```
//!
//! [`verify`] checks every field without mapping anything: a blob it refuses never reaches
//! `mmap`. [`load`] additionally checks the signature against the requested type and the
//! features against this CPU, and only then maps the code executable.

use std::string::ToString;
use std::vec::Vec;

use crate::Feature;

use super::error::{JitError, LoadError};
use super::region::{self, Builder, JitFn};
use super::sig::JitSig;
use super::stitch::Code;

/// The magic bytes.
pub const MAGIC: [u8; 8] = *b"ASMFJIT\0";
/// The format version written and read.
pub const VERSION: u16 = 1;
const HEADER: usize = 32;
const MAX_CODE: usize = 1 << 30;

/// FNV-1a 64.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Code {
    /// The blob for this function.
    ///
    /// # Errors
    ///
    /// [`JitError::NotRelocatable`] if the code calls absolute addresses of this process.
    pub fn to_blob(&self) -> Result<Vec<u8>, JitError> {
        if self.has_relocations() {
            return Err(JitError::NotRelocatable);
        }
        let mut out = Vec::with_capacity(HEADER + self.bytes.len() + 64);
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.features.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&self.signature.to_le_bytes());
        out.extend_from_slice(&(self.bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.code_len.to_le_bytes());
        for f in &self.features {
            out.push(f.name().len() as u8);
            out.extend_from_slice(f.name().as_bytes());
        }
        out.extend_from_slice(&self.bytes);
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        Ok(out)
    }
}

/// A blob whose every field checked out. It cannot be mapped except through [`load`].
#[derive(Debug, PartialEq, Eq)]
pub struct Verified<'b> {
    signature: u64,
    code_len: usize,
    features: Vec<Feature>,
    bytes: &'b [u8],
}

impl Verified<'_> {
    /// The signature fingerprint.
    pub fn signature_fingerprint(&self) -> u64 {
        self.signature
    }

    /// The features the code needs.
    pub fn features(&self) -> &[Feature] {
        &self.features
    }

    /// Code, padding and pool.
    pub fn bytes(&self) -> &[u8] {
        self.bytes
    }

    /// Bytes of code before the pool.
    pub fn code_len(&self) -> usize {
        self.code_len
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// Checks a blob's structure and checksum; maps nothing.
///
/// # Errors
///
/// The first [`LoadError`] found: truncation, magic, version, checksum, flags, feature
/// names, lengths.
pub fn verify(blob: &[u8]) -> Result<Verified<'_>, LoadError> {
    if blob.len() < HEADER + 8 {
        return Err(if blob.len() >= 8 && blob[..8] != MAGIC {
            LoadError::BadMagic
        } else {
            LoadError::Truncated
        });
    }
    if blob[..8] != MAGIC {
        return Err(LoadError::BadMagic);
    }
    let version = u16_at(blob, 8);
    if version != VERSION {
        return Err(LoadError::Version {
            found: version,
            supported: VERSION,
        });
    }
    let (body, tail) = blob.split_at(blob.len() - 8);
    let stored = u64_at(tail, 0);
    let computed = checksum(body);
    if stored != computed {
        return Err(LoadError::Checksum { stored, computed });
    }
    let flags = u32_at(body, 12);
    if flags != 0 {
        return Err(LoadError::UnknownFlags(flags));
    }
    let n_features = usize::from(u16_at(body, 10));
    let signature = u64_at(body, 16);
    let total = u32_at(body, 24) as usize;
    let code_len = u32_at(body, 28) as usize;
    let mut at = HEADER;
    let mut features = Vec::with_capacity(n_features.min(64));
    for _ in 0..n_features {
        let n = usize::from(*body.get(at).ok_or(LoadError::Truncated)?);
        let name = body.get(at + 1..at + 1 + n).ok_or(LoadError::Truncated)?;
        let name = core::str::from_utf8(name)
            .map_err(|_| LoadError::UnknownFeature("<not UTF-8>".to_string()))?;
        features.push(
            Feature::from_name(name).ok_or_else(|| LoadError::UnknownFeature(name.to_string()))?,
        );
        at += 1 + n;
    }
    if total == 0 || total > MAX_CODE || code_len == 0 || code_len > total {
        return Err(LoadError::BadLayout);
    }
    let bytes = match body.len().checked_sub(at) {
        Some(rest) if rest == total => &body[at..],
        Some(rest) if rest > total => return Err(LoadError::TrailingBytes),
        _ => return Err(LoadError::Truncated),
    };
    Ok(Verified {
        signature,
        code_len,
        features,
        bytes,
    })
}

/// Loads a serialized function as type `F` after every check: [`verify`], the signature
/// fingerprint against `F`'s, and the features against this CPU. Only then are the bytes
/// copied to fresh pages and made executable.
///
/// # Errors
///
/// A [`LoadError`]; on every error nothing was mapped executable.
///
/// # Safety
///
/// The checks catch corruption and mismatched machines, not malice: anyone can compute a
/// checksum. The caller vouches that the blob was produced by [`Code::to_blob`] (from
/// stencils whose code is sound for the values they were given) and was not tampered with —
/// for example that it came over an authenticated channel from a trusted build — and that
/// `F` is the type it was built for beyond what the fingerprint can tell (two `*const T`
/// parameters of different `T` share a fingerprint).
pub unsafe fn load<F: JitSig>(blob: &[u8]) -> Result<JitFn<F>, LoadError> {
    let v = verify(blob)?;
    let expected = F::SIGNATURE.fingerprint();
    if v.signature != expected {
        return Err(LoadError::SignatureMismatch {
            expected,
            found: v.signature,
        });
    }
    region::check_features("shipped function", &v.features)?;
    let code = Code {
        bytes: v.bytes.to_vec(),
        code_len: v.code_len as u32,
        features: v.features,
        signature: v.signature,
        relocs: Vec::new(),
    };
    let mut b = Builder::with_capacity(code.bytes.len())?;
    let r = b.add::<F>(&code)?;
    Ok(JitFn::new(b.finalize().map_err(LoadError::Jit)?, r))
}
