//! `hole!(kind name)` in a stencil body: parsed, checked, and replaced by a sentinel.
//!
//! The body is compiled twice (`Pass::A`, `Pass::B`) with different sentinels for every
//! hole; each pass's sentinel is chosen so the encoder must pick the wide form of the field
//! (an `imm32` sentinel is outside the `imm8` range, a `disp32` one outside `disp8`), and
//! the two passes' sentinels differ in every byte. A field is a hole's site exactly when it
//! holds the hole's pass-A sentinel in pass A and its pass-B sentinel in pass B at the same
//! offset (`layout.rs`).
//!
//! ```text
//! hole!(imm8 k)  hole!(imm16 k)  hole!(imm32 k)  hole!(imm64 k)   integer immediates
//! hole!(disp32 d)                                                 a displacement: [rdi + hole!(disp32 d)]
//! hole!(f32 a)   hole!(f64 a)                                     float bits in an imm32 / imm64
//! hole!(pool f32x8 c)  hole!(pool f64 c) ...                      a constant-pool entry (lanes 1..16)
//! hole!(rel32 f)                                                  the target of call / jmp / jcc
//! ```
//!
//! A rel32 hole has no sentinel value: it becomes a reference to the label
//! `__asmforge_rel32_hole_<k>`, which the evaluator resolves to an external branch target at
//! an address of its own outside the code (`ir::extern_address`); its site is the branch
//! whose rel32 reaches that address. It must be the whole operand list of `call`, `jmp` or a
//! `jcc`.

use proc_macro2::{Delimiter, Group, Literal, Span, TokenStream, TokenTree};

/// What a hole holds (mirrors the runtime's `HoleKind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Imm(u8),
    Disp32,
    F32,
    F64,
    Pool { f64: bool, lanes: u8 },
    Rel32,
}

impl Kind {
    /// Bytes of the field.
    pub fn width(self) -> usize {
        match self {
            Kind::Imm(bits) => usize::from(bits / 8),
            Kind::Disp32 | Kind::F32 | Kind::Pool { .. } | Kind::Rel32 => 4,
            Kind::F64 => 8,
        }
    }

    fn parse(tokens: &[TokenTree]) -> Option<(Kind, usize)> {
        let word = |i: usize| match tokens.get(i) {
            Some(TokenTree::Ident(id)) => Some(id.to_string()),
            _ => None,
        };
        let first = word(0)?;
        let kind = match first.as_str() {
            "imm8" => Kind::Imm(8),
            "imm16" => Kind::Imm(16),
            "imm32" => Kind::Imm(32),
            "imm64" => Kind::Imm(64),
            "disp32" => Kind::Disp32,
            "rel32" => Kind::Rel32,
            "f32" => Kind::F32,
            "f64" => Kind::F64,
            "pool" => {
                let ty = word(1)?;
                let (elem, lanes) = ty
                    .split_once('x')
                    .map_or((ty.as_str(), 1), |(e, n)| (e, n.parse().unwrap_or(0)));
                let f64 = match elem {
                    "f32" => false,
                    "f64" => true,
                    _ => return None,
                };
                let max = if f64 { 8 } else { 16 };
                if !(lanes as u32).is_power_of_two() || lanes > max {
                    return None;
                }
                return Some((Kind::Pool { f64, lanes }, 2));
            }
            _ => return None,
        };
        Some((kind, 1))
    }

    /// The kind as written in `hole!`, which is also the runtime `HoleKind::describe` name
    /// (the listings' JSON).
    pub fn describe(self) -> String {
        match self {
            Kind::Imm(b) => format!("imm{b}"),
            Kind::Disp32 => "disp32".into(),
            Kind::F32 => "f32".into(),
            Kind::F64 => "f64".into(),
            Kind::Pool { f64, lanes } => {
                format!("pool {}x{lanes}", if f64 { "f64" } else { "f32" })
            }
            Kind::Rel32 => "rel32".into(),
        }
    }

    /// The runtime's `HoleKind` as tokens.
    pub fn tokens(self) -> TokenStream {
        match self {
            Kind::Imm(8) => quote::quote!(Imm8),
            Kind::Imm(16) => quote::quote!(Imm16),
            Kind::Imm(32) => quote::quote!(Imm32),
            Kind::Imm(_) => quote::quote!(Imm64),
            Kind::Disp32 => quote::quote!(Disp32),
            Kind::F32 => quote::quote!(F32),
            Kind::F64 => quote::quote!(F64),
            Kind::Pool { f64: false, lanes } => quote::quote!(PoolF32 { lanes: #lanes }),
            Kind::Pool { f64: true, lanes } => quote::quote!(PoolF64 { lanes: #lanes }),
            Kind::Rel32 => quote::quote!(Rel32),
        }
    }
}

/// One declared hole (every `hole!` with its name shares one entry).
#[derive(Clone, Debug)]
pub struct Hole {
    pub name: String,
    pub kind: Kind,
    pub span: Span,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    A,
    B,
}

/// The sentinel of hole number `i` in a pass: the field's bits (for pool holes, one lane's).
pub fn sentinel(kind: Kind, i: usize, pass: Pass) -> u64 {
    let i = i as u64;
    let a = match kind {
        Kind::Imm(8) => 0x10 + i,
        Kind::Imm(16) => 0x1230 + i,
        Kind::Imm(32) | Kind::Disp32 => 0x1357_9B00 + i,
        Kind::F32 => 0x4B1D_1E00 + i,
        Kind::Imm(_) | Kind::F64 => 0x5EA7_1E5E_A71E_5E00 + i,
        // Not a value in the code: the branch reaches `ir::extern_address` (see the module doc).
        Kind::Rel32 => 0,
        // Pool lanes are floats written as literals: exact small integers.
        Kind::Pool { f64: false, .. } => u64::from((1_234_567.5f32 + i as f32).to_bits()),
        Kind::Pool { f64: true, .. } => (1_234_567.5f64 + i as f64).to_bits(),
    };
    match (pass, kind) {
        (Pass::A, _) => a,
        (Pass::B, Kind::Pool { f64: false, .. }) => {
            u64::from((-7_654_321.5f32 - i as f32).to_bits())
        }
        (Pass::B, Kind::Pool { f64: true, .. }) => (-7_654_321.5f64 - i as f64).to_bits(),
        // Every byte differs, and the value stays in the same (positive, wide) range.
        (Pass::B, k) => a ^ (0x7F7F_7F7F_7F7F_7F7F >> (64 - 8 * k.width())),
    }
}

fn literal(kind: Kind, bits: u64, span: Span) -> TokenStream {
    let mut lit = match kind {
        Kind::Pool { f64: false, .. } => Literal::f32_unsuffixed(f32::from_bits(bits as u32)),
        Kind::Pool { f64: true, .. } => Literal::f64_unsuffixed(f64::from_bits(bits)),
        _ => Literal::u64_unsuffixed(bits),
    };
    lit.set_span(span);
    match kind {
        Kind::Pool { f64, lanes } => {
            let ctor = match (f64, lanes) {
                (false, 1) => "f32".to_string(),
                (true, 1) => "f64".to_string(),
                (false, n) => format!("f32x{n}"),
                (true, n) => format!("f64x{n}"),
            };
            let ctor = proc_macro2::Ident::new(&ctor, span);
            let mut g = Group::new(Delimiter::Parenthesis, TokenTree::Literal(lit).into());
            g.set_span(span);
            [TokenTree::Ident(ctor), TokenTree::Group(g)]
                .into_iter()
                .collect()
        }
        _ => TokenTree::Literal(lit).into(),
    }
}

/// Whether `m` is a mnemonic whose operand may be a rel32 hole: `call`, `jmp`, `jcc`.
fn is_branch(m: &str) -> bool {
    const JCC: &[&str] = &[
        "a", "ae", "b", "be", "c", "e", "g", "ge", "l", "le", "na", "nae", "nb", "nbe", "nc", "ne",
        "ng", "nge", "nl", "nle", "no", "np", "ns", "nz", "o", "p", "pe", "po", "s", "z",
    ];
    m == "call" || m == "jmp" || m.strip_prefix('j').is_some_and(|cc| JCC.contains(&cc))
}

/// Replaces every `hole!(...)` in `body` by its sentinel for `pass`; appends new holes to
/// `holes` (in order of first appearance).
pub fn rewrite(
    body: TokenStream,
    pass: Pass,
    holes: &mut Vec<Hole>,
    errors: &mut Vec<syn::Error>,
) -> TokenStream {
    rewrite_in(body, None, pass, holes, errors)
}

/// `rewrite` of the tokens inside a group; `mnemonic` is the identifier right before it
/// when the group is an instruction's parenthesized operand list.
fn rewrite_in(
    body: TokenStream,
    mnemonic: Option<&str>,
    pass: Pass,
    holes: &mut Vec<Hole>,
    errors: &mut Vec<syn::Error>,
) -> TokenStream {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if let (Some(TokenTree::Ident(id)), Some(TokenTree::Punct(p)), Some(TokenTree::Group(g))) =
            (tokens.get(i), tokens.get(i + 1), tokens.get(i + 2))
            && id == "hole"
            && p.as_char() == '!'
            && g.delimiter() == Delimiter::Parenthesis
        {
            let span = g.span();
            match declare(g, holes) {
                Ok(k) if holes[k].kind == Kind::Rel32 => {
                    if tokens.len() == 3 && mnemonic.is_some_and(is_branch) {
                        let name = format!("__asmforge_rel32_hole_{k}");
                        out.push(TokenTree::Ident(proc_macro2::Ident::new(&name, span)));
                    } else {
                        errors.push(syn::Error::new(
                            span,
                            "a rel32 hole is the target of `call`, `jmp` or a conditional jump, as its only operand: `call(hole!(rel32 f))`",
                        ));
                        out.push(TokenTree::Literal(Literal::u8_unsuffixed(0)));
                    }
                }
                Ok(k) if tokens.len() == 3 && mnemonic.is_some_and(is_branch) => {
                    let (m, kind) = (mnemonic.unwrap_or_default(), holes[k].kind);
                    errors.push(syn::Error::new(
                        span,
                        format!(
                            "the target of `{m}` is a place in other code, patched relative to where the code lands: write `hole!(rel32 {})`, not a hole of kind {}",
                            holes[k].name,
                            kind.describe()
                        ),
                    ));
                    out.push(TokenTree::Literal(Literal::u8_unsuffixed(0)));
                }
                Ok(k) => out.extend(literal(
                    holes[k].kind,
                    sentinel(holes[k].kind, k, pass),
                    span,
                )),
                Err(e) => {
                    errors.push(e);
                    out.extend(TokenStream::from(TokenTree::Literal(
                        Literal::u8_unsuffixed(0),
                    )));
                }
            }
            i += 3;
            continue;
        }
        match &tokens[i] {
            TokenTree::Group(g) => {
                let mnemonic = match (g.delimiter(), i.checked_sub(1).map(|p| &tokens[p])) {
                    (Delimiter::Parenthesis, Some(TokenTree::Ident(m))) => Some(m.to_string()),
                    _ => None,
                };
                let inner = rewrite_in(g.stream(), mnemonic.as_deref(), pass, holes, errors);
                let mut ng = Group::new(g.delimiter(), inner);
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
            }
            t => out.push(t.clone()),
        }
        i += 1;
    }
    out.into_iter().collect()
}

const SYNTAX: &str = "expected `hole!(kind name)` with kind one of imm8, imm16, imm32, imm64, disp32, f32, f64, `pool f32xN`, `pool f64xN`, rel32";

/// The index of the hole `g` declares (new or a repeated name of the same kind).
fn declare(g: &Group, holes: &mut Vec<Hole>) -> syn::Result<usize> {
    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
    let (kind, used) = Kind::parse(&inner).ok_or_else(|| syn::Error::new(g.span(), SYNTAX))?;
    let name = match (inner.get(used), inner.len()) {
        (Some(TokenTree::Ident(id)), n) if n == used + 1 => id.clone(),
        (Some(t), _) => return Err(syn::Error::new(t.span(), SYNTAX)),
        (None, _) => {
            return Err(syn::Error::new(
                g.span(),
                "the hole needs a name: `hole!(imm64 c)`",
            ));
        }
    };
    let n = name.to_string();
    if n == "next" {
        return Err(syn::Error::new(
            name.span(),
            "`next` is the continuation's name; choose another",
        ));
    }
    if let Some(k) = holes.iter().position(|h| h.name == n) {
        if holes[k].kind != kind {
            return Err(syn::Error::new(
                name.span(),
                format!("hole `{n}` was declared with another kind"),
            ));
        }
        return Ok(k);
    }
    holes.push(Hole {
        name: n,
        kind,
        span: name.span(),
    });
    Ok(holes.len() - 1)
}
