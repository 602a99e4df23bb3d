//! Stage 3, **select**: bind each instruction to one iced-x86 form and validate it.
//!
//! Takes the [`Program`] from `eval`; returns a [`Selected`] in which every instruction is
//! bound to the form [`isa::choose`](crate::isa::choose) picks for the variant's features —
//! the least demanding encoding (legacy, then VEX, then EVEX), then the shortest, with every
//! check iced's encoder would skip (see that module). This stage only walks the program,
//! restricts the choice to the variant, and reports each error once per source token (an
//! unrolled loop that fails in every iteration names the first). Registers may still be
//! virtual: `regalloc` re-binds the forms of the instructions it rewrites through the same
//! query, and `frame` binds the instructions it adds through it too; neither calls this stage.

use crate::diag::Errors;
use crate::ir::{Item, Program, SItem, Selected};
use crate::isa::choose;
use crate::isa::variant::Variant;

/// Selects a form for every instruction, collecting every error.
#[cfg(test)]
pub fn select(program: Program, variant: &Variant) -> syn::Result<Selected> {
    let (selected, errors) = select_partial(program, variant);
    match errors {
        Some(e) => Err(e),
        None => Ok(selected),
    }
}

/// Like [`select`], but also returns the program of the instructions that did select, so that
/// allocation can report its own errors in the same compile.
pub fn select_partial(program: Program, variant: &Variant) -> (Selected, Option<syn::Error>) {
    let allowed = choose::allowed(variant);
    let mut errors = Errors::new();
    let mut items = Vec::with_capacity(program.items.len());
    // Token positions already reported from unrolled loops: one error per token, naming the
    // first failing iteration, not one per iteration.
    let mut reported: Vec<(usize, usize)> = Vec::new();
    for item in program.items {
        match item {
            Item::Inst(inst) => {
                let unrolled = inst.note.is_some();
                match choose::choose(inst, allowed) {
                    Ok(s) => items.push(SItem::Inst(s)),
                    Err(e) => {
                        let at = e.span().start();
                        if !(unrolled && reported.contains(&(at.line, at.column))) {
                            reported.push((at.line, at.column));
                            errors.push_err(e);
                        }
                    }
                }
            }
            Item::Label(l) => items.push(SItem::Label(l)),
            Item::Align(n) => items.push(SItem::Align(n)),
            Item::Return(v, span) => items.push(SItem::Return(v, span)),
        }
    }
    let selected = Selected {
        items,
        consts: program.consts,
        label_count: program.label_count,
        vregs: program.vregs,
    };
    (selected, errors.finish().err())
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;

    use crate::tests::errors;

    /// Errors of `fn k(p: *mut f32) { <body> }`, parsed from text so tokens have positions.
    fn errors_of(body: &str) -> Vec<String> {
        let item: TokenStream = format!("unsafe fn k(p: *mut f32) {{ {body} }}")
            .parse()
            .unwrap();
        errors(TokenStream::new(), item)
    }

    fn only_error(body: &str) -> String {
        let errs = errors_of(body);
        assert_eq!(errs.len(), 1, "{body}: {errs:?}");
        errs[0].clone()
    }

    #[test]
    fn hand_written_ret_is_rejected() {
        // iced knows `ret`, so the check must come before the table.
        assert!(only_error("ret();").contains("instead of `ret()`"));
    }

    #[test]
    fn k0_mask_is_an_error_not_a_panic() {
        // iced's `set_op_mask` asserts k1–k7; measuring a form used to panic.
        assert!(
            only_error("vaddps(zmm0.k(k0), zmm1, zmm2);").contains("k0 cannot be a write mask")
        );
        assert!(only_error("vmovups([p].k(k0), zmm0);").contains("k0 cannot be a write mask"));
    }

    #[test]
    fn decorators_are_checked_before_encoding() {
        let e = only_error("vmaxps(zmm0, zmm1, zmm2, rn_sae);");
        assert!(e.contains("no form with embedded rounding"), "{e}");
        let e = only_error("vpaddd(zmm0, zmm1, zmm2, sae);");
        assert!(e.contains("no form that takes `sae`"), "{e}");
        let e = only_error("vaddps(xmm0, xmm1, xmm2, rn_sae);");
        assert!(
            e.contains("VADDPS zmm1 {k1}{z}, zmm2, zmm3/m512/m32bcst{er}"),
            "{e}"
        );
        assert!(
            errors_of("vaddps(zmm0, zmm1, zmm2, rz_sae); vmaxps(zmm0, zmm1, zmm2, sae);")
                .is_empty()
        );
    }

    #[test]
    fn validation_runs_before_encoding() {
        let e = only_error("vgatherdps(zmm0, [p + zmm1 * 4]);");
        assert!(e.contains("requires a write mask"), "{e}");
        assert!(only_error("lock_add(rax, 1);").contains("needs a memory destination"));
        assert!(only_error("rep_add(rax, 1);").contains("only string instructions"));
        assert!(errors_of("lock_add([p], eax); rep_stosb();").is_empty());
    }

    #[test]
    fn misplaced_operands_are_named() {
        let e = only_error("mov(rax, [xmm0]);");
        assert!(e.contains("through a vector register"), "{e}");
        let e = only_error("label!(here); mov(rax, here);");
        assert!(e.contains("does not take a label here"), "{e}");
    }

    #[test]
    fn unrolled_select_errors_are_reported_once_per_token() {
        let errs = errors_of("for i in 0..5 { pshufd(xmm0, xmm1, i * 100); }");
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].contains("immediate 300") && errs[0].contains("`i = 3`"),
            "{errs:?}"
        );
    }
}
