//! What every expansion must look like, whatever the input: the property the fuzz tests check.
//!
//! * The output is either code — items that parse, with a `naked_asm!` — or it holds
//!   `compile_error!`s; when the input is a function, the output still declares it (the stub
//!   that spares callers a cascade of errors).
//! * No error is an internal one ("asmforge internal error: ..."): those report a broken
//!   invariant of the compiler, which no input may reach.
//! * Every `compile_error!` points into the input: both ends of its span lie within the byte
//!   range the input's tokens cover. `Span::call_site()` is accepted only where no better span
//!   exists: when there are no input tokens at all, or for syn's "unexpected end of input" at
//!   the top level of a stream (in rustc that span is the attribute itself).
//!
//! Spans are compared through proc-macro2's fallback source map (the `span-locations`
//! feature): `Span::file()` names the parsed string a token came from and `Span::byte_range()`
//! its place in it. The fuzz crate (`fuzz/`) includes this file too; under `cfg(fuzzing)`
//! proc-macro2 records no locations, so it checks the structure only.
//!
//! This file depends on nothing of the macro crate, so the fuzz crate can `#[path]`-include it.

use std::collections::BTreeMap;
use std::ops::Range;

use proc_macro2::{Span, TokenStream, TokenTree};

/// The file name proc-macro2 gives spans that belong to no parsed string (`call_site`).
const NO_FILE: &str = "<unspecified>";

/// What `diag::internal` errors start with.
const INTERNAL: &str = "asmforge internal error";

/// One `compile_error!` of an expansion.
#[derive(Debug)]
pub struct Reported {
    pub message: String,
    /// The span of `compile_error` (syn gives it the error's start) and of its `{ .. }`
    /// (the error's end).
    pub start: Span,
    pub end: Span,
}

/// Every `compile_error! { "..." }` in `out`, in order, at any depth.
pub fn reported(out: &TokenStream) -> Vec<Reported> {
    let mut found = Vec::new();
    walk(out.clone(), &mut found);
    found
}

fn walk(ts: TokenStream, found: &mut Vec<Reported>) {
    let tts: Vec<TokenTree> = ts.into_iter().collect();
    for (k, t) in tts.iter().enumerate() {
        match t {
            TokenTree::Ident(id) if id == "compile_error" => {
                if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(g))) =
                    (tts.get(k + 1), tts.get(k + 2))
                    && bang.as_char() == '!'
                {
                    let message = match g.stream().into_iter().next() {
                        Some(TokenTree::Literal(l)) => unquote(&l.to_string()),
                        _ => String::new(),
                    };
                    found.push(Reported {
                        message,
                        start: id.span(),
                        end: g.span(),
                    });
                }
            }
            TokenTree::Group(g) => walk(g.stream(), found),
            _ => {}
        }
    }
}

/// The text of a string literal token (escapes left as written; messages are for humans).
fn unquote(lit: &str) -> String {
    lit.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(lit)
        .to_owned()
}

/// For each parsed string the input's tokens come from, the byte range they cover.
fn extent(inputs: &[&TokenStream]) -> BTreeMap<String, Range<usize>> {
    fn add(ts: TokenStream, map: &mut BTreeMap<String, Range<usize>>) {
        for t in ts {
            let spans = match &t {
                TokenTree::Group(g) => vec![g.span_open(), g.span_close()],
                other => vec![other.span()],
            };
            for s in spans {
                let r = s.byte_range();
                let e = map.entry(s.file()).or_insert(r.clone());
                e.start = e.start.min(r.start);
                e.end = e.end.max(r.end);
            }
            if let TokenTree::Group(g) = t {
                add(g.stream(), map);
            }
        }
    }
    let mut map = BTreeMap::new();
    for ts in inputs {
        add((*ts).clone(), &mut map);
    }
    map
}

/// Whether `span` lies within the input's tokens.
fn inside(span: Span, extent: &BTreeMap<String, Range<usize>>) -> bool {
    let r = span.byte_range();
    extent
        .get(&span.file())
        .is_some_and(|e| e.start <= r.start && r.end <= e.end)
}

/// Checks the expansion `out` of `#[kernel(attr)] item` against the module's contract.
/// `spans` turns the span checks on (off where proc-macro2 records no locations).
///
/// # Errors
///
/// What is wrong, for a human: the offending message and where its span points.
pub fn check(
    attr: &TokenStream,
    item: &TokenStream,
    out: &TokenStream,
    spans: bool,
) -> Result<(), String> {
    let errors = reported(out);
    if errors.is_empty() {
        let file: syn::File = syn::parse2(out.clone())
            .map_err(|e| format!("the expansion has no error but does not parse: {e}"))?;
        let text = out.to_string();
        if !text.contains("naked_asm") {
            return Err("the expansion has neither an error nor a `naked_asm!`".into());
        }
        if file.items.is_empty() {
            return Err("the expansion is empty".into());
        }
        return Ok(());
    }
    if let Some(e) = errors.iter().find(|e| e.message.contains(INTERNAL)) {
        return Err(format!("an internal error: {}", e.message));
    }
    if let Ok(func) = syn::parse2::<syn::ItemFn>(item.clone()) {
        let declared = syn::parse2::<syn::File>(out.clone()).is_ok_and(|f| {
            f.items
                .iter()
                .any(|i| matches!(i, syn::Item::Fn(g) if g.sig.ident == func.sig.ident))
        });
        if !declared {
            return Err(format!(
                "on error the expansion must still declare `fn {}`",
                func.sig.ident
            ));
        }
    }
    if !spans {
        return Ok(());
    }
    let extent = extent(&[attr, item]);
    for e in &errors {
        for (which, span) in [("start", e.start), ("end", e.end)] {
            if inside(span, &extent) {
                continue;
            }
            let call_site = span.file() == NO_FILE;
            if call_site && (extent.is_empty() || e.message.starts_with("unexpected end of input"))
            {
                continue;
            }
            return Err(format!(
                "the {which} of error `{}` is {}, outside the input ({extent:?})",
                e.message,
                if call_site {
                    "Span::call_site()".to_owned()
                } else {
                    format!("{} {:?}", span.file(), span.byte_range())
                }
            ));
        }
    }
    Ok(())
}
