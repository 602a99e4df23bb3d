//! Stack slots and the frame layout: where locals, saved registers and stack arguments live.
//!
//! `eval` gives every stack slot a memory operand `[rsp + disp]` tagged with a [`FrameRef`]
//! (a `local(bytes, align)`, or an argument the caller passed on the stack); selection and
//! allocation see an ordinary rsp-based operand. Once the frame stage knows which registers
//! it saves and which locals are used, [`plan`] lays the frame out and [`Plan::resolve`]
//! turns each tag into a base register and displacement. The frame stage (`frame.rs`)
//! documents the resulting layout with a diagram; this module holds the arithmetic.
//!
//! One decision is needed before allocation: whether rbp is the frame pointer. The frame
//! stage owns it and takes it once, with [`FramePointer::of`], from the locals the evaluated
//! program uses; the pipeline (`expand.rs`) hands it to allocation, which then never gives
//! out rbp ([`FramePointer::reserved`]), and to [`plan`], which realigns by it.
//!
//! Guarantees of a [`Plan`]:
//!
//! * a kernel with no locals, no saved vector registers and no `call` gets no `sub rsp` at all
//!   (its code is what it was before locals existed);
//! * otherwise rsp is 16-byte aligned in the body, every local is aligned to its alignment,
//!   and vector save slots to 16 (for `movaps`);
//! * a kernel that calls gets a conforming call site: rsp 16-byte aligned and, under Win64,
//!   the callee's 32 bytes of shadow space at `[rsp]`, below the locals;
//! * a local aligned to more than 16 realigns rsp dynamically (`and rsp, -align`), saving the
//!   pre-alignment rsp in rbp, which is then pushed like any callee-saved register and never
//!   allocated; stack arguments are then addressed from rbp, locals from rsp;
//! * a frame of a page or more is allocated a page at a time, touching each page, so a guard
//!   page is never skipped (Microsoft, "x64 prolog and epilog": allocations of 4 KiB or more
//!   must probe; Linux threads have a one-page guard too).

use iced_x86::Register;

pub use crate::ir::{FrameRef, Local};
use crate::ir::{Item, OperandKind, Program};
use crate::isa::abi::Abi;

/// Frames at least this large are allocated page by page, touching each page.
pub const PAGE: u32 = 4096;

/// Whether the frame keeps the pre-alignment rsp in rbp: it does when a local is aligned to
/// more than 16 bytes, so that the prologue realigns rsp. Taken once, before allocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FramePointer {
    /// rsp-relative frame; rbp is an ordinary callee-saved register.
    None,
    /// rbp holds the frame pointer: pushed, never allocated, never written by the body.
    Rbp,
}

impl FramePointer {
    /// The decision for the locals the program's instructions use.
    pub fn of(program: &Program) -> FramePointer {
        let locals = program.items.iter().flat_map(|item| match item {
            Item::Inst(i) => i.operands.as_slice(),
            _ => &[],
        });
        Self::for_locals(locals.filter_map(|o| match &o.kind {
            OperandKind::Mem(m, _) => match m.frame {
                Some(FrameRef::Local(l)) => Some(l),
                _ => None,
            },
            _ => None,
        }))
    }

    /// The decision for these locals.
    pub fn for_locals(locals: impl IntoIterator<Item = Local>) -> FramePointer {
        if locals.into_iter().any(|l| l.align > 16) {
            FramePointer::Rbp
        } else {
            FramePointer::None
        }
    }

    /// The registers allocation must not hand out.
    pub fn reserved(self) -> &'static [Register] {
        match self {
            FramePointer::None => &[],
            FramePointer::Rbp => &[Register::RBP],
        }
    }
}

/// The dynamic part of a frame that realigns rsp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Realign {
    /// `and rsp, -align`.
    pub align: u32,
    /// Then `sub rsp, bytes` (a multiple of `align`): the locals.
    pub bytes: u32,
}

/// The frame of one kernel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Callee-saved general-purpose registers, in push order.
    pub pushes: Vec<Register>,
    /// `sub rsp, static_bytes` after the pushes (0: none).
    pub static_bytes: u32,
    /// Callee-saved vector registers and their save slots, as offsets from rsp after the
    /// static allocation (16-aligned).
    pub vec_saves: Vec<(Register, u32)>,
    pub realign: Option<Realign>,
    /// Each used local's offset from rsp in the body.
    pub locals: Vec<(u32, u32)>,
    /// Allocate page by page, touching each page.
    pub probe: bool,
}

/// What the body asks of the frame.
pub struct Needs<'a> {
    /// The callee-saved general-purpose registers the body writes.
    pub gprs: &'a [Register],
    /// The callee-saved vector registers it writes (Win64 xmm6–15).
    pub vecs: &'a [Register],
    /// The locals it uses.
    pub locals: &'a [Local],
    /// Whether it contains a `call`.
    pub calls: bool,
    /// The frame-pointer decision taken before allocation ([`FramePointer::of`]).
    pub frame_pointer: FramePointer,
}

/// Lays out the frame for `needs`; it realigns rsp exactly when rbp is the frame pointer.
pub fn plan(abi: Abi, needs: &Needs<'_>) -> Plan {
    let Needs {
        gprs,
        vecs,
        locals,
        calls,
        frame_pointer,
    } = *needs;
    let realign = frame_pointer == FramePointer::Rbp;
    let align = locals.iter().map(|l| l.align).max().unwrap_or(1);
    let mut pushes = gprs.to_vec();
    if realign && !pushes.contains(&Register::RBP) {
        pushes.push(Register::RBP);
    }
    let order = abi.callee_saved_gprs();
    pushes.sort_by_key(|r| order.iter().position(|c| c == r));
    // Largest alignment first: each footprint is a multiple of its alignment, so no padding
    // is needed between locals.
    let mut sorted = locals.to_vec();
    sorted.sort_by_key(|l| (std::cmp::Reverse(l.align), l.id));
    let mut offsets = Vec::with_capacity(sorted.len());
    // A callee may use the 32 bytes above its return address (Win64 shadow space).
    let outgoing = if calls && abi == Abi::Win64 {
        crate::isa::abi::SHADOW_SPACE
    } else {
        0
    };
    let mut end = outgoing.next_multiple_of(align);
    for l in &sorted {
        offsets.push((l.id, end));
        end += l.footprint();
    }
    offsets.sort_unstable();
    let static_locals = if realign { 0 } else { end };
    let vec_at = static_locals.next_multiple_of(16);
    let vec_saves: Vec<(Register, u32)> = vecs
        .iter()
        .enumerate()
        .map(|(k, r)| (*r, vec_at + 16 * k as u32))
        .collect();
    let raw = if vecs.is_empty() {
        static_locals
    } else {
        vec_at + 16 * vecs.len() as u32
    };
    // The CFA (rsp before the call) is 16-aligned: make rsp so too once anything is allocated.
    let pushed = 8 + 8 * pushes.len() as u32;
    let static_bytes = if raw == 0 && !calls {
        0
    } else {
        (pushed + raw).next_multiple_of(16) - pushed
    };
    let realign = realign.then(|| Realign {
        align,
        bytes: end.next_multiple_of(align),
    });
    let extent = static_bytes + realign.map_or(0, |r| r.align + r.bytes);
    Plan {
        pushes,
        static_bytes,
        vec_saves,
        realign,
        locals: offsets,
        probe: extent >= PAGE,
    }
}

impl Plan {
    /// CFA minus rsp once the pushes and the static allocation are done.
    pub fn static_cfa_offset(&self) -> u32 {
        8 + 8 * self.pushes.len() as u32 + self.static_bytes
    }

    /// The base register and displacement of a stack slot in the body, or `None` for a local
    /// the plan does not know (an internal error).
    pub fn resolve(&self, r: FrameRef) -> Option<(Register, i64)> {
        match r {
            FrameRef::Local(l) => {
                let (_, off) = self.locals.iter().find(|(id, _)| *id == l.id)?;
                Some((Register::RSP, i64::from(*off)))
            }
            FrameRef::Arg { entry_offset } => {
                // rsp at entry = rsp after the static allocation + CFA offset - 8.
                let disp = i64::from(self.static_cfa_offset()) - 8 + i64::from(entry_offset);
                let base = if self.realign.is_some() {
                    Register::RBP
                } else {
                    Register::RSP
                };
                Some((base, disp))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local(id: u32, bytes: u32, align: u32) -> Local {
        Local { id, bytes, align }
    }

    /// `stack::plan` with the frame-pointer decision taken from the locals, as the pipeline
    /// takes it.
    fn plan(abi: Abi, gprs: &[Register], vecs: &[Register], locals: &[Local], calls: bool) -> Plan {
        let needs = Needs {
            gprs,
            vecs,
            locals,
            calls,
            frame_pointer: FramePointer::for_locals(locals.iter().copied()),
        };
        super::plan(abi, &needs)
    }

    #[test]
    fn no_locals_no_allocation() {
        let p = plan(Abi::SysV, &[Register::RBX], &[], &[], false);
        assert_eq!(p.static_bytes, 0);
        assert_eq!(p.realign, None);
        assert_eq!(p.pushes, [Register::RBX]);
        // The first stack argument: rbx pushed, so [rsp + 16].
        assert_eq!(
            p.resolve(FrameRef::Arg { entry_offset: 8 }),
            Some((Register::RSP, 16))
        );
    }

    #[test]
    fn locals_are_aligned_and_rsp_is_16_aligned() {
        // One push: CFA - rsp = 16 after it; 4 + 16 bytes of locals round to 32.
        let p = plan(
            Abi::SysV,
            &[Register::R12],
            &[],
            &[local(0, 4, 4), local(1, 16, 16)],
            false,
        );
        assert_eq!(p.locals, [(0, 16), (1, 0)]);
        assert_eq!(p.static_bytes, 32);
        assert_eq!(p.static_cfa_offset() % 16, 0);
        // No push: CFA - rsp = 8, so 8 more bytes align.
        let p = plan(Abi::SysV, &[], &[], &[local(0, 8, 8)], false);
        assert_eq!(p.static_bytes, 8);
        assert_eq!(p.static_cfa_offset(), 16);
        assert_eq!(
            p.resolve(FrameRef::Arg { entry_offset: 8 }),
            Some((Register::RSP, 16))
        );
    }

    #[test]
    fn win64_vector_saves_sit_above_the_locals() {
        let p = plan(
            Abi::Win64,
            &[Register::RSI, Register::RBX],
            &[Register::XMM6, Register::XMM7],
            &[local(0, 8, 8)],
            false,
        );
        assert_eq!(
            p.pushes,
            [Register::RBX, Register::RSI],
            "canonical push order"
        );
        assert_eq!(p.vec_saves, [(Register::XMM6, 16), (Register::XMM7, 32)]);
        assert_eq!(p.static_cfa_offset() % 16, 0);
        assert!(p.static_bytes >= 48);
    }

    #[test]
    fn over_aligned_locals_realign_through_rbp() {
        let p = plan(
            Abi::SysV,
            &[],
            &[],
            &[local(0, 64, 64), local(1, 8, 8)],
            false,
        );
        assert_eq!(p.pushes, [Register::RBP]);
        assert_eq!(
            p.realign,
            Some(Realign {
                align: 64,
                bytes: 128
            })
        );
        assert_eq!(p.static_bytes, 0);
        assert_eq!(p.locals, [(0, 0), (1, 64)]);
        // rbp = rsp after `push rbp`: the first stack argument is at [rbp + 16].
        assert_eq!(
            p.resolve(FrameRef::Arg { entry_offset: 8 }),
            Some((Register::RBP, 16))
        );
        assert_eq!(
            FramePointer::for_locals([local(0, 1, 32)]),
            FramePointer::Rbp
        );
        assert_eq!(
            FramePointer::for_locals([local(0, 64, 16)]),
            FramePointer::None
        );
    }

    #[test]
    fn calls_get_an_aligned_stack_and_win64_shadow_space() {
        // One push: CFA - rsp = 16 is already aligned.
        assert_eq!(
            plan(Abi::SysV, &[Register::RBX], &[], &[], true).static_bytes,
            0
        );
        assert_eq!(plan(Abi::SysV, &[], &[], &[], true).static_bytes, 8);
        let p = plan(Abi::Win64, &[Register::RDI], &[], &[local(0, 8, 8)], true);
        assert_eq!(p.locals, [(0, 32)], "the shadow space is at [rsp]");
        assert_eq!(p.static_bytes, 48);
        let p = plan(Abi::Win64, &[], &[], &[local(0, 64, 64)], true);
        assert_eq!(p.locals, [(0, 64)]);
        assert_eq!(p.realign.map(|r| r.bytes), Some(128));
    }

    #[test]
    fn large_frames_probe() {
        assert!(!plan(Abi::SysV, &[], &[], &[local(0, 4000, 16)], false).probe);
        assert!(plan(Abi::SysV, &[], &[], &[local(0, 4096, 16)], false).probe);
        assert!(plan(Abi::Win64, &[], &[], &[local(0, 4000, 64)], false).probe);
    }
}
