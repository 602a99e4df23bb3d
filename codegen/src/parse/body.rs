//! The annotated `fn`, parsed to exactly the `syn::ItemFn` that `syn::parse2` returns — faster.
//!
//! Takes the item's tokens; guarantees the same `syn::ItemFn` (every node, every span) and,
//! for input syn rejects, the same error as `syn::parse2::<syn::ItemFn>`. Why: a proc macro's
//! dependencies are compiled unoptimised under cargo's default profile, and there syn's
//! general expression parser costs about as much per instruction as the whole rest of the
//! compiler (recursive precedence climbing, speculative forks, a dozen keyword peeks per
//! token). Most statements of a kernel body are one shape — `mnemonic(operand, ...);` with
//! operands built from names, literals, `[...]`, `+ - *`, unary `-` and `.name` / `.name()`
//! — and that shape is read here directly from syn's token cursor, building the nodes syn
//! would build. Every other statement (and any statement of that shape whose operands use
//! anything else) goes to syn's own statement parser, so `for`, `if`, `let`, macros,
//! closures, casts and so on parse exactly as before.
//!
//! The head (attributes, visibility, signature) is syn's `ItemFn::parse` verbatim; the
//! statement loop is `syn::Block::parse_within`'s, with the shape above tried first. A
//! statement syn's `Stmt` parser rejects (e.g. a trailing expression without `;`, which only
//! `parse_within` accepts) hands the rest of the block to `Block::parse_within`, so what it
//! accepts or reports is syn's own. `tests/parse_body.rs` compares both parsers, node by node
//! and span by span, on every kernel source the test suite has.

use proc_macro2::{Delimiter, Span, TokenStream};
use syn::buffer::Cursor;
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Attribute, Block, Expr, ItemFn, Signature, Stmt, Token, Visibility, token};

/// `syn::parse2::<syn::ItemFn>(tokens)`, with the fast path for instruction statements.
pub fn item_fn(tokens: TokenStream) -> syn::Result<ItemFn> {
    Parser::parse2(parse_item_fn, tokens)
}

/// syn's `ItemFn::parse` (syn 3.0: `parse_rest_of_fn`), with [`stmts`] for the block.
fn parse_item_fn(input: ParseStream) -> syn::Result<ItemFn> {
    let mut attrs = input.call(Attribute::parse_outer)?;
    let vis: Visibility = input.parse()?;
    let sig: Signature = input.parse()?;
    let content;
    let brace_token = syn::braced!(content in input);
    attrs.extend(content.call(Attribute::parse_inner)?);
    let stmts = stmts(&content)?;
    Ok(ItemFn {
        attrs,
        vis,
        modifiers: Default::default(),
        sig,
        block: Box::new(Block { brace_token, stmts }),
    })
}

/// `syn::Block::parse_within`, trying [`call_stmt`] before syn's statement parser.
///
/// Equivalence: `parse_within` loops over (empty `;` statements, one statement parsed with a
/// trailing expression allowed, "expected `;`" if that statement needed one and more follows);
/// the loop carries no state between statements, so any suffix of it is `parse_within` of
/// the remaining tokens. `Stmt::parse` differs from its inner statement parser only by
/// rejecting a statement that needs a `;` and lacks it; when it succeeds the statement is the
/// same and needs no `;` after it. When it fails, the rest goes to `parse_within` itself.
fn stmts(input: ParseStream) -> syn::Result<Vec<Stmt>> {
    let mut stmts = Vec::new();
    loop {
        while let semi @ Some(_) = input.parse::<Option<Token![;]>>()? {
            stmts.push(Stmt::Expr(Expr::Verbatim(TokenStream::new()), semi));
        }
        if input.is_empty() {
            break;
        }
        let fast = input.step(|cursor| {
            Ok(match call_stmt(*cursor) {
                Some((stmt, rest)) => (Some(stmt), rest),
                None => (None, *cursor),
            })
        })?;
        if let Some(stmt) = fast {
            stmts.push(stmt);
            continue;
        }
        let fork = input.fork();
        match fork.parse::<Stmt>() {
            Ok(stmt) => {
                input.advance_to(&fork);
                stmts.push(stmt);
            }
            Err(_) => {
                stmts.extend(Block::parse_within(input)?);
                break;
            }
        }
    }
    Ok(stmts)
}

/// `name(operand, ...);` where `name` is not a keyword and every operand is an [`expr`]:
/// `Stmt::Expr(Expr::Call(..), Some(;))`, as syn builds it. `None` for anything else.
fn call_stmt(c: Cursor) -> Option<(Stmt, Cursor)> {
    let (name, c) = ident(c)?;
    let (inside, span, c) = group(c, Delimiter::Parenthesis)?;
    let (semi, rest) = punct(c, ';')?;
    let args = args(inside)?;
    let call = Expr::Call(syn::ExprCall {
        attrs: Vec::new(),
        func: Box::new(path(name)),
        paren_token: token::Paren { span },
        args,
    });
    Some((Stmt::Expr(call, Some(Token![;](semi))), rest))
}

/// `expr, expr, ...` up to the end of the group, trailing comma allowed
/// (`Punctuated::parse_terminated`).
fn args(mut c: Cursor) -> Option<Punctuated<Expr, Token![,]>> {
    let mut out = Punctuated::new();
    loop {
        if c.eof() {
            return Some(out);
        }
        let (e, rest) = expr(c)?;
        out.push_value(e);
        if rest.eof() {
            return Some(out);
        }
        let (comma, rest) = punct(rest, ',')?;
        out.push_punct(Token![,](comma));
        c = rest;
    }
}

/// `term (('+' | '-') term)*`, left-associative.
fn expr(c: Cursor) -> Option<(Expr, Cursor)> {
    let (mut e, mut c) = term(c)?;
    loop {
        let op = if let Some((span, rest)) = op(c, '+') {
            (syn::BinOp::Add(Token![+](span)), rest)
        } else if let Some((span, rest)) = op(c, '-') {
            (syn::BinOp::Sub(Token![-](span)), rest)
        } else {
            return Some((e, c));
        };
        let (right, rest) = term(op.1)?;
        e = binary(e, op.0, right);
        c = rest;
    }
}

/// `unary ('*' unary)*`, left-associative.
fn term(c: Cursor) -> Option<(Expr, Cursor)> {
    let (mut e, mut c) = unary(c)?;
    while let Some((span, rest)) = op(c, '*') {
        let (right, rest) = unary(rest)?;
        e = binary(e, syn::BinOp::Mul(Token![*](span)), right);
        c = rest;
    }
    Some((e, c))
}

/// `'-' unary | postfix`.
fn unary(c: Cursor) -> Option<(Expr, Cursor)> {
    if let Some((minus, rest)) = punct(c, '-') {
        let (inner, rest) = unary(rest)?;
        let e = Expr::Unary(syn::ExprUnary {
            attrs: Vec::new(),
            op: syn::UnOp::Neg(Token![-](minus)),
            expr: Box::new(inner),
        });
        return Some((e, rest));
    }
    postfix(c)
}

/// A literal; `[expr, ...]`; or a name followed by any number of `.field` / `.method(args)`.
fn postfix(c: Cursor) -> Option<(Expr, Cursor)> {
    if let Some((lit, rest)) = literal(c) {
        let e = Expr::Lit(syn::ExprLit {
            attrs: Vec::new(),
            lit: syn::Lit::new(lit),
        });
        return Some((e, rest));
    }
    if let Some((inside, span, rest)) = group(c, Delimiter::Bracket) {
        let e = Expr::Array(syn::ExprArray {
            attrs: Vec::new(),
            bracket_token: token::Bracket { span },
            elems: args(inside)?,
        });
        return Some((e, rest));
    }
    let (name, mut c) = ident(c)?;
    let mut e = path(name);
    while let Some((dot, rest)) = punct(c, '.') {
        let (member, rest) = ident(rest)?;
        if let Some((inside, span, after)) = group(rest, Delimiter::Parenthesis) {
            e = Expr::MethodCall(syn::ExprMethodCall {
                attrs: Vec::new(),
                receiver: Box::new(e),
                dot_token: Token![.](dot),
                method: member,
                turbofish: None,
                paren_token: token::Paren { span },
                args: args(inside)?,
            });
            c = after;
        } else {
            e = Expr::Field(syn::ExprField {
                attrs: Vec::new(),
                base: Box::new(e),
                dot_token: Token![.](dot),
                member: syn::Member::Named(member),
            });
            c = rest;
        }
    }
    Some((e, c))
}

fn binary(left: Expr, op: syn::BinOp, right: Expr) -> Expr {
    Expr::Binary(syn::ExprBinary {
        attrs: Vec::new(),
        left: Box::new(left),
        op,
        right: Box::new(right),
    })
}

fn path(name: syn::Ident) -> Expr {
    Expr::Path(syn::ExprPath {
        attrs: Vec::new(),
        qself: None,
        path: name.into(),
    })
}

/// A binary operator `ch` that is not the start of a compound one (`+=`, `->`, `*=`, ...):
/// the next token, if a punctuation mark, would make syn read something else.
fn op(c: Cursor, ch: char) -> Option<(Span, Cursor)> {
    let (span, rest) = punct(c, ch)?;
    if punct_any(rest) {
        None
    } else {
        Some((span, rest))
    }
}

/// Whether `c` is at an invisible (`Delimiter::None`) group, which syn's cursor would enter
/// silently and its expression parser treats specially: never taken by the fast path.
fn invisible(c: Cursor) -> bool {
    c.group(Delimiter::None).is_some()
}

fn ident(c: Cursor) -> Option<(syn::Ident, Cursor)> {
    if invisible(c) {
        return None;
    }
    let (id, rest) = c.ident()?;
    if is_reserved(&id.to_string()) {
        return None;
    }
    Some((id, rest))
}

fn punct(c: Cursor, ch: char) -> Option<(Span, Cursor)> {
    if invisible(c) {
        return None;
    }
    let (p, rest) = c.punct()?;
    (p.as_char() == ch).then(|| (p.span(), rest))
}

fn punct_any(c: Cursor) -> bool {
    invisible(c) || c.punct().is_some() || c.lifetime().is_some()
}

fn literal(c: Cursor) -> Option<(proc_macro2::Literal, Cursor)> {
    if invisible(c) {
        return None;
    }
    c.literal()
}

fn group(c: Cursor, delim: Delimiter) -> Option<(Cursor, proc_macro2::extra::DelimSpan, Cursor)> {
    if invisible(c) {
        return None;
    }
    c.group(delim)
}

/// Every word the fast path leaves to syn: Rust's keywords (strict, reserved, weak and
/// contextual: syn reads each as syntax somewhere), `_`, raw identifiers and the boolean
/// literals. Sorted, for a binary search (a chain of string comparisons costs more, run
/// unoptimised, than all the rest of reading a name).
const RESERVED: [&str; 59] = [
    "Self",
    "_",
    "abstract",
    "as",
    "async",
    "auto",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "default",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "macro_rules",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "raw",
    "ref",
    "return",
    "safe",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "union",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
];

fn is_reserved(word: &str) -> bool {
    word.starts_with("r#") || RESERVED.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_words_are_sorted_for_the_binary_search() {
        assert!(super::RESERVED.windows(2).all(|w| w[0] < w[1]));
        assert!(
            ["if", "union", "r#x", "Self", "_"]
                .iter()
                .all(|w| super::is_reserved(w))
        );
        assert!(
            !["xor", "vmovups", "rax", "len"]
                .iter()
                .any(|w| super::is_reserved(w))
        );
    }
}
