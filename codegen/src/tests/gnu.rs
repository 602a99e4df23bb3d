//! GNU as (or `llvm-mc`) as an oracle: assemble many Intel-syntax snippets in one run and hand
//! back the bytes of each.
//!
//! Every snippet is bracketed by local labels in one `.text` section; a second section holds
//! `.long end - start` for every snippet, so the sizes are the assembler's own (after branch
//! relaxation) and no listing or disassembly has to be parsed. `objcopy --dump-section`
//! extracts both sections as raw bytes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// A scratch directory that removes itself.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("asmforge-gnu-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The assembler source for `lines`, and for every source line of it the index of the snippet
/// it came from (for error messages).
fn source(lines: &[&str]) -> (String, Vec<Option<usize>>) {
    let mut s = String::from(".intel_syntax noprefix\n.text\n");
    let mut origin = vec![None, None];
    for (i, line) in lines.iter().enumerate() {
        let _ = writeln!(s, ".Lasmforge_t{i}:");
        origin.push(None);
        for part in line.lines() {
            s.push_str(part);
            s.push('\n');
            origin.push(Some(i));
        }
    }
    let _ = writeln!(s, ".Lasmforge_t{}:", lines.len());
    s.push_str(".section .asmforge_sizes, \"\"\n");
    origin.extend([None, None]);
    for i in 0..lines.len() {
        let _ = writeln!(s, ".long .Lasmforge_t{} - .Lasmforge_t{i}", i + 1);
        origin.push(None);
    }
    (s, origin)
}

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {:?}: {e}", cmd.get_program()))?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() {
        Ok(stderr)
    } else {
        Err(stderr)
    }
}

/// Rewrites `x.s:12: Error: ...` so it names the snippet that line came from.
fn explain(messages: &str, lines: &[&str], origin: &[Option<usize>]) -> String {
    let mut out = String::new();
    for msg in messages.lines() {
        let snippet = msg
            .split(':')
            .nth(1)
            .and_then(|n| n.trim().parse::<usize>().ok())
            .and_then(|n| origin.get(n.wrapping_sub(1)).copied().flatten());
        match snippet {
            Some(i) => {
                let _ = writeln!(out, "{msg}\n    in snippet {i}: `{}`", lines[i]);
            }
            None => {
                let _ = writeln!(out, "{msg}");
            }
        }
    }
    out
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// Assembles `lines` (Intel syntax, one snippet each; a snippet may hold several statements
/// separated by `;` or newlines, with labels unique across the batch) with one run of GNU as
/// and returns the machine code of each snippet.
///
/// # Errors
///
/// When `as` or `objcopy` cannot run, or `as` reports an error or warning: the messages, each
/// with the snippet it refers to.
pub fn assemble(lines: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    assemble_with(Assembler::Gnu, lines)
}

/// An assembler that reads this module's source: GNU as, or LLVM's `llvm-mc` (LLVM 19, the
/// one [`llvm_mc`] finds), which the encoding sweep asks about the forms binutils 2.40 does
/// not know.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Assembler {
    Gnu,
    LlvmMc,
}

impl Assembler {
    fn command(self, o_path: &Path, s_path: &Path) -> Command {
        let mut cmd = match self {
            Assembler::Gnu => {
                let mut c = Command::new("as");
                c.arg("--64");
                c
            }
            Assembler::LlvmMc => {
                let mut c = Command::new(llvm_mc().unwrap_or_else(|_| LLVM_MC.to_string()));
                c.args(["-triple=x86_64", "-filetype=obj"]);
                c
            }
        };
        cmd.arg("-o").arg(o_path).arg(s_path);
        cmd
    }

    /// Whether the assembler is installed.
    pub fn available(self) -> bool {
        match self {
            Assembler::Gnu => Command::new("as").arg("--version").output().is_ok(),
            Assembler::LlvmMc => llvm_mc().is_ok(),
        }
    }
}

/// The default `llvm-mc`: LLVM 19's, as Debian 12's `llvm-19` package installs it.
pub const LLVM_MC: &str = "llvm-mc-19";

/// The `llvm-mc` to ask, found deterministically: `$ASMFORGE_LLVM_MC` if set, else `llvm-mc-19`
/// (Debian's `llvm-19`). Never an unversioned or older `llvm-mc`: LLVM 14 has no spelling for 29
/// of the forms it checks (AVX-VNNI-INT16, SHA512, SM3, SM4, AMX-COMPLEX, LKGS, FRED, PBNDKB),
/// and the sweep's exclusions are derived with LLVM 19 — with an older one pointed
/// to, those forms go unchecked and unlisted, and the sweep fails.
///
/// # Errors
///
/// When the chosen program does not run: what to install.
pub fn llvm_mc() -> Result<String, String> {
    let (name, from) = match std::env::var("ASMFORGE_LLVM_MC") {
        Ok(v) if !v.is_empty() => (v, "ASMFORGE_LLVM_MC"),
        _ => (LLVM_MC.to_string(), "the default"),
    };
    match Command::new(&name).arg("--version").output() {
        Ok(o) if o.status.success() => Ok(name),
        _ => Err(format!(
            "`{name}` ({from}) does not run; install LLVM 19 (`apt-get install -y llvm-19`) \
             or point ASMFORGE_LLVM_MC at an llvm-mc of LLVM 19 or newer"
        )),
    }
}

/// [`assemble`] with the given assembler.
///
/// # Errors
///
/// As [`assemble`].
pub fn assemble_with(asm: Assembler, lines: &[&str]) -> Result<Vec<Vec<u8>>, String> {
    if lines.is_empty() {
        // objcopy refuses to dump an empty section.
        return Ok(Vec::new());
    }
    let dir = TempDir::new()?;
    let (src, origin) = source(lines);
    let s_path = dir.0.join("x.s");
    let o_path = dir.0.join("x.o");
    let text_path = dir.0.join("text.bin");
    let sizes_path = dir.0.join("sizes.bin");
    std::fs::write(&s_path, src).map_err(|e| format!("writing {}: {e}", s_path.display()))?;
    let warnings =
        run(&mut asm.command(&o_path, &s_path)).map_err(|e| explain(&e, lines, &origin))?;
    if !warnings.trim().is_empty() {
        return Err(explain(&warnings, lines, &origin));
    }
    run(Command::new("objcopy")
        .arg(format!("--dump-section=.text={}", text_path.display()))
        .arg(format!(
            "--dump-section=.asmforge_sizes={}",
            sizes_path.display()
        ))
        .arg(&o_path)
        .arg(dir.0.join("discard.o")))?;
    let text = read(&text_path)?;
    let sizes = read(&sizes_path)?;
    if sizes.len() != 4 * lines.len() {
        return Err(format!(
            "expected {} sizes, found {} bytes",
            lines.len(),
            sizes.len()
        ));
    }
    let mut out = Vec::with_capacity(lines.len());
    let mut at = 0usize;
    for chunk in sizes.chunks_exact(4) {
        let len = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize;
        let bytes = text
            .get(at..at + len)
            .ok_or_else(|| format!("snippet sizes exceed the {} bytes of .text", text.len()))?;
        out.push(bytes.to_vec());
        at += len;
    }
    if at != text.len() {
        return Err(format!(
            ".text has {} bytes but the snippets account for {at}",
            text.len()
        ));
    }
    Ok(out)
}

/// Whether GNU as is installed; tests that need it say so and skip the comparison otherwise.
///
/// With `ASMFORGE_REQUIRE_TOOLS` set (as `.ci/run` sets it after installing binutils), a missing
/// `as` panics instead: the callers' comparisons are never skipped in CI.
pub fn available() -> bool {
    let there = Assembler::Gnu.available();
    assert!(
        there || std::env::var_os("ASMFORGE_REQUIRE_TOOLS").is_none(),
        "GNU as is not installed (apt-get install binutils) and ASMFORGE_REQUIRE_TOOLS is set"
    );
    there
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_snippets_and_reports_errors() {
        if !available() {
            eprintln!("GNU as not found: skipped");
            return;
        }
        let got = assemble(&["nop", "add rax, 1", "jmp .Lx; .Lx: int3", "ret"]).unwrap();
        assert_eq!(
            got,
            vec![
                vec![0x90],
                vec![0x48, 0x83, 0xc0, 0x01],
                vec![0xeb, 0x00, 0xcc],
                vec![0xc3]
            ]
        );
        assert_eq!(assemble(&[]).unwrap(), Vec::<Vec<u8>>::new());
        let err = assemble(&["nop", "bogus eax"]).unwrap_err();
        assert!(err.contains("in snippet 1: `bogus eax`"), "{err}");
    }
}
