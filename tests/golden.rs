//! Golden listings: for every example kernel and every variant, the disassembly annotated with
//! the DSL source line of each instruction (`asmforge::listing::listing`), committed under
//! `tests/golden/<kernel>.<variant>.txt`. A change to what the compiler emits for the examples
//! shows up as a diff of these files in review.
//!
//! Regenerate after an intended change, then read the diff:
//!
//! ```text
//! ASMFORGE_BLESS=1 cargo test --test golden
//! ```
//!
//! Without `ASMFORGE_BLESS`, the test fails if regeneration would change, add or remove any
//! file, which is how CI notices a listing that was not regenerated.

#[path = "../examples/kernels/mod.rs"]
#[allow(
    dead_code,
    reason = "the references next to the kernels are for tests/examples.rs; only the kernels' metadata is read here"
)]
mod kernels;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use asmforge::{KernelInfo, VariantInfo};

#[path = "common/example_kernels.rs"]
mod example_kernels;
use example_kernels::kernels;

const BLESS: &str = "ASMFORGE_BLESS=1 cargo test --test golden";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// The file a variant's listing lives in.
fn file_name(kernel: &KernelInfo, variant: &VariantInfo) -> String {
    format!("{}.{}.txt", kernel.name, variant.name)
}

/// A header of what the listing cannot show, then the listing.
fn golden_text(kernel: &KernelInfo, v: &VariantInfo) -> String {
    let list = |items: Vec<&str>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(" ")
        }
    };
    let mut s = String::new();
    let _ = writeln!(s, "# {} ({})", kernel.name, v.name);
    let _ = writeln!(
        s,
        "# code {} bytes, pool {} bytes",
        v.code_size, v.pool_size
    );
    let _ = writeln!(
        s,
        "# uses: {}",
        list(v.used.iter().map(|f| f.name()).collect())
    );
    let _ = writeln!(s, "# saves: {}", list(v.saved.to_vec()));
    let _ = writeln!(s, "# regenerate: {BLESS}");
    s.push('\n');
    s.push_str(&asmforge::listing::listing(v));
    s
}

/// A unified-diff-like excerpt: the lines between the common head and the common tail, with
/// a little context, `-` for the committed file and `+` for the current listing.
fn excerpt(old: &str, new: &str) -> String {
    const CONTEXT: usize = 3;
    const MAX: usize = 24;
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let head = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let tail = a[head..]
        .iter()
        .rev()
        .zip(b[head..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let from = head.saturating_sub(CONTEXT);
    let mut out = format!("@@ line {} @@\n", from + 1);
    for line in &a[from..head] {
        let _ = writeln!(out, "  {line}");
    }
    let removed = &a[head..a.len() - tail];
    let added = &b[head..b.len() - tail];
    for line in removed.iter().take(MAX) {
        let _ = writeln!(out, "- {line}");
    }
    if removed.len() > MAX {
        let _ = writeln!(out, "- ... {} more", removed.len() - MAX);
    }
    for line in added.iter().take(MAX) {
        let _ = writeln!(out, "+ {line}");
    }
    if added.len() > MAX {
        let _ = writeln!(out, "+ ... {} more", added.len() - MAX);
    }
    for line in a[a.len() - tail..].iter().take(CONTEXT) {
        let _ = writeln!(out, "  {line}");
    }
    out
}

#[test]
fn listings_match_the_committed_files() {
    let dir = golden_dir();
    let bless = std::env::var_os("ASMFORGE_BLESS").is_some_and(|v| v != "0");
    let mut expected_files = Vec::new();
    let mut problems = Vec::new();
    for kernel in kernels() {
        for v in kernel.variants {
            let name = file_name(kernel, v);
            let path = dir.join(&name);
            let text = golden_text(kernel, v);
            expected_files.push(name.clone());
            if bless {
                std::fs::create_dir_all(&dir).unwrap();
                if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                    std::fs::write(&path, &text).unwrap();
                    eprintln!("blessed tests/golden/{name}");
                }
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(committed) if committed == text => {}
                Ok(committed) => problems.push(format!(
                    "tests/golden/{name} differs from the current listing:\n{}",
                    excerpt(&committed, &text)
                )),
                Err(e) => problems.push(format!(
                    "tests/golden/{name}: {e} (a new kernel or variant?)"
                )),
            }
        }
    }
    // Files no kernel produces any more.
    let on_disk = std::fs::read_dir(&dir)
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".txt"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    for stale in on_disk.iter().filter(|n| !expected_files.contains(n)) {
        if bless {
            std::fs::remove_file(dir.join(stale)).unwrap();
            eprintln!("removed stale tests/golden/{stale}");
        } else {
            problems.push(format!(
                "tests/golden/{stale} belongs to no kernel variant any more"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n\n{} golden listing file(s) out of date. If the change is intended, regenerate them with\n\n    {BLESS}\n\nand review the diff of tests/golden/.",
        problems.join("\n"),
        problems.len()
    );
}

#[test]
fn all_example_files_are_covered() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/kernels");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".rs") && n != "mod.rs")
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    for f in files {
        assert!(
            kernels().iter().any(|k| Path::new(k.file)
                .file_name()
                .is_some_and(|n| n == f.as_str())),
            "no kernel of examples/kernels/{f} is in tests/golden.rs's list"
        );
    }
}

#[test]
fn excerpt_shows_the_changed_lines_with_context() {
    let old = "a\nb\nc\nd\ne\nf\ng\n";
    let new = "a\nb\nc\nD\ne\nf\ng\n";
    assert_eq!(
        excerpt(old, new),
        "@@ line 1 @@\n  a\n  b\n  c\n- d\n+ D\n  e\n  f\n  g\n"
    );
}
