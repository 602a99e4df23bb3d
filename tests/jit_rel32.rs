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
