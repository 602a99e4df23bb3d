//! Writes `$OUT_DIR/modules.rs`: one `#[path = ".."] mod name;` for every module that
//! `../macros/src/lib.rs` declares outside `#[cfg(test)]`, so this crate compiles exactly the
//! macro's modules, and a module added there is picked up here without an edit.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../macros/src");
    let lib = src.join("lib.rs");
    println!("cargo::rerun-if-changed={}", lib.display());
    let text = std::fs::read_to_string(&lib).expect("reading macros/src/lib.rs");
    let mut out = String::new();
    let mut test_only = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("#[cfg(test)]") {
            test_only = true;
            continue;
        }
        if let Some(name) = line
            .strip_prefix("mod ")
            .or_else(|| line.strip_prefix("pub mod "))
            .or_else(|| line.strip_prefix("pub(crate) mod "))
            .and_then(|rest| rest.strip_suffix(';'))
            && !test_only
        {
            let file = src.join(format!("{name}.rs"));
            let path = if file.exists() {
                file
            } else {
                src.join(name).join("mod.rs")
            };
            let path = path.canonicalize().expect("a module of macros/src/lib.rs");
            writeln!(
                out,
                "#[path = {:?}]\nmod {name};",
                path.display().to_string()
            )
            .unwrap();
        }
        if !line.starts_with("#[") {
            test_only = false;
        }
    }
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap()).join("modules.rs");
    std::fs::write(dest, out).expect("writing modules.rs");
}
