//! Source-level debugging: the DWARF line information each variant carries on ELF
//! (`codegen/src/emit/debug.rs`), read back from this test's own executable by the tools a
//! user runs.
//!
//! * `objdump --dwarf=decodedline`: for every example kernel and every variant, each
//!   instruction's address maps to the line its golden listing (`tests/golden/`) gives, and
//!   the code the compiler added (prologue, epilogue: line 0 in the line map) to line 0.
//! * `gdb -batch`: a breakpoint on a DSL line of a kernel in this file stops there, `info
//!   line` names the line, `stepi` goes to the next DSL line, `bt` names the kernel's symbol.
//!
//! Linux only (ELF). binutils and gdb are needed: without them the tests say so and pass,
//! unless `ASMFORGE_REQUIRE_TOOLS` is set (`.ci/run` sets it), when they fail.

#![cfg(target_os = "linux")]

#[path = "../examples/kernels/mod.rs"]
#[allow(
    dead_code,
    reason = "the references next to the kernels are for tests/examples.rs; only the kernels' metadata and code are read here"
)]
mod kernels;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use asmforge::{KernelInfo, VariantInfo};

/// A kernel for gdb to stop in: each marked line is one instruction.
#[asmforge::kernel]
fn stepped(x: u64) -> u64 {
    mov(rax, x); // gdb: first
    add(rax, 5); // gdb: second
    imul(rax, rax, 3); // gdb: third
    return rax;
}

/// Runs `stepped` (the program gdb starts runs only this test).
#[test]
fn stepped_runs() {
    assert_eq!(stepped(std::hint::black_box(2)), 21);
}

#[path = "common/example_kernels.rs"]
mod example_kernels;
use example_kernels::kernels;

/// Whether `tool` runs; if not, a note (or a failure when tools are required).
fn have(tool: &str) -> bool {
    let runs = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !runs {
        assert!(
            std::env::var_os("ASMFORGE_REQUIRE_TOOLS").is_none(),
            "`{tool}` is required (ASMFORGE_REQUIRE_TOOLS is set) but does not run"
        );
        eprintln!("skipped: `{tool}` is not installed (binutils / gdb)");
    }
    runs
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Demangled symbol name → address, from `nm -C` (the hash left out, as
/// `VariantInfo::symbol` has it).
fn symbols(exe: &Path) -> BTreeMap<String, u64> {
    run(Command::new("nm").arg("-C").arg(exe))
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, ' ');
            let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
            let _kind = parts.next()?;
            Some((parts.next()?.to_owned(), addr))
        })
        .collect()
}

/// One row of a decoded line table: file, line (`None` at the end of a sequence), address.
struct Row {
    file: String,
    line: Option<u32>,
    addr: u64,
}

fn line_rows(exe: &Path) -> Vec<Row> {
    run(Command::new("objdump")
        .arg("--dwarf=decodedline")
        .arg("--wide")
        .arg(exe))
    .lines()
    .filter_map(|l| {
        let t: Vec<&str> = l.split_whitespace().collect();
        let addr = u64::from_str_radix(t.get(2)?.strip_prefix("0x")?, 16).ok()?;
        let line = match *t.get(1)? {
            "-" => None,
            n => Some(n.parse().ok()?),
        };
        Some(Row {
            file: t[0].to_owned(),
            line,
            addr,
        })
    })
    .collect()
}

/// `(offset, line)` of each instruction the golden listing attributes to a line.
fn golden_lines(kernel: &KernelInfo, v: &VariantInfo) -> Vec<(u64, u32)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{}.{}.txt", kernel.name, v.name));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    text.lines()
        .filter_map(|l| {
            let (head, line) = l.rsplit_once("; line ")?;
            let offset = head.trim_start().split(':').next()?;
            Some((
                u64::from_str_radix(offset, 16).ok()?,
                line.trim().parse().ok()?,
            ))
        })
        .collect()
}

/// The line the table gives at `addr`: the last row at or before it, within the variant's
/// code `[start, end)`.
fn line_at<'a>(rows: &'a [&'a Row], addr: u64) -> Option<&'a Row> {
    rows.iter()
        .filter(|r| r.addr <= addr)
        .max_by_key(|r| r.addr)
        .copied()
}

#[test]
fn objdump_maps_every_instruction_to_its_dsl_line() {
    if !have("objdump") || !have("nm") {
        return;
    }
    let exe = std::env::current_exe().expect("the test executable");
    let syms = symbols(&exe);
    let rows = line_rows(&exe);
    let mut checked = 0;
    for kernel in kernels() {
        for v in kernel.variants {
            let start = *syms
                .get(v.symbol)
                .unwrap_or_else(|| panic!("no symbol {} in `nm -C`", v.symbol));
            let end = start + u64::from(v.code_size);
            let mine: Vec<&Row> = rows
                .iter()
                // The previous sequence may end where this one starts: end rows are not ours.
                .filter(|r| (start..end).contains(&r.addr) && r.line.is_some())
                .collect();
            assert!(!mine.is_empty(), "{}: no line rows in the code", v.symbol);
            // The sequence ends exactly at the end of the code.
            assert!(
                rows.iter().any(|r| r.addr == end && r.line.is_none()),
                "{}: no end of sequence at {end:#x}",
                v.symbol
            );
            for r in &mine {
                assert_eq!(
                    r.file, kernel.file,
                    "{}: file of the row at {:#x}",
                    v.symbol, r.addr
                );
            }
            let golden = golden_lines(kernel, v);
            assert!(
                !golden.is_empty(),
                "{}.{}: empty golden listing",
                kernel.name,
                v.name
            );
            for (offset, line) in golden {
                let row = line_at(&mine, start + offset)
                    .unwrap_or_else(|| panic!("{}+{offset:#x}: no row", v.symbol));
                assert_eq!(
                    row.line,
                    Some(line),
                    "{}+{offset:#x}: objdump's line against the golden listing's",
                    v.symbol
                );
                checked += 1;
            }
            for added in v.lines.iter().filter(|l| l.line == 0) {
                let row = line_at(&mine, start + u64::from(added.offset));
                assert_eq!(
                    row.and_then(|r| r.line),
                    Some(0),
                    "{}+{:#x}: code the compiler added is line 0",
                    v.symbol,
                    added.offset
                );
            }
        }
    }
    eprintln!("{checked} instructions map to their golden listing's line");
    assert!(checked > 100, "only {checked} instructions checked");
}

/// The line of this file whose comment is `// gdb: <mark>`.
fn marked_line(mark: &str) -> u32 {
    let needle = format!("// gdb: {mark}");
    let n = include_str!("debuginfo.rs")
        .lines()
        .position(|l| l.trim_end().ends_with(&needle))
        .expect("marked line");
    n as u32 + 1
}

#[test]
fn gdb_breaks_on_a_dsl_line_and_steps_to_the_next() {
    if !have("gdb") {
        return;
    }
    let exe: PathBuf = std::env::current_exe().expect("the test executable");
    let (second, third) = (marked_line("second"), marked_line("third"));
    let out = run(Command::new("gdb")
        .args(["-batch", "-nx", "-ex", "set pagination off", "-ex"])
        .arg(format!("break debuginfo.rs:{second}"))
        .args(["-ex", "run", "-ex", "info line *$pc", "-ex", "bt 1"])
        .args(["-ex", "stepi", "-ex", "info line *$pc", "-ex", "kill"])
        .arg("--args")
        .arg(&exe)
        .args(["--exact", "stepped_runs", "--test-threads=1"]));
    eprintln!("{out}");
    let file = file!();
    let expect = [
        "Breakpoint 1, ".to_owned(),
        "debuginfo::stepped::__asmforge_baseline".to_owned(),
        format!("at {file}:{second}"),
        format!("Line {second} of \"{file}\""),
        format!("Line {third} of \"{file}\""),
    ];
    let mut rest = out.as_str();
    for e in &expect {
        let at = rest
            .find(e.as_str())
            .unwrap_or_else(|| panic!("`{e}` (in order) in gdb's output:\n{out}"));
        rest = &rest[at + e.len()..];
    }
}
