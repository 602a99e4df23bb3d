//! dynasm-rs 5.1: the same multiply-by-constant function, assembled at run time.

use dynasmrt::{DynasmApi, DynasmLabelApi, dynasm};

type MulFn = extern "sysv64" fn(u64) -> u64;

/// A fresh assembler per function: assemble, finalize (mmap + mprotect), call, drop.
pub fn single(c: u64, x: u64) -> u64 {
    let mut ops = dynasmrt::x64::Assembler::new().unwrap();
    let start = ops.offset();
    dynasm!(ops
        ; .arch x64
        ; mov rax, QWORD c as i64
        ; imul rax, rdi
        ; ret
    );
    let buf = ops.finalize().unwrap();
    // SAFETY: the buffer holds the function just assembled.
    let f: MulFn = unsafe { core::mem::transmute(buf.ptr(start)) };
    f(x)
}

/// `n` functions in one assembler, one finalize, each called once.
pub fn batch(n: usize, x: u64, mut check: impl FnMut(usize, u64)) {
    let mut ops = dynasmrt::x64::Assembler::new().unwrap();
    let mut starts = Vec::with_capacity(n);
    for i in 0..n {
        starts.push(ops.offset());
        dynasm!(ops
            ; .arch x64
            ; mov rax, QWORD i as i64
            ; imul rax, rdi
            ; ret
        );
    }
    let buf = ops.finalize().unwrap();
    for (i, s) in starts.iter().enumerate() {
        // SAFETY: as in `single`.
        let f: MulFn = unsafe { core::mem::transmute(buf.ptr(*s)) };
        check(i, f(x));
    }
}

/// The fused `max((x·a + b)·x + c, 0)` loop, the same instructions as the stitched
/// function, assembled into a `Vec` (no mapping, like the stitching it is compared with).
pub fn fused(a: f32, b: f32, c: f32) -> Vec<u8> {
    let mut ops = dynasmrt::VecAssembler::<dynasmrt::x64::X64Relocation>::new(0);
    emit_fused(&mut ops, a, b, c);
    ops.finalize().unwrap()
}

/// As [`fused`] in an assembler kept from call to call (`take` returns the bytes and keeps
/// the label tables): dynasm's reuse, for the reuse line.
pub fn fused_in(ops: &mut Asm, a: f32, b: f32, c: f32) -> Vec<u8> {
    emit_fused(ops, a, b, c);
    ops.take().unwrap()
}

/// A `VecAssembler` for x86-64.
pub type Asm = dynasmrt::VecAssembler<dynasmrt::x64::X64Relocation>;

fn emit_fused(ops: &mut Asm, a: f32, b: f32, c: f32) {
    let pool =
        |v: f32, lanes: usize| -> Vec<u8> { (0..lanes).flat_map(|_| v.to_le_bytes()).collect() };
    let (pa, pb, pc, pz) = (pool(a, 1), pool(b, 8), pool(c, 8), pool(0.0, 8));
    dynasm!(ops
        ; .arch x64
        ; xor eax, eax
        ; mov r8, rcx
        ; and r8, -8
        ; jmp >vcheck
        ; vtop:
        ; vmovups ymm0, [rdi + rax * 4]
        ; vmovaps ymm1, ymm0
        ; vbroadcastss ymm2, [->ca]
        ; vfmadd213ps ymm1, ymm2, [->cb]
        ; vfmadd213ps ymm1, ymm0, [->cc]
        ; vmaxps ymm1, ymm1, [->cz]
        ; vmovups [rdx + rax * 4], ymm1
        ; add rax, 8
        ; vcheck:
        ; cmp rax, r8
        ; jb <vtop
        ; jmp >scheck
        ; stop:
        ; vmovss xmm0, [rdi + rax * 4]
        ; vmovaps xmm1, xmm0
        ; vmovss xmm2, [->ca]
        ; vfmadd213ss xmm1, xmm2, [->cb]
        ; vfmadd213ss xmm1, xmm0, [->cc]
        ; vmaxss xmm1, xmm1, [->cz]
        ; vmovss [rdx + rax * 4], xmm1
        ; add rax, 1
        ; scheck:
        ; cmp rax, rcx
        ; jb <stop
        ; vzeroupper
        ; ret
        ; .align 64
        ; ->ca:
        ; .bytes pa.iter().copied()
        ; .align 32
        ; ->cb:
        ; .bytes pb.iter().copied()
        ; ->cc:
        ; .bytes pc.iter().copied()
        ; ->cz:
        ; .bytes pz.iter().copied()
    );
}
