//! Register allocation through the real pipeline: values live around loops, across fixed
//! registers, pressure exactly at the limit, and the errors.

use quote::quote;

use super::{compile, errors};

/// The kernel's code decoded with iced, as Intel text.
fn listing(bytes: &[u8], code_size: u32) -> Vec<String> {
    use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
    let mut dec = Decoder::with_ip(64, &bytes[..code_size as usize], 0, DecoderOptions::NONE);
    let mut fmt = IntelFormatter::new();
    let mut out = Vec::new();
    for ins in &mut dec {
        let mut s = String::new();
        fmt.format(&ins, &mut s);
        out.push(s);
    }
    out
}

#[test]
fn caller_saved_registers_first_and_parameters_stay_put() {
    let enc = compile(
        quote!(),
        quote!(
            fn k(n: u64) -> u64 {
                let acc = gp64();
                let i = gp64();
                xor(acc.r32(), acc.r32());
                xor(i.r32(), i.r32());
                label!(top);
                add(acc, i);
                inc(i);
                cmp(i, n);
                jb(top);
                return acc;
            }
        ),
    )
    .unwrap();
    let text = listing(&enc.bytes, enc.code_size);
    // acc → rax (first preference, and where the result must go), i → rcx; n stays in rdi.
    assert_eq!(text[0], "xor eax,eax");
    assert_eq!(text[1], "xor ecx,ecx");
    assert_eq!(text[2], "add rax,rcx");
    assert_eq!(text[4], "cmp rcx,rdi");
    assert!(enc.saved.is_empty(), "no callee-saved register needed");
    assert_eq!(text.last().unwrap(), "ret");
}

#[test]
fn value_live_around_the_back_edge_keeps_its_register() {
    // `t` is defined after its use in the loop body but is live around the back edge into
    // the next iteration: it must not share a register with `x`, defined in between.
    let enc = compile(
        quote!(),
        quote!(
            fn k(n: u64) -> u64 {
                let t = gp64();
                let x = gp64();
                mov(t, 1);
                label!(top);
                mov(x, t);
                add(x, t);
                mov(t, x);
                dec(n);
                jnz(top);
                return t;
            }
        ),
    )
    .unwrap();
    let text = listing(&enc.bytes, enc.code_size);
    assert_eq!(text[0], "mov rax,1", "{text:?}");
    assert_eq!(text[1], "mov rcx,rax", "{text:?}");
    assert_eq!(text[2], "add rcx,rax", "{text:?}");
}

#[test]
fn fixed_registers_of_mul_are_avoided() {
    // `mul` writes rdx:rax; `keep` is live across it, so it must avoid both.
    let enc = compile(
        quote!(),
        quote!(
            fn k(a: u64, b: u64) -> u64 {
                let keep = gp64();
                mov(keep, b);
                mov(rax, a);
                mul(b);
                add(rax, keep);
                return rax;
            }
        ),
    )
    .unwrap();
    let text = listing(&enc.bytes, enc.code_size);
    assert_eq!(text[0], "mov rcx,rsi", "{text:?}");
}

#[test]
fn shift_count_in_cl_forces_other_registers() {
    let enc = compile(
        quote!(),
        quote!(
            fn k(a: u64, s: u8) -> u64 {
                let v = gp64();
                mov(v, a);
                mov(cl, s);
                shl(v, cl);
                return v;
            }
        ),
    )
    .unwrap();
    let text = listing(&enc.bytes, enc.code_size);
    assert_eq!(text[0], "mov rax,rdi");
    assert_eq!(text[1], "mov cl,sil");
    assert_eq!(text[2], "shl rax,cl");
}

#[test]
fn sixteen_vector_values_fit_and_seventeen_do_not() {
    let fits = compile(
        quote!(),
        quote!(
            unsafe fn k(p: *mut f32) {
                let v = xmms(16);
                for i in 0..16 {
                    movups(v[i], [p + i * 16]);
                }
                for i in 1..16 {
                    addps(v[0], v[i]);
                }
                movups([p], v[0]);
            }
        ),
    );
    assert!(fits.is_ok(), "{:?}", fits.err());
    let errs = errors(
        quote!(),
        quote!(
            unsafe fn k(p: *mut f32) {
                let v = xmms(17);
                for i in 0..17 {
                    movups(v[i], [p + i * 16]);
                }
                for i in 1..17 {
                    addps(v[0], v[i]);
                }
                movups([p], v[0]);
            }
        ),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("too many live vector registers"),
        "{}",
        errs[0]
    );
    assert!(
        errs[0].contains("`v[16]`") && errs[0].contains("`v[0]`"),
        "{}",
        errs[0]
    );
}

#[test]
fn fifteen_gprs_fit_with_callee_saved_pushed() {
    let enc = compile(
        quote!(),
        quote!(
            fn k() -> u64 {
                let g = gp64s(15);
                for i in 0..15 {
                    mov(g[i], i);
                }
                for i in 1..15 {
                    add(g[0], g[i]);
                }
                return g[0];
            }
        ),
    )
    .unwrap();
    assert_eq!(
        enc.saved.len(),
        6,
        "rbx, rbp, r12–r15 are all needed and saved"
    );
    let errs = errors(
        quote!(),
        quote!(
            fn k() -> u64 {
                let g = gp64s(16);
                for i in 0..16 {
                    mov(g[i], i);
                }
                for i in 1..16 {
                    add(g[0], g[i]);
                }
                return g[0];
            }
        ),
    );
    assert!(
        errs.iter()
            .any(|e| e.contains("too many live general-purpose registers")),
        "{errs:?}"
    );
}

#[test]
fn read_before_write_is_an_error() {
    let errs = errors(
        quote!(),
        quote!(
            fn k() -> u64 {
                let x = gp64();
                add(rax, x);
                return rax;
            }
        ),
    );
    assert_eq!(errs.len(), 1);
    assert!(
        errs[0].contains("`x` is read here before it is written"),
        "{}",
        errs[0]
    );
    // Written on only one path into the join: still an error.
    let errs = errors(
        quote!(),
        quote!(
            fn k(c: u64) -> u64 {
                let x = gp64();
                test(c, c);
                jz(skip);
                mov(x, 1);
                label!(skip);
                mov(rax, x);
                return rax;
            }
        ),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
}

#[test]
fn views_share_one_register() {
    let enc = compile(
        quote!(),
        quote!(
            unsafe fn k(p: *const u8) -> u32 {
                let v = gp64();
                movzx(v.r32(), byte[p]);
                add(v.r8(), 1);
                return v.r32();
            }
        ),
    )
    .unwrap();
    let text = listing(&enc.bytes, enc.code_size);
    assert_eq!(text[0], "movzx eax,byte ptr [rdi]");
    assert_eq!(text[1], "add al,1");
}

mod property {
    use proc_macro2::TokenStream;
    use proptest::prelude::*;
    use quote::quote;

    /// One random operation on virtual registers `g[a]`, `g[b]` (GPR) or `v[a]`, `v[b]` (xmm).
    #[derive(Clone, Debug)]
    enum Op {
        Mov(usize, usize),
        Add(usize, usize),
        Imul(usize, usize),
        Xor(usize, usize),
        Shl(usize),
        Mul(usize),
        Vadd(usize, usize),
        /// A counted loop over the next `n` operations.
        Loop(usize),
    }

    fn op(k: usize) -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..k, 0..k).prop_map(|(a, b)| Op::Mov(a, b)),
            (0..k, 0..k).prop_map(|(a, b)| Op::Add(a, b)),
            (0..k, 0..k).prop_map(|(a, b)| Op::Imul(a, b)),
            (0..k, 0..k).prop_map(|(a, b)| Op::Xor(a, b)),
            (0..k).prop_map(Op::Shl),
            (0..k).prop_map(Op::Mul),
            (0..k, 0..k).prop_map(|(a, b)| Op::Vadd(a, b)),
            (1..6usize).prop_map(Op::Loop),
        ]
    }

    fn program(k: usize, ops: &[Op]) -> TokenStream {
        let mut body = TokenStream::new();
        body.extend(quote!(let g = gp64s(#k); let v = xmms(#k);));
        for i in 0..k {
            body.extend(quote!(mov(g[#i], #i); xorps(v[#i], v[#i]);));
        }
        let mut close: Option<(usize, proc_macro2::Ident)> = None;
        for (n, o) in ops.iter().enumerate() {
            body.extend(match o {
                Op::Mov(a, b) => quote!(mov(g[#a], g[#b]);),
                Op::Add(a, b) => quote!(add(g[#a], g[#b]);),
                Op::Imul(a, b) => quote!(imul(g[#a], g[#b]);),
                Op::Xor(a, b) => quote!(xor(g[#a], g[#b]);),
                Op::Shl(a) => quote!(mov(ecx, 3); shl(g[#a], cl);),
                Op::Mul(a) => quote!(mov(rax, g[#a]); mul(g[#a]); mov(g[#a], rdx);),
                Op::Vadd(a, b) => quote!(addps(v[#a], v[#b]);),
                Op::Loop(len) => {
                    let l = quote::format_ident!("l{}", n);
                    close = Some((n + len, l.clone()));
                    quote!(mov(r11, 4); label!(#l);)
                }
            });
            if let Some((end, l)) = close.clone()
                && end == n
            {
                body.extend(quote!(dec(r11); jnz(#l);));
                close = None;
            }
        }
        if let Some((_, l)) = close {
            body.extend(quote!(dec(r11); jnz(#l);));
        }
        let sum = (0..k).map(|i| quote!(add(g[0], g[#i]); addps(v[0], v[#i]);));
        quote!(unsafe fn k(out: *mut f32) -> u64 { #body #(#sum)* movss([out], v[0]); return g[0]; })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        /// Every random program either allocates — and then the allocation checker, which
        /// simulates the CFG independently of the interference graph, has accepted it — or
        /// fails with the documented pressure error. Never an internal error.
        #[test]
        fn random_programs_allocate_and_check(k in 1usize..13, ops in proptest::collection::vec(op(12), 0..40)) {
            let ops: Vec<Op> = ops.into_iter().map(|o| match o {
                Op::Mov(a, b) => Op::Mov(a % k, b % k),
                Op::Add(a, b) => Op::Add(a % k, b % k),
                Op::Imul(a, b) => Op::Imul(a % k, b % k),
                Op::Xor(a, b) => Op::Xor(a % k, b % k),
                Op::Shl(a) => Op::Shl(a % k),
                Op::Mul(a) => Op::Mul(a % k),
                Op::Vadd(a, b) => Op::Vadd(a % k, b % k),
                l => l,
            }).collect();
            // Loops must not nest or overlap (r11 is their single counter).
            let mut ops2 = Vec::new();
            let mut until = 0;
            for (n, o) in ops.into_iter().enumerate() {
                match o {
                    Op::Loop(_) if n < until => {}
                    Op::Loop(len) => { until = n + len + 1; ops2.push(Op::Loop(len)); }
                    o => ops2.push(o),
                }
            }
            let item = program(k, &ops2);
            match super::super::compile(quote!(), item) {
                Ok(_) => {}
                Err(e) => prop_assert!(e.contains("too many live"), "{e}"),
            }
        }
    }
}
