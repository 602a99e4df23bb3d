//! Stencils: pre-built machine code with named holes, and the values that fill them.
//!
//! A [`Stencil`] is code that asmforge encoded ahead of time; each [`Hole`] is a field of one
//! instruction (an immediate, a displacement, a branch target, a constant-pool reference)
//! whose bytes are patched at run time. The hole's `offset` is the first byte of the field;
//! `end` is the end of the instruction that holds it, which relative fields (rel32 targets,
//! RIP-relative pool references) are measured from (Intel SDM Vol. 2A §2.2.1.6: RIP-relative
//! addressing adds the displacement to the address of the next instruction).
//!
//! A stencil that chains ends with a `jmp rel32` whose field is its [`HoleKind::Continuation`]
//! hole: when the next stencil is placed right after it the jump is dropped (the code falls
//! through), otherwise the field is patched to where control goes next.

use std::string::String;

use crate::Feature;

use super::sig::Signature;

/// What a hole holds and how its bytes are patched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum HoleKind {
    /// An 8-bit immediate.
    Imm8,
    /// A 16-bit immediate.
    Imm16,
    /// A 32-bit immediate.
    Imm32,
    /// A 64-bit immediate (`movabs`).
    Imm64,
    /// A 32-bit displacement of a memory operand.
    Disp32,
    /// The bits of an `f32` in a 32-bit immediate.
    F32,
    /// The bits of an `f64` in a 64-bit immediate.
    F64,
    /// A RIP-relative disp32 to a constant-pool entry holding `lanes` copies of an `f32`
    /// (aligned to its size); the pool is placed after the function's code.
    PoolF32 {
        /// Copies of the value (1, 4, 8 or 16).
        lanes: u8,
    },
    /// As [`HoleKind::PoolF32`] for `f64`.
    PoolF64 {
        /// Copies of the value (1, 2, 4 or 8).
        lanes: u8,
    },
    /// The rel32 of a `call` or `jmp`/`jcc`: a label of the stitched function or an absolute
    /// address within ±2 GiB of where the code lands.
    Rel32,
    /// The rel32 of the stencil's final `jmp`: where control goes when the stencil is done.
    Continuation,
}

impl HoleKind {
    /// Bytes patched.
    pub const fn width(self) -> usize {
        match self {
            HoleKind::Imm8 => 1,
            HoleKind::Imm16 => 2,
            HoleKind::Imm64 | HoleKind::F64 => 8,
            _ => 4,
        }
    }

    /// Whether the field is relative to the end of its instruction.
    pub const fn is_relative(self) -> bool {
        matches!(
            self,
            HoleKind::PoolF32 { .. }
                | HoleKind::PoolF64 { .. }
                | HoleKind::Rel32
                | HoleKind::Continuation
        )
    }

    /// Short name used in messages and blobs (`imm32`, `pool.f32x8`, ...).
    pub fn describe(self) -> String {
        match self {
            HoleKind::Imm8 => "imm8".into(),
            HoleKind::Imm16 => "imm16".into(),
            HoleKind::Imm32 => "imm32".into(),
            HoleKind::Imm64 => "imm64".into(),
            HoleKind::Disp32 => "disp32".into(),
            HoleKind::F32 => "f32".into(),
            HoleKind::F64 => "f64".into(),
            HoleKind::PoolF32 { lanes } => std::format!("pool f32x{lanes}"),
            HoleKind::PoolF64 { lanes } => std::format!("pool f64x{lanes}"),
            HoleKind::Rel32 => "rel32".into(),
            HoleKind::Continuation => "continuation".into(),
        }
    }
}

/// One patchable field of a stencil.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Hole<'a> {
    /// The name values are given under.
    pub name: &'a str,
    /// What it holds.
    pub kind: HoleKind,
    /// Whether the CPU sign-extends the field (an `imm32` of a 64-bit `add`): the value must
    /// then fit the signed range; otherwise either the signed or the unsigned range.
    pub signed: bool,
    /// Offset of the field's first byte in the stencil's code.
    pub offset: u32,
    /// Offset of the end of the instruction holding the field.
    pub end: u32,
}

/// A value for a hole.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An integer for an immediate or displacement (range-checked against the hole).
    Int(i64),
    /// An unsigned integer for an immediate (range-checked against the hole).
    UInt(u64),
    /// A single-precision constant (`F32` and `PoolF32` holes).
    F32(f32),
    /// A double-precision constant (`F64` and `PoolF64` holes).
    F64(f64),
    /// A position in the stitched function ([`super::Stitch::label`]), for `Rel32` and
    /// `Continuation` holes.
    Label(super::stitch::Label),
    /// An absolute code address (a Rust function, another run-time function) for a `Rel32`
    /// hole; it must land within ±2 GiB of the instruction.
    Addr(usize),
}

/// Machine code with holes, built ahead of time.
#[derive(Clone, Copy, Debug)]
pub struct Stencil<'a> {
    name: &'a str,
    code: &'a [u8],
    holes: &'a [Hole<'a>],
    features: &'a [Feature],
    signature: Signature<'a>,
}

impl<'a> Stencil<'a> {
    /// A stencil from its parts. Generated code (`#[asmforge::stencil]`) and
    /// `derive` call this; hand-written stencils may too.
    ///
    /// # Safety
    ///
    /// `code` is x86-64 machine code that, with every hole patched to a value the hole
    /// accepts, is memory-safe to run as a function of `signature` (or, for a stencil that
    /// chains, as a piece of such a function with the register conventions of the stencils
    /// it is documented to combine with); it needs no CPU features beyond `features`; each
    /// hole's `offset..offset + width` lies inside `code` and is exactly the field the kind
    /// says, ending its instruction at `end`; a `Continuation` hole is the rel32 of a final
    /// `jmp rel32` (`E9`) that ends the code. [`Stencil::check`] verifies the layout part.
    pub const unsafe fn new(
        name: &'a str,
        code: &'a [u8],
        holes: &'a [Hole<'a>],
        features: &'a [Feature],
        signature: Signature<'a>,
    ) -> Stencil<'a> {
        Stencil {
            name,
            code,
            holes,
            features,
            signature,
        }
    }

    /// The name (for messages).
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The code, holes unpatched.
    pub fn code(&self) -> &'a [u8] {
        self.code
    }

    /// The holes.
    pub fn holes(&self) -> &'a [Hole<'a>] {
        self.holes
    }

    /// CPU features the code needs.
    pub fn features(&self) -> &'a [Feature] {
        self.features
    }

    /// The signature the code is written for.
    pub fn signature(&self) -> Signature<'a> {
        self.signature
    }

    /// The continuation hole, if the stencil chains.
    pub fn continuation(&self) -> Option<&'a Hole<'a>> {
        self.holes.iter().find(|h| h.kind == HoleKind::Continuation)
    }

    /// Bytes copied when the next stencil follows directly: the code without its final
    /// `jmp rel32` if it chains.
    pub fn body_len(&self) -> usize {
        match self.continuation() {
            Some(h) => h.offset as usize - 1,
            None => self.code.len(),
        }
    }

    /// Checks the hole layout: fields inside the code, not overlapping, relative fields
    /// ending at or before their instruction's end, sites of one name of one kind, at most one
    /// continuation
    /// and it the rel32 of a final `E9`.
    ///
    /// # Errors
    ///
    /// A message naming the first inconsistency.
    pub fn check(&self) -> Result<(), String> {
        let len = self.code.len();
        for (i, h) in self.holes.iter().enumerate() {
            let (o, w, e) = (h.offset as usize, h.kind.width(), h.end as usize);
            if o + w > len || e > len || o + w > e {
                return Err(std::format!(
                    "hole `{}` at {o}+{w} (end {e}) outside the {len}-byte code",
                    h.name
                ));
            }
            for g in &self.holes[..i] {
                let go = g.offset as usize;
                // One name may have several sites (a hole inside an unrolled loop): one value
                // patches them all, so they must agree on the kind.
                if g.name == h.name && g.kind != h.kind {
                    return Err(std::format!(
                        "hole `{}` has sites of different kinds",
                        h.name
                    ));
                }
                if o < go + g.kind.width() && go < o + w {
                    return Err(std::format!("holes `{}` and `{}` overlap", g.name, h.name));
                }
            }
            if h.kind == HoleKind::Continuation
                && (o + 4 != len || e != len || o == 0 || self.code[o - 1] != 0xE9)
            {
                return Err(std::format!(
                    "continuation `{}` is not the rel32 of a final `jmp rel32`",
                    h.name
                ));
            }
        }
        if self
            .holes
            .iter()
            .filter(|h| h.kind == HoleKind::Continuation)
            .count()
            > 1
        {
            return Err("more than one continuation".into());
        }
        Ok(())
    }
}
