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
//! `x[i]`, `ymm1`/`xmm1` the accumulator, `ymm2`/`xmm2` is scratch, `ymm3`..`ymm15` hold
//! constants broadcast before the loops.

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

// ---- Constants hoisted into registers (the loop reads no pool) ---------------------------
//
// A pipeline whose constants fit ymm3..ymm15 broadcasts each constant once, before the loop
// (`st_bc<R>`: `vbroadcastss ymmR, [pool]`), and its operations read them from registers
// (`st_fcc<A>` = acc·ymmA + ymmA+1, `st_fxc<C>` = acc·x + ymmC, `st_max<C>`; `_s` the scalar
// forms on the xmm halves): the loop body is then the one an ahead-of-time kernel has.

/// First and last register that holds a hoisted constant.
const FIRST_CONST: u8 = 3;
const LAST_CONST: u8 = 15;
#[kernel(targets(avx2 + fma), instances(
    st_bc3 = (R = ymm3),
    st_bc4 = (R = ymm4),
    st_bc5 = (R = ymm5),
    st_bc6 = (R = ymm6),
    st_bc7 = (R = ymm7),
    st_bc8 = (R = ymm8),
    st_bc9 = (R = ymm9),
    st_bc10 = (R = ymm10),
    st_bc11 = (R = ymm11),
    st_bc12 = (R = ymm12),
    st_bc13 = (R = ymm13),
    st_bc14 = (R = ymm14),
    st_bc15 = (R = ymm15),
))]
unsafe fn st_bc(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vbroadcastss(R, f32(1234.5677));
}

#[kernel(targets(avx2 + fma), instances(
    st_fcc3 = (A = ymm3, B = ymm4),
    st_fcc4 = (A = ymm4, B = ymm5),
    st_fcc5 = (A = ymm5, B = ymm6),
    st_fcc6 = (A = ymm6, B = ymm7),
    st_fcc7 = (A = ymm7, B = ymm8),
    st_fcc8 = (A = ymm8, B = ymm9),
    st_fcc9 = (A = ymm9, B = ymm10),
    st_fcc10 = (A = ymm10, B = ymm11),
    st_fcc11 = (A = ymm11, B = ymm12),
    st_fcc12 = (A = ymm12, B = ymm13),
    st_fcc13 = (A = ymm13, B = ymm14),
    st_fcc14 = (A = ymm14, B = ymm15),
))]
unsafe fn st_fcc(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vfmadd213ps(ymm1, A, B);
}

#[kernel(targets(avx2 + fma), instances(
    st_fcc_s3 = (A = xmm3, B = xmm4),
    st_fcc_s4 = (A = xmm4, B = xmm5),
    st_fcc_s5 = (A = xmm5, B = xmm6),
    st_fcc_s6 = (A = xmm6, B = xmm7),
    st_fcc_s7 = (A = xmm7, B = xmm8),
    st_fcc_s8 = (A = xmm8, B = xmm9),
    st_fcc_s9 = (A = xmm9, B = xmm10),
    st_fcc_s10 = (A = xmm10, B = xmm11),
    st_fcc_s11 = (A = xmm11, B = xmm12),
    st_fcc_s12 = (A = xmm12, B = xmm13),
    st_fcc_s13 = (A = xmm13, B = xmm14),
    st_fcc_s14 = (A = xmm14, B = xmm15),
))]
unsafe fn st_fcc_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vfmadd213ss(xmm1, A, B);
}

#[kernel(targets(avx2 + fma), instances(
    st_fxc3 = (C = ymm3),
    st_fxc4 = (C = ymm4),
    st_fxc5 = (C = ymm5),
    st_fxc6 = (C = ymm6),
    st_fxc7 = (C = ymm7),
    st_fxc8 = (C = ymm8),
    st_fxc9 = (C = ymm9),
    st_fxc10 = (C = ymm10),
    st_fxc11 = (C = ymm11),
    st_fxc12 = (C = ymm12),
    st_fxc13 = (C = ymm13),
    st_fxc14 = (C = ymm14),
    st_fxc15 = (C = ymm15),
))]
unsafe fn st_fxc(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vfmadd213ps(ymm1, ymm0, C);
}

#[kernel(targets(avx2 + fma), instances(
    st_fxc_s3 = (C = xmm3),
    st_fxc_s4 = (C = xmm4),
    st_fxc_s5 = (C = xmm5),
    st_fxc_s6 = (C = xmm6),
    st_fxc_s7 = (C = xmm7),
    st_fxc_s8 = (C = xmm8),
    st_fxc_s9 = (C = xmm9),
    st_fxc_s10 = (C = xmm10),
    st_fxc_s11 = (C = xmm11),
    st_fxc_s12 = (C = xmm12),
    st_fxc_s13 = (C = xmm13),
    st_fxc_s14 = (C = xmm14),
    st_fxc_s15 = (C = xmm15),
))]
unsafe fn st_fxc_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vfmadd213ss(xmm1, xmm0, C);
}

#[kernel(targets(avx2 + fma), instances(
    st_max3 = (C = ymm3),
    st_max4 = (C = ymm4),
    st_max5 = (C = ymm5),
    st_max6 = (C = ymm6),
    st_max7 = (C = ymm7),
    st_max8 = (C = ymm8),
    st_max9 = (C = ymm9),
    st_max10 = (C = ymm10),
    st_max11 = (C = ymm11),
    st_max12 = (C = ymm12),
    st_max13 = (C = ymm13),
    st_max14 = (C = ymm14),
    st_max15 = (C = ymm15),
))]
unsafe fn st_max(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmaxps(ymm1, ymm1, C);
}

#[kernel(targets(avx2 + fma), instances(
    st_max_s3 = (C = xmm3),
    st_max_s4 = (C = xmm4),
    st_max_s5 = (C = xmm5),
    st_max_s6 = (C = xmm6),
    st_max_s7 = (C = xmm7),
    st_max_s8 = (C = xmm8),
    st_max_s9 = (C = xmm9),
    st_max_s10 = (C = xmm10),
    st_max_s11 = (C = xmm11),
    st_max_s12 = (C = xmm12),
    st_max_s13 = (C = xmm13),
    st_max_s14 = (C = xmm14),
    st_max_s15 = (C = xmm15),
))]
unsafe fn st_max_s(x: *const f32, y: *const f32, out: *mut f32, n: usize) {
    vmaxss(xmm1, xmm1, C);
}

/// The `INFO` of instance `<prefix><r>` for r in `regs`.
macro_rules! infos {
    ($($name:ident),*) => { [$(&$name::INFO),*] };
}

fn bc_infos() -> [&'static asmforge::KernelInfo; 13] {
    infos!(
        st_bc3, st_bc4, st_bc5, st_bc6, st_bc7, st_bc8, st_bc9, st_bc10, st_bc11, st_bc12, st_bc13,
        st_bc14, st_bc15
    )
}
fn fcc_infos() -> [[&'static asmforge::KernelInfo; 2]; 12] {
    let v = infos!(
        st_fcc3, st_fcc4, st_fcc5, st_fcc6, st_fcc7, st_fcc8, st_fcc9, st_fcc10, st_fcc11,
        st_fcc12, st_fcc13, st_fcc14
    );
    let s = infos!(
        st_fcc_s3, st_fcc_s4, st_fcc_s5, st_fcc_s6, st_fcc_s7, st_fcc_s8, st_fcc_s9, st_fcc_s10,
        st_fcc_s11, st_fcc_s12, st_fcc_s13, st_fcc_s14
    );
    core::array::from_fn(|i| [v[i], s[i]])
}
fn fxc_infos() -> [[&'static asmforge::KernelInfo; 2]; 13] {
    let v = infos!(
        st_fxc3, st_fxc4, st_fxc5, st_fxc6, st_fxc7, st_fxc8, st_fxc9, st_fxc10, st_fxc11,
        st_fxc12, st_fxc13, st_fxc14, st_fxc15
    );
    let s = infos!(
        st_fxc_s3, st_fxc_s4, st_fxc_s5, st_fxc_s6, st_fxc_s7, st_fxc_s8, st_fxc_s9, st_fxc_s10,
        st_fxc_s11, st_fxc_s12, st_fxc_s13, st_fxc_s14, st_fxc_s15
    );
    core::array::from_fn(|i| [v[i], s[i]])
}
fn max_infos() -> [[&'static asmforge::KernelInfo; 2]; 13] {
    let v = infos!(
        st_max3, st_max4, st_max5, st_max6, st_max7, st_max8, st_max9, st_max10, st_max11,
        st_max12, st_max13, st_max14, st_max15
    );
    let s = infos!(
        st_max_s3, st_max_s4, st_max_s5, st_max_s6, st_max_s7, st_max_s8, st_max_s9, st_max_s10,
        st_max_s11, st_max_s12, st_max_s13, st_max_s14, st_max_s15
    );
    core::array::from_fn(|i| [v[i], s[i]])
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

/// The hoisted form of a pipeline's ops: per op its kind (0 `FmaConst`, 1 `FmaX`, 2 `Max`)
/// and the first register (from ymm3) that holds its constants.
struct Plan {
    ops: [[usize; 2]; (LAST_CONST - FIRST_CONST + 1) as usize],
    len: usize,
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
    /// Hoisted constants: `bc[r - 3]` broadcasts a pool hole `a` into ymm r; `fcc`, `fxc`,
    /// `max` `[r - 3]` are [vector, scalar] operations on registers r (and r + 1).
    bc: Vec<OwnedStencil>,
    fcc: Vec<[OwnedStencil; 2]>,
    fxc: Vec<[OwnedStencil; 2]>,
    max: Vec<[OwnedStencil; 2]>,
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

fn pair<const N: usize>(
    name: &str,
    infos: &[[&'static asmforge::KernelInfo; 2]; N],
) -> Vec<[OwnedStencil; 2]> {
    let c = Ending::Chain;
    infos
        .iter()
        .map(|[v, s]| [cut(name, v, &[], c), cut(name, s, &[], c)])
        .collect()
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
            bc: bc_infos()
                .iter()
                .map(|i| cut("bc", i, &[pool("a", SA, 1)], c))
                .collect(),
            fcc: pair("fcc", &fcc_infos()),
            fxc: pair("fxc", &fxc_infos()),
            max: pair("max", &max_infos()),
        }
    }

    /// Appends the broadcasts of `ops`' constants into ymm3.. (before the loops) and returns
    /// each op's kind and first register (from ymm3), or `None` when the constants outnumber
    /// the registers ymm3..ymm15.
    fn hoist(&self, s: &mut Stitch<PipeFn>, ops: &[Op]) -> Result<Option<Plan>, JitError> {
        let need: usize = ops
            .iter()
            .map(|op| if let Op::FmaConst(..) = op { 2 } else { 1 })
            .sum();
        if need > usize::from(LAST_CONST - FIRST_CONST + 1) {
            return Ok(None);
        }
        // Per op: (kind, first register index from ymm3); each op needs a register, so
        // there are at most as many ops as registers.
        let mut plan = Plan {
            ops: [[0; 2]; (LAST_CONST - FIRST_CONST + 1) as usize],
            len: 0,
        };
        let mut r = 0usize;
        for op in ops {
            let consts: &[f32] = match op {
                Op::FmaConst(a, b) => &[*a, *b],
                Op::FmaX(c) | Op::Max(c) => &[*c],
            };
            let kind = match op {
                Op::FmaConst(..) => 0,
                Op::FmaX(_) => 1,
                Op::Max(_) => 2,
            };
            plan.ops[plan.len] = [kind, r];
            plan.len += 1;
            for v in consts {
                s.append(&self.bc[r].stencil(), &[("a", Value::F32(*v))])?;
                r += 1;
            }
        }
        Ok(Some(plan))
    }

    fn hoisted_ops(
        &self,
        s: &mut Stitch<PipeFn>,
        plan: &Plan,
        scalar: bool,
    ) -> Result<(), JitError> {
        let w = usize::from(scalar);
        for [kind, r] in &plan.ops[..plan.len] {
            let st = match kind {
                0 => &self.fcc[*r][w],
                1 => &self.fxc[*r][w],
                _ => &self.max[*r][w],
            };
            s.append(&st.stencil(), &[])?;
        }
        Ok(())
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
    ///
    /// Constants are broadcast into registers once, before the loops, when they fit
    /// ymm3..ymm15; otherwise (and with [`FuseStencils::pipeline_pool`]) each operation reads
    /// its constant from the pool every iteration.
    pub fn pipeline(&self, src: Src, ops: &[Op], keep_jumps: bool) -> Result<Code, JitError> {
        self.build(src, ops, keep_jumps, true)
    }

    /// As [`FuseStencils::pipeline`], constants read from the pool inside the loops.
    pub fn pipeline_pool(&self, src: Src, ops: &[Op], keep_jumps: bool) -> Result<Code, JitError> {
        self.build(src, ops, keep_jumps, false)
    }

    /// As [`FuseStencils::pipeline`], built in `s` (cleared first) and left there cleared for
    /// the next pipeline: its buffers are reused ([`Stitch::finish_and_clear`]).
    pub fn pipeline_in(
        &self,
        s: &mut Stitch<PipeFn>,
        src: Src,
        ops: &[Op],
    ) -> Result<Code, JitError> {
        s.clear();
        self.build_into(s, src, ops, true)?;
        s.finish_and_clear()
    }

    fn build(&self, src: Src, ops: &[Op], keep_jumps: bool, hoist: bool) -> Result<Code, JitError> {
        let mut s = Stitch::<PipeFn>::new().keep_continuation_jumps(keep_jumps);
        self.build_into(&mut s, src, ops, hoist)?;
        s.finish()
    }

    fn build_into(
        &self,
        s: &mut Stitch<PipeFn>,
        src: Src,
        ops: &[Op],
        hoist: bool,
    ) -> Result<(), JitError> {
        let k = src as usize;
        let (vtop, vcheck, stop, scheck) =
            (s.new_label(), s.new_label(), s.new_label(), s.new_label());
        s.append(&self.head.stencil(), &[])?;
        let plan = if hoist { self.hoist(s, ops)? } else { None };
        let body = |s: &mut Stitch<PipeFn>, scalar: bool| match &plan {
            Some(p) => self.hoisted_ops(s, p, scalar),
            None => self.ops(s, ops, scalar),
        };
        s.jump(vcheck)?;
        s.bind(vtop);
        s.append(&self.load[k].stencil(), &[])?;
        body(s, false)?;
        s.append(&self.store.stencil(), &[])?;
        s.jump_if(Cond::B, vtop)?;
        s.jump(scheck)?;
        s.bind(vcheck);
        s.append(&self.check.stencil(), &[])?;
        s.jump_if(Cond::B, vtop)?;
        s.jump(scheck)?;
        s.bind(stop);
        s.append(&self.load_s[k].stencil(), &[])?;
        body(s, true)?;
        s.append(&self.store_s.stencil(), &[])?;
        s.jump_if(Cond::B, stop)?;
        s.append(&self.ret.stencil(), &[])?;
        s.bind(scheck);
        s.append(&self.check_s.stencil(), &[])?;
        s.jump_if(Cond::B, stop)?;
        s.append(&self.ret.stencil(), &[])?;
        Ok(())
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
