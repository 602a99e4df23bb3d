//! `parse::body::item_fn` against `syn::parse2::<syn::ItemFn>`: the same tree, the same spans,
//! the same errors — on every `fn` in the repository's Rust sources (kernels, UI cases, the
//! tests' quoted bodies, examples) and on hand-picked edge cases of the fast path.

use std::fmt::Write as _;
use std::str::FromStr;

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
use quote::{ToTokens, quote};

use crate::parse::body::item_fn;

/// Every token with its text and span, groups with their delimiters' spans.
fn tokens_with_spans(tokens: TokenStream, out: &mut String) {
    let at = |s: Span| {
        let (a, b) = (s.start(), s.end());
        format!("@{}:{}-{}:{}", a.line, a.column, b.line, b.column)
    };
    for tt in tokens {
        match tt {
            TokenTree::Group(g) => {
                let _ = write!(
                    out,
                    "{:?}{}{} ",
                    g.delimiter(),
                    at(g.span_open()),
                    at(g.span_close())
                );
                tokens_with_spans(g.stream(), out);
                out.push_str("end ");
            }
            TokenTree::Ident(i) => {
                let _ = write!(out, "{i}{} ", at(i.span()));
            }
            TokenTree::Punct(p) => {
                let _ = write!(out, "{}{:?}{} ", p.as_char(), p.spacing(), at(p.span()));
            }
            TokenTree::Literal(l) => {
                let _ = write!(out, "{l}{} ", at(l.span()));
            }
        }
    }
}

/// The tree of the node kinds the fast path builds, with explicit nesting (what printing
/// alone would not show: `-1` as a negative literal or a negation, associativity).
fn shape(e: &syn::Expr, out: &mut String) {
    match e {
        syn::Expr::Call(c) => {
            out.push_str("call(");
            shape(&c.func, out);
            for a in &c.args {
                out.push(',');
                shape(a, out);
            }
            let _ = write!(out, "|trailing={})", c.args.trailing_punct());
        }
        syn::Expr::Binary(b) => {
            out.push_str("bin(");
            shape(&b.left, out);
            let _ = write!(out, " {} ", b.op.to_token_stream());
            shape(&b.right, out);
            out.push(')');
        }
        syn::Expr::Unary(u) => {
            let _ = write!(out, "un({} ", u.op.to_token_stream());
            shape(&u.expr, out);
            out.push(')');
        }
        syn::Expr::Lit(l) => {
            let kind = match &l.lit {
                syn::Lit::Int(_) => "int",
                syn::Lit::Float(_) => "float",
                syn::Lit::Str(_) => "str",
                _ => "lit",
            };
            let _ = write!(out, "{kind}:{}", l.to_token_stream());
        }
        syn::Expr::Path(p) => {
            let _ = write!(out, "path:{}", p.to_token_stream());
        }
        syn::Expr::Array(a) => {
            out.push_str("array(");
            for x in &a.elems {
                shape(x, out);
                out.push(',');
            }
            let _ = write!(out, "|trailing={})", a.elems.trailing_punct());
        }
        syn::Expr::MethodCall(m) => {
            out.push_str("method(");
            shape(&m.receiver, out);
            let _ = write!(out, ".{} turbofish={}", m.method, m.turbofish.is_some());
            for a in &m.args {
                out.push(',');
                shape(a, out);
            }
            out.push(')');
        }
        syn::Expr::Field(f) => {
            out.push_str("field(");
            shape(&f.base, out);
            let _ = write!(out, ".{})", f.member.to_token_stream());
        }
        other => {
            let _ = write!(out, "other:{}", other.to_token_stream());
        }
    }
}

fn describe(f: &syn::ItemFn) -> String {
    let mut out = String::new();
    tokens_with_spans(f.to_token_stream(), &mut out);
    out.push('\n');
    let _ = write!(out, "attrs={} ", f.attrs.len());
    for s in &f.block.stmts {
        match s {
            syn::Stmt::Expr(e, semi) => {
                shape(e, &mut out);
                let _ = write!(out, " semi={}", semi.is_some());
            }
            syn::Stmt::Local(_) => out.push_str("local"),
            syn::Stmt::Item(_) => out.push_str("item"),
            syn::Stmt::Macro(m) => {
                let _ = write!(out, "macro semi={}", m.semi_token.is_some());
            }
        }
        out.push('\n');
    }
    out
}

fn errors(e: &syn::Error) -> String {
    e.clone()
        .into_iter()
        .map(|e| {
            let s = e.span().start();
            format!("{}@{}:{}", e, s.line, s.column)
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Both parsers on `tokens`; panics with both results if they differ.
fn same(tokens: TokenStream, origin: &str) {
    let slow = syn::parse2::<syn::ItemFn>(tokens.clone());
    let fast = item_fn(tokens.clone());
    match (&slow, &fast) {
        (Ok(a), Ok(b)) => assert_eq!(
            describe(a),
            describe(b),
            "{origin}: trees differ for `{tokens}`"
        ),
        (Err(a), Err(b)) => assert_eq!(
            errors(a),
            errors(b),
            "{origin}: errors differ for `{tokens}`"
        ),
        _ => panic!(
            "{origin}: syn says {}, the fast parser says {} for `{tokens}`",
            slow.as_ref().map_or_else(errors, |_| "ok".into()),
            fast.as_ref().map_or_else(errors, |_| "ok".into()),
        ),
    }
}

/// Every `fn ... { .. }` among `tokens` at any depth (with a `pub` / `unsafe` / `extern "C"`
/// before it), as written: valid items, broken ones, and `quote!` templates alike.
fn fn_items(tokens: TokenStream, out: &mut Vec<TokenStream>) {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    for (i, tt) in tts.iter().enumerate() {
        if let TokenTree::Group(g) = tt {
            fn_items(g.stream(), out);
        }
        if !matches!(tt, TokenTree::Ident(id) if id == "fn") {
            continue;
        }
        let mut start = i;
        while start > 0 {
            match &tts[start - 1] {
                TokenTree::Ident(id) if ["pub", "unsafe", "extern"].iter().any(|k| id == k) => {}
                TokenTree::Literal(_) if start >= 2 => {}
                TokenTree::Group(g) if g.delimiter() == Delimiter::Parenthesis && start >= 2 => {}
                _ => break,
            }
            start -= 1;
        }
        let Some(end) = (i..tts.len())
            .find(|&j| matches!(&tts[j], TokenTree::Group(g) if g.delimiter() == Delimiter::Brace))
        else {
            continue;
        };
        out.push(tts[start..=end].iter().cloned().collect());
    }
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            if !path.ends_with("target") {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|x| x == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn same_as_syn_on_every_fn_in_the_repository() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for dir in [
        "tests",
        "examples",
        "kernels",
        "src",
        "codegen/src",
        "bench",
        "runtime",
    ] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let Ok(tokens) = TokenStream::from_str(&text) else {
            continue; // not lexable as a whole (a UI case about lexing); nothing to compare
        };
        let mut items = Vec::new();
        fn_items(tokens, &mut items);
        for item in items {
            same(item, &file.display().to_string());
            checked += 1;
        }
    }
    // The corpus is the suite's own sources: some 1,700 functions, among them every UI case.
    assert!(
        checked > 1500,
        "only {checked} functions found under {}",
        root.display()
    );
}

#[test]
fn same_as_syn_on_the_edges_of_the_fast_path() {
    let bodies = [
        "xor(eax, eax); vmovups(ymm1, [x + rax * 4 + 0]); add(rax, 8);",
        "f(a + -1); f(a - -1); f(-(-1)); f(--a); f(-a.len() * 2 - [x]);",
        "f(a * b * c - d - e + f * g); f(a - b - c); f(a * -b);",
        "f(a.b.c()); f(a.b().c); f(a.b(1, [c], d,)); f(a.0); f(a.await); f(a..b); f(1.max(2));",
        "f([a; 4]); f([a, b,]); f([]); f([a][0]); f(x as u8); f(a, ); f(a,,); f(,);",
        "return(rax); union(a); default(b); r#xor(a); _(a); self(a); f(true); f(self);",
        "f('a'); f(b'x'); f(\"s\"); f(1.5f32); f(0x10u8); f(1e3);",
        "f(x)?; f(x).y; f(x)[0]; f(x) + 1; f(x)(y); f(x) = 3;",
        "#[attr] f(x); f!(x); f!(x) g(y); f(x);; ; f(|a, b| a); f(a::<T>()); f(a.b::<T>());",
        "f(T { x: 1 }); f(a += 1); f(a -> b); f(a *= 2); f(a+=1); f(a<b, c>d); f(a::b);",
        "let x = 1; f(x); for i in 0..4 { f(i); } g(x); if c { h(); } k(x)",
        "f(x) g(y);",
        "f(x)",
        "return rax",
        "f(x); return rax",
        "f(a b);",
        "f(a + 1 2);",
        "f(a + );",
        "f(a) ; #![inner] g(b);",
        "label!(top); jb(top); movss([out + rax * 4], xmm0);",
    ];
    for body in bodies {
        let body = TokenStream::from_str(body).unwrap();
        same(
            quote!(pub unsafe fn k(x: u64) -> u64 { #body }),
            "edge case",
        );
        same(quote!(fn k() { #![allow(unused)] #body }), "edge case");
    }
    // Invisible groups (what `macro_rules!` makes of `$e:expr`): syn enters them in places;
    // the fast path never takes them.
    let none = |s: &str| {
        TokenTree::Group(Group::new(
            Delimiter::None,
            TokenStream::from_str(s).unwrap(),
        ))
    };
    let (a1, f, bc, x, plus, stmt) = (
        none("a + 1"),
        none("f"),
        none("b + c"),
        none("x"),
        none("+"),
        none("f(a);"),
    );
    let stmts = [
        quote!(f(#a1);),
        quote!(#f(a);),
        quote!(f(a * #bc);),
        quote!(f([#x]);),
        quote!(f(a #plus b);),
        quote!(#stmt),
        quote!(g(b); #stmt g(b);),
    ];
    for s in &stmts {
        same(quote!(fn k() { #s }), "invisible group");
    }
    same(quote!(fn k() { #(#stmts)* }), "invisible groups");
}
