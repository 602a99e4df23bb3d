//! One test per bug that fuzzing, the round trip and the determinism checks found, each named
//! for what must hold now (see the tests' comments for the original failure).

use quote::quote;

use super::fuzz::{self, Case, Outcome};
use super::roundtrip;
use crate::expand;

/// Expands `#[kernel(attr)] item`, lexed from text so every token has a span, and returns
/// each error as (message, line, column of its start).
fn errors_at(attr: &str, item: &str) -> Vec<(String, usize, usize)> {
    let out = expand::expand(attr.parse().unwrap(), item.parse().unwrap());
    super::oracle::reported(&out)
        .into_iter()
        .map(|e| {
            let at = e.start.start();
            (e.message, at.line, at.column)
        })
        .collect()
}

/// The fuzz property (no panic, no hang, errors inside the input, code round-trips) holds.
fn assert_clean(attr: &str, item: &str) -> Outcome {
    let case = Case {
        attr: attr.into(),
        item: item.into(),
    };
    fuzz::run(&case).unwrap_or_else(|e| panic!("{e}"))
}

/// A `loop` whose target is out of rel8 reach is rewritten by iced's block encoder into three
/// instructions, reported at offset `u32::MAX`; the line table dropped the instruction, so the
/// listing lost its source line (found by the round trip).
#[test]
fn out_of_reach_loop_keeps_its_line() {
    let item = "fn k() {\n label!(top);\n for _ in 0..40 { add(rax, 0x1000); }\n r#loop(top);\n}";
    let kernel = crate::parse::parse(quote!(), item.parse().unwrap()).unwrap();
    let enc = expand::compile_variant(&kernel, &crate::isa::variant::Variant::baseline()).unwrap();
    assert_eq!(roundtrip::check(&enc), Ok(()));
    // 40 × `add rax, 0x1000` (6 bytes), the loop at 240, then `ret`.
    assert_eq!(enc.lines.len(), 42, "{:?}", enc.lines);
    assert_eq!(enc.lines[40], (240, 4));
    assert_eq!(enc.lines[41].0, 240 + 9, "loop; jmp short; jmp near");
}

/// `label!()` and `align!()` reported their error at `Span::call_site()` (the span of an
/// empty token stream) instead of at their parentheses (found by fuzzing).
#[test]
fn empty_label_and_align_point_at_their_parentheses() {
    for (body, message) in [
        ("label!();", "write `label!(name);`"),
        ("align!();", "write `align!(16);`"),
    ] {
        let item = format!("fn k() {{\n    nop();\n    {body}\n}}");
        let errors = errors_at("", &item);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].0.contains(message), "{errors:?}");
        assert_eq!((errors[0].1, errors[0].2), (3, 10), "at `(`: {errors:?}");
        assert_eq!(assert_clean("", &item), Outcome::Errors);
    }
}

/// An empty statement (`;`, which syn keeps as an empty `Expr::Verbatim`) was rejected as
/// "this Rust expression is not part of the kernel DSL", at `Span::call_site()`; in Rust it
/// does nothing, so in the DSL it does nothing too (found by fuzzing).
#[test]
fn empty_statements_do_nothing() {
    let plain = "fn k() -> u64 { mov(eax, 1); return rax; }";
    for item in [
        "fn k() -> u64 { ; mov(eax, 1);; { ; } return rax; }",
        "fn k() -> u64 { mov(eax, 1); for _ in 0..2 { ; } if true { ; } return rax; ; }",
    ] {
        assert_eq!(assert_clean("", item), Outcome::Code, "{item}");
        let bytes = |text: &str| {
            super::compile(quote!(), text.parse().unwrap())
                .unwrap()
                .bytes
        };
        assert_eq!(bytes(item), bytes(plain), "{item}");
    }
}

/// An unknown name inside an unrolled loop is reported once, but its "did you mean" hint —
/// an edit-distance search over every label and register name — was computed again for
/// each of the loop's iterations before the duplicate was dropped: 50,000 iterations took
/// seconds (found by fuzzing: the case hit the time budget). Now one search per name; the
/// unresolvable loop must cost about what the same loop with its label defined costs.
#[test]
fn unknown_label_in_a_long_unrolled_loop_is_hinted_once() {
    let time = |item: &str| {
        let start = std::time::Instant::now();
        let errors = errors_at("", item);
        (start.elapsed(), errors.len())
    };
    let (resolved, n) = time("fn k() { for _ in 0..20_000 { label!(a); jmp(a); } }");
    assert_eq!(n, 0);
    let (unknown, n) = time("fn k() { for _ in 0..20_000 { jmp(nowhere); } }");
    assert_eq!(n, 1, "one error, not one per iteration");
    assert!(
        unknown < resolved * 4,
        "{unknown:?} for the unknown label, {resolved:?} for the defined one"
    );
}

/// A virtual register narrower than 64 bits as a base or index (`let i = gp32(); [x + i * 4]`)
/// passed the check that rejects `[x + ecx * 4]`, and iced's encoder then failed a debug
/// assertion while selection measured the form: the macro panicked (found by `cargo fuzz`,
/// from a mutated `sdot`). A vector or mask virtual register as a base slipped through the
/// same way.
#[test]
fn narrow_virtual_registers_cannot_address_memory() {
    for (body, message) in [
        (
            "let i = gp32(); xor(i, i); movups(xmm0, [x + i * 4]);",
            "`i` (32 bits) cannot address memory",
        ),
        (
            "let b = gp32(); xor(b, b); movups(xmm0, [b + rcx * 4]);",
            "`b` (32 bits)",
        ),
        (
            "let b = gp64(); xor(b, b); movups(xmm0, [b.r16()]);",
            "(16 bits)",
        ),
        ("let b = gp8(); xor(b, b); movups(xmm0, [b]);", "(8 bits)"),
        (
            "let t = vreg(); movups(xmm0, [t]);",
            "`t` cannot address memory",
        ),
    ] {
        let item = format!("unsafe fn k(x: *const f32) {{ {body} }}");
        assert_eq!(assert_clean("", &item), Outcome::Errors, "{item}");
        let errors = errors_at("", &item);
        assert!(
            errors.len() == 1 && errors[0].0.contains(message),
            "{item}: {errors:?}"
        );
    }
    // The 64-bit view is the fix the message suggests.
    let item = "unsafe fn k(x: *const f32) { let i = gp32(); xor(i, i); movups(xmm0, [x + i.r64() * 4]); }";
    assert_eq!(assert_clean("", item), Outcome::Code);
}

/// `return v;` with a virtual register of the wrong class for the return type (a vector for
/// `-> u64`, a GPR for `-> f32`) was checked only for physical registers, and the frame stage
/// then failed with "asmforge internal error: return register view" (found by fuzzing: a
/// mutated `vector_sum` returning `-> u64`).
#[test]
fn returning_a_virtual_register_of_the_wrong_class_is_a_user_error() {
    for (item, message) in [
        (
            "fn k() -> u64 { let s = xmm(); xorps(s, s); return s; }",
            "an integer or pointer result is returned from a general-purpose register",
        ),
        (
            "fn k() -> f32 { let g = gp64(); xor(g, g); return g; }",
            "a floating-point result is returned from a vector register",
        ),
    ] {
        assert_eq!(assert_clean("", item), Outcome::Errors, "{item}");
        let errors = errors_at("", item);
        assert!(
            errors.len() == 1 && errors[0].0.contains(message),
            "{item}: {errors:?}"
        );
        assert_eq!(
            errors[0].2,
            item.find("return ").unwrap() + 7,
            "at the value"
        );
    }
}

/// `return ah;` (or bh, ch, dh) compiled, but the frame stage took the register's low-byte
/// sibling for the move to al/ax/eax: `-> u8 { return ah; }` returned al, and `return bh;`
/// moved bl (found while checking the return paths the fuzzer reached). Now an error that
/// says how to return the byte.
#[test]
fn high_byte_registers_are_not_returned_as_another_register() {
    for (ty, reg) in [("u8", "ah"), ("u16", "bh"), ("u32", "ch"), ("u64", "dh")] {
        let item = format!("fn k() -> {ty} {{ mov({reg}, 0x12); return {reg}; }}");
        let errors = errors_at("", &item);
        assert!(
            errors.len() == 1
                && errors[0]
                    .0
                    .contains(&format!("`{reg}` cannot be returned directly")),
            "{item}: {errors:?}"
        );
    }
    let item = "fn k() -> u8 { mov(ah, 0x12); movzx(eax, ah); return eax; }";
    assert_eq!(assert_clean("", item), Outcome::Code);
}
