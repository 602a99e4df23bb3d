//! Run-time code: specializing, batching, W^X, stitching, typed errors.
// Executable memory and stencils are Unix-only (`asmforge::jit`).
#![cfg(all(unix, target_arch = "x86_64"))]

#[path = "../examples/stencils/mod.rs"]
mod stencils;

use asmforge::jit::{
    self, Builder, Code, Cond, Hole, HoleKind, JitError, Signature, Stencil, Stitch, Ty, Value,
};
use iced_x86::{Decoder, DecoderOptions, Mnemonic};
use stencils::{FuseStencils, MulFn, Op, PipeFn, Src};

fn has_avx2_fma() -> bool {
    let ok = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    if !ok {
        println!("skipped: this CPU lacks AVX2+FMA");
    }
    ok
}

/// The derived stencil's hole is the imm64 of a `movabs rax`, checked independently.
#[test]
fn mul_stencil_hole_is_the_movabs_immediate() {
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    let h = st.holes()[0];
    assert_eq!((h.name, h.kind), ("c", HoleKind::Imm64));
    let mut d = Decoder::with_ip(64, st.code(), 0, DecoderOptions::NONE);
    let first = d.decode();
    let co = d.get_constant_offsets(&first);
    assert_eq!(first.mnemonic(), Mnemonic::Mov);
    assert_eq!(
        (co.immediate_offset(), co.immediate_size()),
        (h.offset as usize, 8)
    );
    assert_eq!(first.immediate64(), stencils::MUL_SENTINEL);
    assert_eq!(h.end as usize, first.len());
    assert_eq!(st.code().last(), Some(&0xC3), "ends in ret");
}

#[test]
fn specialize_multiplies_by_runtime_constants() {
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    for c in [0u64, 1, 3, 0x00de_adbe_efed, u64::MAX, 1 << 63] {
        let f = jit::specialize::<MulFn>(&st, &[("c", Value::UInt(c))]).unwrap();
        for x in [0u64, 1, 7, 0x1234_5678_9abc, u64::MAX] {
            assert_eq!(f.func().call(x), x.wrapping_mul(c), "{x} * {c}");
        }
    }
    let neg = jit::specialize::<MulFn>(&st, &[("c", Value::Int(-3))]).unwrap();
    assert_eq!(neg.func().call(5), 5u64.wrapping_mul(-3i64 as u64));
}

fn perms_of(addr: usize) -> Option<String> {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines().find_map(|l| {
        let (range, rest) = l.split_once(' ')?;
        let (lo, hi) = range.split_once('-')?;
        let (lo, hi) = (
            usize::from_str_radix(lo, 16).ok()?,
            usize::from_str_radix(hi, 16).ok()?,
        );
        (lo <= addr && addr < hi).then(|| rest[..4].to_string())
    })
}

/// Pages are read+write while building and read+execute after, never both; gone on drop.
#[test]
fn w_xor_x_in_proc_maps() {
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    let mut b = Builder::with_capacity(4096).unwrap();
    let addr = b.current_chunk_addr().unwrap();
    let r = b
        .specialize::<MulFn>(&st, &[("c", Value::UInt(9))])
        .unwrap();
    assert_eq!(perms_of(addr).as_deref(), Some("rw-p"), "during build");
    let region = b.finalize().unwrap();
    assert_eq!(perms_of(addr).as_deref(), Some("r-xp"), "after finalize");
    assert_eq!(region.get(r).call(5), 45);
    drop(region);
    // The address may be reused by another thread's mapping, but never with w and x.
    assert!(perms_of(addr).is_none_or(|p| !(p.contains('w') && p.contains('x'))));
}

#[test]
fn batch_of_a_thousand_in_shared_chunks() {
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    let mut b = Builder::new();
    let refs: Vec<_> = (0..1000u64)
        .map(|c| {
            b.specialize::<MulFn>(&st, &[("c", Value::UInt(c * 7919))])
                .unwrap()
        })
        .collect();
    let region = b.finalize().unwrap();
    // 1000 functions of 15 bytes at 16-byte stride: one 64 KiB chunk.
    assert_eq!(region.chunk_addrs().count(), 1);
    for (c, r) in refs.iter().enumerate() {
        assert_eq!(region.get(*r).call(3), 3 * c as u64 * 7919);
    }
}

#[test]
fn typed_errors() {
    let owned = stencils::mul_stencil();
    let st = owned.stencil();
    let e = jit::specialize::<MulFn>(&st, &[]).unwrap_err();
    assert!(matches!(e, JitError::MissingValue { .. }), "{e}");
    let e =
        jit::specialize::<MulFn>(&st, &[("c", Value::UInt(1)), ("d", Value::UInt(1))]).unwrap_err();
    assert!(matches!(e, JitError::UnknownHole { .. }), "{e}");
    let e = jit::specialize::<MulFn>(&st, &[("c", Value::F32(1.0))]).unwrap_err();
    assert!(matches!(e, JitError::WrongValue { .. }), "{e}");
    let e = jit::specialize::<extern "sysv64" fn(u32) -> u64>(&st, &[("c", Value::UInt(1))])
        .unwrap_err();
    assert!(matches!(e, JitError::SignatureMismatch { .. }), "{e}");
    assert!(e.to_string().contains("fn(u64) -> u64"), "{e}");

    // imm8 (`add rax, imm8` sign-extended) and imm32 (`mov eax, imm32`) ranges.
    let code: &[u8] = &[0x48, 0x89, 0xF8, 0x48, 0x83, 0xC0, 0x00, 0xC3]; // mov rax, rdi; add rax, imm8; ret
    const HOLES: &[Hole<'static>] = &[Hole {
        name: "k",
        kind: HoleKind::Imm8,
        signed: true,
        offset: 6,
        end: 7,
    }];
    let sig = Signature {
        params: &[Ty::U64],
        ret: Ty::U64,
    };
    check_hole_with_iced(code, HOLES[0]);
    // SAFETY: register arithmetic only.
    let add = unsafe { Stencil::new("add_imm8", code, HOLES, &[], sig) };
    let f = jit::specialize::<MulFn>(&add, &[("k", Value::Int(-128))]).unwrap();
    assert_eq!(f.func().call(1000), 872);
    for bad in [Value::Int(128), Value::Int(-129), Value::UInt(255)] {
        let e = jit::specialize::<MulFn>(&add, &[("k", bad)]).unwrap_err();
        assert!(matches!(e, JitError::HoleOutOfRange { .. }), "{bad:?}: {e}");
    }

    // A stencil needing a feature this CPU lacks.
    if let Some(absent) = asmforge::Feature::ALL
        .iter()
        .find(|f| !asmforge::detect::is_detected(**f))
    {
        let feats = [*absent];
        // SAFETY: never mapped: refused for the feature.
        let st = unsafe { Stencil::new("needs", &[0xC3], &[], &feats, sig) };
        let e = jit::specialize::<MulFn>(&st, &[]).unwrap_err();
        assert!(
            matches!(&e, JitError::MissingFeatures { missing, .. } if missing == &[*absent]),
            "{e}"
        );
    }
    // A rel32 target more than 2 GiB away cannot be patched.
    let code: &[u8] = &[
        0x48, 0x83, 0xEC, 0x08, 0xE8, 0, 0, 0, 0, 0x48, 0x83, 0xC4, 0x08, 0xC3,
    ];
    const CALL: &[Hole<'static>] = &[Hole {
        name: "f",
        kind: HoleKind::Rel32,
        signed: true,
        offset: 5,
        end: 9,
    }];
    check_hole_with_iced(code, CALL[0]);
    // SAFETY: calls the given function with the incoming argument, returns its result.
    let call = unsafe { Stencil::new("call", code, CALL, &[], sig) };
    let mut far = Builder::with_capacity(4096).unwrap();
    let beyond = far.current_chunk_addr().unwrap().wrapping_add(3 << 30);
    let e = far
        .specialize::<MulFn>(&call, &[("f", Value::Addr(beyond))])
        .unwrap_err();
    assert!(matches!(e, JitError::HoleOutOfRange { .. }), "{e}");
    // `specialize` maps near the target, which makes the same call reachable.
    let near = jit::specialize::<MulFn>(&call, &[("f", Value::Addr(beyond))]).unwrap();
    assert!((near.func().addr() as usize).abs_diff(beyond) <= jit::NEAR);
    // ...but a function in the same region can.
    let mut b = Builder::new();
    let callee = b
        .specialize::<MulFn>(&st, &[("c", Value::UInt(11))])
        .unwrap();
    let target = b.addr_of(callee);
    let caller = b
        .specialize::<MulFn>(&call, &[("f", Value::Addr(target))])
        .unwrap();
    let region = b.finalize().unwrap();
    assert_eq!(region.get(caller).call(4), 44);
}

/// The hole is exactly the immediate or branch field iced finds in the encoded instruction.
fn check_hole_with_iced(code: &[u8], h: Hole<'_>) {
    let mut d = Decoder::with_ip(64, code, 0, DecoderOptions::NONE);
    while d.can_decode() {
        let i = d.decode();
        let co = d.get_constant_offsets(&i);
        let start = i.ip() as usize;
        if start < h.offset as usize && (h.offset as usize) < i.next_ip() as usize {
            assert_eq!(i.next_ip() as usize, h.end as usize, "{i}");
            if h.kind == HoleKind::Rel32 {
                assert_eq!(i.len() - 4, h.offset as usize - start, "{i}");
            } else {
                assert_eq!(
                    (co.immediate_offset() + start, co.immediate_size()),
                    (h.offset as usize, h.kind.width()),
                    "{i}"
                );
            }
            return;
        }
    }
    panic!("no instruction holds the hole");
}

fn run(code: &Code, x: &[f32], y: &[f32]) -> Vec<f32> {
    let f = code.map::<PipeFn>().unwrap();
    let mut out = vec![f32::NAN; x.len()];
    // SAFETY: x, y and out hold n elements.
    unsafe {
        f.func()
            .call(x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), x.len())
    };
    out
}

#[test]
fn stitched_pipeline_matches_rust() {
    if !has_avx2_fma() {
        return;
    }
    let st = FuseStencils::new();
    let ops = [Op::FmaConst(0.75, -1.5), Op::FmaX(0.25), Op::Max(0.0)];
    let fused = st.pipeline(Src::X, &ops, false).unwrap();
    let jumps = st.pipeline(Src::X, &ops, true).unwrap();
    assert!(jumps.code_len() > fused.code_len(), "kept jumps add bytes");
    let feats = fused.features();
    assert!(
        feats.contains(&asmforge::Feature::AVX2) && feats.contains(&asmforge::Feature::FMA),
        "{feats:?}"
    );
    for n in [0usize, 1, 7, 8, 9, 31, 64, 1000, 1003] {
        let x: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin() * 4.0).collect();
        let y: Vec<f32> = (0..n).map(|i| i as f32 * 0.5).collect();
        let mut want = vec![0.0; n];
        stencils::reference(Src::X, &ops, &x, &x, &mut want);
        assert_eq!(run(&fused, &x, &y), want, "n = {n}");
        assert_eq!(run(&jumps, &x, &y), want, "n = {n}, jumps kept");
        // A two-input pass: out = y*x + c.
        let two = st.pipeline(Src::Y, &[Op::FmaX(2.0)], false).unwrap();
        stencils::reference(Src::Y, &[Op::FmaX(2.0)], &x, &y, &mut want);
        assert_eq!(run(&two, &x, &y), want, "n = {n}, two inputs");
    }
}

#[test]
fn stitch_errors() {
    let owned = stencils::mul_stencil();
    let mut s = Stitch::<PipeFn>::new();
    assert!(matches!(
        s.append(&owned.stencil(), &[("c", Value::UInt(1))]),
        Err(JitError::SignatureMismatch { .. })
    ));
    let mut s = Stitch::<MulFn>::new();
    let l = s.new_label();
    s.jump_if(Cond::E, l).unwrap();
    assert!(matches!(s.finish(), Err(JitError::UnboundLabel(_))));
    assert!(matches!(
        Stitch::<MulFn>::new().finish(),
        Err(JitError::BadSize(0))
    ));
    if has_avx2_fma() {
        let st = FuseStencils::new();
        let code = st.pipeline(Src::X, &[Op::Max(0.0)], false).unwrap();
        assert!(!code.has_relocations());
    }
}
