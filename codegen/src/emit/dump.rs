//! `ASMFORGE_LISTINGS`: each kernel's annotated listing and JSON metadata, written by the build.
//!
//! Takes a compiled kernel (its variants' `Encoded`) when the variable is set; writes, under
//! `<dir>/<crate>/`:
//!
//! ```text
//!   <kernel>.<variant>.lst   header (file:line, sizes, features, frame), then per instruction
//!                            offset, bytes, Intel syntax, `; line N`, and the DSL source line;
//!                            the constant pool as `.byte` rows
//!   <kernel>.json            kernel, file, line, abi, and per variant: symbol, features,
//!                            sizes, registers, frame (saved registers, size, realignment,
//!                            unwind directives), holes, and per instruction offset, size,
//!                            bytes, source line (and text)
//! ```
//!
//! A stencil (`#[asmforge::stencil]`) writes the same files for its stencils' code (symbol
//! `<name>::STENCILS[i]`), with `holes` listing each hole as its runtime `jit::Hole` has it:
//! name, kind (`HoleKind::describe`), width, offset, end of its instruction, signedness;
//! a kernel's `holes` is empty.
//!
//! The instruction rows are those of the run-time listing (`asmforge::listing`, the golden
//! files): the same columns, so a dumped listing and `tests/golden/` diff line by line. The
//! Intel text needs iced-x86's decoder and formatter, which the macro links only with the
//! `listing` feature (the facade's `listing` turns it on); without it, rows have offset,
//! bytes and lines and the header says why the text is missing. The JSON is written by hand
//! (no serde in the macro).
//!
//! Where (`<dir>`), from the variable's value:
//!
//! * a path (anything but `1`): that directory (a relative path is relative to the directory
//!   rustc runs in: the workspace root under cargo);
//! * `1`: `asmforge-listings/` in the profile's directory (`target/debug`,
//!   `target/<triple>/release`, ...), taken from rustc's `--out-dir` (`.../deps`; the macro
//!   runs inside rustc and sees its arguments); else `$CARGO_TARGET_DIR/asmforge-listings`;
//!   else `target/asmforge-listings` in the nearest directory at or above the package
//!   (`CARGO_MANIFEST_DIR`) that has a `target` directory, else in the package.
//!
//! `<crate>` is `CARGO_CRATE_NAME` (cargo sets it for rustc). Two kernels of one name in one
//! crate write the same files; the later expansion wins (the JSON names its file and line).
//!
//! Rebuilds: the expansion reads the variable through `option_env!`, so rustc records it in
//! the crate's dependency information and cargo recompiles crates with kernels when the value
//! changes; files are written whenever those crates compile.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::Variant;
use crate::frame::cfi::CfiOp;

/// The variable's name.
pub const VAR: &str = "ASMFORGE_LISTINGS";

/// The directory asked for, if any: `None` when the variable is unset, empty or `0`.
pub fn requested() -> Option<PathBuf> {
    let value = std::env::var(VAR).ok()?;
    let env = |k: &str| std::env::var(k).ok();
    let args: Vec<String> = std::env::args().collect();
    location(&value, &env, &args)
}

/// [`requested`] from explicit inputs: the variable's value, the environment, rustc's
/// arguments. The crate's directory is appended.
fn location(value: &str, env: &dyn Fn(&str) -> Option<String>, args: &[String]) -> Option<PathBuf> {
    let value = value.trim();
    if value.is_empty() || value == "0" {
        return None;
    }
    let base = if value == "1" {
        default_dir(env, args)
    } else {
        PathBuf::from(value)
    };
    let krate = env("CARGO_CRATE_NAME").unwrap_or_else(|| "crate".to_owned());
    Some(base.join(krate))
}

const SUBDIR: &str = "asmforge-listings";

fn default_dir(env: &dyn Fn(&str) -> Option<String>, args: &[String]) -> PathBuf {
    // `--out-dir <target>/<profile>/deps` (or `--out-dir=...`).
    let out_dir = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--out-dir=").map(str::to_owned).or_else(|| {
            (a == "--out-dir")
                .then(|| args.get(i + 1).cloned())
                .flatten()
        })
    });
    if let Some(out) = out_dir.map(PathBuf::from) {
        // The profile directory holds cargo's `.fingerprint/`; rustc writes into `deps/`,
        // `examples/` or `build/<package>-<hash>/` below it.
        let profile = out
            .ancestors()
            .find(|a| a.join(".fingerprint").is_dir())
            .map(Path::to_path_buf)
            .or_else(|| {
                let leaf = out.file_name()?;
                (leaf == "deps" || leaf == "examples")
                    .then(|| out.parent().map(Path::to_path_buf))
                    .flatten()
            })
            .unwrap_or(out);
        return profile.join(SUBDIR);
    }
    if let Some(target) = env("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join(SUBDIR);
    }
    let package = PathBuf::from(env("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".to_owned()));
    let root = package
        .ancestors()
        .find(|a| a.join("target").is_dir())
        .unwrap_or(&package);
    root.join("target").join(SUBDIR)
}

/// What the files say about the kernel.
pub struct Kernel {
    pub name: String,
    /// As rustc displays it (`Span::file`).
    pub file: String,
    pub line: usize,
    /// `sysv64` or `win64`.
    pub abi: &'static str,
    /// The source, for the text of each line (read from `Span::local_file` when there is one).
    pub source: Option<String>,
}

impl Kernel {
    /// What the files say about a parsed kernel (or stencil).
    pub(crate) fn of(kernel: &crate::parse::Kernel) -> Kernel {
        let fn_span = kernel.func.sig.fn_token.span;
        Kernel {
            name: kernel.func.sig.ident.to_string(),
            file: fn_span.file(),
            line: fn_span.start().line,
            abi: kernel.options.abi.rust_name(),
            source: fn_span
                .local_file()
                .and_then(|p| std::fs::read_to_string(p).ok()),
        }
    }
}

/// One hole of a stencil (`#[asmforge::stencil]`), as its runtime `jit::Hole` describes it.
#[derive(Clone, Debug)]
pub struct Hole {
    pub name: String,
    /// `jit::HoleKind::describe`'s name: `imm32`, `disp32`, `pool f32x8`, `rel32`, ...
    pub kind: String,
    /// Bytes of the field.
    pub width: u32,
    /// Offset of the field's first byte in the stencil's code.
    pub offset: u32,
    /// Offset of the end of the instruction holding it.
    pub end: u32,
    /// Whether the CPU sign-extends the field.
    pub signed: bool,
}

/// Writes the files of one kernel (variants best first, with their function names) into
/// `dir`, creating it. Returns the paths written.
///
/// # Errors
/// The first I/O error.
pub fn write(
    dir: &Path,
    kernel: &Kernel,
    variants: &[(&Variant, String)],
) -> std::io::Result<Vec<PathBuf>> {
    write_with_holes(dir, kernel, variants, &[])
}

/// [`write`] for a stencil: `holes[i]` are the holes of `variants[i]` (kernels have none).
///
/// # Errors
/// The first I/O error.
pub fn write_with_holes(
    dir: &Path,
    kernel: &Kernel,
    variants: &[(&Variant, String)],
    holes: &[Vec<Hole>],
) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let source: Vec<&str> = kernel
        .source
        .as_deref()
        .map_or(Vec::new(), |s| s.lines().collect());
    let mut written = Vec::new();
    let mut json_variants = Vec::new();
    for (i, (v, ident)) in variants.iter().enumerate() {
        let rows = rows(v);
        let path = dir.join(format!("{}.{}.lst", kernel.name, v.variant.name));
        std::fs::write(&path, listing(kernel, v, &rows, &source))?;
        written.push(path);
        let holes = holes.get(i).map_or(&[][..], Vec::as_slice);
        json_variants.push(variant_json(kernel, v, ident, &rows, holes));
    }
    let path = dir.join(format!("{}.json", kernel.name));
    let mut json = String::from("{\n");
    let _ = writeln!(json, "  \"kernel\": {},", string(&kernel.name));
    let _ = writeln!(json, "  \"file\": {},", string(&kernel.file));
    let _ = writeln!(json, "  \"line\": {},", kernel.line);
    let _ = writeln!(json, "  \"abi\": {},", string(kernel.abi));
    let _ = writeln!(
        json,
        "  \"variants\": [\n{}\n  ]",
        json_variants.join(",\n")
    );
    json.push_str("}\n");
    std::fs::write(&path, json)?;
    written.push(path);
    Ok(written)
}

/// One instruction (or undecodable byte run) of the code.
struct Row {
    offset: u32,
    len: u32,
    /// Intel syntax; `None` without the disassembler.
    text: Option<String>,
    /// The line map's entry for this offset (0: code the compiler added); `None` for bytes
    /// no instruction of the map starts at (alignment padding).
    line: Option<u32>,
}

#[cfg(feature = "listing")]
fn line_at(v: &Variant, offset: u32) -> Option<u32> {
    v.encoded
        .lines
        .iter()
        .find(|(o, _)| *o == offset)
        .map(|(_, l)| *l)
}

fn code(v: &Variant) -> &[u8] {
    let bytes = &v.encoded.bytes;
    bytes.get(..v.encoded.code_size as usize).unwrap_or(bytes)
}

/// The code decoded as at address 0, formatted as the run-time listing formats it.
#[cfg(feature = "listing")]
fn rows(v: &Variant) -> Vec<Row> {
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
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
        let ins = decoder.decode();
        let mut text = String::new();
        formatter.format(&ins, &mut text);
        let offset = ins.ip() as u32;
        out.push(Row {
            offset,
            len: ins.len() as u32,
            text: Some(text),
            line: line_at(v, offset),
        });
    }
    out
}

/// Without the disassembler: one row per line-map entry, up to the next (padding included).
#[cfg(not(feature = "listing"))]
fn rows(v: &Variant) -> Vec<Row> {
    let code_size = code(v).len() as u32;
    let lines = &v.encoded.lines;
    lines
        .iter()
        .enumerate()
        .map(|(i, &(offset, line))| {
            let end = lines.get(i + 1).map_or(code_size, |n| n.0).min(code_size);
            Row {
                offset,
                len: end.saturating_sub(offset),
                text: None,
                line: Some(line),
            }
        })
        .collect()
}

fn hex(bytes: &[u8], sep: &str) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        let sep = if i == 0 { "" } else { sep };
        let _ = write!(s, "{sep}{b:02x}");
    }
    s
}

fn row_bytes<'a>(v: &'a Variant, r: &Row) -> &'a [u8] {
    let code = code(v);
    let start = (r.offset as usize).min(code.len());
    let end = (r.offset as usize + r.len as usize).min(code.len());
    &code[start..end]
}

fn feature_names(fs: impl Iterator<Item = iced_x86::CpuidFeature>) -> Vec<String> {
    fs.map(|f| format!("{f:?}")).collect()
}

fn declared(v: &Variant) -> Vec<String> {
    let mut d: Vec<iced_x86::CpuidFeature> = v.variant.allowed.iter().flatten().copied().collect();
    d.retain(|f| !crate::isa::variant::BASELINE.contains(f));
    feature_names(d.into_iter())
}

/// Bytes the frame takes below the return address, and whether it realigns through rbp.
fn frame_size(v: &Variant) -> (u32, bool) {
    let mut size = 8;
    let mut realigned = false;
    for (_, op) in &v.encoded.unwind {
        match op {
            CfiOp::DefCfaOffset(n) => size = size.max(*n),
            CfiOp::DefCfaRegister(r) => realigned |= *r == iced_x86::Register::RBP,
            _ => {}
        }
    }
    (size - 8, realigned)
}

fn listing(kernel: &Kernel, v: &Variant, rows: &[Row], source: &[&str]) -> String {
    let enc = &v.encoded;
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(" ")
        }
    };
    let (frame, realigned) = frame_size(v);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# {} ({})  {}:{}",
        kernel.name, v.variant.name, kernel.file, kernel.line
    );
    let _ = writeln!(
        s,
        "# code {} bytes, pool {} bytes",
        enc.code_size, enc.pool_size
    );
    let _ = writeln!(s, "# declares: {}", list(declared(v)));
    let _ = writeln!(
        s,
        "# uses: {}",
        list(feature_names(enc.features.iter().copied()))
    );
    let saved = enc
        .saved
        .iter()
        .map(|r| crate::isa::regs::name(*r))
        .collect();
    let _ = writeln!(
        s,
        "# frame: {frame} bytes{}; saves: {}{}",
        if realigned {
            ", realigned through rbp"
        } else {
            ""
        },
        list(saved),
        if enc.vzeroupper { "; vzeroupper" } else { "" }
    );
    if rows.iter().any(|r| r.text.is_none()) {
        s.push_str("# (no disassembly: the macro was built without the `listing` feature)\n");
    }
    s.push('\n');
    let hexes: Vec<String> = rows.iter().map(|r| hex(row_bytes(v, r), " ")).collect();
    let bytes_width = hexes.iter().map(String::len).max().unwrap_or(0);
    let text_width = rows
        .iter()
        .map(|r| r.text.as_ref().map_or(0, String::len))
        .max()
        .unwrap_or(0);
    for (r, h) in rows.iter().zip(&hexes) {
        let text = r.text.as_deref().unwrap_or("");
        let _ = write!(s, "  {:04x}: {h:<bytes_width$}  ", r.offset);
        match r.line.filter(|&l| l != 0) {
            Some(line) => {
                let _ = write!(s, "{text:<text_width$}  ; line {line}");
                if let Some(src) = source.get(line as usize - 1) {
                    let _ = write!(s, "  | {}", src.trim());
                }
            }
            None => s.push_str(text.trim_end()),
        }
        // The padding of a row without a line would leave trailing blanks.
        let trimmed = s.trim_end_matches(' ').len();
        s.truncate(trimmed);
        s.push('\n');
    }
    let pool = enc.pool_size as usize;
    if let Some(start) = enc.bytes.len().checked_sub(pool).filter(|_| pool > 0) {
        for (i, chunk) in enc.bytes[start..].chunks(16).enumerate() {
            let row: Vec<String> = chunk.iter().map(|b| format!("{b:#04x}")).collect();
            let _ = writeln!(s, "  {:04x}: .byte {}", start + i * 16, row.join(", "));
        }
    }
    s
}

fn variant_json(kernel: &Kernel, v: &Variant, ident: &str, rows: &[Row], holes: &[Hole]) -> String {
    let enc = &v.encoded;
    let strings = |xs: Vec<String>| {
        let quoted: Vec<String> = xs.iter().map(|x| string(x)).collect();
        format!("[{}]", quoted.join(", "))
    };
    let (frame, realigned) = frame_size(v);
    let saved: Vec<String> = enc
        .saved
        .iter()
        .map(|r| crate::isa::regs::name(*r))
        .collect();
    let unwind: Vec<String> = enc
        .unwind
        .iter()
        .filter_map(|(at, op)| Some(format!("[{at}, {}]", string(&op.directive()?))))
        .collect();
    let mut s = String::from("    {\n");
    let _ = writeln!(s, "      \"name\": {},", string(&v.variant.name));
    let _ = writeln!(
        s,
        "      \"symbol\": {},",
        string(&format!("{}::{ident}", kernel.name))
    );
    let _ = writeln!(s, "      \"declared\": {},", strings(declared(v)));
    let _ = writeln!(
        s,
        "      \"used\": {},",
        strings(feature_names(enc.features.iter().copied()))
    );
    let _ = writeln!(s, "      \"code_size\": {},", enc.code_size);
    let _ = writeln!(s, "      \"pool_size\": {},", enc.pool_size);
    let [gpr, vector, mask] = enc.registers;
    let _ = writeln!(
        s,
        "      \"registers\": {{\"gpr\": {gpr}, \"vector\": {vector}, \"mask\": {mask}}},"
    );
    let _ = writeln!(
        s,
        "      \"frame\": {{\"size\": {frame}, \"realigned\": {realigned}, \"saved\": {}, \"vzeroupper\": {}, \"unwind\": [{}]}},",
        strings(saved),
        enc.vzeroupper,
        unwind.join(", ")
    );
    // Kernels have no holes; a stencil's are its runtime `jit::Hole`s (`stencil/mod.rs`).
    let holes: Vec<String> = holes
        .iter()
        .map(|h| {
            format!(
                "{{\"name\": {}, \"kind\": {}, \"width\": {}, \"offset\": {}, \"end\": {}, \"signed\": {}}}",
                string(&h.name),
                string(&h.kind),
                h.width,
                h.offset,
                h.end,
                h.signed
            )
        })
        .collect();
    let _ = writeln!(s, "      \"holes\": [{}],", holes.join(", "));
    let _ = writeln!(s, "      \"bytes\": {},", string(&hex(&enc.bytes, "")));
    s.push_str("      \"instructions\": [\n");
    let items: Vec<String> = rows
        .iter()
        .map(|r| {
            let line = r.line.map_or("null".to_owned(), |l| l.to_string());
            let text = r.text.as_deref().map_or("null".to_owned(), string);
            format!(
                "        {{\"offset\": {}, \"size\": {}, \"bytes\": {}, \"line\": {line}, \"text\": {text}}}",
                r.offset,
                r.len,
                string(&hex(row_bytes(v, r), ""))
            )
        })
        .collect();
    s.push_str(&items.join(",\n"));
    s.push_str("\n      ]\n    }");
    s
}

/// A JSON string literal (RFC 8259 §7).
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    #[test]
    fn unset_empty_and_zero_ask_for_nothing() {
        let e = env(&[]);
        assert_eq!(location("", &e, &[]), None);
        assert_eq!(location("0", &e, &[]), None);
    }

    #[test]
    fn a_path_is_used_as_given_with_the_crate_appended() {
        let e = env(&[("CARGO_CRATE_NAME", "kern")]);
        assert_eq!(
            location("/tmp/l", &e, &[]),
            Some(PathBuf::from("/tmp/l/kern"))
        );
    }

    #[test]
    fn one_means_the_profile_directory_from_rustcs_out_dir() {
        let e = env(&[
            ("CARGO_CRATE_NAME", "kern"),
            ("CARGO_TARGET_DIR", "/elsewhere"),
        ]);
        let args: Vec<String> = [
            "rustc",
            "--crate-name",
            "kern",
            "--out-dir",
            "/w/target/x86_64-unknown-linux-gnu/release/deps",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            location("1", &e, &args),
            Some(PathBuf::from(
                "/w/target/x86_64-unknown-linux-gnu/release/asmforge-listings/kern"
            ))
        );
        let joined = vec!["--out-dir=/w/target/debug/deps".to_owned()];
        assert_eq!(
            location("1", &e, &joined),
            Some(PathBuf::from("/w/target/debug/asmforge-listings/kern"))
        );
        // Without rustc's arguments: the target directory cargo was given.
        assert_eq!(
            location("1", &e, &[]),
            Some(PathBuf::from("/elsewhere/asmforge-listings/kern"))
        );
    }

    #[test]
    fn one_finds_the_profile_directory_above_examples_and_build_scripts() {
        let root = std::env::temp_dir().join(format!("asmforge-dump-p-{}", std::process::id()));
        let profile = root.join("target").join("dev-opt");
        std::fs::create_dir_all(profile.join(".fingerprint")).unwrap();
        let e = env(&[("CARGO_CRATE_NAME", "kern")]);
        for out in [
            profile.join("examples"),
            profile.join("build").join("kern-0123"),
        ] {
            let args = vec!["--out-dir".to_owned(), out.to_str().unwrap().to_owned()];
            assert_eq!(
                location("1", &e, &args),
                Some(profile.join(SUBDIR).join("kern")),
                "{out:?}"
            );
        }
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn one_without_hints_finds_the_target_directory_above_the_package() {
        let root = std::env::temp_dir().join(format!("asmforge-dump-{}", std::process::id()));
        let package = root.join("crates").join("k");
        std::fs::create_dir_all(&package).unwrap();
        std::fs::create_dir_all(root.join("target")).unwrap();
        let e = env(&[("CARGO_MANIFEST_DIR", package.to_str().unwrap())]);
        let got = location("1", &e, &[]);
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(got, Some(root.join("target").join(SUBDIR).join("crate")));
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }
}
