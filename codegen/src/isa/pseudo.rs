//! What GNU as' encoding pseudo-prefixes (`spell::Pseudo`: `store_`, `load_`, `vex_`,
//! `vex3_`, `evex_`, `disp8_`, `disp32_`) leave of the forms that fit the written operands.
//!
//! Takes the forms `choose` found for the operands; guarantees the ones the pseudo-prefix
//! selects, or a spanned error where it cannot apply (GNU as ignores such a prefix in
//! silence; asmforge says so, since the author asked for an encoding that does not exist).
//! `vex3_`, `disp8_` and `disp32_` choose no form but how it is encoded (`encode` reads them
//! from the mnemonic); here they only check that they can apply.

use iced_x86::{Code, EncodingKind, OpCodeOperandKind as K};

use crate::ir::{Inst, Operand, OperandKind};
use crate::isa::forms;
use crate::isa::spell::Pseudo;

/// Where a slot's operand is encoded: ModRM.reg, or ModRM.rm (register or memory).
#[derive(PartialEq)]
enum Field {
    Reg,
    Rm,
    Other,
}

/// Named after iced's kinds: `xmm_reg`/`r32_reg` sit in ModRM.reg, `xmm_rm`, `r32_rm` and the
/// `_or_mem` kinds in ModRM.rm (iced `OpCodeOperandKind` docs).
fn field(kind: K) -> Field {
    let name = format!("{kind:?}");
    if name.ends_with("_reg") {
        Field::Reg
    } else if name.ends_with("_rm") || name.ends_with("_or_mem") {
        Field::Rm
    } else {
        Field::Other
    }
}

/// Whether `code` writes its first operand through ModRM.rm from a ModRM.reg source
/// (`store`) or the other way (`!store`): the two directions of `mov`, `movaps`, `vmovss`.
fn direction_is(code: Code, store: bool) -> bool {
    let slots = forms::slots(code);
    let Some(((_, first), rest)) = slots.split_first() else {
        return false;
    };
    let (dst, src) = if store {
        (Field::Rm, Field::Reg)
    } else {
        (Field::Reg, Field::Rm)
    };
    field(*first) == dst && rest.iter().any(|(_, k)| field(*k) == src)
}

/// For the sweep: `"store"` or `"load"`, the direction of a form that has a ModRM.rm and a ModRM.reg
/// operand of which the first is the destination; `None` for any other.
#[cfg(test)]
pub fn direction(code: Code) -> Option<&'static str> {
    if direction_is(code, true) {
        Some("store")
    } else if direction_is(code, false) {
        Some("load")
    } else {
        None
    }
}

/// The forms among `fit` that pseudo-prefix `p` selects, or why none.
pub fn forms_for<R>(
    inst: &Inst<R>,
    written: &[&Operand<R>],
    p: Pseudo,
    fit: Vec<Code>,
) -> syn::Result<Vec<Code>> {
    let m = &inst.mnemonic;
    let (word, gnu) = (p.word(), p.gnu());
    let keep = |f: &dyn Fn(Code) -> bool| fit.iter().copied().filter(|c| f(*c)).collect::<Vec<_>>();
    let (kept, why) = match p {
        Pseudo::Load | Pseudo::Store => {
            // As GNU as: the other direction goes, forms without one stay (`xchg ecx, eax`
            // keeps its `91`); it applies only where this direction is among the forms.
            let store = p == Pseudo::Store;
            let kept = if fit.iter().any(|c| direction_is(*c, store)) {
                keep(&|c| !direction_is(c, !store))
            } else {
                Vec::new()
            };
            let why = format!(
                "`{word}` ({gnu}) picks one of two register-to-register encodings (`mov`, `movaps`, `vmovss`, `vmovq`, `pextrw`); `{m}` with these operands has no form whose destination is {}",
                if store { "ModRM.rm" } else { "ModRM.reg" }
            );
            (kept, why)
        }
        Pseudo::Vex | Pseudo::Vex3 => (
            keep(&|c| c.op_code().encoding() == EncodingKind::VEX),
            format!("`{word}` ({gnu}) asks for a VEX encoding; `{m}` with these operands has none"),
        ),
        Pseudo::Evex => (
            keep(&|c| c.op_code().encoding() == EncodingKind::EVEX),
            format!(
                "`{word}` ({gnu}) asks for an EVEX encoding; `{m}` with these operands has none"
            ),
        ),
        Pseudo::Disp8 | Pseudo::Disp32 => {
            let based = written.iter().any(|o| {
                matches!(&o.kind, OperandKind::Mem(mem, _) if mem.base.is_some() && mem.rip.is_none())
            });
            // A branch to a label: `disp8_jz` stays rel8 (an error if the target is out of
            // reach), `disp32_jmp` rel32 (`encode/fixed.rs`); `loop` has no rel32 and `call` no
            // rel8 (GNU as ignores the prefix there).
            let want = if p == Pseudo::Disp8 {
                K::br64_1
            } else {
                K::br64_4
            };
            let branch = written
                .iter()
                .any(|o| matches!(o.kind, OperandKind::Label(_)))
                && fit.iter().any(|c| {
                    let (short, near) = (c.as_short_branch(), c.as_near_branch());
                    [short, near].iter().any(|b| b.op_code().op_kind(0) == want)
                });
            let why = format!(
                "`{word}` ({gnu}) sizes the displacement of a memory operand with a base register, or a branch's rel{}; `{m}` has neither here (a RIP-relative or base-less address always has a disp32)",
                if p == Pseudo::Disp8 { 8 } else { 32 }
            );
            (
                if based || branch {
                    fit.clone()
                } else {
                    Vec::new()
                },
                why,
            )
        }
    };
    if kept.is_empty() {
        return Err(syn::Error::new(inst.span, why));
    }
    Ok(kept)
}
