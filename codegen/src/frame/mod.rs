//! Stage 5, **frame**: prologue, epilogue, stack slots and returns, for either convention.
//!
//! Takes the [`Allocated`] program (physical registers only, by type), the calling convention
//! and the frame-pointer decision this stage took before allocation ([`FramePointer::of`],
//! `stack.rs`); returns a [`Framed`] list for `encode`. The instructions it adds are bound to
//! their forms through `isa::choose`, the query selection uses; this stage calls no other
//! stage. It guarantees that
//!
//! * every callee-saved register of the convention that any instruction writes — explicitly
//!   or implicitly, as iced's `InstructionInfoFactory` reports — is saved in the prologue and
//!   restored before `ret`: general-purpose ones with `push`/`pop` (System V: rbx, rbp,
//!   r12–r15, System V AMD64 ABI §3.2.1 Figure 3.4; Win64 adds rdi and rsi), and under Win64
//!   the low 128 bits of xmm6–xmm15 with `movaps` (`vmovaps` in VEX code) to 16-aligned slots
//!   (Microsoft, "x64 ABI conventions", register volatility; the upper halves are volatile);
//! * every `local(bytes, align)` the body uses gets a slot aligned to `align`, every
//!   stack-passed argument is addressed where the caller put it, and a frame that allocates
//!   anything leaves rsp 16-byte aligned in the body (`stack.rs` does the arithmetic);
//! * `vzeroupper` runs before returning from code that touched ymm/zmm0–15, so the caller's
//!   legacy-SSE code pays no transition penalty (Intel Optimization Manual §15.3);
//! * every `return` moves its value into rax / xmm0 (the width of the declared return type)
//!   and jumps to the single epilogue; falling off the end of the body returns too;
//! * each prologue and epilogue instruction that moves rsp or saves or restores a register
//!   is followed by its call-frame directive (`cfi.rs`), so debuggers and profilers unwind
//!   through the kernel at every instruction;
//! * what the frame cannot make safe is a spanned error: a body that moves rsp itself in a
//!   kernel with stack slots (their addresses are rsp-relative), a body that writes rbp when
//!   rbp is the frame pointer, and under Win64 — which has no red zone — memory below rsp.
//!
//! A kernel with no locals, no saved vector registers and no `call` allocates nothing: its
//! code is its pushes, its body and its pops, as before stack slots existed.
//!
//! ```text
//!  System V (`extern "sysv64"`)            Windows x64 (`abi = "win64"`)
//!  §3.2.2 Figure 3.3, §3.2.3               "x64 stack usage", "x64 calling convention"
//!
//!  higher addresses                        higher addresses
//!  | arg 8 (2nd on the stack) |            | arg 6                    |  [entry rsp + 48]
//!  | arg 7 (1st on the stack) |  [entry    | arg 5                    |  [entry rsp + 40]
//!  +--------------------------+   rsp + 8] | shadow space: 32 bytes   |  [entry rsp + 8..40),
//!  | return address           | <- rsp at  |   owned by the callee    |   the callee's own
//!  +--------------------------+    entry   +--------------------------+
//!  | rbx rbp r12 r13 r14 r15  |  push,     | return address           | <- rsp at entry
//!  |   (those written)        |  in order  +--------------------------+
//!  +--------------------------+            | rbx rbp rdi rsi r12..r15 |  push, in order
//!  | padding to 16            |            +--------------------------+
//!  | locals, largest          |  sub rsp   | padding to 16            |
//!  |   alignment first        |            | xmm6..xmm15 (written)    |  sub rsp; movaps,
//!  +--------------------------+ <- rsp     |   16 bytes each          |   16-aligned
//!  | red zone: 128 bytes      |  16-aligned| locals                   |
//!  lower addresses                         | [shadow space for a      |  only in a kernel
//!                                          |   callee: 32 bytes]      |  that calls
//!                                          +--------------------------+ <- rsp, 16-aligned
//!                                          no red zone: below rsp is volatile
//! ```
//!
//! A kernel that contains a `call` gets a conforming call site: rsp 16-aligned at the `call`
//! (the static part is padded even without locals) and, under Win64, the callee's 32-byte
//! shadow space at `[rsp]`.
//!
//! The CFA (rsp before the `call`) is 16-byte aligned in both conventions, so the static part
//! of the frame is sized to leave rsp 16-aligned. A local aligned to more than 16 bytes makes
//! the frame realign dynamically: rbp is pushed, then
//!
//! ```text
//!  | pushes (rbp among them) |
//!  | padding, vector saves   |
//!  +-------------------------+ <- rbp = rsp after the static part: mov rbp, rsp
//!  | up to align-8 bytes     |    and rsp, -align      (CFA = rbp + const from here on)
//!  | locals                  |    sub rsp, size
//!  +-------------------------+ <- rsp, aligned to the largest local alignment
//! ```
//!
//! so locals are addressed from rsp and stack arguments from rbp, which the allocator then
//! never hands out; the epilogue starts with `mov rsp, rbp`. Frames of a page or more are
//! allocated a page at a time, each page touched (`or qword [rsp], 0`), as Windows requires
//! for its guard page and as protects Linux threads' guard pages.
//!
//! ```text
//!   prologue:  push <saved>; [sub rsp, S]; [movaps [rsp+k], xmmN]; [mov rbp, rsp; and rsp, -A; sub rsp, L]
//!   body ...   return v  =>  mov rax/xmm0, v ; jmp .exit
//!   .exit:     [vzeroupper]; [mov rsp, rbp]; [movaps xmmN, [rsp+k]]; [add rsp, S]; pop <saved>; ret
//! ```

pub mod cfi;
pub mod prologue;
pub mod stack;

use iced_x86::{Code, FlowControl, InstructionInfoFactory, OpAccess, Register};
use proc_macro2::Span;

use crate::diag::{self, Errors};
use crate::frame::cfi::CfiOp;
use crate::ir::{Allocated, Decor, Inst, LabelId, Operand, OperandKind, RetValue, SItem, SelInst};
use crate::isa::abi::Abi;
use crate::isa::{choose, instr, regs};

pub use crate::frame::stack::FramePointer;
use crate::frame::stack::{FrameRef, Local, Needs, Plan};

/// An instruction after allocation: a form and physical operands.
pub type PInst = SelInst<Register>;

pub enum FItem {
    Inst(PInst),
    Label(LabelId),
    Align(u32),
    /// A call-frame directive that holds from the end of the previous instruction on.
    Cfi(CfiOp),
}

pub struct Framed {
    pub items: Vec<FItem>,
    pub consts: Vec<crate::ir::Const>,
    /// Callee-saved registers the prologue saves: pushed GPRs, then vector registers.
    pub saved: Vec<Register>,
    pub vzeroupper: bool,
}

/// Adds prologue and epilogue for `abi`, resolves stack slots, and lowers returns, with rbp
/// as the frame pointer when `frame_pointer` says so (the decision allocation reserved rbp by).
pub fn lay_out_frame(sel: Allocated, abi: Abi, frame_pointer: FramePointer) -> syn::Result<Framed> {
    let facts = analyse(&sel.items, abi);
    check(&facts, abi, frame_pointer)?;
    let plan = stack::plan(
        abi,
        &Needs {
            gprs: &facts.saved_gprs,
            vecs: &facts.saved_vecs,
            locals: &facts.locals,
            calls: facts.calls,
            frame_pointer,
        },
    );
    let exit = LabelId(sel.label_count);
    let site = Span::call_site();
    let mut items = Vec::with_capacity(sel.items.len() + 32);
    prologue::prologue(&plan, facts.vex, &mut items)?;
    let n = sel.items.len();
    let mut errors = Errors::new();
    for (i, item) in sel.items.into_iter().enumerate() {
        match item {
            SItem::Inst(mut s) => {
                if let Err(e) = resolve_slots(&mut s, &plan) {
                    errors.push_err(e);
                }
                items.push(FItem::Inst(s));
            }
            SItem::Label(l) => items.push(FItem::Label(l)),
            SItem::Align(a) => items.push(FItem::Align(a)),
            SItem::Return(value, span) => {
                if let Some(mv) = return_move(&value, facts.vex)? {
                    items.push(FItem::Inst(mv));
                }
                if i + 1 != n {
                    let op = Operand {
                        kind: OperandKind::Label(exit),
                        span,
                    };
                    items.push(FItem::Inst(synth("jmp", vec![op], span)?));
                }
            }
        }
    }
    errors.finish()?;
    items.push(FItem::Label(exit));
    if facts.dirty_upper {
        items.push(FItem::Inst(synth("vzeroupper", vec![], site)?));
    }
    prologue::epilogue(&plan, facts.vex, &mut items)?;
    items.push(FItem::Inst(ret()));
    let mut saved = plan.pushes.clone();
    saved.extend(plan.vec_saves.iter().map(|(r, _)| *r));
    Ok(Framed {
        items,
        consts: sel.consts,
        saved,
        vzeroupper: facts.dirty_upper,
    })
}

fn ret() -> PInst {
    SelInst {
        code: Code::Retnq,
        inst: Inst {
            mnemonic: "ret".into(),
            prefix: None,
            operands: vec![],
            span: Span::call_site(),
            line: 0,
            note: None,
        },
    }
}

/// The selected instructions with no prologue, epilogue or returns: what encoding tests
/// compare with an assembler.
#[cfg(test)]
pub fn bare(sel: Allocated) -> Framed {
    let items = sel
        .items
        .into_iter()
        .filter_map(|item| match item {
            SItem::Inst(s) => Some(FItem::Inst(s)),
            SItem::Label(l) => Some(FItem::Label(l)),
            SItem::Align(a) => Some(FItem::Align(a)),
            SItem::Return(..) => None,
        })
        .collect();
    Framed {
        items,
        consts: sel.consts,
        saved: vec![],
        vzeroupper: false,
    }
}

/// What the body does that the frame must answer for.
#[derive(Default)]
struct Facts {
    saved_gprs: Vec<Register>,
    /// Callee-saved vector registers written (as xmm).
    saved_vecs: Vec<Register>,
    dirty_upper: bool,
    /// The kernel already uses VEX/EVEX: moves use `vmovaps`, not `movaps`.
    vex: bool,
    /// Locals the body uses, by id.
    locals: Vec<Local>,
    /// The body contains a `call`: its call sites need an aligned stack (and Win64 shadow
    /// space).
    calls: bool,
    /// The first operand that addresses a stack slot.
    slot_use: Option<Span>,
    /// The first instruction other than a `call` that writes rsp.
    moves_rsp: Option<Span>,
    /// The first instruction that writes rbp.
    writes_rbp: Option<Span>,
    /// Operands `[rsp - n]`: the red zone.
    below_rsp: Vec<Span>,
}

fn analyse(items: &[SItem<Register>], abi: Abi) -> Facts {
    let mut factory = InstructionInfoFactory::new();
    let mut facts = Facts::default();
    for item in items {
        let SItem::Inst(s) = item else { continue };
        note_slots(s, &mut facts);
        let Ok(ins) = instr::build(s.code, &s.inst.operands, s.inst.prefix, &instr::Dummy) else {
            continue;
        };
        facts.vex |= !matches!(s.code.op_code().encoding(), iced_x86::EncodingKind::Legacy);
        // Upper halves become dirty only through 256/512-bit operands: VEX.128 and EVEX.128
        // writes zero them (Intel SDM Vol. 1, 14.1.3), which iced reports as a zmm write.
        facts.dirty_upper |= (0..ins.op_count()).any(|i| {
            ins.op_kind(i) == iced_x86::OpKind::Register && {
                let r = ins.op_register(i);
                (r.is_ymm() || r.is_zmm()) && r.number() < 16
            }
        });
        let is_call = matches!(
            ins.flow_control(),
            FlowControl::Call | FlowControl::IndirectCall
        );
        facts.calls |= is_call;
        for used in factory.info(&ins).used_registers() {
            let r = used.register();
            let writes = matches!(
                used.access(),
                OpAccess::Write
                    | OpAccess::CondWrite
                    | OpAccess::ReadWrite
                    | OpAccess::ReadCondWrite
            );
            if !writes {
                continue;
            }
            let full = r.full_register();
            if abi.callee_saved_gprs().contains(&full) && !facts.saved_gprs.contains(&full) {
                facts.saved_gprs.push(full);
            }
            // `vzeroupper` formally writes every vector register but keeps the low 128 bits.
            let keeps_low = s.code == Code::VEX_Vzeroupper;
            if r.is_vector_register() && abi.is_callee_saved_vec(r.number()) && !keeps_low {
                let xmm = regs::vec_of_size(r, 16).unwrap_or(r);
                if !facts.saved_vecs.contains(&xmm) {
                    facts.saved_vecs.push(xmm);
                }
            }
            if full == Register::RSP && !is_call {
                facts.moves_rsp.get_or_insert(s.inst.span);
            }
            if full == Register::RBP {
                facts.writes_rbp.get_or_insert(s.inst.span);
            }
        }
    }
    let order = abi.callee_saved_gprs();
    facts
        .saved_gprs
        .sort_by_key(|r| order.iter().position(|c| c == r));
    facts.saved_vecs.sort_by_key(|r| r.number());
    facts.locals.sort_by_key(|l| l.id);
    facts
}

/// Records the stack slots and the red-zone operands of one instruction.
fn note_slots(s: &PInst, facts: &mut Facts) {
    for o in &s.inst.operands {
        let OperandKind::Mem(m, _) = &o.kind else {
            continue;
        };
        match m.frame {
            Some(f) => {
                facts.slot_use.get_or_insert(o.span);
                if let FrameRef::Local(l) = f
                    && !facts.locals.iter().any(|k| k.id == l.id)
                {
                    facts.locals.push(l);
                }
            }
            None => {
                let on_rsp = m.base == Some(Register::RSP);
                if on_rsp && m.index.is_none() && m.disp < 0 {
                    facts.below_rsp.push(o.span);
                }
            }
        }
    }
}

/// The errors the frame cannot repair.
fn check(facts: &Facts, abi: Abi, frame_pointer: FramePointer) -> syn::Result<()> {
    let mut errors = Errors::new();
    if let (Some(at), Some(_)) = (facts.moves_rsp, facts.slot_use) {
        errors.push(
            at,
            "this instruction moves rsp, but this kernel addresses stack locals or stack arguments relative to rsp as the prologue leaves it; keep rsp fixed in the body (use a `local(..)` instead of `push`/`pop`)",
        );
    }
    if frame_pointer == FramePointer::Rbp
        && let Some(at) = facts.writes_rbp
    {
        errors.push(
            at,
            "rbp is the frame pointer of this kernel (a `local(..)` is aligned to more than 16 bytes, so the prologue realigns rsp and keeps the old one in rbp); use another register",
        );
    }
    if !abi.has_red_zone() {
        for at in &facts.below_rsp {
            errors.push(
                *at,
                "memory below rsp is volatile in the Windows x64 convention (there is no red zone: an interrupt or a debugger may overwrite it); use a `local(bytes)` stack slot instead",
            );
        }
    }
    errors.finish()
}

/// Replaces each stack-slot operand by its base register and displacement.
fn resolve_slots(s: &mut PInst, plan: &Plan) -> syn::Result<()> {
    for o in &mut s.inst.operands {
        let OperandKind::Mem(m, _) = &mut o.kind else {
            continue;
        };
        let Some(f) = m.frame else { continue };
        let (base, disp) = plan
            .resolve(f)
            .ok_or_else(|| diag::internal(o.span, "a stack slot the frame did not lay out"))?;
        let disp = m.disp + disp;
        if i32::try_from(disp).is_err() {
            return Err(syn::Error::new(
                o.span,
                format!(
                    "this stack slot is {disp} bytes from rsp, beyond the 32-bit displacement of an address"
                ),
            ));
        }
        m.base = Some(base);
        m.disp = disp;
        m.frame = None;
    }
    Ok(())
}

pub(crate) fn reg_op(r: Register, span: Span) -> Operand<Register> {
    Operand {
        kind: OperandKind::Reg(r, Decor::default()),
        span,
    }
}

/// An instruction the compiler adds, bound to its form by the query selection uses.
pub(crate) fn synth(
    mnemonic: &str,
    operands: Vec<Operand<Register>>,
    span: Span,
) -> syn::Result<PInst> {
    choose::choose(
        Inst {
            mnemonic: mnemonic.into(),
            prefix: None,
            operands,
            span,
            line: 0,
            note: None,
        },
        None,
    )
}

/// `mov eax, ecx` / `vmovaps xmm0, xmm3` for `return`, or nothing when already in place.
fn return_move(value: &RetValue<Register>, vex: bool) -> syn::Result<Option<PInst>> {
    match value {
        RetValue::None => Ok(None),
        RetValue::Gpr(r, bytes, span) => {
            let (Some(src), Some(dst)) = (
                regs::gpr_of_size(*r, *bytes),
                regs::gpr_of_size(Register::RAX, *bytes),
            ) else {
                return Err(crate::diag::internal(*span, "return register view"));
            };
            if src == dst {
                return Ok(None);
            }
            synth("mov", vec![reg_op(dst, *span), reg_op(src, *span)], *span).map(Some)
        }
        RetValue::Float(r, span) => {
            let Some(src) = regs::vec_of_size(*r, 16) else {
                return Err(crate::diag::internal(*span, "return register view"));
            };
            if src == Register::XMM0 {
                return Ok(None);
            }
            let m = if vex || src.number() >= 16 {
                "vmovaps"
            } else {
                "movaps"
            };
            synth(
                m,
                vec![reg_op(Register::XMM0, *span), reg_op(src, *span)],
                *span,
            )
            .map(Some)
        }
    }
}
