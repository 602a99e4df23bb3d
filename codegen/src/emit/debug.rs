//! Source-level debugging on ELF: a DWARF compilation unit per variant, written by us.
//!
//! Takes a variant's line map (`Encoded::lines`: code offset → DSL source line), its code size
//! and the source file's name as rustc displays it; gives assembler text that goes into the
//! variant's `naked_asm!` after the code, adding three pieces to the object's debug sections:
//!
//! ```text
//!   .debug_abbrev   the two abbreviations below (our own table; rustc's, if any, is separate)
//!   .debug_line     a DWARF 4 line program: one file (the kernel's source), a row wherever
//!                   the source line changes, the code's end; addresses from the label `7:`
//!                   that precedes the first code byte
//!   .debug_info     DW_TAG_compile_unit  name = the source file, language = assembler,
//!                                        stmt_list → that program, low_pc = `7:`,
//!                                        high_pc = code size
//! ```
//!
//! gdb then resolves `break sdot.rs:47` to the instructions of line 47 in every variant,
//! `stepi`/`step` show the DSL line, and `perf annotate`, `addr2line` and `objdump -l` print
//! it. The linker concatenates these sections with rustc's own; every cross-section reference
//! here (abbreviation table, line program, code address) is a relocation, so the unit stays
//! valid wherever the pieces land.
//!
//! Why not `.file`/`.loc` directives between the byte groups, letting the assembler build the
//! line program: LLVM numbers `.file` entries of inline assembly per object and rejects a gap
//! or a number used twice ("unassigned file number", "file number already allocated"). A
//! proc macro sees one kernel, not the code-generation unit it lands in, so it cannot number
//! files across kernels; and the rows would land in rustc's unit, whose address ranges do not
//! cover naked functions and which does not exist at all without `-g`. A unit of our own is
//! independent of both: the line information is there in every profile, costs no run-time
//! memory (debug sections are not loaded), and goes where rustc's goes: `strip`, and cargo's
//! default `strip = "debuginfo"` for profiles without debug info, remove it.
//!
//! Paths: the unit names the file as rustc displays it (`Span::file`, what `file!()` gives:
//! relative to the workspace root for workspace members, after `--remap-path-prefix`), and
//! has no compilation directory, so gdb looks the file up from its working directory (or
//! `directory`). Debug information is not part of a symbol or of the code: the symbols and the
//! bytes at them do not depend on the path (tests/link.rs), exactly as for rustc's own debug
//! information.
//!
//! ELF only. Mach-O keeps debug information in the object files and finds it through the
//! linker's debug map, which names functions rustc describes; COFF (mingw) would need the
//! same sections under its own section syntax. Both keep the code without line information.
//!
//! References: DWARF Debugging Information Format, Version 4, §6.2 (line number information),
//! §7.5 (unit headers, abbreviations, forms).

use std::fmt::Write;

/// The label (a numeric local label, as inline assembly must use) that the code starts at.
pub const CODE_LABEL: &str = "7";

// DWARF 4 constants (§7.5.4, §7.22, §6.2.5).
const DW_TAG_COMPILE_UNIT: u8 = 0x11;
const DW_CHILDREN_NO: u8 = 0;
const DW_AT_NAME: u8 = 0x03;
const DW_AT_STMT_LIST: u8 = 0x10;
const DW_AT_LOW_PC: u8 = 0x11;
const DW_AT_HIGH_PC: u8 = 0x12;
const DW_AT_LANGUAGE: u8 = 0x13;
const DW_AT_PRODUCER: u8 = 0x25;
const DW_FORM_ADDR: u8 = 0x01;
const DW_FORM_DATA2: u8 = 0x05;
const DW_FORM_DATA4: u8 = 0x06;
const DW_FORM_STRING: u8 = 0x08;
const DW_FORM_SEC_OFFSET: u8 = 0x17;
/// gdb and binutils treat this language as assembly: registers and raw instructions.
const DW_LANG_MIPS_ASSEMBLER: u16 = 0x8001;
const DW_LNS_COPY: u8 = 0x01;
const DW_LNS_ADVANCE_PC: u8 = 0x02;
const DW_LNS_ADVANCE_LINE: u8 = 0x03;
const DW_LNE_END_SEQUENCE: u8 = 0x01;
const DW_LNE_SET_ADDRESS: u8 = 0x02;

/// One piece of a section: literal bytes, or a 4- or 8-byte reference the assembler resolves
/// (a relocation in the object).
enum Piece {
    Bytes(Vec<u8>),
    /// `.long <label>`: the offset of a label in another debug section.
    Long(&'static str),
    /// `.quad <label>`: the address of the code.
    Quad(&'static str),
}

impl Piece {
    fn len(&self) -> usize {
        match self {
            Piece::Bytes(b) => b.len(),
            Piece::Long(_) => 4,
            Piece::Quad(_) => 8,
        }
    }
}

/// A section's contents, built front to back.
#[derive(Default)]
struct Section(Vec<Piece>);

impl Section {
    fn bytes(&mut self, b: &[u8]) {
        if let Some(Piece::Bytes(last)) = self.0.last_mut() {
            last.extend_from_slice(b);
        } else {
            self.0.push(Piece::Bytes(b.to_vec()));
        }
    }
    fn u8(&mut self, v: u8) {
        self.bytes(&[v]);
    }
    fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn uleb(&mut self, v: u64) {
        self.bytes(&uleb(v));
    }
    fn sleb(&mut self, v: i64) {
        self.bytes(&sleb(v));
    }
    fn string(&mut self, s: &str) {
        // A NUL would end the string early: DWARF strings cannot hold one.
        let clean: Vec<u8> = s.bytes().filter(|&b| b != 0).chain([0]).collect();
        self.bytes(&clean);
    }
    fn len(&self) -> usize {
        self.0.iter().map(Piece::len).sum()
    }
    fn extend(&mut self, other: Section) {
        for p in other.0 {
            match p {
                Piece::Bytes(b) => self.bytes(&b),
                p => self.0.push(p),
            }
        }
    }
    /// Assembler lines: `.byte` in rows of 16, `.long`/`.quad` for references.
    fn write(&self, out: &mut String) {
        for p in &self.0 {
            match p {
                Piece::Bytes(b) => {
                    for chunk in b.chunks(16) {
                        out.push_str(".byte ");
                        for (i, x) in chunk.iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            let _ = write!(out, "0x{x:02x}");
                        }
                        out.push('\n');
                    }
                }
                Piece::Long(l) => {
                    let _ = writeln!(out, ".long {l}");
                }
                Piece::Quad(l) => {
                    let _ = writeln!(out, ".quad {l}");
                }
            }
        }
    }
}

fn uleb(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(mut v: i64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
        if done {
            out.push(byte);
            return out;
        }
        out.push(byte | 0x80);
    }
}

/// Labels of the pieces (numeric local labels: unique names are impossible in inline
/// assembly, and each is referenced backwards from the next section before it is redefined).
const ABBREV_LABEL: &str = "8";
const LINE_LABEL: &str = "9";
/// Backward references to the labels above and to [`CODE_LABEL`].
const ABBREV_REF: &str = "8b";
const LINE_REF: &str = "9b";
const CODE_LABEL_REF: &str = "7b";

/// The DWARF line program: header, one file, rows where the line changes, end of sequence.
/// `lines` is sorted by offset (as `encode` produces it).
fn line_program(file: &str, lines: &[(u32, u32)], code_size: u32) -> Section {
    let mut header = Section::default();
    header.u8(1); // minimum_instruction_length
    header.u8(1); // maximum_operations_per_instruction
    header.u8(1); // default_is_stmt
    header.u8((-5i8) as u8); // line_base
    header.u8(14); // line_range
    header.u8(13); // opcode_base
    header.bytes(&[0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1]); // standard_opcode_lengths
    header.u8(0); // include_directories: none
    header.string(file);
    header.bytes(&[0, 0, 0]); // directory 0 (the compilation directory), mtime, length
    header.u8(0); // end of file_names

    let mut program = Section::default();
    program.bytes(&[0, 9, DW_LNE_SET_ADDRESS]);
    program.0.push(Piece::Quad(CODE_LABEL_REF));
    let (mut addr, mut line) = (0u32, 1i64);
    let mut last_line = None;
    for &(offset, l) in lines {
        if offset >= code_size || last_line == Some(l) {
            continue;
        }
        last_line = Some(l);
        if offset > addr {
            program.u8(DW_LNS_ADVANCE_PC);
            program.uleb(u64::from(offset - addr));
            addr = offset;
        }
        if i64::from(l) != line {
            program.u8(DW_LNS_ADVANCE_LINE);
            program.sleb(i64::from(l) - line);
            line = i64::from(l);
        }
        program.u8(DW_LNS_COPY);
    }
    if code_size > addr {
        program.u8(DW_LNS_ADVANCE_PC);
        program.uleb(u64::from(code_size - addr));
    }
    program.bytes(&[0, 1, DW_LNE_END_SEQUENCE]);

    let mut unit = Section::default();
    // unit_length counts from after itself: version (2), header_length (4), header, program.
    unit.u32((2 + 4 + header.len() + program.len()) as u32);
    unit.u16(4);
    unit.u32(header.len() as u32);
    unit.extend(header);
    unit.extend(program);
    unit
}

fn abbreviations() -> Section {
    let mut s = Section::default();
    s.bytes(&[1, DW_TAG_COMPILE_UNIT, DW_CHILDREN_NO]);
    s.bytes(&[DW_AT_PRODUCER, DW_FORM_STRING]);
    s.bytes(&[DW_AT_LANGUAGE, DW_FORM_DATA2]);
    s.bytes(&[DW_AT_NAME, DW_FORM_STRING]);
    s.bytes(&[DW_AT_STMT_LIST, DW_FORM_SEC_OFFSET]);
    s.bytes(&[DW_AT_LOW_PC, DW_FORM_ADDR]);
    s.bytes(&[DW_AT_HIGH_PC, DW_FORM_DATA4]);
    s.bytes(&[0, 0, 0]); // end of the attributes, end of the table
    s
}

fn compile_unit(file: &str, code_size: u32) -> Section {
    let mut die = Section::default();
    die.uleb(1);
    die.string(concat!("asmforge ", env!("CARGO_PKG_VERSION")));
    die.u16(DW_LANG_MIPS_ASSEMBLER);
    die.string(file);
    die.0.push(Piece::Long(LINE_REF));
    die.0.push(Piece::Quad(CODE_LABEL_REF));
    die.u32(code_size);

    let mut unit = Section::default();
    // unit_length: version (2), abbrev offset (4), address size (1), the DIE.
    unit.u32((2 + 4 + 1 + die.len()) as u32);
    unit.u16(4);
    unit.0.push(Piece::Long(ABBREV_REF));
    unit.u8(8);
    unit.extend(die);
    unit
}

/// Flags of our debug sections: `unique` makes each a section of its own in the object,
/// beside the one of the same name that rustc writes with `-g`. rustc's unit finds its
/// abbreviation table at the start of *its* `.debug_abbrev` (the section's begin symbol, not
/// a label); module-level assembly is assembled first, so a table of ours in that section
/// would take offset 0 and rustc's unit would read our abbreviations. The linker concatenates
/// sections by name, and every reference here is a relocation, so both units stay intact.
const SECTION: &str = "\"\",@progbits,unique,0x61736d66";

/// The debug sections of one variant, to follow its code in the same `naked_asm!` (which
/// must define [`CODE_LABEL`] at the first code byte). Each `.pushsection` returns to the
/// function's section with `.popsection`.
pub fn sections(file: &str, lines: &[(u32, u32)], code_size: u32) -> String {
    let mut out = String::new();
    let _ = writeln!(out, ".pushsection .debug_abbrev,{SECTION}\n{ABBREV_LABEL}:");
    abbreviations().write(&mut out);
    out.push_str(".popsection\n");
    let _ = writeln!(out, ".pushsection .debug_line,{SECTION}\n{LINE_LABEL}:");
    line_program(file, lines, code_size).write(&mut out);
    out.push_str(".popsection\n");
    let _ = writeln!(out, ".pushsection .debug_info,{SECTION}");
    compile_unit(file, code_size).write(&mut out);
    out.push_str(".popsection\n");
    out
}

/// Whether a file name from `Span::file` names a source file (outside a proc macro, or
/// under a compiler without the API, it is a placeholder such as `<unspecified>`).
pub fn is_real_file(file: &str) -> bool {
    !file.is_empty() && !file.starts_with('<')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leb128_matches_the_dwarf_examples() {
        // DWARF 4, §7.6, Figures 22 and 23.
        assert_eq!(uleb(2), [2]);
        assert_eq!(uleb(127), [127]);
        assert_eq!(uleb(128), [0x80, 1]);
        assert_eq!(uleb(12857), [0x80 + 57, 100]);
        assert_eq!(sleb(2), [2]);
        assert_eq!(sleb(-2), [0x7e]);
        assert_eq!(sleb(127), [0xff, 0]);
        assert_eq!(sleb(-127), [0x81, 0x7f]);
        assert_eq!(sleb(-128), [0x80, 0x7f]);
    }

    #[test]
    fn the_line_program_has_a_row_per_line_change_and_ends_at_the_code_size() {
        let unit = line_program("k.rs", &[(0, 10), (3, 10), (7, 12), (9, 0)], 12);
        let mut text = String::new();
        unit.write(&mut text);
        let all: Vec<u8> = unit
            .0
            .iter()
            .flat_map(|p| match p {
                Piece::Bytes(b) => b.clone(),
                Piece::Long(_) => vec![0xAA; 4],
                Piece::Quad(_) => vec![0xBB; 8],
            })
            .collect();
        let length = u32::from_le_bytes(all[0..4].try_into().unwrap()) as usize;
        assert_eq!(length + 4, all.len());
        let header_len = u32::from_le_bytes(all[6..10].try_into().unwrap()) as usize;
        let program = &all[10 + header_len..];
        let expected: Vec<u8> = [
            &[0, 9, DW_LNE_SET_ADDRESS][..],
            &[0xBB; 8],
            &[DW_LNS_ADVANCE_LINE, 9, DW_LNS_COPY], // offset 0, line 10
            &[DW_LNS_ADVANCE_PC, 7, DW_LNS_ADVANCE_LINE, 2, DW_LNS_COPY], // 7, line 12
            &[DW_LNS_ADVANCE_PC, 2, DW_LNS_ADVANCE_LINE, 0x74, DW_LNS_COPY], // 9, line 0
            &[DW_LNS_ADVANCE_PC, 3, 0, 1, DW_LNE_END_SEQUENCE],
        ]
        .concat();
        assert_eq!(program, expected);
        assert!(text.contains(".quad 7b"), "{text}");
        assert!(all[10..10 + header_len].windows(5).any(|w| w == b"k.rs\0"));
    }

    #[test]
    fn the_unit_references_its_own_abbreviations_line_program_and_code() {
        let text = sections("src/k.rs", &[(0, 3)], 4);
        for needle in [
            ".pushsection .debug_abbrev,\"\",@progbits,unique,0x61736d66\n8:",
            ".pushsection .debug_line,\"\",@progbits,unique,0x61736d66\n9:",
            ".long 8b",
            ".long 9b",
            ".quad 7b",
        ] {
            assert!(text.contains(needle), "{needle} in {text}");
        }
        assert_eq!(text.matches(".pushsection").count(), 3);
        assert_eq!(text.matches(".popsection").count(), 3);
    }

    #[test]
    fn placeholders_are_not_files() {
        assert!(is_real_file("src/lib.rs"));
        assert!(!is_real_file("<unspecified>"));
        assert!(!is_real_file(""));
    }
}
