//! End-to-end checks of the pipeline on small kernels.

use quote::quote;

use super::{compile, encode_body, errors};

#[test]
fn short_and_near_branches_relax() {
    // A backward jump over a few bytes is rel8 (2 bytes: 75 xx).
    let bytes = encode_body(quote!(label!(top); inc(rax); jnz(top);)).unwrap();
    assert_eq!(bytes, vec![0x48, 0xff, 0xc0, 0x75, 0xfb]);
    // Over more than 127 bytes it becomes rel32 (0f 85 xx xx xx xx).
    let bytes =
        encode_body(quote!(label!(top); for _ in 0..40 { add(rax, 0x1000); } jnz(top);)).unwrap();
    assert_eq!(&bytes[bytes.len() - 6..bytes.len() - 4], &[0x0f, 0x85]);
}

#[test]
fn labels_in_unrolled_loops_are_per_iteration() {
    let bytes =
        encode_body(quote!(for _ in 0..3 { jmp(skip); nop(); label!(skip); } int3();)).unwrap();
    assert_eq!(
        bytes,
        vec![0xeb, 0x01, 0x90, 0xeb, 0x01, 0x90, 0xeb, 0x01, 0x90, 0xcc]
    );
}

#[test]
fn align_pads_with_nops() {
    let bytes = encode_body(quote!(nop(); align!(16); label!(l); dec(ecx); jnz(l);)).unwrap();
    assert_eq!(bytes.len(), 16 + 4);
    assert_eq!(
        &bytes[1..16],
        &[
            0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0, 0x66, 0x0f, 0x1f, 0x44, 0, 0
        ]
    );
    assert_eq!(&bytes[16..], &[0xff, 0xc9, 0x75, 0xfc]);
}

#[test]
fn constants_are_pooled_rip_relative_and_aligned() {
    let enc = compile(
        quote!(),
        quote!(
            fn k() {
                vmulps(ymm0, ymm0, f32x8(0.5));
                vaddss(xmm1, xmm1, f32(0.5));
            }
        ),
    )
    .unwrap();
    assert_eq!(enc.pool_size, 32, "f32(0.5) is found inside f32x8(0.5)");
    let pool_at = enc.bytes.len() - 32;
    assert_eq!(pool_at % 32, 0);
    assert_eq!(&enc.bytes[pool_at..pool_at + 4], &0.5f32.to_le_bytes());
    // vmulps ymm0, ymm0, [rip + disp32]: c5 fc 59 05 <disp32>; disp is relative to the next instruction.
    assert_eq!(&enc.bytes[..4], &[0xc5, 0xfc, 0x59, 0x05]);
    let disp = i32::from_le_bytes(enc.bytes[4..8].try_into().unwrap());
    assert_eq!(8 + disp as usize, pool_at);
}

#[test]
fn callee_saved_registers_are_preserved_and_returns_move() {
    let enc = compile(
        quote!(),
        quote!(
            fn k(x: u32) -> u32 {
                mov(ebx, x);
                lea(r12d, [rbx + 1]);
                return r12d;
            }
        ),
    )
    .unwrap();
    // push rbx; push r12; mov ebx, edi; lea r12d, [rbx+1]; mov eax, r12d; pop r12; pop rbx; ret
    assert_eq!(
        enc.bytes,
        vec![
            0x53, 0x41, 0x54, 0x89, 0xfb, 0x44, 0x8d, 0x63, 0x01, 0x44, 0x89, 0xe0, 0x41, 0x5c,
            0x5b, 0xc3
        ]
    );
}

#[test]
fn vzeroupper_after_ymm_use() {
    let enc = compile(
        quote!(),
        quote!(
            fn k() {
                vxorps(ymm3, ymm3, ymm3);
            }
        ),
    )
    .unwrap();
    assert_eq!(
        enc.bytes,
        vec![0xc5, 0xe4, 0x57, 0xdb, 0xc5, 0xf8, 0x77, 0xc3]
    );
    let enc = compile(
        quote!(),
        quote!(
            fn k() {
                vxorps(xmm3, xmm3, xmm3);
            }
        ),
    )
    .unwrap();
    assert_eq!(enc.bytes, vec![0xc5, 0xe0, 0x57, 0xdb, 0xc3]);
}

#[test]
fn selection_prefers_vex_over_evex_and_shortest() {
    // VEX, not EVEX, for plain AVX operands.
    assert_eq!(
        encode_body(quote!(vaddps(xmm0, xmm1, xmm2);)).unwrap(),
        vec![0xc5, 0xf0, 0x58, 0xc2]
    );
    // EVEX when the operands demand it.
    assert_eq!(
        encode_body(quote!(vaddps(xmm16, xmm1, xmm2);)).unwrap(),
        vec![0x62, 0xe1, 0x74, 0x08, 0x58, 0xc2]
    );
    // add rax, 1 takes the sign-extended imm8 form.
    assert_eq!(
        encode_body(quote!(add(rax, 1);)).unwrap(),
        vec![0x48, 0x83, 0xc0, 0x01]
    );
}

#[test]
fn errors_are_collected() {
    let errs = errors(
        quote!(),
        quote!(
            fn k() {
                foo(rax);
                vaddps(xmm0, xmm1);
            }
        ),
    );
    assert_eq!(errs.len(), 2, "{errs:?}");
    assert!(errs[0].contains("unknown instruction `foo`"));
    assert!(errs[1].contains("no form of `vaddps`"));
}

#[test]
fn legacy_sse_after_dirty_avx_needs_vzeroupper() {
    let errs = errors(
        quote!(),
        quote!(
            unsafe fn k(p: *mut f32) {
                vaddps(ymm0, ymm0, [p]);
                addss(xmm1, [p]);
            }
        ),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(
        errs[0].contains("`addss` is a legacy-SSE instruction") && errs[0].contains("vzeroupper"),
        "{}",
        errs[0]
    );
    // With vzeroupper in between, or with the VEX form, it is fine.
    assert!(
        errors(
            quote!(),
            quote!(
                unsafe fn k(p: *mut f32) {
                    vaddps(ymm0, ymm0, [p]);
                    vzeroupper();
                    addss(xmm1, [p]);
                }
            )
        )
        .is_empty()
    );
    assert!(
        errors(
            quote!(),
            quote!(
                unsafe fn k(p: *mut f32) {
                    vaddps(ymm0, ymm0, [p]);
                    vaddss(xmm1, xmm1, [p]);
                }
            )
        )
        .is_empty()
    );
    // Through a loop's back edge: the SSE code at the top runs after the AVX code below it.
    let errs = errors(
        quote!(),
        quote!(
            unsafe fn k(p: *mut f32, n: u64) {
                label!(top);
                addss(xmm1, [p]);
                vaddps(ymm0, ymm0, [p]);
                dec(n);
                jnz(top);
            }
        ),
    );
    assert_eq!(errs.len(), 1, "{errs:?}");
    // VEX.128 writes leave the upper halves clean.
    assert!(
        errors(
            quote!(),
            quote!(
                unsafe fn k(p: *mut f32) {
                    vaddps(xmm0, xmm0, [p]);
                    addss(xmm1, [p]);
                }
            )
        )
        .is_empty()
    );
}
