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

use crate::{Feature, FeatureSet};

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
    facts: Facts,
}

/// The first inconsistency of a hole layout (indices into the holes), found by
/// [`Facts::of`]; [`Stencil::check`] turns it into its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    Ok,
    Outside(u32),
    MixedKinds(u32),
    Overlap(u32, u32),
    BadContinuation(u32),
    TwoContinuations,
}

/// What every use of a stencil needs and nothing at run time changes, worked out once when
/// the stencil is made: for the `static`s `#[asmforge::stencil]` emits that is at compile time
/// (`Stencil::new` is a `const fn`); a stencil cut at run time (`derive`) keeps its facts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    /// The layout check's verdict.
    pub(crate) layout: Layout,
    /// The continuation hole's index.
    pub(crate) cont: Option<u32>,
    /// The signature's fingerprint.
    pub(crate) fingerprint: u64,
    /// `features` as a set.
    pub(crate) features: FeatureSet,
    /// For a well-formed stencil without holes but its continuation, if any (the usual
    /// piece of a stitched pipeline): the bytes copied when the next piece follows (the code
    /// without its final `jmp rel32`) and whether it chains.
    pub(crate) plain: Option<(u32, bool)>,
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

const fn same_kind(a: HoleKind, b: HoleKind) -> bool {
    match (a, b) {
        (HoleKind::PoolF32 { lanes: x }, HoleKind::PoolF32 { lanes: y })
        | (HoleKind::PoolF64 { lanes: x }, HoleKind::PoolF64 { lanes: y }) => x == y,
        (HoleKind::Imm8, HoleKind::Imm8)
        | (HoleKind::Imm16, HoleKind::Imm16)
        | (HoleKind::Imm32, HoleKind::Imm32)
        | (HoleKind::Imm64, HoleKind::Imm64)
        | (HoleKind::Disp32, HoleKind::Disp32)
        | (HoleKind::F32, HoleKind::F32)
        | (HoleKind::F64, HoleKind::F64)
        | (HoleKind::Rel32, HoleKind::Rel32)
        | (HoleKind::Continuation, HoleKind::Continuation) => true,
        _ => false,
    }
}

impl Facts {
    /// The facts of a stencil's parts; the layout rules are [`Stencil::check`]'s, in its
    /// order.
    pub(crate) const fn of(
        code: &[u8],
        holes: &[Hole<'_>],
        features: &[Feature],
        signature: Signature<'_>,
    ) -> Facts {
        let mut facts = Facts {
            layout: Layout::Ok,
            cont: None,
            fingerprint: signature.fingerprint(),
            features: FeatureSet::of(features),
            plain: None,
        };
        let mut conts = 0;
        let mut i = 0;
        while i < holes.len() {
            if let HoleKind::Continuation = holes[i].kind {
                if facts.cont.is_none() {
                    facts.cont = Some(i as u32);
                }
                conts += 1;
            }
            i += 1;
        }
        let len = code.len();
        let mut i = 0;
        while i < holes.len() {
            let h = &holes[i];
            let (o, w, e) = (h.offset as usize, h.kind.width(), h.end as usize);
            if o + w > len || e > len || o + w > e {
                facts.layout = Layout::Outside(i as u32);
                return facts;
            }
            let mut j = 0;
            while j < i {
                let g = &holes[j];
                let go = g.offset as usize;
                if str_eq(g.name, h.name) && !same_kind(g.kind, h.kind) {
                    facts.layout = Layout::MixedKinds(i as u32);
                    return facts;
                }
                if o < go + g.kind.width() && go < o + w {
                    facts.layout = Layout::Overlap(j as u32, i as u32);
                    return facts;
                }
                j += 1;
            }
            if matches!(h.kind, HoleKind::Continuation)
                && (o + 4 != len || e != len || o == 0 || code[o - 1] != 0xE9)
            {
                facts.layout = Layout::BadContinuation(i as u32);
                return facts;
            }
            i += 1;
        }
        if conts > 1 {
            facts.layout = Layout::TwoContinuations;
        } else if let ([h], Some(0)) = (holes, facts.cont) {
            facts.plain = Some((h.offset - 1, true));
        } else if holes.is_empty() {
            facts.plain = Some((len as u32, false));
        }
        facts
    }
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
        let facts = Facts::of(code, holes, features, signature);
        // SAFETY: the caller's promise, and `facts` is `Facts::of` these parts.
        unsafe { Stencil::with_facts(name, code, holes, features, signature, facts) }
    }

    /// [`Stencil::new`] with its facts already worked out (from the same parts).
    ///
    /// # Safety
    ///
    /// As [`Stencil::new`]; `facts` is `Facts::of` these parts.
    pub(crate) const unsafe fn with_facts(
        name: &'a str,
        code: &'a [u8],
        holes: &'a [Hole<'a>],
        features: &'a [Feature],
        signature: Signature<'a>,
        facts: Facts,
    ) -> Stencil<'a> {
        Stencil {
            name,
            code,
            holes,
            features,
            signature,
            facts,
        }
    }

    /// The facts worked out when the stencil was made.
    #[inline(always)]
    pub(crate) fn facts(&self) -> &Facts {
        &self.facts
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
    #[inline]
    pub fn continuation(&self) -> Option<&'a Hole<'a>> {
        match self.facts.cont {
            Some(i) => self.holes.get(i as usize),
            None => None,
        }
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
    /// and it the rel32 of a final `E9`. The verdict was reached when the stencil was made
    /// (at compile time for a `static` one); this only reads it.
    ///
    /// # Errors
    ///
    /// A message naming the first inconsistency.
    #[inline]
    pub fn check(&self) -> Result<(), String> {
        match self.facts.layout {
            Layout::Ok => Ok(()),
            bad => Err(self.layout_message(bad)),
        }
    }

    #[cold]
    #[inline(never)]
    fn layout_message(&self, bad: Layout) -> String {
        let hole = |i: u32| &self.holes[i as usize];
        match bad {
            Layout::Ok => String::new(),
            Layout::Outside(i) => {
                let h = hole(i);
                std::format!(
                    "hole `{}` at {}+{} (end {}) outside the {}-byte code",
                    h.name,
                    h.offset,
                    h.kind.width(),
                    h.end,
                    self.code.len()
                )
            }
            Layout::MixedKinds(i) => {
                std::format!("hole `{}` has sites of different kinds", hole(i).name)
            }
            Layout::Overlap(j, i) => {
                std::format!("holes `{}` and `{}` overlap", hole(j).name, hole(i).name)
            }
            Layout::BadContinuation(i) => std::format!(
                "continuation `{}` is not the rel32 of a final `jmp rel32`",
                hole(i).name
            ),
            Layout::TwoContinuations => "more than one continuation".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::string::ToString;

    use super::*;
    use crate::jit::Ty;

    const SIG: Signature<'static> = Signature {
        params: &[Ty::U64],
        ret: Ty::U64,
    };
    const fn hole(name: &'static str, kind: HoleKind, offset: u32, end: u32) -> Hole<'static> {
        Hole {
            name,
            kind,
            signed: false,
            offset,
            end,
        }
    }
    // mov eax, imm32; jmp rel32 (B8 id, E9 cd).
    const CODE: &[u8] = &[0xB8, 0, 0, 0, 0, 0xE9, 0, 0, 0, 0];
    const GOOD: &[Hole<'static>] = &[
        hole("v", HoleKind::Imm32, 1, 5),
        hole("next", HoleKind::Continuation, 6, 10),
    ];
    // Worked out at compile time, as for the `static`s `#[asmforge::stencil]` emits.
    // SAFETY (all stencils here): only the layout is examined, nothing runs.
    const CONST_GOOD: Stencil<'static> =
        unsafe { Stencil::new("good", CODE, GOOD, &[Feature::AVX2], SIG) };

    fn check(holes: &[Hole<'static>]) -> Result<(), String> {
        // SAFETY: as above.
        unsafe { Stencil::new("t", CODE, holes, &[], SIG) }.check()
    }

    #[test]
    fn facts_are_worked_out_once_and_right() {
        assert_eq!(CONST_GOOD.check(), Ok(()));
        assert_eq!(CONST_GOOD.continuation(), Some(&GOOD[1]));
        assert_eq!(CONST_GOOD.body_len(), 5);
        assert_eq!(CONST_GOOD.facts().fingerprint, SIG.fingerprint());
        assert!(CONST_GOOD.facts().features.contains(Feature::AVX2));
        assert!(!CONST_GOOD.facts().features.contains(Feature::AVX512F));
        // SAFETY: as above.
        let plain = unsafe { Stencil::new("plain", &CODE[..5], &GOOD[..1], &[], SIG) };
        assert_eq!(plain.continuation(), None);
        assert_eq!(plain.body_len(), 5);
    }

    #[test]
    fn every_layout_error_keeps_its_message() {
        let cases: [(&[Hole<'static>], &str); 6] = [
            (
                &[hole("v", HoleKind::Imm32, 8, 12)],
                "hole `v` at 8+4 (end 12) outside the 10-byte code",
            ),
            (
                &[hole("v", HoleKind::Imm32, 1, 3)],
                "hole `v` at 1+4 (end 3) outside the 10-byte code",
            ),
            (
                &[
                    hole("v", HoleKind::Imm32, 1, 5),
                    hole("v", HoleKind::Imm8, 6, 7),
                ],
                "hole `v` has sites of different kinds",
            ),
            (
                &[
                    hole("v", HoleKind::Imm32, 1, 5),
                    hole("w", HoleKind::Imm8, 4, 5),
                ],
                "holes `v` and `w` overlap",
            ),
            (
                &[hole("next", HoleKind::Continuation, 1, 5)],
                "continuation `next` is not the rel32 of a final `jmp rel32`",
            ),
            (
                &[
                    hole("v", HoleKind::Imm32, 1, 5),
                    hole("a", HoleKind::Continuation, 6, 10),
                    hole("b", HoleKind::Imm8, 0, 1),
                    hole("c", HoleKind::Continuation, 6, 10),
                ],
                "holes `a` and `c` overlap",
            ),
        ];
        for (holes, want) in cases {
            assert_eq!(check(holes), Err(want.to_string()));
        }
        // Two sites of one name and kind are fine; pool lanes are part of the kind.
        assert_eq!(
            check(&[
                hole("v", HoleKind::Imm8, 1, 2),
                hole("v", HoleKind::Imm8, 3, 4)
            ]),
            Ok(())
        );
        assert_eq!(
            check(&[
                hole("p", HoleKind::PoolF32 { lanes: 1 }, 1, 5),
                hole("p", HoleKind::PoolF32 { lanes: 8 }, 6, 10)
            ]),
            Err("hole `p` has sites of different kinds".to_string())
        );
    }
}
