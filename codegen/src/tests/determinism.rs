//! Deterministic output (design.md: "the same input gives byte-identical output"): the same
//! tokens expand to the same tokens and the same bytes, on any thread, and every variant of
//! every kernel gets a symbol of its own that does not change from one expansion to the next.

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use super::{roundtrip, sources};
use crate::{expand, parse};

/// The symbols an expansion defines: the string literals that start with `__asmforge_`
/// (`VariantInfo::symbol`), in order.
fn symbols(out: &TokenStream) -> Vec<String> {
    let mut found = Vec::new();
    for t in out.clone() {
        match t {
            TokenTree::Group(g) => found.extend(symbols(&g.stream())),
            TokenTree::Literal(l) => {
                let text = l.to_string();
                if let Some(sym) = text
                    .strip_prefix("\"__asmforge_")
                    .and_then(|s| s.strip_suffix('"'))
                {
                    found.push(format!("__asmforge_{sym}"));
                }
            }
            _ => {}
        }
    }
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
fn every_variant_has_its_own_stable_symbol() {
    let mut all: Vec<String> = Vec::new();
    for s in sources::kernels() {
        let out = expand::expand(s.attr.clone(), s.item.clone());
        let syms = symbols(&out);
        let kernel = parse::parse(s.attr.clone(), s.item.clone()).unwrap();
        let variants = roundtrip::variants(&kernel);
        assert_eq!(syms.len(), variants.len(), "{}: {syms:?}", s.name);
        // `__asmforge_<crate>_<fn>_<variant>_<16 hex digits>`, the variant cleaned to
        // identifier characters (`INFO` lists the variants best first).
        for v in &variants {
            let variant: String = v
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let tail = format!("_{}_{variant}_", s.name);
            let n = syms.iter().filter(|sym| sym.contains(&tail)).count();
            assert_eq!(n, 1, "{syms:?}: one should contain {tail}");
        }
        for sym in &syms {
            let hash = &sym[sym.len() - 16..];
            assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{sym}");
            assert!(
                sym.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{sym} must be a plain symbol on every object format"
            );
        }
        assert_eq!(syms, symbols(&expand::expand(s.attr, s.item)), "{}", s.name);
        all.extend(syms);
    }
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "two variants share a symbol");
    assert!(n >= 18, "only {n} symbols");
}

/// What the hash separates: the same body under another name, at another place in the
/// source, or with other bytes, is another symbol.
#[test]
fn symbols_differ_by_name_place_and_code() {
    let symbol = |item: TokenStream| symbols(&expand::expand(TokenStream::new(), item)).remove(0);
    // `quote!` gives every token the same span: only the name or the bytes differ.
    let a1 = symbol(quote!(
        fn a() -> u64 {
            mov(eax, 1);
            return rax;
        }
    ));
    let b1 = symbol(quote!(
        fn b() -> u64 {
            mov(eax, 1);
            return rax;
        }
    ));
    let a2 = symbol(quote!(
        fn a() -> u64 {
            mov(eax, 2);
            return rax;
        }
    ));
    assert_ne!(a1, b1, "another name");
    assert_ne!(a1, a2, "other bytes");
    assert_eq!(
        a1,
        symbol(quote!(
            fn a() -> u64 {
                mov(eax, 1);
                return rax;
            }
        ))
    );
    // One parse, so one file: the two functions differ only in their line.
    let file: syn::File = syn::parse_str(
        "fn a() -> u64 { mov(eax, 1); return rax; }\n\
         fn a() -> u64 { mov(eax, 1); return rax; }",
    )
    .unwrap();
    let at: Vec<String> = file.items.iter().map(|i| symbol(quote!(#i))).collect();
    assert_ne!(at[0], at[1], "another place");
}
