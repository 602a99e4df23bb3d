//! Deterministic output (design.md: "the same input gives byte-identical output"): the same
//! tokens expand to the same tokens and the same bytes, on any thread, and every variant of
//! every variant gets a naked function of its own whose name does not depend on where the
//! source lives (rustc makes the symbol unique per module and mangles it).

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use super::{roundtrip, sources};
use crate::{expand, parse};

/// The naked functions an expansion defines (`#[unsafe(naked)] ... fn __asmforge_<variant>`),
/// in order.
fn naked_fns(out: &TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    let mut after_fn = false;
    for t in out.clone() {
        match t {
            TokenTree::Group(g) => found.extend(naked_fns(&g.stream())),
            TokenTree::Ident(i) => {
                let name = i.to_string();
                if after_fn && name.starts_with("__asmforge_") {
                    found.push(name.clone());
                }
                after_fn = name == "fn";
                continue;
            }
            _ => {}
        }
        after_fn = false;
    }
    found.retain(|n| !n.starts_with("__asmforge_fallback_"));
    found
}

#[test]
fn same_tokens_expand_to_the_same_tokens_and_bytes() {
    for s in sources::kernels() {
        let first = expand::expand(s.attr.clone(), s.item.clone()).to_string();
        let second = expand::expand(s.attr.clone(), s.item.clone()).to_string();
        assert!(!first.contains("compile_error"), "{}: {first}", s.name);
        assert!(first == second, "{}: two expansions differ", s.name);
        let kernel = parse::parse(s.attr.clone(), s.item.clone()).unwrap();
        for v in roundtrip::variants(&kernel) {
            let a = expand::compile_variant(&kernel, &v).unwrap();
            let b = expand::compile_variant(&kernel, &v).unwrap();
            let what = format!("{} ({})", s.name, v.name);
            assert_eq!(a.bytes, b.bytes, "{what}");
            assert_eq!(a.lines, b.lines, "{what}");
            assert_eq!(a.features, b.features, "{what}");
            assert_eq!(a.saved, b.saved, "{what}");
        }
    }
}

/// Fresh threads start with fresh thread-local state (hash seeds, caches, proc-macro2's
/// source map): nothing of it may reach the output.
#[test]
fn fresh_threads_expand_the_same_source_alike() {
    let expand_all = || {
        std::thread::spawn(|| {
            sources::kernels()
                .into_iter()
                .map(|s| expand::expand(s.attr, s.item).to_string())
                .collect::<Vec<_>>()
        })
        .join()
        .unwrap()
    };
    let (a, b) = (expand_all(), expand_all());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!(x == y, "expansions differ between threads:\n{x}\n{y}");
    }
}

#[test]
fn every_variant_has_its_own_naked_function() {
    let mut n = 0;
    for s in sources::kernels() {
        let out = expand::expand(s.attr.clone(), s.item.clone());
        let fns = naked_fns(&out);
        let kernel = parse::parse(s.attr.clone(), s.item.clone()).unwrap();
        let variants = roundtrip::variants(&kernel);
        assert_eq!(fns.len(), variants.len(), "{}: {fns:?}", s.name);
        // `__asmforge_<variant>`, the variant cleaned to identifier characters.
        for v in &variants {
            let variant: String = v
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let want = format!("__asmforge_{variant}");
            assert!(fns.contains(&want), "{fns:?}: one should be {want}");
        }
        let mut distinct = fns.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), fns.len(), "two variants share a function");
        // Each is naked and its symbol is its path: `INFO` records `module_path!()` + name.
        let text = out.to_string();
        assert_eq!(
            text.matches("# [unsafe (naked)]").count(),
            fns.len(),
            "{text}"
        );
        for f in &fns {
            let tail = format!("concat ! (:: core :: module_path ! () , \"::{f}\")");
            assert!(
                text.contains(&tail),
                "{}: no symbol {tail} in {text}",
                s.name
            );
        }
        n += fns.len();
    }
    assert!(n >= 18, "only {n} variants");
}

/// Nothing in the expansion depends on where the kernel is written: the same function at two
/// places in the source expands to the same tokens but for its line numbers (the old `global_asm!` symbols hashed the
/// file and position, which made them differ — and the file's path made builds of a crate
/// from crates.io differ between machines). Uniqueness and reproducibility of the symbol are
/// rustc's now: tests/link.rs checks both.
#[test]
fn the_same_kernel_at_two_places_expands_alike() {
    let file: syn::File = syn::parse_str(
        // One line: the line table (`INFO.variants[i].lines`) is the same for both.
        "fn a() -> u64 { mov(eax, 1); return rax; } fn a() -> u64 { mov(eax, 1); return rax; }",
    )
    .unwrap();
    let out: Vec<String> = file
        .items
        .iter()
        .map(|i| expand::expand(TokenStream::new(), quote!(#i)).to_string())
        .collect();
    assert!(out[0].contains("__asmforge_baseline"), "{}", out[0]);
    assert_eq!(out[0], out[1]);
}
