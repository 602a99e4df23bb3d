//! Listings of hand-built variants, compared as whole strings.

use std::format;

use super::*;
use crate::{EntryPoint, LineTable};

fn variant(
    bytes: &'static [u8],
    code_size: u32,
    pool_size: u32,
    lines: &'static [u8],
) -> VariantInfo {
    VariantInfo {
        name: "test",
        symbol: "__asmforge_test",
        convention: crate::CallingConvention::SysV,
        entry: EntryPoint(core::ptr::null()),
        declared: &[],
        used: &[],
        bytes,
        code_size,
        pool_size,
        lines: LineTable::from_packed(lines),
        saved: &[],
        registers: [0; 3],
    }
}

#[test]
fn add_and_ret_with_lines() {
    let v = variant(
        &[0x48, 0x01, 0xf8, 0xc3],
        4,
        0,
        &[0, 0, 0, 0, 12, 0, 0, 0, 3, 0, 0, 0, 13, 0, 0, 0],
    );
    assert_eq!(
        listing(&v),
        "  0000: 48 01 f8  add rax, rdi  ; line 12\n\
         \x20 0003: c3        ret           ; line 13\n"
    );
}

#[test]
fn line_zero_and_missing_lines_have_no_comment() {
    let v = variant(&[0x48, 0x01, 0xf8, 0xc3], 4, 0, &[0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(
        listing(&v),
        "  0000: 48 01 f8  add rax, rdi\n  0003: c3        ret\n"
    );
}

#[test]
fn branches_and_rip_relative_operands_show_offsets_and_the_pool_follows() {
    // 0000: vmovaps ymm0, [rip+0x18]   (c5 fc 28 05 18 00 00 00 -> target 0x20)
    // 0008: jmp short 0x0c             (eb 02)
    // 000a: ud2                        (0f 0b)
    // 000c: ret                        (c3)
    // 000d..0020: int3 padding, then a 20-byte pool at 0x20.
    static BYTES: [u8; 52] = {
        let mut b = [0xcc; 52];
        let code = [
            0xc5, 0xfc, 0x28, 0x05, 0x18, 0, 0, 0, 0xeb, 0x02, 0x0f, 0x0b, 0xc3,
        ];
        let mut i = 0;
        while i < code.len() {
            b[i] = code[i];
            i += 1;
        }
        let mut j = 0;
        while j < 20 {
            b[32 + j] = j as u8;
            j += 1;
        }
        b
    };
    let v = variant(&BYTES, 13, 20, &[8, 0, 0, 0, 40, 0, 0, 0]);
    assert_eq!(
        listing(&v),
        "  0000: c5 fc 28 05 18 00 00 00  vmovaps ymm0, [0x20]\n\
         \x20 0008: eb 02                    jmp short 0xc         ; line 40\n\
         \x20 000a: 0f 0b                    ud2\n\
         \x20 000c: c3                       ret\n\
         \x20 0020: .byte 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f\n\
         \x20 0030: .byte 0x10, 0x11, 0x12, 0x13\n"
    );
}

#[test]
fn lines_decode_only_the_code() {
    let v = variant(
        &[0x48, 0x01, 0xf8, 0xc3, 0x00, 0x00, 0x80, 0x3f],
        4,
        4,
        &[3, 0, 0, 0, 9, 0, 0, 0],
    );
    let decoded = lines(&v);
    let shown: Vec<(u32, &[u8], &str, Option<u32>)> = decoded
        .iter()
        .map(|l| (l.offset, l.bytes, l.text.as_str(), l.source_line))
        .collect();
    assert_eq!(
        shown,
        [
            (0, &[0x48, 0x01, 0xf8][..], "add rax, rdi", None),
            (3, &[0xc3][..], "ret", Some(9)),
        ]
    );
}

#[test]
fn bad_bytes_and_bad_sizes_do_not_panic() {
    // 0x06 (push es) is invalid in 64-bit mode; a lone REX prefix (0x48) is truncated.
    let v = variant(&[0x06, 0xc3, 0x48], 3, 0, &[]);
    let text = listing(&v);
    assert!(text.starts_with("  0000: 06"), "{text}");
    assert!(text.contains("(bad)"), "{text}");
    let shown: usize = lines(&v).iter().map(|l| l.bytes.len()).sum();
    assert_eq!(shown, 3, "every byte appears exactly once:\n{text}");
    let offsets: Vec<&str> = text.lines().map(|l| &l[2..6]).collect();
    let expected: Vec<String> = lines(&v)
        .iter()
        .map(|l| format!("{:04x}", l.offset))
        .collect();
    assert_eq!(offsets, expected);

    let oversized = variant(&[0xc3], 100, 100, &[]);
    assert_eq!(listing(&oversized), "  0000: c3  ret\n");
}
