//! Stencils cut from an ordinary kernel's encoded bytes (feature `listing`).
//!
//! Until `#[asmforge::stencil]` records holes while it encodes, a stencil can be written as a
//! `#[kernel]` whose hole values are distinctive *sentinels*; [`from_variant`] decodes the
//! variant's code with iced-x86 and finds, for each sentinel, the one instruction field that
//! holds it, using the decoder's `ConstantOffsets` (the exact offset and size of the
//! immediate and displacement of each instruction as encoded). Nothing is located by
//! searching raw bytes, and a sentinel found in no field, in several fields, or in a field of
//! another width is an error. Then:
//!
//! * [`Ending::Return`] keeps the code as is (a whole function, ending in `ret`).
//! * [`Ending::Chain`] removes the final `ret` (and the epilogue's `vzeroupper` before it)
//!   and appends `jmp rel32` as the continuation hole `next`, so that the stencil chains.
//!
//! Refused: kernels that save callee-saved registers (a chained piece has no frame), branches
//! out of the kept code, RIP-relative references into the kernel's pool other than declared
//! pool holes (the pool is not copied: pool holes get the stitched function's pool).

use std::string::{String, ToString};
use std::vec::Vec;

use iced_x86::{Decoder, DecoderOptions, Instruction, Mnemonic, OpKind, Register};

use crate::{Feature, VariantInfo};

use super::sig::Signature;
use super::stencil::{Facts, Hole, HoleKind, Stencil};

/// A hole to find: the sentinel is the value the kernel was written with (for floats, the
/// bits of the `f32`/`f64`; for pool holes, the bits of one lane).
#[derive(Clone, Copy, Debug)]
pub struct HoleSpec {
    /// Name of the hole.
    pub name: &'static str,
    /// Kind of the hole.
    pub kind: HoleKind,
    /// Whether the CPU sign-extends the field.
    pub signed: bool,
    /// The sentinel's bits (low `width` bytes are compared).
    pub sentinel: u64,
}

/// How the stencil ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// As the kernel: returns.
    Return,
    /// Chains: the final `ret` (and `vzeroupper`) become a continuation `jmp rel32`.
    Chain,
}

/// A stencil that owns its bytes.
#[derive(Clone, Debug)]
pub struct OwnedStencil {
    name: String,
    code: Vec<u8>,
    holes: Vec<Hole<'static>>,
    features: Vec<Feature>,
    signature: Signature<'static>,
    /// Worked out once, when cut: [`OwnedStencil::stencil`] costs a few moves.
    facts: Facts,
}

impl OwnedStencil {
    /// The stencil.
    #[inline]
    pub fn stencil(&self) -> Stencil<'_> {
        // SAFETY: `from_variant`'s caller vouched for the kernel; the layout was derived
        // from the decoder's offsets and checked; `facts` are those of these parts (the
        // fields are private and never change after `from_variant`).
        unsafe {
            Stencil::with_facts(
                &self.name,
                &self.code,
                &self.holes,
                &self.features,
                self.signature,
                self.facts,
            )
        }
    }
}

struct Decoded {
    instr: Instruction,
    imm: Option<(usize, usize)>,
    disp: Option<(usize, usize)>,
}

fn decode(code: &[u8]) -> Vec<Decoded> {
    let mut d = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while d.can_decode() {
        let instr = d.decode();
        let co = d.get_constant_offsets(&instr);
        let ip = instr.ip() as usize;
        out.push(Decoded {
            instr,
            imm: co
                .has_immediate()
                .then(|| (ip + co.immediate_offset(), co.immediate_size())),
            disp: co
                .has_displacement()
                .then(|| (ip + co.displacement_offset(), co.displacement_size())),
        });
    }
    out
}

fn pool_matches(bytes: &[u8], at: u64, spec: &HoleSpec) -> bool {
    let (elem, lanes) = match spec.kind {
        HoleKind::PoolF32 { lanes } => (4, lanes),
        HoleKind::PoolF64 { lanes } => (8, lanes),
        _ => return false,
    };
    let want = &spec.sentinel.to_le_bytes()[..elem];
    let start = at as usize;
    let size = elem * usize::from(lanes.max(1));
    bytes
        .get(start..start + size)
        .is_some_and(|e| e.chunks_exact(elem).all(|c| c == want))
}

/// Cuts a stencil out of kernel variant `v`.
///
/// # Errors
///
/// A message naming the sentinel or instruction that does not fit (see the module docs).
///
/// # Safety
///
/// The kernel's code must be sound to run with every value each hole accepts (not only the
/// sentinel), and for [`Ending::Chain`], sound as a piece of a function of `signature`
/// combined with the stencils it is meant for (their register conventions agree).
pub unsafe fn from_variant(
    name: &str,
    v: &VariantInfo,
    signature: Signature<'static>,
    specs: &[HoleSpec],
    ending: Ending,
) -> Result<OwnedStencil, String> {
    if !v.saved.is_empty() {
        return Err(std::format!(
            "`{name}`: the kernel saves {:?}; a stencil has no frame",
            v.saved
        ));
    }
    let code = v
        .bytes
        .get(..v.code_size as usize)
        .ok_or("code size beyond the bytes")?;
    let instrs = decode(code);
    let last = instrs.last().ok_or("empty kernel")?;
    if last.instr.mnemonic() != Mnemonic::Ret {
        return Err(std::format!("`{name}`: the kernel does not end in `ret`"));
    }
    let mut keep = instrs.len();
    if ending == Ending::Chain {
        keep -= 1;
        if keep > 0 && instrs[keep - 1].instr.mnemonic() == Mnemonic::Vzeroupper {
            keep -= 1;
        }
    }
    let body = &instrs[..keep];
    let body_end = body.last().map_or(0, |d| d.instr.next_ip() as usize);
    let mut holes: Vec<Hole<'static>> = Vec::new();
    let mut found = std::vec![0usize; specs.len()];
    for d in body {
        let i = &d.instr;
        if i.op0_kind() == OpKind::NearBranch64 && i.near_branch_target() as usize > body_end {
            return Err(std::format!("`{name}`: `{i}` branches out of the stencil"));
        }
        let rip = i.is_ip_rel_memory_operand() || i.memory_base() == Register::RIP;
        for (k, s) in specs.iter().enumerate() {
            let field = match s.kind {
                HoleKind::PoolF32 { .. } | HoleKind::PoolF64 { .. } => {
                    if rip && pool_matches(v.bytes, i.ip_rel_memory_address(), s) {
                        d.disp
                    } else {
                        None
                    }
                }
                HoleKind::Disp32 if !rip => d
                    .disp
                    .filter(|(o, w)| *w == 4 && code[*o..o + 4] == s.sentinel.to_le_bytes()[..4]),
                HoleKind::Disp32 => None,
                kind => d.imm.filter(|(o, w)| {
                    *w == kind.width() && code[*o..o + w] == s.sentinel.to_le_bytes()[..*w]
                }),
            };
            if let Some((offset, width)) = field {
                if width != 4 && s.kind.is_relative() {
                    return Err(std::format!(
                        "`{name}`: hole `{}` is a {width}-byte field",
                        s.name
                    ));
                }
                found[k] += 1;
                holes.push(Hole {
                    name: s.name,
                    kind: s.kind,
                    signed: s.signed,
                    offset: offset as u32,
                    end: i.next_ip() as u32,
                });
            }
        }
        if rip
            && !holes
                .iter()
                .any(|h| h.end as u64 == i.next_ip() && h.kind.is_relative())
        {
            return Err(std::format!(
                "`{name}`: `{i}` refers to the kernel's own pool; declare it as a pool hole"
            ));
        }
    }
    for (k, s) in specs.iter().enumerate() {
        if found[k] != 1 {
            return Err(std::format!(
                "`{name}`: sentinel {:#x} of hole `{}` ({}) found in {} fields; it must be in exactly one",
                s.sentinel,
                s.name,
                s.kind.describe(),
                found[k]
            ));
        }
    }
    let mut bytes = code[..body_end].to_vec();
    if ending == Ending::Chain {
        bytes.extend_from_slice(&[0xE9, 0, 0, 0, 0]);
        let end = bytes.len() as u32;
        holes.push(Hole {
            name: "next",
            kind: HoleKind::Continuation,
            signed: true,
            offset: end - 4,
            end,
        });
    }
    let mut features: Vec<Feature> = v.declared.iter().chain(v.used).copied().collect();
    features.sort();
    features.dedup();
    let facts = Facts::of(&bytes, &holes, &features, signature);
    let out = OwnedStencil {
        name: name.to_string(),
        code: bytes,
        holes,
        features,
        signature,
        facts,
    };
    out.stencil()
        .check()
        .map_err(|e| std::format!("`{name}`: {e}"))?;
    Ok(out)
}
