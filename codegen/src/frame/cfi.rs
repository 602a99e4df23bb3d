//! Unwind information: DWARF call-frame directives (`.cfi_*`) interleaved with the code bytes.
//!
//! The frame stage places a [`CfiOp`] after each prologue or epilogue instruction that moves
//! rsp, changes the register the CFA is computed from, or saves or restores a callee-saved
//! register; `encode` turns each into the byte offset just past that instruction; [`byte_lines`]
//! splits the `.byte` stream at those offsets and writes the directive there (DWARF on ELF
//! and Mach-O, Windows x64 unwind codes on COFF). The assembler
//! then builds the FDE (`.eh_frame` on ELF) exactly as for compiled code, so gdb, perf,
//! libunwind and Rust's own backtraces unwind through a kernel at every instruction.
//!
//! ```text
//!   .cfi_startproc                  CFA = rsp + 8, return address at CFA - 8
//!   push rbx                        .cfi_def_cfa_offset 16 ; .cfi_offset 3, -16
//!   sub rsp, 40                     .cfi_def_cfa_offset 56
//!   movaps [rsp + 16], xmm6         .cfi_offset 23, -40            (Win64 only)
//!   mov rbp, rsp                    .cfi_def_cfa_register 6        (realigning frames only)
//!   ...                             (one state for the whole body)
//!   mov rsp, rbp                    .cfi_def_cfa_register 7
//!   movaps xmm6, [rsp + 16]         .cfi_restore 23
//!   add rsp, 40                     .cfi_def_cfa_offset 16
//!   pop rbx                         .cfi_def_cfa_offset 8 ; .cfi_restore 3
//!   ret
//!   .cfi_endproc                    (before the constant pool)
//! ```
//!
//! Every `return` jumps to the one epilogue at the end, and nothing follows its `ret`, so no
//! `.cfi_remember_state` / `.cfi_restore_state` is needed. Registers are written as DWARF
//! numbers (System V AMD64 ABI §3.6.2, Figure 3.36), which every assembler accepts in Intel
//! and AT&T syntax alike.
//!
//! Per object format:
//!
//! * **ELF** (Linux, BSD): the directives above; the assembler emits `.eh_frame`.
//! * **Mach-O** (macOS): the same directives. LLVM's assembler turns them into a compact
//!   unwind entry when the frame fits that encoding and into a DWARF FDE in `__eh_frame`
//!   (with a compact entry pointing at it) when it does not, e.g. a realigned frame.
//! * **COFF** (Windows): the same ops as Windows x64 unwind directives ([`seh_directives`]),
//!   from which the assembler writes `.pdata` (`RUNTIME_FUNCTION`) and `.xdata`
//!   (`UNWIND_INFO`): Microsoft, "x64 exception handling".
//!
//! ```text
//!   .seh_proc <symbol>
//!   push rbx                        .seh_pushreg rbx
//!   sub rsp, 40                     .seh_stackalloc 40
//!   movaps [rsp + 16], xmm6         .seh_savexmm xmm6, 16       (offset from rsp after the
//!                                                                allocation, a multiple of 16)
//!   mov rbp, rsp                    .seh_setframe rbp, 0        (realigning frames only)
//!                                   .seh_endprologue
//!   and rsp, -64 ; sub rsp, n       (not described: the unwinder takes rsp from rbp)
//!   ...
//!   epilogue                        (not described: Windows unwinds from the prologue codes)
//!   .seh_endproc                    (before the constant pool)
//! ```
//!
//!   A realigning frame (`and rsp, -align`) has no unwind code of its own. It does not need
//!   one: `mov rbp, rsp` comes right after the vector saves, so `.seh_setframe rbp, 0` makes
//!   the unwinder compute the frame base as rbp (= rsp after the static allocation) at any
//!   point after the prologue, whatever the body's `and`/`sub` did to rsp; from that base it
//!   reloads the saved xmm registers at their offsets, releases the static allocation and
//!   pops the pushed registers, rbp included. The Windows prologue limits: at most 255 bytes
//!   of prologue (the `UNWIND_INFO` stores its size in a byte); a frame offset of 0 (≤ 240
//!   and a multiple of 16); `savexmm` offsets multiples of 16. [`seh_directives`] returns
//!   `None` for a prologue it cannot describe, and the kernel is then an error on Windows.
//!
//! What the directives cannot see: a body that moves rsp itself (`push`/`pop`/`sub rsp`)
//! leaves the CFA rule stale until it restores rsp.

use iced_x86::Register;

/// One call-frame directive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfiOp {
    /// `.cfi_def_cfa_offset n`: CFA = (CFA register) + n.
    DefCfaOffset(u32),
    /// `.cfi_def_cfa_register r`: the CFA is now computed from `r`, same offset.
    DefCfaRegister(Register),
    /// `.cfi_offset r, n`: the caller's `r` is saved at CFA + n.
    Offset(Register, i32),
    /// `.cfi_restore r`: `r` holds the caller's value again.
    Restore(Register),
}

/// The DWARF register number of a GPR or of xmm0–15 (System V AMD64 ABI, Figure 3.36).
pub fn dwarf_number(r: Register) -> Option<u32> {
    const GPRS: [Register; 16] = [
        Register::RAX,
        Register::RDX,
        Register::RCX,
        Register::RBX,
        Register::RSI,
        Register::RDI,
        Register::RBP,
        Register::RSP,
        Register::R8,
        Register::R9,
        Register::R10,
        Register::R11,
        Register::R12,
        Register::R13,
        Register::R14,
        Register::R15,
    ];
    if r.is_gpr64() {
        return GPRS.iter().position(|g| *g == r).map(|n| n as u32);
    }
    (r.is_xmm() && r.number() < 16).then(|| 17 + r.number() as u32)
}

impl CfiOp {
    /// The directive, or `None` for a register DWARF cannot name (never produced).
    pub fn directive(&self) -> Option<String> {
        Some(match *self {
            CfiOp::DefCfaOffset(n) => format!(".cfi_def_cfa_offset {n}"),
            CfiOp::DefCfaRegister(r) => format!(".cfi_def_cfa_register {}", dwarf_number(r)?),
            CfiOp::Offset(r, n) => format!(".cfi_offset {}, {n}", dwarf_number(r)?),
            CfiOp::Restore(r) => format!(".cfi_restore {}", dwarf_number(r)?),
        })
    }
}

/// How a variant's unwind information is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unwind {
    /// DWARF call-frame directives (ELF, Mach-O).
    Dwarf,
    /// Windows x64 unwind directives for the procedure named by this assembler operand
    /// (COFF); see [`seh_directives`].
    Seh(&'static str),
}

/// The blob as `.byte` lines (16 per line) with the unwind directives of `unwind` at their
/// offsets; the procedure (`.cfi_startproc`/`.cfi_endproc`, `.seh_proc`/`.seh_endproc`) ends
/// with the code, before the pool. `ops` is sorted by offset. `None` when `Seh` cannot
/// describe the prologue (see the module's documentation).
pub fn byte_lines(
    bytes: &[u8],
    code_size: u32,
    ops: &[(u32, CfiOp)],
    unwind: Unwind,
) -> Option<String> {
    let code_size = (code_size as usize).min(bytes.len());
    let (begin, events, end) = match unwind {
        Unwind::Dwarf => (
            ".cfi_startproc\n".to_owned(),
            ops.iter()
                .filter_map(|(at, op)| Some((*at as usize, op.directive()?)))
                .collect(),
            ".cfi_endproc",
        ),
        Unwind::Seh(proc_name) => (
            format!(".seh_proc {proc_name}\n"),
            seh_directives(ops)?,
            ".seh_endproc",
        ),
    };
    let mut out = begin;
    // Offsets where the stream is cut: each event, and the end of the code.
    let mut cuts: Vec<(usize, &str)> = events
        .iter()
        .map(|(at, d)| ((*at).min(code_size), d.as_str()))
        .collect();
    cuts.push((code_size, end));
    let mut at = 0usize;
    for (cut, directive) in cuts {
        push_bytes(&mut out, &bytes[at..cut]);
        at = cut;
        out.push_str(directive);
        out.push('\n');
    }
    push_bytes(&mut out, &bytes[at..]);
    Some(out)
}

/// The Windows x64 unwind directives (`.seh_*`) equivalent to the prologue's call-frame ops,
/// each with the offset it takes effect at, ending with `.seh_endprologue`. The prologue is
/// the ops up to the first one that undoes something (the epilogue's); within it a CFA
/// offset that grows by 8 and is followed at the same offset by the save of a GPR at the new
/// CFA is a `push`, any other growth a `sub rsp`, a vector register's save a `savexmm`, a
/// GPR's save elsewhere a `savereg`, and the switch to rbp a frame register. `None` when the
/// result breaks a limit of `UNWIND_INFO` (prologue over 255 bytes, an offset not a multiple
/// of 16).
pub fn seh_directives(ops: &[(u32, CfiOp)]) -> Option<Vec<(usize, String)>> {
    let mut out = Vec::new();
    let mut cfa = 8u32;
    let mut end = 0u32;
    let mut i = 0;
    while i < ops.len() {
        let (at, op) = ops[i];
        match op {
            CfiOp::DefCfaOffset(n) if n > cfa => {
                let pushed = match ops.get(i + 1) {
                    Some(&(at2, CfiOp::Offset(r, off)))
                        if at2 == at && n == cfa + 8 && r.is_gpr64() && off == -(n as i32) =>
                    {
                        Some(r)
                    }
                    _ => None,
                };
                match pushed {
                    Some(r) => {
                        out.push((at, format!(".seh_pushreg {}", reg_name(r))));
                        i += 1;
                    }
                    None => out.push((at, format!(".seh_stackalloc {}", n - cfa))),
                }
                cfa = n;
            }
            CfiOp::Offset(r, off) => {
                // The slot's offset from rsp, which is `cfa` bytes below the CFA.
                let from_rsp = i64::from(off) + i64::from(cfa);
                if from_rsp < 0 {
                    return None;
                }
                let d = if r.is_xmm() {
                    if from_rsp % 16 != 0 {
                        return None;
                    }
                    format!(".seh_savexmm {}, {from_rsp}", reg_name(r))
                } else {
                    if from_rsp % 8 != 0 {
                        return None;
                    }
                    format!(".seh_savereg {}, {from_rsp}", reg_name(r))
                };
                out.push((at, d));
            }
            CfiOp::DefCfaRegister(Register::RBP) => {
                // `mov rbp, rsp`: the frame base is rbp itself.
                out.push((at, ".seh_setframe rbp, 0".to_owned()));
            }
            // The first op that undoes something starts the epilogue.
            _ => break,
        }
        end = at;
        i += 1;
    }
    if end > 255 {
        return None;
    }
    out.push((end, ".seh_endprologue".to_owned()));
    Some(out.into_iter().map(|(at, d)| (at as usize, d)).collect())
}

/// The lowercase name of a register, as `.seh_*` directives take it.
fn reg_name(r: Register) -> String {
    format!("{r:?}").to_ascii_lowercase()
}

fn push_bytes(out: &mut String, bytes: &[u8]) {
    // Bytes from a table rather than `write!(out, "0x{b:02x}")`: the macro runs unoptimised
    // in users' builds, where formatting costs more per byte than the rest of the listing.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut line = Vec::with_capacity(6 + 16 * 5);
    for chunk in bytes.chunks(16) {
        line.clear();
        line.extend_from_slice(b".byte ");
        for &b in chunk {
            line.extend_from_slice(&[
                b'0',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
                b',',
            ]);
        }
        line.pop();
        line.push(b'\n');
        out.push_str(std::str::from_utf8(&line).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dwarf_numbers() {
        assert_eq!(dwarf_number(Register::RBX), Some(3));
        assert_eq!(dwarf_number(Register::RBP), Some(6));
        assert_eq!(dwarf_number(Register::R12), Some(12));
        assert_eq!(dwarf_number(Register::XMM6), Some(23));
        assert_eq!(dwarf_number(Register::XMM16), None);
        assert_eq!(dwarf_number(Register::EBX), None);
    }

    #[test]
    fn directives_land_between_the_bytes_they_follow() {
        // push rbx ; pop rbx ; ret ; then a 4-byte pool
        let bytes = [0x53, 0x5b, 0xc3, 0xcc, 1, 2, 3, 4];
        let unwind = [
            (1, CfiOp::DefCfaOffset(16)),
            (1, CfiOp::Offset(Register::RBX, -16)),
            (2, CfiOp::DefCfaOffset(8)),
            (2, CfiOp::Restore(Register::RBX)),
        ];
        let text = byte_lines(&bytes, 3, &unwind, Unwind::Dwarf).unwrap();
        assert_eq!(
            text,
            ".cfi_startproc\n.byte 0x53\n.cfi_def_cfa_offset 16\n.cfi_offset 3, -16\n\
             .byte 0x5b\n.cfi_def_cfa_offset 8\n.cfi_restore 3\n.byte 0xc3\n.cfi_endproc\n\
             .byte 0xcc,0x01,0x02,0x03,0x04\n"
        );
        let seh = byte_lines(&bytes, 3, &unwind, Unwind::Seh("{f}")).unwrap();
        assert_eq!(
            seh,
            ".seh_proc {f}\n.byte 0x53\n.seh_pushreg rbx\n.seh_endprologue\n\
             .byte 0x5b,0xc3\n.seh_endproc\n.byte 0xcc,0x01,0x02,0x03,0x04\n"
        );
    }

    #[test]
    fn windows_unwind_codes_follow_the_prologue() {
        // push rbx ; push rbp ; sub rsp, 40 ; movaps [rsp+16], xmm6 ; mov rbp, rsp ; ...
        let ops = [
            (1, CfiOp::DefCfaOffset(16)),
            (1, CfiOp::Offset(Register::RBX, -16)),
            (2, CfiOp::DefCfaOffset(24)),
            (2, CfiOp::Offset(Register::RBP, -24)),
            (6, CfiOp::DefCfaOffset(64)),
            (11, CfiOp::Offset(Register::XMM6, -48)),
            (14, CfiOp::DefCfaRegister(Register::RBP)),
            (30, CfiOp::DefCfaRegister(Register::RSP)),
            (35, CfiOp::Restore(Register::XMM6)),
        ];
        let got: Vec<(usize, String)> = seh_directives(&ops).unwrap();
        let want = [
            (1, ".seh_pushreg rbx"),
            (2, ".seh_pushreg rbp"),
            (6, ".seh_stackalloc 40"),
            (11, ".seh_savexmm xmm6, 16"),
            (14, ".seh_setframe rbp, 0"),
            (14, ".seh_endprologue"),
        ];
        let want: Vec<(usize, String)> = want.iter().map(|(a, d)| (*a, d.to_string())).collect();
        assert_eq!(got, want);
        // No ops: an empty prologue, still a procedure the unwinder knows.
        assert_eq!(
            seh_directives(&[]).unwrap(),
            [(0, ".seh_endprologue".to_owned())]
        );
        // What UNWIND_INFO cannot hold.
        assert!(seh_directives(&[(256, CfiOp::DefCfaOffset(4104))]).is_none());
        assert!(
            seh_directives(&[
                (4, CfiOp::DefCfaOffset(32)),
                (9, CfiOp::Offset(Register::XMM6, -24))
            ])
            .is_none()
        );
    }
}
