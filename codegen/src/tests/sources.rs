//! The example kernels (`examples/kernels/*.rs`) as inputs the macro's own tests can expand:
//! every `#[kernel]` function of every file, the ones `macro_rules!` stamps out included.
//!
//! The files are compiled into the tests with `include_str!` and parsed with `syn`, so every
//! token keeps its real line and column. Kernels inside `macro_rules!` are expanded by a small
//! matcher that knows what the examples use (`$x:kind` fragments and `$(...)*` repetitions);
//! like rustc, it wraps a `$t:ty` fragment in an invisible group. Spans live in the parsing
//! thread's source map (proc-macro2's fallback), so call [`kernels`] on the thread that uses
//! the spans.

use std::collections::BTreeMap;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};
use quote::ToTokens;

/// One kernel: where it comes from, its attribute's tokens and the function without the
/// attribute — what rustc would hand the macro.
pub struct Source {
    pub file: &'static str,
    pub name: String,
    pub attr: TokenStream,
    pub item: TokenStream,
}

/// Every file of `examples/kernels/` that defines kernels (the `files_are_all_listed` test
/// keeps this list complete).
pub const FILES: [(&str, &str); 8] = [
    (
        "add_f32.rs",
        include_str!("../../../examples/kernels/add_f32.rs"),
    ),
    (
        "mul_const.rs",
        include_str!("../../../examples/kernels/mul_const.rs"),
    ),
    (
        "mxcsr.rs",
        include_str!("../../../examples/kernels/mxcsr.rs"),
    ),
    (
        "peachpy.rs",
        include_str!("../../../examples/kernels/peachpy.rs"),
    ),
    (
        "rdtsc.rs",
        include_str!("../../../examples/kernels/rdtsc.rs"),
    ),
    ("sdot.rs", include_str!("../../../examples/kernels/sdot.rs")),
    (
        "vector_op.rs",
        include_str!("../../../examples/kernels/vector_op.rs"),
    ),
    (
        "vector_sum.rs",
        include_str!("../../../examples/kernels/vector_sum.rs"),
    ),
];

/// The kernels of every example file, in file order.
///
/// # Panics
///
/// When an example file does not parse (a test failure: the examples are fixed input).
pub fn kernels() -> Vec<Source> {
    let mut out = Vec::new();
    for (file, text) in FILES {
        let parsed =
            syn::parse_file(text).unwrap_or_else(|e| panic!("examples/kernels/{file}: {e}"));
        let mut macros = BTreeMap::new();
        collect(file, parsed.items, &mut macros, &mut out);
    }
    out
}

type Rules = BTreeMap<String, Vec<(Vec<TokenTree>, TokenStream)>>;

fn collect(file: &'static str, items: Vec<syn::Item>, macros: &mut Rules, out: &mut Vec<Source>) {
    for item in items {
        match item {
            syn::Item::Fn(mut f) => {
                let Some(at) = f.attrs.iter().position(is_kernel) else {
                    continue;
                };
                let attr = f.attrs.remove(at);
                let attr = match attr.meta {
                    syn::Meta::List(list) => list.tokens,
                    _ => TokenStream::new(),
                };
                out.push(Source {
                    file,
                    name: f.sig.ident.to_string(),
                    attr,
                    item: f.into_token_stream(),
                });
            }
            syn::Item::Macro(m) if m.mac.path.is_ident("macro_rules") => {
                if let Some(name) = m.ident {
                    macros.insert(name.to_string(), rules(m.mac.tokens));
                }
            }
            syn::Item::Macro(m) => {
                let Some(rules) = m
                    .mac
                    .path
                    .get_ident()
                    .and_then(|i| macros.get(&i.to_string()))
                else {
                    continue;
                };
                let name = m.mac.path.to_token_stream();
                let expanded = invoke(rules, m.mac.tokens)
                    .unwrap_or_else(|| panic!("{file}: no rule of `{name}!` matches"));
                let items = syn::parse2::<syn::File>(expanded)
                    .unwrap_or_else(|e| panic!("{file}: expansion does not parse: {e}"));
                collect(file, items.items, macros, out);
            }
            _ => {}
        }
    }
}

fn is_kernel(a: &syn::Attribute) -> bool {
    a.path()
        .segments
        .last()
        .is_some_and(|s| s.ident == "kernel")
}

/// `(matcher) => { transcriber };` pairs.
fn rules(tokens: TokenStream) -> Vec<(Vec<TokenTree>, TokenStream)> {
    let tts: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let (Some(TokenTree::Group(m)), Some(TokenTree::Group(b))) = (tts.get(i), tts.get(i + 3))
    {
        out.push((m.stream().into_iter().collect(), b.stream()));
        i += 5; // matcher, `=`, `>`, transcriber, `;`
    }
    out
}

fn invoke(rules: &[(Vec<TokenTree>, TokenStream)], input: TokenStream) -> Option<TokenStream> {
    let input: Vec<TokenTree> = input.into_iter().collect();
    rules.iter().find_map(|(matcher, body)| {
        let mut b = Bindings::new();
        let used = match_seq(matcher, &input, &mut b, None)?;
        (used == input.len()).then(|| transcribe(body.clone(), &b, None))
    })
}

/// Fragment name → (kind, one match per repetition; one match outside repetitions).
type Bindings = BTreeMap<String, (String, Vec<TokenStream>)>;

fn is_dollar(t: Option<&TokenTree>) -> bool {
    matches!(t, Some(TokenTree::Punct(p)) if p.as_char() == '$')
}

/// Matches `pat` against a prefix of `input`; returns how many token trees it consumed.
/// `follow` is the token after `pat` in the enclosing matcher, where a greedy fragment stops.
fn match_seq(
    pat: &[TokenTree],
    input: &[TokenTree],
    b: &mut Bindings,
    follow: Option<&TokenTree>,
) -> Option<usize> {
    let (mut p, mut i) = (0, 0);
    while p < pat.len() {
        if is_dollar(pat.get(p)) {
            match (pat.get(p + 1), pat.get(p + 3)) {
                (Some(TokenTree::Ident(name)), Some(TokenTree::Ident(kind))) => {
                    let stop = pat.get(p + 4).or(follow);
                    let n = fragment_len(&kind.to_string(), &input[i..], stop)?;
                    let tokens = input[i..i + n].iter().cloned().collect();
                    b.entry(name.to_string())
                        .or_insert_with(|| (kind.to_string(), vec![]))
                        .1
                        .push(tokens);
                    i += n;
                    p += 4;
                    continue;
                }
                (Some(TokenTree::Group(g)), _) => {
                    let sub: Vec<TokenTree> = g.stream().into_iter().collect();
                    let (sep, op_at) = match pat.get(p + 2) {
                        Some(TokenTree::Punct(q)) if matches!(q.as_char(), '*' | '+' | '?') => {
                            (None, p + 2)
                        }
                        other => (other, p + 3),
                    };
                    let after = pat.get(op_at + 1).or(follow);
                    let mut first = true;
                    loop {
                        let mut at = i;
                        if !first && let Some(sep) = sep {
                            if input.get(at).map(ToString::to_string) != Some(sep.to_string()) {
                                break;
                            }
                            at += 1;
                        }
                        match match_seq(&sub, &input[at..], b, after) {
                            Some(n) if n > 0 => i = at + n,
                            _ => break,
                        }
                        first = false;
                    }
                    p = op_at + 1;
                    continue;
                }
                _ => return None,
            }
        }
        match (&pat[p], input.get(i)?) {
            (TokenTree::Group(pg), TokenTree::Group(ig)) if pg.delimiter() == ig.delimiter() => {
                let sub: Vec<TokenTree> = pg.stream().into_iter().collect();
                let inner: Vec<TokenTree> = ig.stream().into_iter().collect();
                if match_seq(&sub, &inner, b, None)? != inner.len() {
                    return None;
                }
            }
            (TokenTree::Group(_), _) | (_, TokenTree::Group(_)) => return None,
            (a, c) if a.to_string() == c.to_string() => {}
            _ => return None,
        }
        p += 1;
        i += 1;
    }
    Some(i)
}

/// How many token trees a `$x:kind` fragment takes: one for the single-tree kinds; for the
/// others, everything up to the token that follows the fragment in the matcher.
fn fragment_len(kind: &str, input: &[TokenTree], stop: Option<&TokenTree>) -> Option<usize> {
    match kind {
        "ident" | "tt" | "literal" | "lifetime" => (!input.is_empty()).then_some(1),
        _ => {
            let stop = stop.map(ToString::to_string);
            let n = input
                .iter()
                .position(|t| Some(t.to_string()) == stop)
                .unwrap_or(input.len());
            (n > 0).then_some(n)
        }
    }
}

/// The transcriber with fragments substituted; `rep` is the repetition index inside `$(...)*`.
fn transcribe(body: TokenStream, b: &Bindings, rep: Option<usize>) -> TokenStream {
    let tts: Vec<TokenTree> = body.into_iter().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < tts.len() {
        if is_dollar(tts.get(k)) {
            match tts.get(k + 1) {
                Some(TokenTree::Ident(name)) => {
                    if let Some((kind, m)) = b.get(&name.to_string()) {
                        let tokens = m.get(rep.unwrap_or(0)).cloned().unwrap_or_default();
                        if kind == "ty" {
                            out.push(TokenTree::Group(Group::new(Delimiter::None, tokens)));
                        } else {
                            out.extend(tokens);
                        }
                        k += 2;
                        continue;
                    }
                }
                Some(TokenTree::Group(g)) => {
                    let count = vars(g.stream())
                        .iter()
                        .filter_map(|v| b.get(v).map(|(_, m)| m.len()))
                        .max()
                        .unwrap_or(0);
                    let sep = match tts.get(k + 2) {
                        Some(TokenTree::Punct(q)) if matches!(q.as_char(), '*' | '+' | '?') => None,
                        other => other.cloned(),
                    };
                    for r in 0..count {
                        if r > 0 {
                            out.extend(sep.clone());
                        }
                        out.extend(transcribe(g.stream(), b, Some(r)));
                    }
                    k += if sep.is_some() { 4 } else { 3 };
                    continue;
                }
                _ => {}
            }
        }
        out.push(match &tts[k] {
            TokenTree::Group(g) => {
                let mut ng = Group::new(g.delimiter(), transcribe(g.stream(), b, rep));
                ng.set_span(g.span());
                TokenTree::Group(ng)
            }
            t => t.clone(),
        });
        k += 1;
    }
    out.into_iter().collect()
}

/// Fragment names used in a transcriber.
fn vars(body: TokenStream) -> Vec<String> {
    let tts: Vec<TokenTree> = body.into_iter().collect();
    let mut out = Vec::new();
    for (k, t) in tts.iter().enumerate() {
        match t {
            TokenTree::Ident(id) if is_dollar(k.checked_sub(1).and_then(|j| tts.get(j))) => {
                out.push(id.to_string());
            }
            TokenTree::Group(g) => out.extend(vars(g.stream())),
            _ => {}
        }
    }
    out
}

#[test]
fn files_are_all_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/kernels");
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".rs") && n != "mod.rs")
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = FILES.iter().map(|(f, _)| *f).collect();
    assert_eq!(
        on_disk, listed,
        "add the new example file to `FILES` in codegen/src/tests/sources.rs"
    );
}

#[test]
fn finds_every_kernel_and_expands_macro_rules() {
    let names: Vec<String> = kernels().into_iter().map(|s| s.name).collect();
    for want in [
        "add_f32",
        "mul_const",
        "get_mxcsr",
        "set_mxcsr",
        "add_ftz_daz",
        "add_i32",
        "dot_sse41",
        "rdtsc",
        "sdot",
        "vector_add_i32",
        "vector_sub_i64",
        "vector_sum_u4_p256",
        "vector_sum_u2",
    ] {
        assert!(names.iter().any(|n| n == want), "`{want}` not in {names:?}");
    }
    let sum = kernels()
        .into_iter()
        .find(|s| s.name == "vector_sum_u2")
        .map(|s| s.attr.to_string());
    assert_eq!(sum.as_deref(), Some("params (UNROLL = 2 , PREFETCH = 0)"));
}
