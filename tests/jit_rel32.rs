//! rel32 holes: stencils that call and jump to other code (here Rust functions) through a
//! `call`/`jmp`/`jcc` rel32 patched for the address the code lands at; out-of-range targets
//! are typed errors; stitching relocates the field when the stencil lands at another offset.
// Executable memory and stencils are Unix-only (`asmforge::jit`).
#![cfg(all(unix, target_arch = "x86_64"))]

use asmforge::jit::{self, Builder, HoleKind, JitError, Stitch, Value};
use asmforge::stencil;
use iced_x86::{Decoder, DecoderOptions, FlowControl};

type U64Fn = extern "sysv64" fn(u64) -> u64;

extern "sysv64" fn triple_plus_one(x: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(1)
}

extern "sysv64" fn negate(x: u64) -> u64 {
    x.wrapping_neg()
}

/// `f(x) + k`: a call through a rel32 hole (the frame keeps rsp 16-byte aligned at the call).
/// The callee follows the System V ABI, so only rax (its result) is relied on after it.
#[stencil]
fn call_plus(x: u64) -> u64 {
    call(hole!(rel32 f));
    add(rax, hole!(imm32 k));
    return rax;
}

/// `x == 0 ? g(x) : x + 1`: a conditional tail jump to other code.
#[stencil]
fn zero_goes_elsewhere(x: u64) -> u64 {
    test(x, x);
    jz(hole!(rel32 g));
    lea(rax, [x + 1]);
    return rax;
}

/// A chained piece that moves the code of the next stencil to another offset.
#[stencil(chain)]
fn pad(x: u64) -> u64 {
    mov(rax, 0x1234_5678);
    xor(eax, eax);
}

fn addr(f: U64Fn) -> usize {
    f as usize
}

#[test]
fn the_hole_is_the_rel32_of_the_call() {
    let st = call_plus::best().unwrap();
    let f = st.holes().iter().find(|h| h.name == "f").unwrap();
    assert_eq!(f.kind, HoleKind::Rel32);
    assert_eq!(f.end - f.offset, 4);
    let mut d = Decoder::with_ip(64, st.code(), 0, DecoderOptions::NONE);
    let call = d
        .iter()
        .find(|i| i.flow_control() == FlowControl::Call)
        .expect("a call");
    assert_eq!(call.next_ip() as u32, f.end, "{call}");
    assert_eq!(call.len(), 5, "call rel32 (E8 cd): {call}");
    assert_eq!(st.code()[f.offset as usize - 1], 0xE8);
    let g = zero_goes_elsewhere::best().unwrap().holes()[0];
    let code = zero_goes_elsewhere::best().unwrap().code();
    assert_eq!(g.kind, HoleKind::Rel32);
    assert_eq!(
        &code[g.offset as usize - 2..g.offset as usize],
        &[0x0F, 0x84],
        "jz rel32"
    );
}

#[test]
fn specialize_maps_near_the_target_and_calls_it() {
    let st = call_plus::best().unwrap();
    for k in [0i64, 7, -100] {
        let vals = [
            ("f", Value::Addr(addr(triple_plus_one))),
            ("k", Value::Int(k)),
        ];
        let j = jit::specialize::<U64Fn>(st, &vals).unwrap();
        let at = j.func().addr() as usize;
        assert!(at.abs_diff(addr(triple_plus_one)) <= jit::NEAR + 4096);
        for x in [0u64, 1, 41, u64::MAX / 5] {
            let want = triple_plus_one(x).wrapping_add(k as u64);
            assert_eq!(j.func().call(x), want, "x = {x}, k = {k}");
        }
    }
    let g = zero_goes_elsewhere::best().unwrap();
    let j = jit::specialize::<U64Fn>(g, &[("g", Value::Addr(addr(negate)))]).unwrap();
    assert_eq!(j.func().call(5), 6);
    assert_eq!(j.func().call(0), 0);
    let j = jit::specialize::<U64Fn>(g, &[("g", Value::Addr(addr(triple_plus_one)))]).unwrap();
    assert_eq!(j.func().call(0), 1, "x == 0 jumps to the Rust function");
}

/// A builder that maps anywhere: the call works when the kernel happened to place the pages
/// within ±2 GiB of the function, and is refused with a typed error otherwise (which of the
/// two happens depends on the address-space layout; both are checked).
#[test]
fn anywhere_either_reaches_or_is_a_typed_error() {
    let st = call_plus::best().unwrap();
    let mut b = Builder::with_capacity(4096).unwrap();
    let chunk = b.current_chunk_addr().unwrap();
    let target = addr(triple_plus_one);
    let vals = [("f", Value::Addr(target)), ("k", Value::Int(2))];
    let r = b.specialize::<U64Fn>(st, &vals);
    let far = (chunk as i128 - target as i128).abs() > (1i128 << 31) - 4096;
    eprintln!("pages at {chunk:#x}, function at {target:#x}: far = {far}");
    match r {
        Ok(r) => {
            assert!(
                !far,
                "patched a target {chunk:#x} -> {target:#x} out of rel32 range"
            );
            let region = b.finalize().unwrap();
            assert_eq!(region.get(r).call(10), 33);
        }
        Err(e) => {
            assert!(far, "{e}");
            assert!(
                matches!(&e, JitError::HoleOutOfRange { hole, kind: HoleKind::Rel32, .. } if hole == "f"),
                "{e}"
            );
        }
    }
}

/// A target 3 GiB past the pages is always out of range: an error, nothing written.
#[test]
fn a_target_beyond_2_gib_is_refused() {
    let st = call_plus::best().unwrap();
    let mut b = Builder::with_capacity(4096).unwrap();
    let chunk = b.current_chunk_addr().unwrap();
    for far in [chunk.wrapping_add(3 << 30), chunk.wrapping_sub(3 << 30)] {
        let e = b
            .specialize::<U64Fn>(st, &[("f", Value::Addr(far)), ("k", Value::Int(0))])
            .unwrap_err();
        assert!(
            matches!(e, JitError::HoleOutOfRange { kind: HoleKind::Rel32, value: Value::Addr(a), .. } if a == far),
            "{e}"
        );
    }
    // A rel32 hole takes an address or a label, not an integer.
    let e = b
        .specialize::<U64Fn>(st, &[("f", Value::Int(5)), ("k", Value::Int(0))])
        .unwrap_err();
    assert!(matches!(e, JitError::WrongValue { .. }), "{e}");
}

/// Many functions near one target, in one region.
#[test]
fn a_builder_near_the_target_batches_calls() {
    let st = call_plus::best().unwrap();
    let mut b = Builder::near(addr(triple_plus_one));
    let refs: Vec<_> = (0..200i64)
        .map(|k| {
            b.specialize::<U64Fn>(
                st,
                &[
                    ("f", Value::Addr(addr(triple_plus_one))),
                    ("k", Value::Int(k)),
                ],
            )
            .unwrap()
        })
        .collect();
    let region = b.finalize().unwrap();
    for (k, r) in refs.iter().enumerate() {
        assert_eq!(region.get(*r).call(4), 13 + k as u64);
    }
}

/// Stitched after another stencil, the call's field moves; its relocation follows it, is
/// resolved where the code is mapped, and the code cannot be shipped.
#[test]
fn stitching_relocates_the_call() {
    let st = call_plus::best().unwrap();
    let p = pad::best().unwrap();
    for prefix in 0..3 {
        let mut s = Stitch::<U64Fn>::new();
        for _ in 0..prefix {
            s.append(p, &[]).unwrap();
        }
        let before = s.len();
        s.append(
            st,
            &[("f", Value::Addr(addr(negate))), ("k", Value::Int(3))],
        )
        .unwrap();
        let code = s.finish().unwrap();
        assert!(code.has_relocations());
        assert_eq!(before, prefix * p.body_len());
        let j = code.map::<U64Fn>().unwrap();
        assert_eq!(j.func().call(10), 3u64.wrapping_sub(10), "prefix {prefix}");
        assert!(matches!(code.to_blob(), Err(JitError::NotRelocatable)));
    }
}

/// A rel32 hole may also target a label of the stitched function (a call inside the code).
#[test]
fn a_rel32_hole_takes_a_label() {
    #[stencil(chain)]
    fn ret_here(x: u64) -> u64 {
        lea(rax, [x + x * 4]);
    }
    let st = zero_goes_elsewhere::best().unwrap();
    let mut s = Stitch::<U64Fn>::new();
    let five = s.new_label();
    s.append(st, &[("g", Value::Label(five))]).unwrap();
    s.bind(five);
    s.append(ret_here::best().unwrap(), &[]).unwrap();
    s.append(&done::STENCILS[0], &[]).unwrap();
    let j = s.finish().unwrap().map::<U64Fn>().unwrap();
    assert_eq!(j.func().call(0), 0);
    assert_eq!(j.func().call(9), 10);
}

#[stencil]
fn done(x: u64) -> u64 {
    return rax;
}

/// The callee of a call from a chained piece: returns `3·v` plus `rsp mod 16` at its call site
/// (0 when the caller kept the System V alignment: rsp 16-aligned at the `call`), after
/// clobbering every other caller-saved general-purpose register and xmm0–xmm15, as any
/// System V function may.
#[unsafe(naked)]
extern "sysv64" fn thrice_clobbering(v: u64) -> u64 {
    core::arch::naked_asm!(
        "lea rax, [rsp + 8]",
        "and eax, 15",
        "lea rdi, [rdi + rdi * 2]",
        "add rax, rdi",
        "mov rcx, -1",
        "mov rdx, -1",
        "mov rsi, -1",
        "mov rdi, -1",
        "mov r8, -1",
        "mov r9, -1",
        "mov r10, -1",
        "mov r11, -1",
        "pcmpeqd xmm0, xmm0",
        "pcmpeqd xmm1, xmm1",
        "pcmpeqd xmm7, xmm7",
        "pcmpeqd xmm15, xmm15",
        "ret",
    )
}

/// acc = x + 1 (the accumulator lives in rax between pieces, x in rdi).
#[stencil(chain)]
fn acc_start(x: u64) -> u64 {
    lea(rax, [x + 1]);
}

/// acc = f(acc) + acc, calling `f` through a rel32 hole from the middle of a stitched
/// function. The callee may clobber every caller-saved register, and a chained piece cannot
/// save callee-saved ones (it has no frame to restore them in), so the piece keeps what the
/// pieces after it need (x, the accumulator) in a stack local of its own and reloads it after
/// the call. The frame the compiler gives a body with a `call` (here `sub rsp, 24` /
/// `add rsp, 24`, balanced inside the piece) keeps rsp 16-aligned at the `call`, given that
/// every piece starts with rsp as the stitched function's entry had it.
#[stencil(chain)]
fn acc_call(x: u64) -> u64 {
    let keep = local(16);
    mov([keep], x);
    mov([keep + 8], rax);
    // The argument register is x's (rdi): the accumulator goes there, x comes back below.
    mov(x, rax);
    call(hole!(rel32 f));
    add(rax, [keep + 8]);
    mov(x, [keep]);
}

/// acc += x (x must have survived the call).
#[stencil(chain)]
fn acc_add_x(x: u64) -> u64 {
    add(rax, x);
}

/// A call from a chained (stitched) piece: the stack is aligned at the call, the values the
/// later pieces use survive it, the relocation follows the piece wherever it lands, and two
/// calls in one function work.
#[test]
fn a_chained_piece_calls_a_rust_function() {
    let f = [("f", Value::Addr(addr(thrice_clobbering)))];
    for calls in 1..=2u32 {
        let mut s = Stitch::<U64Fn>::new();
        s.append(acc_start::best().unwrap(), &[]).unwrap();
        for _ in 0..calls {
            s.append(acc_call::best().unwrap(), &f).unwrap();
            s.append(acc_add_x::best().unwrap(), &[]).unwrap();
        }
        s.append(&done::STENCILS[0], &[]).unwrap();
        let code = s.finish().unwrap();
        assert!(code.has_relocations());
        let j = code.map::<U64Fn>().unwrap();
        for x in [0u64, 1, 5, 1 << 40] {
            // Each round: acc = 3·acc + acc + x (a misaligned call would add 8).
            let mut want = x + 1;
            for _ in 0..calls {
                want = 4 * want + x;
            }
            assert_eq!(j.func().call(x), want, "x = {x}, {calls} call(s)");
        }
    }
}
