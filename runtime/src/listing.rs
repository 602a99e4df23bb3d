//! Disassembly of a [`VariantInfo`], for humans (feature `listing`).
//!
//! Takes: a variant's `bytes`, `code_size`, `pool_size` and `lines`. Guarantees: the same
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

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter};

use crate::VariantInfo;

/// Bytes per `.byte` row of the constant pool.
const POOL_ROW: usize = 16;

/// The variant's code decoded into instructions (the constant pool excluded).
pub fn instructions(v: &VariantInfo) -> Vec<Instruction> {
    let mut decoder = Decoder::with_ip(64, code(v), 0, DecoderOptions::NONE);
    let mut out = Vec::new();
    while decoder.can_decode() {
        out.push(decoder.decode());
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
    let rows = code_rows(v);
    let bytes_width = rows.iter().map(|r| r.hex.len()).max().unwrap_or(0);
    let text_width = rows.iter().map(|r| r.text.len()).max().unwrap_or(0);
    let mut out = String::new();
    for row in &rows {
        // Writing to a String cannot fail.
        let _ = write!(out, "  {:04x}: {:<bytes_width$}  ", row.offset, row.hex);
        match line_at(v, row.offset) {
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

/// One decoded instruction, formatted.
struct Row {
    offset: u32,
    hex: String,
    text: String,
}

fn code_rows(v: &VariantInfo) -> Vec<Row> {
    let code = code(v);
    let mut formatter = IntelFormatter::new();
    let options = formatter.options_mut();
    options.set_hex_prefix("0x");
    options.set_hex_suffix("");
    options.set_uppercase_hex(false);
    options.set_space_after_operand_separator(true);
    options.set_branch_leading_zeros(false);

    let mut rows = Vec::new();
    for instruction in instructions(v) {
        // ip started at 0 and code is far below 4 GiB, so both conversions are exact.
        let start = instruction.ip() as usize;
        let bytes = code
            .get(start..start + instruction.len())
            .unwrap_or_default();
        let mut text = String::new();
        formatter.format(&instruction, &mut text);
        rows.push(Row {
            offset: start as u32,
            hex: hex(bytes),
            text,
        });
    }
    rows
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
fn code(v: &VariantInfo) -> &[u8] {
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
