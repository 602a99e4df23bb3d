//! Fuzzing the whole macro: `expand::expand` on (a) arbitrary token trees, (b) kernels built
//! from the DSL's own vocabulary, and (c) the example kernels mutated — operands swapped,
//! registers changed or narrowed, immediates made huge, labels deleted or duplicated, blocks
//! nested deep, loop bounds made enormous, tokens deleted or replaced.
//!
//! Every case runs on a thread of its own with the 8 MiB stack rustc gives a macro, and must
//! (1) not panic, (2) finish within [`BUDGET`] (a hang detector, not a speed test), (3) pass
//! [`oracle::check`]: code, or `compile_error!`s whose spans lie inside the input and none of
//! them an internal error, and (4) when it is code, round-trip ([`roundtrip::check`]): the
//! bytes decode to what selection chose.
//!
//! Inputs are generated as text and lexed on the worker thread, so every token has its own
//! span in that thread's source map (what the span check compares against). A failure prints
//! the attribute and the item as text; paste them into a test in `regressions.rs`.
//! `cargo fuzz` (see `fuzz/`) runs the same expansion, coverage-guided, for as long as you
//! like.

use std::sync::mpsc;
use std::time::Duration;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::{encoding, oracle, roundtrip, sources};
use crate::expand;

/// Far longer than any expansion takes (the slowest, at the evaluation limits, take about a
/// second), even on a loaded CI machine: only a hang, or something as slow as one, exceeds it.
const BUDGET: Duration = Duration::from_secs(20);

/// rustc's main thread, where attribute macros run, has an 8 MiB stack.
const STACK: usize = 8 << 20;

/// One input: the attribute's tokens and the item, as text.
#[derive(Clone, Debug)]
pub struct Case {
    pub attr: String,
    pub item: String,
}

/// What running a case showed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Outcome {
    /// The text does not lex as Rust tokens (rustc would never call the macro).
    Unlexable,
    /// Expanded to code, which round-trips.
    Code,
    /// Expanded to `compile_error!`s pointing into the input.
    Errors,
}

/// Runs `expand` on `case` on its own thread and checks the result.
///
/// # Errors
///
/// A panic, a hang, or a violated property, with the input.
pub fn run(case: &Case) -> Result<Outcome, String> {
    let (tx, rx) = mpsc::channel();
    let input = case.clone();
    let spawned = std::thread::Builder::new()
        .name("fuzz-case".into())
        .stack_size(STACK)
        .spawn(move || {
            let result = std::panic::catch_unwind(|| expand_and_check(&input));
            let _ = tx.send(result.map_err(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default()
            }));
        });
    if let Err(e) = spawned {
        return Err(format!("cannot spawn a thread: {e}"));
    }
    let shown = || format!("\n  attr: {}\n  item: {}", case.attr, case.item);
    match rx.recv_timeout(BUDGET) {
        Ok(Ok(Ok(outcome))) => Ok(outcome),
        Ok(Ok(Err(violation))) => Err(format!("{violation}{}", shown())),
        Ok(Err(panic)) => Err(format!("the macro panicked: {panic}{}", shown())),
        Err(_) => Err(format!(
            "the macro did not finish within {BUDGET:?}{}",
            shown()
        )),
    }
}

fn expand_and_check(case: &Case) -> Result<Outcome, String> {
    let (Ok(attr), Ok(item)) = (
        case.attr.parse::<TokenStream>(),
        case.item.parse::<TokenStream>(),
    ) else {
        return Ok(Outcome::Unlexable);
    };
    let out = expand::expand(attr.clone(), item.clone());
    oracle::check(&attr, &item, &out, true)?;
    if !oracle::reported(&out).is_empty() {
        return Ok(Outcome::Errors);
    }
    match roundtrip::compile_and_check(attr, item) {
        Ok(_) => Ok(Outcome::Code),
        Err(Ok(e)) => Err(format!(
            "the expansion succeeded but compiling a variant failed: {e}"
        )),
        Err(Err(e)) => Err(format!("round trip: {e}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Vocabulary

const MNEMONICS: &str = "\
    mov add sub xor and or cmp test lea inc dec neg not imul mul div idiv shl shr sar sal rol \
    ror push pop jmp jz jnz jb jae je jne jl jg call r#loop loope loopne jrcxz ret nop int3 \
    movabs movzx movsx movsxd cmovz cmovnz setz setnz xchg cmpxchg lock_xadd lock_add \
    rep_movsb rep_stosq repne_scasb bswap popcnt lzcnt tzcnt bt bts adc sbb cqo cdq rdtsc \
    cpuid pause lfence prefetcht0 movss movsd movaps movups addss addps mulps divps sqrtps \
    xorps shufps pshufd paddd psubq pxor movdqa movdqu cvtsi2ss cvttss2si ucomiss dpps pinsrd \
    pextrq vmovups vmovaps vaddps vsubps vmulps vfmadd231ps vfmadd132pd vxorps vpaddd vpaddq \
    vpsubd vpxord vpternlogd vextractf128 vinsertf128 vbroadcastss vpbroadcastd vpgatherdd \
    vgatherdps vzeroupper vhaddps vaddss vcvtsi2ss vmovdqu32 vmovdqa64 kmovw kmovq kandw \
    kortestw vpcmpeqd vcmpps vblendvps vpermd vcompressps fld fstp fadd fxch emms movq movd \
    ldmxcsr stmxcsr xgetbv crc32 pdep shlx rorx mulx adcx enter leave extrq insertq vfmaddps \
    vpperm ud2 vaddpss foo";

const REGISTERS: &str = "\
    rax rbx rcx rdx rsi rdi rbp rsp r8 r9 r12 r15 eax ebx ecx edx esi edi esp r8d r15d ax cx \
    sp r9w al bl cl ah bh spl sil dil r8b r15b xmm0 xmm1 xmm7 xmm8 xmm15 xmm16 xmm31 ymm0 ymm1 \
    ymm15 ymm16 ymm31 zmm0 zmm1 zmm31 k0 k1 k7 st0 st1 mm0 mm7 cr0 dr7 es fs gs rip tmm0";

const WORDS: &str = "\
    fn let mut const for in if else match return loop while break unsafe pub true false self \
    Self crate as _ static struct byte word dword qword fword tbyte xmmword ymmword zmmword \
    ptr k z bcst r32 r16 r8 xmm ymm zmm len gp64 gp32 vregs has rev step_by f32x8 f32x4 f64x2 \
    f32 f64 u64 u32 u8 i64 i32 i8 i32x4 u8x16 usize rn_sae rz_sae sae label align params \
    targets fallback sse2 avx avx2 fma avx512f bmi2 UNROLL N OP x y n p top done acc i kernel \
    vreg lanes vector_bytes local";

const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "3",
    "4",
    "8",
    "16",
    "32",
    "127",
    "128",
    "-128",
    "255",
    "256",
    "0x7fff_ffff",
    "0x8000_0000",
    "0xffff_ffff",
    "0x1_0000_0000",
    "-2147483648",
    "0x7fff_ffff_ffff_ffff",
    "0xffff_ffff_ffff_ffff",
    "18446744073709551616",
    "-9223372036854775808",
    "340282366920938463463374607431768211455",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999",
    "0.5",
    "1e300",
    "-0.0",
    "1.0e-40",
    "1u8",
    "256u8",
    "1i64",
    "3usize",
    "1_f32",
    "0b1010",
    "0o777",
    "'a'",
    "\"str\"",
    "b\"b\"",
    "true",
    "false",
];

const PUNCT: &str = "\
    ; , . .. ..= = == != < > <= >= + - * / % & | ^ ! && || << >> += => -> :: : # $ @ ?";

/// The words of a space-separated vocabulary.
fn words(list: &'static str) -> Vec<&'static str> {
    list.split_whitespace().collect()
}

fn pick(list: &'static [&'static str]) -> impl Strategy<Value = String> + Clone {
    proptest::sample::select(list).prop_map(str::to_owned)
}

fn pick_word(list: &'static str) -> impl Strategy<Value = String> + Clone {
    proptest::sample::select(words(list)).prop_map(str::to_owned)
}

fn ident() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        3 => pick_word(MNEMONICS),
        3 => pick_word(REGISTERS),
        3 => pick_word(WORDS),
        1 => "[a-z_][a-z0-9_]{0,6}".prop_filter("not a keyword", |s| s != "_" && syn::parse_str::<syn::Ident>(s).is_ok()),
    ]
}

fn literal() -> impl Strategy<Value = String> + Clone {
    prop_oneof![
        4 => pick(LITERALS),
        1 => any::<u64>().prop_map(|v| v.to_string()),
        1 => any::<i64>().prop_map(|v| v.to_string()),
        1 => any::<u128>().prop_map(|v| format!("{v:#x}")),
    ]
}

// ---------------------------------------------------------------------------------------------
// (a) Arbitrary token trees

fn token_tree() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => ident(),
        2 => literal(),
        2 => pick_word(PUNCT),
    ];
    leaf.prop_recursive(6, 96, 8, |inner| {
        (0..3usize, proptest::collection::vec(inner, 0..8)).prop_map(|(d, body)| {
            let body = body.join(" ");
            match d {
                0 => format!("( {body} )"),
                1 => format!("[ {body} ]"),
                _ => format!("{{ {body} }}"),
            }
        })
    })
}

fn tokens(n: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(token_tree(), 0..n).prop_map(|v| v.join(" "))
}

fn arbitrary_case() -> impl Strategy<Value = Case> {
    prop_oneof![
        // Anything at all as the item.
        (tokens(4), tokens(24)).prop_map(|(attr, item)| Case { attr, item }),
        // A function around arbitrary tokens, so parsing gets past the signature.
        (tokens(3), tokens(6), tokens(32)).prop_map(|(attr, args, body)| Case {
            attr,
            item: format!("fn k({args}) {{ {body} }}"),
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// (b) Kernels in the DSL's vocabulary

fn operand() -> impl Strategy<Value = String> {
    let reg = pick_word(REGISTERS);
    let scale = pick(&["1", "2", "4", "8", "3", "0", "16"]);
    let mem = (
        proptest::option::of(pick(&[
            "byte", "word", "dword", "qword", "xmmword", "ymmword", "zmmword", "tbyte", "fword",
        ])),
        prop_oneof![
            pick_word(REGISTERS),
            pick(&["x", "p", "n", "top", "done", "a", "i"])
        ],
        proptest::option::of((pick_word(REGISTERS), scale)),
        proptest::option::of(literal()),
        any::<bool>(),
    )
        .prop_map(|(size, base, index, disp, bcst)| {
            let mut s = format!("{}[{base}", size.unwrap_or_default());
            if let Some((i, sc)) = index {
                s += &format!(" + {i} * {sc}");
            }
            if let Some(d) = disp {
                s += &format!(" + {d}");
            }
            s.push(']');
            if bcst {
                s += ".bcst()";
            }
            s
        });
    let decorated = (pick_word(REGISTERS), pick_word(REGISTERS), any::<bool>())
        .prop_map(|(r, k, z)| format!("{r}.k({k}){}", if z { ".z()" } else { "" }));
    let view = (
        pick_word(REGISTERS),
        pick(&["r32", "r64", "r16", "r8", "xmm", "ymm", "zmm", "len"]),
    )
        .prop_map(|(r, v)| format!("{r}.{v}()"));
    let constant = pick(&[
        "f32x8(0.5)",
        "f32(1.0)",
        "u64(7)",
        "i32x4(1, 2, 3, 4)",
        "f64x2(1.5, -2.0)",
        "u8x16(1)",
        "f32x4(1, 2)",
        "f32(0.5).bcst()",
        "i64x8(-1)",
        "u32(1e9)",
        "f64(1e400)",
    ]);
    prop_oneof![
        4 => reg,
        3 => literal(),
        3 => mem,
        2 => pick(&["top", "done", "x", "n", "p", "acc", "N", "UNROLL"]),
        1 => constant,
        1 => decorated,
        1 => view,
        1 => pick(&["rn_sae", "rz_sae", "sae"]),
        1 => (pick(&["N", "4", "x"]), pick(&["+", "*", "-", "<<", "/"]), literal()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
    ]
}

/// Instructions every kernel accepts: the DSL side of the encoding triples.
fn valid_instructions() -> Vec<String> {
    encoding::table()
        .iter()
        .map(|t| t.dsl.to_string())
        .collect()
}

/// Statements that use the DSL's features together (virtual registers, loops, labels,
/// constants, masks, variants' predicates).
const TEMPLATES: &[&str] = &[
    "let v = gp64(); mov(v, 7); add(rax, v);",
    "let t = vreg(); vxorps(t, t, t);",
    "let acc = vregs(2); for k in 0..2 { vxorps(acc[k], acc[k], acc[k]); }",
    "xor(eax, eax); label!(top); inc(rax); cmp(rax, 10); jb(top);",
    "test(rcx, rcx); jz(done); dec(rcx); label!(done);",
    "align!(16); label!(l); dec(ecx); jnz(l);",
    "label!(back); nop(); r#loop(back);",
    "jrcxz(skip); for _ in 0..3 { add(rax, 0x1000); } label!(skip);",
    "vmulps(ymm0, ymm0, f32x8(0.5)); vaddss(xmm1, xmm1, f32(0.5));",
    "for k in 0..4 { vaddps(ymm0, ymm0, [rdi + k * 32]); }",
    "for k in (0..8).step_by(2) { mov(rax, [rsi + k * 8]); }",
    "if has!(avx2) { vpaddd(ymm0, ymm0, ymm1); } else { paddd(xmm0, xmm1); }",
    "mov(ebx, 1); lea(r12d, [rbx + 1]);",
    "vaddps(zmm1.k(k1).z(), zmm2, dword[rax + rbx * 4 + 64].bcst());",
    "vaddps(zmm0, zmm1, zmm2, rn_sae);",
    "mov(ecx, dword[l]); label!(l); nop();",
    "lea(rax, [here]); label!(here); nop();",
    "let x = [ymm0, ymm1]; for r in x { vxorps(r, r, r); }",
    "const M: u64 = 3; match M { 1 | 2 => { nop(); } 3..=9 => { int3(); } _ => {} }",
    "let mut c = 0; for k in 0..4 { c += k; } add(rax, c);",
    "let w = gp32(); mov(w, 1); let y = w.r64(); add(rax, y);",
    "let i = gp64(); xor(i.r32(), i.r32()); movups(xmm0, [rdi + i * 4 + 16]); inc(i);",
    "let p = gp64(); lea(p, [rsi + 8]); mov(eax, dword[p]);",
];

fn instruction(valid: Vec<String>) -> impl Strategy<Value = String> {
    let random = (
        pick_word(MNEMONICS),
        proptest::collection::vec(operand(), 0..5),
    )
        .prop_map(|(m, ops)| format!("{m}({});", ops.join(", ")));
    prop_oneof![
        6 => proptest::sample::select(valid),
        3 => pick(TEMPLATES),
        1 => random,
    ]
}

fn simple_statement(valid: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        16 => instruction(valid),
        1 => pick(&["top", "done", "x", "a"]).prop_map(|l| format!("label!({l});")),
        1 => pick(&["1", "16", "64", "3", "0", "4096", "1 << 40"]).prop_map(|n| format!("align!({n});")),
        1 => (pick(&["a", "t", "x"]), prop_oneof![
                pick_word(REGISTERS),
                pick(&["gp64()", "gp32()", "vregs(4)", "[ymm0, ymm1]", "N * 2", "true", "xmm()"]),
                literal(),
            ]).prop_map(|(n, v)| format!("let {n} = {v};")),
        1 => literal().prop_map(|v| format!("const N: usize = {v};")),
        1 => proptest::option::of(pick_word(REGISTERS)).prop_map(|r| match r {
                Some(r) => format!("return {r};"),
                None => "return;".to_owned(),
            }),
        1 => tokens(6).prop_map(|t| format!("{t};")),
    ]
}

fn statements(valid: Vec<String>) -> impl Strategy<Value = String> {
    let leaf = proptest::collection::vec(simple_statement(valid), 0..5).prop_map(|v| v.join(" "));
    leaf.prop_recursive(3, 32, 3, |inner| {
        let range = pick(&[
            "0..4",
            "0..N",
            "1..=3",
            "(0..8).rev()",
            "(0..16).step_by(4)",
            "[ymm0, ymm1, ymm2]",
            "0..1_000_000_000",
            "0..0",
            "(0..4).step_by(0)",
        ]);
        let cond = pick(&[
            "true",
            "false",
            "has!(avx2)",
            "has!(avx512f)",
            "k == 1",
            "3 % 2 == 0",
            "1",
        ]);
        prop_oneof![
            4 => proptest::collection::vec(inner.clone(), 1..3).prop_map(|v| v.join(" ")),
            1 => (pick(&["k", "_", "r"]), range, inner.clone())
                .prop_map(|(v, r, b)| format!("for {v} in {r} {{ {b} }}")),
            1 => (cond, inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("if {c} {{ {a} }} else {{ {b} }}")),
            1 => (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("match 2 {{ 1 | 2 => {{ {a} }} 3..=9 => {{ {b} }} _ => {{}} }}")),
            1 => inner.prop_map(|b| format!("{{ {b} }}")),
        ]
    })
}

/// A signature and the statement that must end its body (`return` of the right class).
fn signature() -> impl Strategy<Value = (String, &'static str)> {
    let arg = prop_oneof![
        9 => pick(&[
            "x: u64",
            "p: *const f32",
            "s: &[f32]",
            "n: usize",
            "f: f32",
            "d: f64",
            "b: u8",
            "m: &mut [i32]",
            "q: *mut u8",
            "v: i16",
        ]),
        1 => pick(&["w: bool", "z: &str", "t: (u8, u8)", "self", "e: T"]),
    ];
    let ret = prop_oneof![
        6 => proptest::sample::select(vec![
            ("", ""),
            ("-> u64", "return rax;"),
            ("-> u32", "return eax;"),
            ("-> f32", "return xmm0;"),
            ("-> f64", "return xmm1;"),
            ("-> *const u8", "return rdi;"),
        ]),
        1 => proptest::sample::select(vec![("-> bool", "return al;"), ("-> u64", ""), ("", "return rax;")]),
    ];
    (
        pick(&["fn", "unsafe fn", "pub fn", "pub(crate) unsafe fn"]),
        proptest::collection::vec(arg, 0..7),
        ret,
    )
        .prop_map(|(f, mut args, (ret, last))| {
            // Duplicate names are rustc's error, never the macro's input.
            args.sort();
            args.dedup_by_key(|a| a.split(':').next().map(str::to_owned));
            (format!("{f} k({}) {ret}", args.join(", ")), last)
        })
}

fn attribute() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just(String::new()),
        2 => (pick(&["UNROLL", "N", "OP", "FLAG"]), prop_oneof![literal(), pick_word(MNEMONICS), pick_word(REGISTERS)])
            .prop_map(|(n, v)| format!("params({n} = {v})")),
        1 => Just("params(N = 4, UNROLL = 2, OP = vaddps)".to_owned()),
        1 => pick(&["sse2", "avx", "avx2 + fma", "avx512f", "x86-64-v3", "nosuch", "avx2, avx2"])
            .prop_map(|t| format!("targets({t})")),
        1 => Just("targets(sse2, avx, avx2 + fma, avx512f)".to_owned()),
        1 => Just("fallback = crate::reference".to_owned()),
        1 => tokens(4),
    ]
}

fn dsl_case() -> impl Strategy<Value = Case> {
    (attribute(), signature(), statements(valid_instructions())).prop_map(
        |(attr, (sig, last), body)| Case {
            attr,
            item: format!("{sig} {{ {body} {last} }}"),
        },
    )
}

// ---------------------------------------------------------------------------------------------
// (c) Mutated example kernels

/// A token tree as text: joint punctuation is one leaf (`=>`, `..`), so rendering with spaces
/// between leaves lexes back to the same tokens.
#[derive(Clone, Debug)]
enum Tree {
    Leaf(String),
    Group(Delimiter, Vec<Tree>),
}

fn to_trees(ts: TokenStream) -> Vec<Tree> {
    let mut out: Vec<Tree> = Vec::new();
    let mut joint = false;
    for t in ts {
        match t {
            TokenTree::Group(g) => out.push(Tree::Group(g.delimiter(), to_trees(g.stream()))),
            TokenTree::Punct(p) => {
                match out.last_mut() {
                    Some(Tree::Leaf(s)) if joint => s.push(p.as_char()),
                    _ => out.push(Tree::Leaf(p.as_char().to_string())),
                }
                joint = p.spacing() == Spacing::Joint;
                continue;
            }
            other => out.push(Tree::Leaf(other.to_string())),
        }
        joint = false;
    }
    out
}

fn render(trees: &[Tree]) -> String {
    let mut s = String::new();
    for t in trees {
        match t {
            Tree::Leaf(l) => s += l,
            Tree::Group(d, inner) => {
                let (open, close) = match d {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                s += open;
                s += " ";
                s += &render(inner);
                s += " ";
                s += close;
            }
        }
        s.push(' ');
    }
    s
}

/// Paths (child indices) to every node of a forest, in pre-order.
fn paths(trees: &[Tree]) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for (i, t) in trees.iter().enumerate() {
        out.push(vec![i]);
        if let Tree::Group(_, inner) = t {
            out.extend(paths(inner).into_iter().map(|mut p| {
                p.insert(0, i);
                p
            }));
        }
    }
    out
}

/// The node at `path`.
fn node<'a>(trees: &'a [Tree], path: &[usize]) -> Option<&'a Tree> {
    let (first, rest) = path.split_first()?;
    let t = trees.get(*first)?;
    match (rest.is_empty(), t) {
        (true, _) => Some(t),
        (false, Tree::Group(_, inner)) => node(inner, rest),
        (false, Tree::Leaf(_)) => None,
    }
}

/// The sequence that holds the node at `path`, and the node's index in it.
fn parent<'a>(trees: &'a mut Vec<Tree>, path: &[usize]) -> Option<(&'a mut Vec<Tree>, usize)> {
    let (last, init) = path.split_last()?;
    let mut seq = trees;
    for &i in init {
        match seq.get_mut(i)? {
            Tree::Group(_, inner) => seq = inner,
            Tree::Leaf(_) => return None,
        }
    }
    (*last < seq.len()).then_some((seq, *last))
}

#[derive(Clone, Copy, Debug)]
enum Mutation {
    SwapOperands,
    WrongRegister,
    HugeImmediate,
    DeleteLabel,
    DuplicateLabel,
    DeepNesting,
    EnormousLoop,
    DeleteToken,
    ReplaceToken,
    DuplicateStatement,
    ChangeWidth,
}

/// Words that name the same thing at another width; `ChangeWidth` swaps one for another of
/// its group (a 32-bit virtual register where a 64-bit one was, `eax` for `rax`, ...).
const WIDTHS: &[&[&str]] = &[
    &["gp64", "gp32", "gp16", "gp8"],
    &["r64", "r32", "r16", "r8"],
    &["vreg", "xmm", "ymm", "zmm"],
    &["rax", "eax", "ax", "al"],
    &["rcx", "ecx", "cx", "cl"],
    &["rdi", "edi", "di", "dil"],
    &["r8", "r8d", "r8w", "r8b"],
    &["xmm0", "ymm0", "zmm0"],
    &["xmm1", "ymm1", "zmm1"],
    &[
        "u64", "u32", "u16", "u8", "i64", "i32", "usize", "f32", "f64",
    ],
    &[
        "byte", "word", "dword", "qword", "xmmword", "ymmword", "zmmword",
    ],
];

const HUGE: &[&str] = &[
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "0x8000_0000",
    "-2147483649",
    "4294967296",
    "340282366920938463463374607431768211456",
    "1e40",
    "256",
    "-129",
];

const NESTING: &[usize] = &[2, 8, 32, 64, 128];

/// The deepest nesting a mutated input may reach. syn itself (unoptimised, in the 8 MiB a
/// macro gets) overflows its stack at about 350 nested blocks or 500 nested parentheses,
/// before any of the macro's code runs; every stage of the macro goes deeper than syn.
const MAX_DEPTH: usize = 200;

fn depth(trees: &[Tree]) -> usize {
    trees
        .iter()
        .map(|t| match t {
            Tree::Group(_, inner) => 1 + depth(inner),
            Tree::Leaf(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Applies `m` at the `at`-th eligible place (modulo their number); `pick` chooses a
/// replacement. Returns whether anything changed.
fn mutate(trees: &mut Vec<Tree>, m: Mutation, at: usize, pick: usize) -> bool {
    let all = paths(trees);
    let leaf_is = |trees: &[Tree], p: &[usize], f: &dyn Fn(&str) -> bool| matches!(node(trees, p), Some(Tree::Leaf(l)) if f(l));
    let choose = |cands: Vec<Vec<usize>>| -> Option<Vec<usize>> {
        (!cands.is_empty()).then(|| cands[at % cands.len()].clone())
    };
    match m {
        Mutation::ChangeWidth => {
            let group = |l: &str| WIDTHS.iter().find(|g| g.contains(&l)).copied();
            let cands: Vec<Vec<usize>> = all
                .into_iter()
                .filter(|p| leaf_is(trees, p, &|l: &str| group(l).is_some()))
                .collect();
            let Some(p) = choose(cands) else { return false };
            let Some((seq, i)) = parent(trees, &p) else {
                return false;
            };
            let Tree::Leaf(l) = &seq[i] else { return false };
            let Some(g) = group(l) else { return false };
            seq[i] = Tree::Leaf(g[pick % g.len()].to_owned());
            true
        }
        Mutation::WrongRegister | Mutation::HugeImmediate | Mutation::ReplaceToken => {
            let cands: Vec<Vec<usize>> = all
                .into_iter()
                .filter(|p| {
                    leaf_is(trees, p, &|l: &str| match m {
                        Mutation::WrongRegister => words(REGISTERS).contains(&l),
                        Mutation::HugeImmediate => l.starts_with(|c: char| c.is_ascii_digit()),
                        _ => true,
                    })
                })
                .collect();
            let Some(p) = choose(cands) else { return false };
            let new = match m {
                Mutation::WrongRegister => {
                    let r = words(REGISTERS);
                    r[pick % r.len()]
                }
                Mutation::HugeImmediate => HUGE[pick % HUGE.len()],
                _ => {
                    let all: Vec<&str> = [MNEMONICS, REGISTERS, WORDS, PUNCT]
                        .into_iter()
                        .flat_map(words)
                        .chain(LITERALS.iter().copied())
                        .collect();
                    all[pick % all.len()]
                }
            };
            if let Some((seq, i)) = parent(trees, &p) {
                seq[i] = Tree::Leaf(new.to_owned());
            }
            true
        }
        Mutation::DeleteToken => {
            let Some(p) = choose(all) else { return false };
            if let Some((seq, i)) = parent(trees, &p) {
                seq.remove(i);
            }
            true
        }
        Mutation::SwapOperands => {
            // A parenthesised list after an identifier: a call's arguments.
            let cands: Vec<Vec<usize>> = all
                .into_iter()
                .filter(|p| {
                    matches!(node(trees, p), Some(Tree::Group(Delimiter::Parenthesis, inner))
                        if inner.iter().any(|x| matches!(x, Tree::Leaf(l) if l == ",")))
                })
                .collect();
            let Some(p) = choose(cands) else { return false };
            let Some((seq, i)) = parent(trees, &p) else {
                return false;
            };
            let Tree::Group(_, inner) = &mut seq[i] else {
                return false;
            };
            let mut args: Vec<Vec<Tree>> = vec![vec![]];
            for t in inner.drain(..) {
                match &t {
                    Tree::Leaf(l) if l == "," => args.push(vec![]),
                    _ => args.last_mut().into_iter().for_each(|a| a.push(t.clone())),
                }
            }
            let n = args.len();
            args.swap(pick % n, (pick / n + 1) % n);
            for (k, a) in args.into_iter().enumerate() {
                if k > 0 {
                    inner.push(Tree::Leaf(",".into()));
                }
                inner.extend(a);
            }
            true
        }
        Mutation::DeleteLabel | Mutation::DuplicateLabel | Mutation::DuplicateStatement => {
            // `label ! ( x ) ;` — or any statement: the leaves up to and including a `;`.
            let cands: Vec<Vec<usize>> = all
                .into_iter()
                .filter(|p| {
                    leaf_is(trees, p, &|l: &str| match m {
                        Mutation::DuplicateStatement => l == ";",
                        _ => l == "label",
                    })
                })
                .collect();
            let Some(p) = choose(cands) else { return false };
            let Some((seq, i)) = parent(trees, &p) else {
                return false;
            };
            let (start, end) = match m {
                Mutation::DuplicateStatement => {
                    let start = seq[..i]
                        .iter()
                        .rposition(|t| matches!(t, Tree::Leaf(l) if l == ";"))
                        .map_or(0, |s| s + 1);
                    (start, i + 1)
                }
                _ => (i, (i + 4).min(seq.len())),
            };
            let stmt: Vec<Tree> = seq[start..end].to_vec();
            match m {
                Mutation::DeleteLabel => {
                    seq.drain(start..end);
                }
                _ => {
                    let at = if pick.is_multiple_of(2) { end } else { start };
                    seq.splice(at..at, stmt);
                }
            }
            true
        }
        Mutation::DeepNesting => {
            // Wrap a brace block's contents (or a parenthesised operand) `depth` times.
            let cands: Vec<Vec<usize>> = all
                .into_iter()
                .filter(|p| {
                    matches!(
                        node(trees, p),
                        Some(Tree::Group(Delimiter::Brace | Delimiter::Parenthesis, _))
                    )
                })
                .collect();
            let Some(p) = choose(cands) else { return false };
            let Some((seq, i)) = parent(trees, &p) else {
                return false;
            };
            let Tree::Group(d, inner) = &mut seq[i] else {
                return false;
            };
            let depth = NESTING[pick % NESTING.len()];
            let mut body = std::mem::take(inner);
            for _ in 0..depth {
                body = match (*d, pick % 3) {
                    (Delimiter::Brace, 0) => vec![Tree::Group(Delimiter::Brace, body)],
                    (Delimiter::Brace, 1) => vec![
                        Tree::Leaf("if".into()),
                        Tree::Leaf("true".into()),
                        Tree::Group(Delimiter::Brace, body),
                    ],
                    (Delimiter::Brace, _) => vec![
                        Tree::Leaf("for".into()),
                        Tree::Leaf("_".into()),
                        Tree::Leaf("in".into()),
                        Tree::Leaf("0..1".into()),
                        Tree::Group(Delimiter::Brace, body),
                    ],
                    _ => vec![Tree::Group(Delimiter::Parenthesis, body)],
                };
            }
            *inner = body;
            true
        }
        Mutation::EnormousLoop => {
            let cands: Vec<Vec<usize>> = all
                .into_iter()
                .filter(|p| leaf_is(trees, p, &|l: &str| l == ".." || l == "..="))
                .collect();
            let Some(p) = choose(cands) else { return false };
            let Some((seq, i)) = parent(trees, &p) else {
                return false;
            };
            // Past the unrolling limit (rejected before unrolling), or large but within it.
            let bound = [
                "1_000_000_000",
                "18446744073709551615",
                "1 << 62",
                "5_000",
                "-1",
            ][pick % 5];
            if i + 1 < seq.len() {
                seq[i + 1] = Tree::Leaf(bound.into());
            } else {
                seq.push(Tree::Leaf(bound.into()));
            }
            true
        }
    }
}

fn mutation() -> impl Strategy<Value = Mutation> {
    proptest::sample::select(vec![
        Mutation::SwapOperands,
        Mutation::WrongRegister,
        Mutation::HugeImmediate,
        Mutation::DeleteLabel,
        Mutation::DuplicateLabel,
        Mutation::DeepNesting,
        Mutation::EnormousLoop,
        Mutation::DeleteToken,
        Mutation::ReplaceToken,
        Mutation::DuplicateStatement,
        Mutation::ChangeWidth,
    ])
}

/// The example kernels as (attribute, item) text, the seeds of mutation.
fn seeds() -> Vec<(String, String)> {
    sources::kernels()
        .into_iter()
        .map(|s| (s.attr.to_string(), s.item.to_string()))
        .collect()
}

fn mutated_case(seeds: Vec<(String, String)>) -> impl Strategy<Value = Case> {
    let n = seeds.len();
    (
        0..n,
        proptest::collection::vec(
            (mutation(), any::<usize>(), any::<usize>(), any::<bool>()),
            1..4,
        ),
    )
        .prop_map(move |(k, muts)| {
            let (attr, item) = &seeds[k];
            let lex = |s: &str| to_trees(s.parse().unwrap_or_default());
            let (mut attr, mut item) = (lex(attr), lex(item));
            for (m, at, pick, in_attr) in muts {
                // Mostly the item; the attribute when it has tokens and the coin says so.
                let target = if in_attr && !attr.is_empty() && at % 4 == 0 {
                    &mut attr
                } else {
                    &mut item
                };
                let before = target.clone();
                mutate(target, m, at, pick);
                if depth(target) > MAX_DEPTH {
                    *target = before;
                }
            }
            Case {
                attr: render(&attr),
                item: render(&item),
            }
        })
}

// ---------------------------------------------------------------------------------------------
// The properties

/// Cases per property: 256 in CI (the three properties take a few seconds together); set
/// `ASMFORGE_FUZZ_CASES` for a longer run, e.g. `ASMFORGE_FUZZ_CASES=20000 cargo test
/// --release -p asmforge-codegen fuzz_`.
fn cases() -> u32 {
    std::env::var("ASMFORGE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

/// Runs the property over `cases()` inputs of `strategy`; prints how they ended and checks
/// that at least `min_code` of them (a fraction) compiled, so a generator that drifts into
/// producing only errors is noticed.
fn fuzz(name: &str, strategy: impl Strategy<Value = Case>, min_code: f64) {
    let config = ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        // Shrinking a hang costs a budget per step: give up on shrinking after two minutes.
        max_shrink_time: 120_000,
        ..ProptestConfig::default()
    };
    let counts = std::cell::RefCell::new([0usize; 3]);
    let mut runner = proptest::test_runner::TestRunner::new(config);
    let result = runner.run(&strategy, |case| {
        let outcome = run(&case).map_err(TestCaseError::fail)?;
        counts.borrow_mut()[outcome as usize] += 1;
        Ok(())
    });
    let [unlexable, code, errors] = *counts.borrow();
    eprintln!("{name}: {code} compiled, {errors} rejected with errors, {unlexable} unlexable");
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let total = (unlexable + code + errors).max(1);
    assert!(
        code as f64 >= min_code * total as f64,
        "{name}: only {code} of {total} cases compiled"
    );
}

#[test]
fn fuzz_arbitrary_tokens() {
    fuzz("arbitrary tokens", arbitrary_case(), 0.0);
}

#[test]
fn fuzz_dsl_kernels() {
    fuzz("DSL kernels", dsl_case(), 0.02);
}

#[test]
fn fuzz_mutated_examples() {
    fuzz("mutated examples", mutated_case(seeds()), 0.05);
}

/// The seeds themselves expand to code: the mutations start from working kernels.
#[test]
fn fuzz_seeds_expand_to_code() {
    for (attr, item) in seeds() {
        let case = Case { attr, item };
        assert_eq!(run(&case), Ok(Outcome::Code), "{case:?}");
    }
}

/// Rendering the token trees and lexing them again gives the same tokens.
#[test]
fn fuzz_render_round_trips() {
    for (_, item) in seeds() {
        let again = render(&to_trees(item.parse().unwrap()));
        let reparsed: TokenStream = again.parse().unwrap();
        assert_eq!(reparsed.to_string(), item);
    }
}
