//! Disassembly of a [`VariantInfo`], for humans (feature `listing`, off by default: it links
//! iced-x86's decoder and formatter into the program).
//!
//! Takes: a variant's `bytes`, `code_size`, `pool_size` and `lines`. Gives the project's own
//! types — [`ListingLine`]s from [`lines`], or the whole text from [`listing`] — so no type
//! of the disassembler leaks into the API.
//!
//! Guarantees: Guarantees: the same
//! variant always gives the same text; malformed metadata (sizes beyond `bytes`) shortens the
//! listing instead of panicking; bytes that do not decode show as `(bad)` and decoding goes on
//! after them. Code is decoded as 64-bit with the first byte at address 0, so branch targets
//! and RIP-relative operands show as offsets into the variant (a pool load reads
//! `[0x40]`, the pool row at `0040`).
//!
//! ```text
//!   0000: 48 01 f8  add rax, rdi  ; line 3
//!   0003: c3        ret
//!   0010: .byte 0x00, 0x00, 0x80, 0x3f
//! ```
//!
//! Columns: offset (4 hex digits), the instruction's bytes padded to the longest instruction
//! of the listing, the Intel-syntax text (lower case, `0x` hex), and the source line when the
//! variant maps that offset to a non-zero line. The constant pool (the last `pool_size` bytes)
//! follows as `.byte` rows of up to 16.

use core::fmt::Write;
use std::string::String;
use std::vec::Vec;

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};

use crate::VariantInfo;

/// Bytes per `.byte` row of the constant pool.
const POOL_ROW: usize = 16;

/// One decoded instruction of a variant's code.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListingLine {
    /// Offset of the instruction's first byte from the start of the variant's code.
    pub offset: u32,
    /// The instruction's bytes, a slice of the variant's `bytes`.
    pub bytes: &'static [u8],
    /// Intel syntax, lower case, `0x` hex; branch targets and RIP-relative operands as offsets
    /// into the variant; `(bad)` for bytes that do not decode.
    pub text: String,
    /// The DSL source line that produced it, `None` for code the compiler added.
    pub source_line: Option<u32>,
}

/// The variant's code (the constant pool excluded), one [`ListingLine`] per instruction, in
/// offset order; every code byte belongs to exactly one line.
///
/// # Examples
///
/// ```
/// use asmforge_runtime::{EntryPoint, LineTable, VariantInfo};
///
/// static V: VariantInfo = VariantInfo {
///     name: "baseline",
///     symbol: "example",
///     convention: asmforge_runtime::CallingConvention::SysV,
///     entry: EntryPoint(core::ptr::null()),
///     declared: &[],
///     used: &[],
///     bytes: &[0x48, 0x01, 0xf8, 0xc3],
///     code_size: 4,
///     pool_size: 0,
///     lines: LineTable::from_packed(&[0, 0, 0, 0, 7, 0, 0, 0]),
///     saved: &[],
///     registers: [1, 0, 0],
/// };
/// let lines = asmforge_runtime::listing::lines(&V);
/// assert_eq!(lines[0].text, "add rax, rdi");
/// assert_eq!((lines[0].offset, lines[0].bytes, lines[0].source_line), (0, &[0x48, 0x01, 0xf8][..], Some(7)));
/// assert_eq!((lines[1].offset, lines[1].text.as_str(), lines[1].source_line), (3, "ret", None));
/// ```
pub fn lines(v: &VariantInfo) -> Vec<ListingLine> {
    let code = code(v);
    let mut formatter = IntelFormatter::new();
    let options = formatter.options_mut();
    options.set_hex_prefix("0x");
    options.set_hex_suffix("");
    options.set_uppercase_hex(false);
    options.set_space_after_operand_separator(true);
    options.set_branch_leading_zeros(false);

    let mut decoder = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while decoder.can_decode() {
        let instruction = decoder.decode();
        // ip started at 0 and code is far below 4 GiB, so both conversions are exact.
        let start = instruction.ip() as usize;
        let bytes = code
            .get(start..start + instruction.len())
            .unwrap_or_default();
        let mut text = String::new();
        formatter.format(&instruction, &mut text);
        out.push(ListingLine {
            offset: start as u32,
            bytes,
            text,
            source_line: line_at(v, start as u32),
        });
    }
    out
}

/// The variant as text: one line per instruction, then the constant pool. See the module
/// documentation for the layout.
///
/// # Examples
///
/// ```
/// use asmforge_runtime::{EntryPoint, LineTable, VariantInfo};
///
/// static V: VariantInfo = VariantInfo {
///     name: "baseline",
///     symbol: "example",
///     convention: asmforge_runtime::CallingConvention::SysV,
///     entry: EntryPoint(core::ptr::null()),
///     declared: &[],
///     used: &[],
///     bytes: &[0x48, 0x01, 0xf8, 0xc3],
///     code_size: 4,
///     pool_size: 0,
///     lines: LineTable::from_packed(&[0, 0, 0, 0, 7, 0, 0, 0]),
///     saved: &[],
///     registers: [1, 0, 0],
/// };
/// let text = asmforge_runtime::listing::listing(&V);
/// assert_eq!(text, "  0000: 48 01 f8  add rax, rdi  ; line 7\n  0003: c3        ret\n");
/// ```
pub fn listing(v: &VariantInfo) -> String {
    let rows = lines(v);
    let hex: Vec<String> = rows.iter().map(|r| hex(r.bytes)).collect();
    let bytes_width = hex.iter().map(String::len).max().unwrap_or(0);
    let text_width = rows.iter().map(|r| r.text.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (row, hex) in rows.iter().zip(&hex) {
        // Writing to a String cannot fail.
        let _ = write!(out, "  {:04x}: {hex:<bytes_width$}  ", row.offset);
        match row.source_line {
            Some(line) => {
                let _ = writeln!(out, "{:<text_width$}  ; line {line}", row.text);
            }
            None => {
                let _ = writeln!(out, "{}", row.text);
            }
        }
    }
    write_pool(&mut out, v);
    out
}

fn write_pool(out: &mut String, v: &VariantInfo) {
    let pool_size = v.pool_size as usize;
    let Some(start) = v.bytes.len().checked_sub(pool_size) else {
        return;
    };
    for (i, chunk) in v.bytes[start..].chunks(POOL_ROW).enumerate() {
        let _ = write!(out, "  {:04x}: .byte ", start + i * POOL_ROW);
        for (j, b) in chunk.iter().enumerate() {
            let sep = if j == 0 { "" } else { ", " };
            let _ = write!(out, "{sep}{b:#04x}");
        }
        out.push('\n');
    }
}

/// The code part of `bytes` (all of it if `code_size` overstates it).
fn code(v: &VariantInfo) -> &'static [u8] {
    v.bytes.get(..v.code_size as usize).unwrap_or(v.bytes)
}

/// The source line recorded for `offset`, unless it is 0 (compiler-added code).
fn line_at(v: &VariantInfo, offset: u32) -> Option<u32> {
    v.lines.line_at(offset).filter(|&line| line != 0)
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        let sep = if i == 0 { "" } else { " " };
        let _ = write!(s, "{sep}{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests;
