//! Frames end to end: stack locals, stack arguments, both calling conventions, realignment,
//! probing, and the call-frame directives that describe them. Expected code is GNU as's
//! assembly of the frame written out by hand.

use iced_x86::Register;
use quote::quote;

use super::{compile, errors, gnu};
use crate::frame::cfi::CfiOp;

/// GNU as's bytes for `lines` (one instruction each, Intel syntax), concatenated; `None` when
/// `as` is not installed (the caller then skips the comparison).
fn gnu_bytes(lines: &[&str]) -> Option<Vec<u8>> {
    if !gnu::available() {
        eprintln!("skipping the GNU as comparison: `as` is not installed");
        return None;
    }
    Some(gnu::assemble(lines).unwrap().concat())
}

fn assert_code(attr: proc_macro2::TokenStream, item: proc_macro2::TokenStream, lines: &[&str]) {
    let enc = compile(attr, item).unwrap();
    if let Some(want) = gnu_bytes(lines) {
        assert_eq!(enc.bytes, want, "{lines:#?}");
    }
}

#[test]
fn kernels_without_slots_allocate_nothing() {
    assert_code(
        quote!(),
        quote!(
            fn k(x: u64) -> u64 {
                mov(rbx, x);
                lea(rax, [rbx + 1]);
                return rax;
            }
        ),
        &[
            "push rbx",
            "mov rbx, rdi",
            "lea rax, [rbx + 1]",
            "pop rbx",
            "ret",
        ],
    );
}

#[test]
fn a_local_is_a_16_aligned_slot_below_the_pushes() {
    assert_code(
        quote!(),
        quote!(
            fn k(x: u32) -> u32 {
                let t = local(4);
                mov(dword[t], x);
                add(dword[t + 0], 1);
                mov(eax, dword[t]);
                return eax;
            }
        ),
        &[
            "sub rsp, 8",
            "mov dword ptr [rsp], edi",
            "add dword ptr [rsp], 1",
            "mov eax, dword ptr [rsp]",
            "add rsp, 8",
            "ret",
        ],
    );
    // Largest alignment first; after one push CFA - rsp is 16, and 16 + 48 keeps rsp aligned.
    assert_code(
        quote!(),
        quote!(
            fn k() {
                let a = local(4);
                let b = local(32, 16);
                mov(rbx, 1);
                mov(dword[a], ebx);
                movaps(b, xmm0);
                movaps([b + 16], xmm1);
                mov(dword[b + rbx * 4], 0);
            }
        ),
        &[
            "push rbx",
            "sub rsp, 48",
            "mov rbx, 1",
            "mov dword ptr [rsp + 32], ebx",
            "movaps [rsp], xmm0",
            "movaps [rsp + 16], xmm1",
            "mov dword ptr [rsp + rbx * 4], 0",
            "add rsp, 48",
            "pop rbx",
            "ret",
        ],
    );
}

#[test]
fn over_aligned_locals_realign_with_rbp() {
    assert_code(
        quote!(),
        quote!(
            fn k(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, g: u64) -> u64 {
                let buf = local(64, 64);
                vmovaps(buf, zmm0);
                mov(rax, g);
                return rax;
            }
        ),
        &[
            "push rbp",
            "mov rbp, rsp",
            "and rsp, -64",
            "sub rsp, 64",
            "vmovaps [rsp], zmm0",
            // The stack argument is addressed from rbp: entry rsp + 8 = rbp + 16.
            "mov rax, [rbp + 16]",
            "vzeroupper",
            "mov rsp, rbp",
            "pop rbp",
            "ret",
        ],
    );
}

#[test]
fn realigned_frames_keep_rbp_from_the_allocator() {
    // 14 values live at once: every GPR but rsp and rbp.
    let body: Vec<proc_macro2::TokenStream> = (0..14)
        .map(|i| quote!(mov(v[#i], #i);))
        .chain((1..14).map(|i| quote!(add(v[0], v[#i]);)))
        .collect();
    let item = quote!(
        fn k() -> u64 {
            let buf = local(32, 32);
            let v = gp64s(14);
            #(#body)*
            mov([buf], v[0]);
            mov(rax, [buf]);
            return rax;
        }
    );
    let enc = compile(quote!(), item.clone()).unwrap();
    let code = decode(&enc.bytes[..enc.code_size as usize]);
    // rbp appears in the frame only: push, mov rbp,rsp, mov rsp,rbp, pop.
    let mentions = code
        .iter()
        .filter(|i| (0..i.op_count()).any(|k| i.op_register(k) == Register::RBP))
        .count();
    assert_eq!(mentions, 4, "{code:#?}");
    // With one more value there is no register left, and the error says so.
    let more = quote!(
        fn k() {
            let buf = local(32, 32);
            let v = gp64s(15);
            for i in 0..15 {
                mov(v[i], i);
            }
            for i in 1..15 {
                add(v[0], v[i]);
            }
            mov([buf], v[0]);
        }
    );
    let errs = errors(quote!(), more);
    assert!(errs.iter().any(|e| e.contains("too many live")), "{errs:?}");
}

fn decode(bytes: &[u8]) -> Vec<iced_x86::Instruction> {
    iced_x86::Decoder::new(64, bytes, 0).into_iter().collect()
}

#[test]
fn large_frames_touch_every_page() {
    assert_code(
        quote!(),
        quote!(
            fn k() {
                let big = local(8200, 8);
                mov(byte[big], 1);
            }
        ),
        &[
            "sub rsp, 4096",
            "or qword ptr [rsp], 0",
            "sub rsp, 4096",
            "or qword ptr [rsp], 0",
            "sub rsp, 8",
            "or qword ptr [rsp], 0",
            "mov byte ptr [rsp], 1",
            "add rsp, 8200",
            "ret",
        ],
    );
}

#[test]
fn sysv_stack_arguments_follow_the_return_address() {
    // The 7th and 10th integer arguments: [rsp + 8] and [rsp + 32] at entry, 8 more after
    // `push rbx`; the 9th float: the 3rd stack slot.
    assert_code(
        quote!(),
        quote!(
            fn k(
                a: u64,
                b: u64,
                c: u64,
                d: u64,
                e: u64,
                f: u64,
                g: u64,
                h: u32,
                x0: f64,
                x1: f64,
                x2: f64,
                x3: f64,
                x4: f64,
                x5: f64,
                x6: f64,
                x7: f64,
                x8: f64,
                j: u64,
            ) -> u64 {
                mov(rbx, g);
                add(ebx, h);
                addsd(xmm0, x8);
                add(rbx, j);
                mov(rax, rbx);
                return rax;
            }
        ),
        &[
            "push rbx",
            "mov rbx, [rsp + 16]",
            "add ebx, dword ptr [rsp + 24]",
            "addsd xmm0, qword ptr [rsp + 32]",
            "add rbx, [rsp + 40]",
            "mov rax, rbx",
            "pop rbx",
            "ret",
        ],
    );
}

#[test]
fn win64_binds_by_position_and_saves_rdi_rsi_and_xmm6_up() {
    assert_code(
        quote!(abi = "win64"),
        quote!(
            fn k(a: u64, x: f64, c: u64, d: u64, e: u64, y: f32) -> f64 {
                mov(rax, e);
                add(rax, c);
                mov(rsi, a);
                cvtsi2sd(xmm6, rax);
                addsd(xmm6, x);
                cvtss2sd(xmm7, y);
                addsd(xmm6, xmm7);
                return xmm6;
            }
        ),
        &[
            "push rsi",
            // CFA - rsp = 16 after the push; two 16-byte save slots keep rsp 16-aligned.
            "sub rsp, 32",
            "movaps [rsp], xmm6",
            "movaps [rsp + 16], xmm7",
            "mov rax, [rsp + 80]",
            "add rax, r8",
            "mov rsi, rcx",
            "cvtsi2sd xmm6, rax",
            "addsd xmm6, xmm1",
            "cvtss2sd xmm7, dword ptr [rsp + 88]",
            "addsd xmm6, xmm7",
            "movaps xmm0, xmm6",
            "movaps xmm6, [rsp]",
            "movaps xmm7, [rsp + 16]",
            "add rsp, 32",
            "pop rsi",
            "ret",
        ],
    );
}

#[test]
fn win64_allocation_prefers_volatile_registers() {
    let enc = compile(
        quote!(abi = "win64"),
        quote!(
            fn k() -> u64 {
                let v = gp64s(7);
                for i in 0..7 {
                    mov(v[i], i);
                }
                for i in 1..7 {
                    add(v[0], v[i]);
                }
                return v[0];
            }
        ),
    )
    .unwrap();
    // rax rcx rdx r8 r9 r10 r11 are enough: nothing to save.
    assert_eq!(enc.saved, []);
    let sysv = compile(
        quote!(),
        quote!(
            fn k() {
                mov(rdi, 1);
                mov(rsi, 2);
            }
        ),
    )
    .unwrap();
    assert_eq!(sysv.saved, [], "rdi and rsi are volatile in System V");
    let win = compile(
        quote!(abi = "win64"),
        quote!(
            fn k() {
                mov(rdi, 1);
                vxorps(ymm9, ymm9, ymm9);
            }
        ),
    )
    .unwrap();
    assert_eq!(win.saved, [Register::RDI, Register::XMM9]);
}

#[test]
fn call_frame_directives_follow_each_frame_instruction() {
    let enc = compile(
        quote!(),
        quote!(
            fn k() {
                let t = local(8);
                mov(rbx, 1);
                mov(r12, 2);
                mov([t], rbx);
            }
        ),
    )
    .unwrap();
    // push rbx (1) ; push r12 (2) ; sub rsp, 8 (4) ; ... ; add rsp, 8 (4) ; pop r12 (2) ; pop rbx (1) ; ret
    let n = enc.code_size;
    assert_eq!(
        enc.unwind,
        vec![
            (1, CfiOp::DefCfaOffset(16)),
            (1, CfiOp::Offset(Register::RBX, -16)),
            (3, CfiOp::DefCfaOffset(24)),
            (3, CfiOp::Offset(Register::R12, -24)),
            (7, CfiOp::DefCfaOffset(32)),
            (n - 4, CfiOp::DefCfaOffset(24)),
            (n - 2, CfiOp::DefCfaOffset(16)),
            (n - 2, CfiOp::Restore(Register::R12)),
            (n - 1, CfiOp::DefCfaOffset(8)),
            (n - 1, CfiOp::Restore(Register::RBX)),
        ]
    );
    let realigned = compile(
        quote!(),
        quote!(
            fn k() {
                let t = local(32, 32);
                mov([t], rax);
            }
        ),
    )
    .unwrap();
    let ops: Vec<CfiOp> = realigned.unwind.iter().map(|(_, op)| *op).collect();
    assert_eq!(
        ops,
        [
            CfiOp::DefCfaOffset(16),
            CfiOp::Offset(Register::RBP, -16),
            CfiOp::DefCfaRegister(Register::RBP),
            CfiOp::DefCfaRegister(Register::RSP),
            CfiOp::DefCfaOffset(8),
            CfiOp::Restore(Register::RBP),
        ]
    );
    // A leaf without a frame has no directives, but is still a procedure.
    let leaf = compile(
        quote!(),
        quote!(
            fn k() {
                nop();
            }
        ),
    )
    .unwrap();
    assert!(leaf.unwind.is_empty());
}

#[test]
fn what_the_frame_cannot_protect_is_an_error() {
    let errs = |attr, item| errors(attr, item).join("\n");
    let e = errs(
        quote!(),
        quote!(
            fn k() {
                let t = local(8);
                push(rax);
                mov([t], rax);
                pop(rax);
            }
        ),
    );
    assert!(e.contains("this instruction moves rsp"), "{e}");
    let e = errs(
        quote!(),
        quote!(
            fn k() {
                let t = local(64, 64);
                mov(rbp, 1);
                mov([t], rbp);
            }
        ),
    );
    assert!(e.contains("rbp is the frame pointer"), "{e}");
    let e = errs(
        quote!(abi = "win64"),
        quote!(
            fn k() {
                mov(qword[rsp - 8], 0);
            }
        ),
    );
    assert!(e.contains("no red zone"), "{e}");
    assert_eq!(
        errs(
            quote!(),
            quote!(
                fn k() {
                    mov(qword[rsp - 8], 0);
                }
            )
        ),
        ""
    );
    let e = errs(
        quote!(),
        quote!(
            unsafe fn k(a: u64, b: u64, c: u64, d: u64, e: u64, f: u64, p: *const u64) {
                mov(rax, [p + 8]);
            }
        ),
    );
    assert!(e.contains("arrives on the stack"), "{e}");
    let e = errs(
        quote!(),
        quote!(
            fn k() {
                let a = local(60000);
                let b = local(8000);
                mov([b], rax);
            }
        ),
    );
    assert!(e.contains("over the limit of 65536"), "{e}");
    let e = errs(
        quote!(),
        quote!(
            fn k() {
                let a = local(8, 3);
            }
        ),
    );
    assert!(e.contains("power of two"), "{e}");
}

#[test]
fn slices_split_across_registers_and_stack() {
    // System V: five integers, then the slice's pointer in r9 and its length on the stack.
    assert_code(
        quote!(),
        quote!(
            fn k(a: u64, b: u64, c: u64, d: u64, e: u64, x: &[u32]) -> u64 {
                mov(rax, x.len());
                mov(eax, [x + rax * 4 - 4]);
                return rax;
            }
        ),
        &["mov rax, [rsp + 8]", "mov eax, [r9 + rax * 4 - 4]", "ret"],
    );
    let e = errors(
        quote!(abi = "win64"),
        quote!(
            fn k(a: u64, b: u64, c: u64, d: u64, x: &[u32]) {
                mov(eax, [x]);
            }
        ),
    )
    .join("\n");
    assert!(e.contains("slice's pointer arrives on the stack"), "{e}");
}
