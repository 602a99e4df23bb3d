//! Unwind information: DWARF call-frame directives (`.cfi_*`) interleaved with the code bytes.
//!
//! The frame stage places a [`CfiOp`] after each prologue or epilogue instruction that moves
//! rsp, changes the register the CFA is computed from, or saves or restores a callee-saved
//! register; `encode` turns each into the byte offset just past that instruction; [`byte_lines`]
//! splits the `.byte` stream at those offsets and writes the directive there. The assembler
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
//! * **COFF** (Windows): nothing. Windows unwinds through `.pdata`/`.xdata` (`UNWIND_INFO`),
//!   which these kernels do not carry, so the kernel is a leaf function to the system
//!   unwinder: correct only while rsp still points at the return address. An exception or
//!   panic cannot unwind through a kernel that pushed registers (kernels call nothing, so one
//!   can only arise in a debugger or a profiler's stack walk), and debuggers fall back to
//!   heuristics (scanning the stack for a return address) inside such a kernel.
//!   Emitting `.seh_*` directives would close this gap; the realigning frame would then need
//!   the frame-pointer form of `UNWIND_INFO`.
//!
//! What the directives cannot see: a body that moves rsp itself (`push`/`pop`/`sub rsp`)
//! leaves the CFA rule stale until it restores rsp.

use std::fmt::Write;

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

/// The blob as `.byte` lines (16 per line); with `cfi`, wrapped in `.cfi_startproc` /
/// `.cfi_endproc` (the procedure ends with the code, before the pool) with each directive
/// at its offset. `unwind` is sorted by offset.
pub fn byte_lines(bytes: &[u8], code_size: u32, unwind: &[(u32, CfiOp)], cfi: bool) -> String {
    let mut out = String::new();
    let code_size = (code_size as usize).min(bytes.len());
    // Offsets where the stream is cut: each event, and the end of the code.
    let mut cuts: Vec<(usize, Option<CfiOp>)> = Vec::new();
    if cfi {
        out.push_str(".cfi_startproc\n");
        cuts.extend(
            unwind
                .iter()
                .map(|(at, op)| ((*at as usize).min(code_size), Some(*op))),
        );
        cuts.push((code_size, None));
    }
    let mut at = 0usize;
    for (cut, op) in cuts {
        push_bytes(&mut out, &bytes[at..cut]);
        at = cut;
        match op {
            Some(op) => {
                if let Some(d) = op.directive() {
                    out.push_str(&d);
                    out.push('\n');
                }
            }
            None => out.push_str(".cfi_endproc\n"),
        }
    }
    push_bytes(&mut out, &bytes[at..]);
    out
}

fn push_bytes(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(16) {
        out.push_str(".byte ");
        for (i, b) in chunk.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "0x{b:02x}");
        }
        out.push('\n');
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
        let text = byte_lines(&bytes, 3, &unwind, true);
        assert_eq!(
            text,
            ".cfi_startproc\n.byte 0x53\n.cfi_def_cfa_offset 16\n.cfi_offset 3, -16\n\
             .byte 0x5b\n.cfi_def_cfa_offset 8\n.cfi_restore 3\n.byte 0xc3\n.cfi_endproc\n\
             .byte 0xcc,0x01,0x02,0x03,0x04\n"
        );
        let plain = byte_lines(&bytes, 3, &unwind, false);
        assert_eq!(plain, ".byte 0x53,0x5b,0xc3,0xcc,0x01,0x02,0x03,0x04\n");
    }
}
