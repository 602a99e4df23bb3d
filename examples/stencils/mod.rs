//! Stencils written as ordinary kernels, and the pipelines stitched from them.
//!
//! Each hole is written with a *sentinel* value that [`derive::from_variant`] finds in the
//! decoded code (iced-x86's `ConstantOffsets` give the field's exact offset): the 64-bit
//! immediate of `movabs`, or a constant-pool entry that becomes a pool hole. Shared by
//! `examples/minijit.rs`, `examples/fuse.rs`, the `tests/jit*.rs` tests and the bench.
//!
//! Register conventions of the elementwise stencils (System V arguments
//! `x: *const f32, y: *const f32, out: *mut f32, n: usize` in rdi, rsi, rdx, rcx):
//! `rax` is the element index, `r8` the end of the 8-wide part, `ymm0`/`xmm0` holds
//! `x[i]`, `ymm1`/`xmm1` the accumulator, `ymm2`/`xmm2` is scratch.

#![allow(dead_code)]

use asmforge::jit::derive::{self, Ending, HoleSpec, OwnedStencil};
use asmforge::jit::{Code, Cond, HoleKind, JitError, Signature, Stitch, Ty, Value};
use asmforge::kernel;

/// The type of the multiply-by-constant function.
pub type MulFn = extern "sysv64" fn(u64) -> u64;
/// The type of a stitched elementwise pipeline.
pub type PipeFn = unsafe extern "sysv64" fn(*const f32, *const f32, *mut f32, usize);

const MUL_SIG: Signature<'static> = Signature {
    params: &[Ty::U64],
    ret: Ty::U64,
};
const PIPE_SIG: Signature<'static> = Signature {
    params: &[Ty::Ptr, Ty::Ptr, Ty::Ptr, Ty::U64],
    ret: Ty::Unit,
};

/// Sentinel of the multiplier.
pub const MUL_SENTINEL: u64 = 0x5EA7_1E5E_A71E_5EA7;

/// `movabs rax, C; imul rax, rdi; ret` with C a hole.
#[kernel]
pub fn st_mul(x: u64) -> u64 {
    movabs(rax, 0x5EA7_1E5E_A71E_5EA7);
    imul(rax, x);
    return rax;
}

/// The multiply-by-constant stencil, hole `c` (imm64).
pub fn mul_stencil() -> OwnedStencil {
    let spec = HoleSpec {
        name: "c",
        kind: HoleKind::Imm64,
        signed: false,
        sentinel: MUL_SENTINEL,
    };
    // SAFETY: the code only multiplies registers: sound for every value of `c`.
    unsafe {
        derive::from_variant(
            "mul",
            &st_mul::INFO.variants[0],
            MUL_SIG,
            &[spec],
            Ending::Return,
        )
    }
    .unwrap_or_else(|e| panic!("{e}"))
}

// Sentinels of the pool holes (one lane's bits), written as literals in the kernels below.
const SA: f32 = 1234.5677;
const SB: f32 = -8765.25;
const SC: f32 = 3.0517578e-5;

#[kernel(targets(avx2 + fma))]
unsafe fn st_head(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    xor(eax, eax);
    mov(r8, n);
    and(r8, -8);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_load_x(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovups(ymm0, [x + rax * 4]);
    vmovaps(ymm1, ymm0);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_load_xy(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovups(ymm0, [x + rax * 4]);
    vmovups(ymm1, [y + rax * 4]);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_fma_cc(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vbroadcastss(ymm2, f32(1234.5677));
    vfmadd213ps(ymm1, ymm2, f32x8(-8765.25));
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_fma_xc(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vfmadd213ps(ymm1, ymm0, f32x8(3.0517578e-5));
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_max_c(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmaxps(ymm1, ymm1, f32x8(3.0517578e-5));
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_store(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovups([out + rax * 4], ymm1);
    add(rax, 8);
    cmp(rax, r8);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_load_x_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovss(xmm0, dword[x + rax * 4]);
    vmovaps(xmm1, xmm0);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_load_xy_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovss(xmm0, dword[x + rax * 4]);
    vmovss(xmm1, dword[y + rax * 4]);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_fma_cc_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovss(xmm2, f32(1234.5677));
    vfmadd213ss(xmm1, xmm2, f32(-8765.25));
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_fma_xc_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vfmadd213ss(xmm1, xmm0, f32(3.0517578e-5));
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_max_c_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmaxss(xmm1, xmm1, f32(3.0517578e-5));
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_store_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmovss(dword[out + rax * 4], xmm1);
    add(rax, 1);
    cmp(rax, n);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_check(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    cmp(rax, r8);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_check_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    cmp(rax, n);
}

#[kernel(targets(avx2 + fma))]
unsafe fn st_ret(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vzeroupper();
}

/// One elementwise operation on the accumulator `acc` (initially `x[i]` or `y[i]`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// `acc = acc * a + b` (fused).
    FmaConst(f32, f32),
    /// `acc = acc * x[i] + c` (fused).
    FmaX(f32),
    /// `acc = max(acc, c)`.
    Max(f32),
}

impl Op {
    /// The same operation in Rust.
    pub fn eval(self, acc: f32, x: f32) -> f32 {
        match self {
            Op::FmaConst(a, b) => acc.mul_add(a, b),
            Op::FmaX(c) => acc.mul_add(x, c),
            // vmaxps returns the second operand unless the first is greater.
            Op::Max(c) => {
                if acc > c {
                    acc
                } else {
                    c
                }
            }
        }
    }
}

/// Where the accumulator starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// `acc = x[i]`.
    X,
    /// `acc = y[i]`.
    Y,
}

/// Every elementwise stencil, vector (8 × f32) and scalar.
pub struct FuseStencils {
    head: OwnedStencil,
    load: [OwnedStencil; 2],
    fma_cc: OwnedStencil,
    fma_xc: OwnedStencil,
    max_c: OwnedStencil,
    store: OwnedStencil,
    load_s: [OwnedStencil; 2],
    fma_cc_s: OwnedStencil,
    fma_xc_s: OwnedStencil,
    max_c_s: OwnedStencil,
    store_s: OwnedStencil,
    check: OwnedStencil,
    check_s: OwnedStencil,
    ret: OwnedStencil,
}

fn cut(
    name: &str,
    info: &'static asmforge::KernelInfo,
    holes: &[HoleSpec],
    ending: Ending,
) -> OwnedStencil {
    // SAFETY: each kernel accesses x[i], y[i] and out[i] for rax < n (the loop structure
    // `pipeline` builds guarantees it) and otherwise only registers; the register
    // conventions are the module's.
    unsafe { derive::from_variant(name, &info.variants[0], PIPE_SIG, holes, ending) }
        .unwrap_or_else(|e| panic!("{e}"))
}

fn pool(name: &'static str, sentinel: f32, lanes: u8) -> HoleSpec {
    HoleSpec {
        name,
        kind: HoleKind::PoolF32 { lanes },
        signed: true,
        sentinel: u64::from(sentinel.to_bits()),
    }
}

impl FuseStencils {
    /// Cuts the stencils out of the kernels above.
    pub fn new() -> FuseStencils {
        let c = Ending::Chain;
        FuseStencils {
            head: cut("head", &st_head::INFO, &[], c),
            load: [
                cut("load_x", &st_load_x::INFO, &[], c),
                cut("load_xy", &st_load_xy::INFO, &[], c),
            ],
            fma_cc: cut(
                "fma_cc",
                &st_fma_cc::INFO,
                &[pool("a", SA, 1), pool("b", SB, 8)],
                c,
            ),
            fma_xc: cut("fma_xc", &st_fma_xc::INFO, &[pool("c", SC, 8)], c),
            max_c: cut("max_c", &st_max_c::INFO, &[pool("c", SC, 8)], c),
            store: cut("store", &st_store::INFO, &[], c),
            load_s: [
                cut("load_x_s", &st_load_x_s::INFO, &[], c),
                cut("load_xy_s", &st_load_xy_s::INFO, &[], c),
            ],
            fma_cc_s: cut(
                "fma_cc_s",
                &st_fma_cc_s::INFO,
                &[pool("a", SA, 1), pool("b", SB, 1)],
                c,
            ),
            fma_xc_s: cut("fma_xc_s", &st_fma_xc_s::INFO, &[pool("c", SC, 1)], c),
            max_c_s: cut("max_c_s", &st_max_c_s::INFO, &[pool("c", SC, 1)], c),
            store_s: cut("store_s", &st_store_s::INFO, &[], c),
            check: cut("check", &st_check::INFO, &[], c),
            check_s: cut("check_s", &st_check_s::INFO, &[], c),
            ret: cut("ret", &st_ret::INFO, &[], Ending::Return),
        }
    }

    fn ops(&self, s: &mut Stitch<PipeFn>, ops: &[Op], scalar: bool) -> Result<(), JitError> {
        for op in ops {
            match (*op, scalar) {
                (Op::FmaConst(a, b), false) => s.append(
                    &self.fma_cc.stencil(),
                    &[("a", Value::F32(a)), ("b", Value::F32(b))],
                )?,
                (Op::FmaConst(a, b), true) => s.append(
                    &self.fma_cc_s.stencil(),
                    &[("a", Value::F32(a)), ("b", Value::F32(b))],
                )?,
                (Op::FmaX(c), false) => {
                    s.append(&self.fma_xc.stencil(), &[("c", Value::F32(c))])?
                }
                (Op::FmaX(c), true) => {
                    s.append(&self.fma_xc_s.stencil(), &[("c", Value::F32(c))])?
                }
                (Op::Max(c), false) => s.append(&self.max_c.stencil(), &[("c", Value::F32(c))])?,
                (Op::Max(c), true) => s.append(&self.max_c_s.stencil(), &[("c", Value::F32(c))])?,
            };
        }
        Ok(())
    }

    /// `out[i] = ops(src[i])` for i < n: an 8-wide loop, then a scalar loop for the tail.
    ///
    /// ```text
    ///        head                         i = 0, r8 = n & !7
    ///        jmp vcheck
    /// vtop:  load, ops…, store            8 lanes, i += 8, cmp i, r8
    ///        jb vtop
    ///        jmp scheck     (skipped when the vector loop falls out)
    /// ...
    /// ```
    pub fn pipeline(&self, src: Src, ops: &[Op], keep_jumps: bool) -> Result<Code, JitError> {
        let mut s = Stitch::<PipeFn>::new().keep_continuation_jumps(keep_jumps);
        let k = src as usize;
        let (vtop, vcheck, stop, scheck) =
            (s.new_label(), s.new_label(), s.new_label(), s.new_label());
        s.append(&self.head.stencil(), &[])?;
        s.jump(vcheck)?;
        s.bind(vtop);
        s.append(&self.load[k].stencil(), &[])?;
        self.ops(&mut s, ops, false)?;
        s.append(&self.store.stencil(), &[])?;
        s.jump_if(Cond::B, vtop)?;
        s.jump(scheck)?;
        s.bind(vcheck);
        s.append(&self.check.stencil(), &[])?;
        s.jump_if(Cond::B, vtop)?;
        s.jump(scheck)?;
        s.bind(stop);
        s.append(&self.load_s[k].stencil(), &[])?;
        self.ops(&mut s, ops, true)?;
        s.append(&self.store_s.stencil(), &[])?;
        s.jump_if(Cond::B, stop)?;
        s.append(&self.ret.stencil(), &[])?;
        s.bind(scheck);
        s.append(&self.check_s.stencil(), &[])?;
        s.jump_if(Cond::B, stop)?;
        s.append(&self.ret.stencil(), &[])?;
        s.finish()
    }
}

impl Default for FuseStencils {
    fn default() -> Self {
        Self::new()
    }
}

/// Applies `ops` in Rust: the reference.
pub fn reference(src: Src, ops: &[Op], x: &[f32], y: &[f32], out: &mut [f32]) {
    for i in 0..out.len() {
        let mut acc = if src == Src::X { x[i] } else { y[i] };
        for op in ops {
            acc = op.eval(acc, x[i]);
        }
        out[i] = acc;
    }
}

/// The fingerprint of [`MulFn`]'s signature.
pub fn mul_signature_fingerprint() -> u64 {
    MUL_SIG.fingerprint()
}
