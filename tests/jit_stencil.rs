//! `#[asmforge::stencil]`: holes recorded by the compiler at their exact offsets (checked
//! against iced's decoder here), per-variant stencils, holes in compile-time loops, pool
//! holes, displacements, chained stencils stitched at run time.
// Executable memory and stencils are Unix-only (`asmforge::jit`).
#![cfg(all(unix, target_arch = "x86_64"))]

use asmforge::jit::{self, Cond, HoleKind, Stitch, Value};
use asmforge::stencil;
use iced_x86::{Decoder, DecoderOptions};

type U64Fn = extern "sysv64" fn(u64) -> u64;
type PtrFn = unsafe extern "sysv64" fn(*const u64) -> u64;

/// The seed's JIT: `movabs rax, C; imul rax, rdi; ret`.
#[stencil]
fn mul(x: u64) -> u64 {
    movabs(rax, hole!(imm64 c));
    imul(rax, x);
    return rax;
}

/// A hole inside a compile-time loop: one name, N sites.
#[stencil(params(N = 3))]
fn add_n(x: u64) -> u64 {
    mov(rax, x);
    for _k in 0..N {
        add(rax, hole!(imm32 k));
    }
    imul(rax, rax, hole!(imm8 m));
    return rax;
}

/// A displacement hole.
#[stencil]
unsafe fn load_at(p: *const u64) -> u64 {
    mov(rax, qword[p + hole!(disp32 off)]);
    return rax;
}

/// Float immediates (bits) and per-variant pool holes.
#[stencil(targets(sse2, avx))]
fn scale(x: f64) -> f64 {
    if has!(avx) {
        vmulsd(xmm0, xmm0, hole!(pool f64 s));
    } else {
        mulsd(xmm0, hole!(pool f64 s));
    }
    mov(rax, hole!(f64 t));
    movq(xmm1, rax);
    if has!(avx) {
        vaddsd(xmm0, xmm0, xmm1);
    } else {
        addsd(xmm0, xmm1);
    }
    return xmm0;
}

/// Chained pieces: `acc = x`, `acc += k`, `acc *= m`, return.
#[stencil(chain)]
fn start(x: u64) -> u64 {
    mov(rax, x);
}
#[stencil(chain)]
fn add_k(x: u64) -> u64 {
    add(rax, hole!(imm32 k));
}
#[stencil(chain)]
fn dec_x(x: u64) -> u64 {
    sub(x, 1);
}
#[stencil]
fn finish(x: u64) -> u64 {
    return rax;
}

/// Each hole site is exactly the immediate or displacement iced decodes there.
fn check_sites(st: &jit::Stencil<'_>) {
    let mut d = Decoder::with_ip(64, st.code(), 0, DecoderOptions::NONE);
    let mut seen = 0;
    while d.can_decode() {
        let i = d.decode();
        let co = d.get_constant_offsets(&i);
        let start = i.ip() as usize;
        for h in st
            .holes()
            .iter()
            .filter(|h| (start..i.next_ip() as usize).contains(&(h.offset as usize)))
        {
            seen += 1;
            assert_eq!(h.end as u64, i.next_ip(), "{}: {i}", st.name());
            let field = match h.kind {
                HoleKind::Disp32 | HoleKind::PoolF32 { .. } | HoleKind::PoolF64 { .. } => {
                    (co.displacement_offset(), co.displacement_size())
                }
                HoleKind::Continuation => (1, 4),
                _ => (co.immediate_offset(), co.immediate_size()),
            };
            assert_eq!(
                (start + field.0, field.1),
                (h.offset as usize, h.kind.width()),
                "{}: {i}",
                st.name()
            );
        }
    }
    assert_eq!(seen, st.holes().len(), "{}", st.name());
    st.check().unwrap();
}

#[test]
fn mul_stencil_specializes() {
    let st = &mul::STENCILS[0];
    check_sites(st);
    assert_eq!(st.holes().len(), 1);
    assert_eq!(
        (st.holes()[0].name, st.holes()[0].kind, st.holes()[0].offset),
        ("c", HoleKind::Imm64, 2)
    );
    assert_eq!(st.code().len(), 15);
    for c in [0u64, 3, u64::MAX, 0x00de_adbe_efed] {
        let f = jit::specialize::<U64Fn>(st, &[("c", Value::UInt(c))]).unwrap();
        assert_eq!(f.func().call(7), 7u64.wrapping_mul(c));
    }
}

#[test]
fn loop_holes_share_a_value() {
    let st = add_n::best().unwrap();
    check_sites(st);
    assert_eq!(st.holes().iter().filter(|h| h.name == "k").count(), 3);
    assert!(
        st.holes()
            .iter()
            .all(|h| h.kind != HoleKind::Imm32 || h.signed),
        "add r64, imm32 sign-extends"
    );
    let f = jit::specialize::<U64Fn>(st, &[("k", Value::Int(-5)), ("m", Value::Int(3))]).unwrap();
    assert_eq!(f.func().call(100), (100 - 15) * 3);
    let e = jit::specialize::<U64Fn>(st, &[("k", Value::UInt(1 << 31)), ("m", Value::Int(3))])
        .unwrap_err();
    assert!(matches!(e, jit::JitError::HoleOutOfRange { .. }), "{e}");
}

#[test]
fn displacement_hole() {
    let st = &load_at::STENCILS[0];
    check_sites(st);
    let data: Vec<u64> = (0..64).map(|i| i * 11).collect();
    for k in [0i64, 1, 17, 63] {
        let f = jit::specialize::<PtrFn>(st, &[("off", Value::Int(8 * k))]).unwrap();
        // SAFETY: reads data[k].
        assert_eq!(unsafe { f.func().call(data.as_ptr()) }, data[k as usize]);
    }
}

#[test]
fn per_variant_pool_and_float_holes() {
    assert_eq!(scale::VARIANTS, ["avx", "sse2"]);
    for st in &scale::STENCILS {
        check_sites(st);
        if !st
            .features()
            .iter()
            .all(|f| asmforge::detect::is_detected(*f))
        {
            continue;
        }
        let mut s = Stitch::<extern "sysv64" fn(f64) -> f64>::new();
        s.append(st, &[("s", Value::F64(2.5)), ("t", Value::F64(0.25))])
            .unwrap();
        let f = s
            .finish()
            .unwrap()
            .map::<extern "sysv64" fn(f64) -> f64>()
            .unwrap();
        assert_eq!(f.func().call(4.0), 10.25, "{}", st.name());
    }
}

/// `acc = x; do { acc += k; x -= 1 } while x != 0; return acc` from chained stencils.
#[test]
fn chained_stencils_stitch_into_a_loop() {
    for st in [
        &start::STENCILS[0],
        &add_k::STENCILS[0],
        &dec_x::STENCILS[0],
    ] {
        check_sites(st);
        assert!(st.continuation().is_some());
    }
    for keep in [false, true] {
        let mut s = Stitch::<U64Fn>::new().keep_continuation_jumps(keep);
        s.append(&start::STENCILS[0], &[]).unwrap();
        let top = s.label();
        s.append(&add_k::STENCILS[0], &[("k", Value::Int(7))])
            .unwrap();
        s.append(&dec_x::STENCILS[0], &[]).unwrap();
        s.jump_if(Cond::Ne, top).unwrap();
        s.append(&finish::STENCILS[0], &[]).unwrap();
        let f = s.finish().unwrap().map::<U64Fn>().unwrap();
        assert_eq!(f.func().call(5), 5 + 5 * 7, "jumps kept: {keep}");
    }
}
