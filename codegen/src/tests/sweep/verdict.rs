//! Judging one case: equal bytes, a documented equivalent or divergence, or a mismatch.

use iced_x86::{Code, CpuidFeature, Instruction};

use super::cases::Case;
use super::run::{Ours, decode, disassemble, format, hex, options, subject};

/// Differences between asmforge's and GNU as' bytes that are not errors: another valid
/// encoding of the same instruction, no longer than GNU's. Returns why, or `None`.
fn equivalent(case: &Case, ours: &[u8], theirs: &[u8]) -> Option<&'static str> {
    let (da, dg) = (decode(ours, options(case)), decode(theirs, options(case)));
    let (a, g) = (da.get(case.subject)?, dg.get(case.subject)?);
    if ours.len() > theirs.len() {
        return None;
    }
    // Legacy prefixes of different groups may come in any order (Intel SDM Vol. 2, 2.1.1).
    let prefixes = |b: &[u8]| {
        b.iter()
            .take_while(|x| {
                matches!(
                    x,
                    0xF0 | 0xF2 | 0xF3 | 0x66 | 0x67 | 0x2E | 0x36 | 0x3E | 0x26 | 0x64 | 0x65
                )
            })
            .count()
    };
    let (pa, pg) = (prefixes(ours), prefixes(theirs));
    if pa == pg && pa > 1 && ours[pa..] == theirs[pg..] {
        let mut x = ours[..pa].to_vec();
        let mut y = theirs[..pg].to_vec();
        x.sort_unstable();
        y.sort_unstable();
        if x == y {
            return Some("legacy prefixes in another order (iced puts LOCK before 66)");
        }
    }
    // The instruction a branch lands on, by position in the snippet.
    let landing = |list: &[Instruction], i: &Instruction| {
        list.iter()
            .position(|x| x.ip() == i.near_branch_target())
            .or(
                (i.near_branch_target() == list.last().map_or(0, |l| l.next_ip()))
                    .then_some(list.len()),
            )
    };
    if a.code() == Code::Xbegin_rel16
        && g.code() == Code::Xbegin_rel32
        && landing(&da, a).is_some()
        && landing(&da, a) == landing(&dg, g)
    {
        return Some(
            "iced's BlockEncoder shortens XBEGIN to rel16 (66 C7 F8 cw) when the target is near; \
             in 64-bit mode rel16 is sign-extended and added to RIP (Intel SDM XBEGIN, \
             Operation); GNU as always uses rel32",
        );
    }
    let fma4 = |i: &Instruction| i.code().cpuid_features().contains(&CpuidFeature::FMA4);
    if fma4(a)
        && fma4(g)
        && format(a) == format(g)
        && ours.len() == theirs.len()
        && da.len() == dg.len()
    {
        return Some(
            "FMA4 with four registers fits VEX.W0 (is4 = 4th operand) and VEX.W1 (is4 = 3rd); \
             asmforge keeps iced's order (W0), GNU as' FMA4 table lists W1 first",
        );
    }
    None
}

/// Differences asmforge makes on purpose: a different instruction (or a longer encoding)
/// than GNU as', documented here. Returns why, or `None`.
fn divergent(a: &Instruction, g: &Instruction) -> Option<&'static str> {
    if a.code() == Code::Int_imm8 && a.immediate8() == 3 && g.code() == Code::Int3 {
        return Some(
            "GNU as turns `int 3` into `int3` (CC), which is another instruction (Intel SDM \
             INT n/INTO/INT3/INT1: CC is the breakpoint form, which IOPL does not check in \
             virtual-8086 mode); asmforge encodes what is written, and `int3()` is CC",
        );
    }
    if a.code() == Code::Nopq && g.code() == Code::Nopd {
        return Some(
            "`xchg rax, rax` is `48 90` in asmforge, `90` in GNU as: both NOP (Intel SDM XCHG: \
             90H is NOP regardless of REX.W); asmforge does not special-case the spelling",
        );
    }
    None
}

/// How one case came out.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(super) enum Outcome {
    Match,
    Equivalent,
    Divergent,
    Mismatch,
    BothReject,
    /// asmforge rejects what GNU as assembles.
    OursRejects,
    /// GNU as rejects what asmforge encodes.
    GnuRejects,
}

pub(super) struct Verdict {
    pub(super) outcome: Outcome,
    pub(super) detail: String,
}

pub(super) fn judge(case: &Case, ours: &Ours, gnu: &Result<Vec<u8>, String>) -> Verdict {
    let v = |outcome, detail: String| Verdict { outcome, detail };
    let dis = |b: &[u8]| format!("{} {}", hex(b), disassemble(b, options(case)));
    match (ours, gnu) {
        (Ours::Rejected(a), Err(g)) => v(
            Outcome::BothReject,
            format!("asmforge: {a}\n    GNU as: {g}"),
        ),
        (Ours::Rejected(a), Ok(g)) => v(
            Outcome::OursRejects,
            format!("asmforge: {a}\n    GNU as: {}", dis(g)),
        ),
        (Ours::Encoded(b, _), Err(g)) => v(
            Outcome::GnuRejects,
            format!("asmforge: {}\n    GNU as: {g}", dis(b)),
        ),
        (Ours::Encoded(a, _), Ok(g)) if a == g => v(Outcome::Match, String::new()),
        (Ours::Encoded(a, c), Ok(g)) => {
            let detail = format!("asmforge: {} ({c:?})\n    GNU as:   {}", dis(a), dis(g));
            let (Some(x), Some(y)) = (subject(case, a), subject(case, g)) else {
                return v(Outcome::Mismatch, detail);
            };
            if let Some(why) = equivalent(case, a, g) {
                v(Outcome::Equivalent, format!("{detail}\n    ({why})"))
            } else if let Some(why) = divergent(&x, &y) {
                v(Outcome::Divergent, format!("{detail}\n    ({why})"))
            } else {
                v(Outcome::Mismatch, detail)
            }
        }
    }
}
