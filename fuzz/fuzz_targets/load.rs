//! Fuzz target: corrupted code blobs → `asmforge_runtime::jit::verify` / `load`.
//!
//! Two inputs per run: the fuzzer's bytes as a blob, and a valid blob (a multiply-by-constant
//! function) with the fuzzer's bytes applied as (position, xor) edits. Failures: a panic; a
//! blob different from the valid one that verifies (FNV-1a detects every single-byte change,
//! so only multi-byte edits could collide: report them); a load that succeeds for anything
//! but the valid blob. Nothing loaded is ever called.

#![no_main]

use std::sync::OnceLock;

use asmforge_runtime::jit::{self, Hole, HoleKind, Signature, Stencil, Stitch, Ty, Value};
use libfuzzer_sys::fuzz_target;

type MulFn = extern "sysv64" fn(u64) -> u64;

fn valid() -> &'static [u8] {
    static BLOB: OnceLock<Vec<u8>> = OnceLock::new();
    BLOB.get_or_init(|| {
        // movabs rax, imm64; imul rax, rdi; ret (SDM Vol. 2B MOV B8+r io, IMUL 0F AF /r).
        const CODE: &[u8] = &[0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x0F, 0xAF, 0xC7, 0xC3];
        const HOLES: &[Hole<'static>] = &[Hole { name: "c", kind: HoleKind::Imm64, signed: false, offset: 2, end: 10 }];
        const SIG: Signature<'static> = Signature { params: &[Ty::U64], ret: Ty::U64 };
        // SAFETY: register arithmetic only, for every value of the immediate.
        let st = unsafe { Stencil::new("mul", CODE, HOLES, &[], SIG) };
        let mut s = Stitch::<MulFn>::new();
        s.append(&st, &[("c", Value::UInt(0xdead_beef))]).unwrap();
        s.finish().unwrap().to_blob().unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let good = valid();
    if data != good {
        if let Ok(v) = jit::verify(data) {
            // Only possible if the fuzzer computed the checksum: the layout must still hold.
            assert!(v.code_len() <= v.bytes().len() && !v.bytes().is_empty());
        }
    }
    let mut edited = good.to_vec();
    for pair in data.chunks_exact(3) {
        let at = usize::from(u16::from_le_bytes([pair[0], pair[1]])) % edited.len();
        edited[at] ^= pair[2];
    }
    if edited != good {
        assert!(jit::verify(&edited).is_err(), "an edited blob verified: {edited:02x?}");
        // SAFETY: refused before anything is mapped; never called.
        assert!(unsafe { jit::load::<MulFn>(&edited) }.is_err());
    }
});
