//! The module graph: which top-level module of the compiler names which (`crate::x` anywhere
//! in its files, `use` or path). The stages must form no cycle, and the modules below them —
//! `isa` (the queries every stage asks), `ir` (the values they pass), `diag` — name no stage.
//! The graph is read from the sources, so a new back-call fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The top-level modules the graph is drawn between.
const MODULES: [&str; 13] = [
    "parse", "eval", "select", "regalloc", "frame", "encode", "emit", "isa", "ir", "diag", "cfg",
    "expand", "lib",
];

/// Modules below every stage: they may name each other (acyclically) but no stage.
const FOUNDATION: [&str; 3] = ["isa", "ir", "diag"];

/// `crate::<name>` occurrences in `text`, outside `//` comments and the `#[cfg(test)]` module
/// that ends a file (whatever its name: tests may drive the whole pipeline).
fn named_modules(text: &str) -> BTreeSet<String> {
    // An inline test module (`mod x {`), not a declaration of a file module (`mod tests;`).
    let inline_test_module = text
        .match_indices("#[cfg(test)]\nmod ")
        .find(|(at, _)| text[*at..].lines().nth(1).is_some_and(|l| l.contains('{')));
    let code = match inline_test_module {
        Some((at, _)) => &text[..at],
        None => text,
    };
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
        // `use crate::{a, b::c}`
        if let Some(group) = line.split("use crate::{").nth(1) {
            for part in group.split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        }
    }
    out
}

/// The top-level module a source file belongs to (`select/mod.rs` → `select`).
fn module_of(rel: &Path) -> Option<String> {
    let first = rel.components().next()?.as_os_str().to_str()?;
    let name = first.strip_suffix(".rs").unwrap_or(first);
    Some(name.to_owned())
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// module → modules it names, for every non-test source file of the crate.
pub fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src");
        let Some(m) = module_of(rel) else { continue };
        if m == "tests" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read source");
        let named = named_modules(&text);
        let entry = g.entry(m.clone()).or_default();
        entry.extend(
            named
                .into_iter()
                .filter(|n| *n != m && MODULES.contains(&n.as_str())),
        );
    }
    g
}

/// A cycle through the graph, if there is one.
fn find_cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        n: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut cycle = path[at..].to_vec();
            cycle.push(n.to_owned());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, m, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

#[test]
fn stage_modules_form_no_cycle() {
    let g = graph();
    for (m, deps) in &g {
        eprintln!(
            "{m} -> {}",
            deps.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
    assert!(g.len() >= 10, "the source walk found the modules: {g:?}");
    assert_eq!(find_cycle(&g), None, "import cycle between modules");
    for low in FOUNDATION {
        let stages: Vec<&String> = g[low]
            .iter()
            .filter(|d| !FOUNDATION.contains(&d.as_str()))
            .collect();
        assert!(stages.is_empty(), "`{low}` names stages {stages:?}");
    }
}

#[test]
fn the_check_sees_cycles() {
    let edges = |e: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (a, b) in e {
            g.entry((*a).into()).or_default().insert((*b).into());
            g.entry((*b).into()).or_default();
        }
        g
    };
    let cyclic = edges(&[("ir", "frame"), ("frame", "select"), ("select", "ir")]);
    assert_eq!(
        find_cycle(&cyclic),
        Some(vec![
            "frame".into(),
            "select".into(),
            "ir".into(),
            "frame".into()
        ])
    );
    assert_eq!(
        find_cycle(&edges(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    let named = named_modules(
        "use crate::{emit, parse};\nuse crate::ir::Inst; // crate::select\nfn f() { crate::isa::regs::name(r) }\n#[cfg(test)]\nmod stub_tests { use crate::expand; }",
    );
    assert_eq!(
        named.into_iter().collect::<Vec<_>>(),
        ["emit", "ir", "isa", "parse"]
    );
}
