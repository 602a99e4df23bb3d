//! Stage 5, **encode**: machine code, label resolution, alignment and the constant pool.
//!
//! Takes the [`Framed`] instruction list (forms bound, registers physical by type, stack slots
//! resolved); guarantees a position-independent blob laid out as
//!
//! ```text
//!   offset 0            code (branches relaxed by iced's BlockEncoder: rel8 when it reaches)
//!   align!(n) points    multi-byte NOPs up to the next multiple of n
//!   code_size           int3 padding up to the pool's alignment
//!   pool                deduplicated constants, each aligned to its size
//! ```
//!
//! Constants are addressed RIP-relative, so the blob runs at any address. Alignment splits the
//! code into blocks whose start addresses are iterated to a fixed point, because relaxing a
//! branch moves every later block.

use std::collections::BTreeMap;

mod fields;
mod fixed;
pub use fields::Field;

use iced_x86::{BlockEncoder, BlockEncoderOptions, CpuidFeature, Instruction, InstructionBlock};
use proc_macro2::Span;

use crate::diag;
use crate::frame::{FItem, Framed, PInst};
use crate::ir::{Const, ConstId, LabelId, OperandKind, RipTarget};
use crate::isa::instr::{self, Addresses};

/// Original (pre-layout) addresses that instructions are known by; kept far from the blob's
/// real addresses so a RIP-relative target is never mistaken for an instruction.
const ORIG_BASE: u64 = 0x4000_0000_0000_0000;

pub struct Encoded {
    /// Code, padding, pool.
    pub bytes: Vec<u8>,
    pub code_size: u32,
    pub pool_size: u32,
    /// (offset, source line) per instruction.
    pub lines: Vec<(u32, u32)>,
    /// Union of the CPU features the selected forms require, sorted, deduplicated.
    pub features: Vec<CpuidFeature>,
    /// Callee-saved registers the prologue saves, and whether the epilogue has vzeroupper.
    pub saved: Vec<iced_x86::Register>,
    pub vzeroupper: bool,
    /// Distinct physical registers the code touches: general-purpose, vector, mask.
    pub registers: [u8; 3],
    /// Call-frame directives with the code offset they take effect at, in order (`cfi.rs`).
    pub unwind: Vec<(u32, crate::frame::cfi::CfiOp)>,
    /// Each instruction's immediate and displacement fields (`fields.rs`), for stencils.
    pub fields: Vec<Field>,
    /// Test hook for the round trip (tests/roundtrip.rs): every instruction as selected and
    /// framed, with the offset it was placed at. Branch targets and label-relative memory
    /// operands still hold pre-layout addresses: each instruction's `ip()` is its own.
    #[cfg(test)]
    pub placed: Vec<(u32, Instruction)>,
}

struct Layout {
    labels: BTreeMap<LabelId, u64>,
    consts: Vec<u64>,
}

impl Addresses for Layout {
    fn label(&self, id: LabelId) -> u64 {
        if let Some(a) = crate::ir::extern_address(id) {
            return a;
        }
        self.labels.get(&id).copied().unwrap_or(0)
    }
    fn constant(&self, id: ConstId) -> u64 {
        self.consts.get(id.0 as usize).copied().unwrap_or(0)
    }
}

/// A run of instructions that starts at an aligned address.
struct Block {
    align: u64,
    insts: Vec<usize>,
}

pub fn encode(framed: Framed) -> syn::Result<Encoded> {
    let site = Span::call_site();
    // Original addresses: every instruction gets one; a label names its next instruction.
    let mut insts = Vec::new();
    let mut labels = BTreeMap::new();
    let mut blocks = vec![Block {
        align: 1,
        insts: vec![],
    }];
    let mut pending_labels = Vec::new();
    // Call-frame directives, each after the instruction with this index.
    let mut marks: Vec<(usize, crate::frame::cfi::CfiOp)> = Vec::new();
    for item in &framed.items {
        match item {
            FItem::Cfi(op) => marks.push((insts.len(), *op)),
            FItem::Label(l) => pending_labels.push(*l),
            FItem::Align(a) => blocks.push(Block {
                align: u64::from(*a),
                insts: vec![],
            }),
            FItem::Inst(s) => {
                let orig = ORIG_BASE + insts.len() as u64 * 16;
                for l in pending_labels.drain(..) {
                    labels.insert(l, orig);
                }
                // A rel8-only branch whose target is out of reach comes back from the block
                // encoder rewritten (`loop l1; jmp l2; l1: jmp target; l2:`) with offset
                // u32::MAX; heading a block of its own, it is known to start at the block.
                if is_rel8_only(s.code)
                    && !fixed::is_fixed(s)
                    && blocks.last().is_some_and(|b| !b.insts.is_empty())
                {
                    blocks.push(Block {
                        align: 1,
                        insts: vec![],
                    });
                }
                if let Some(b) = blocks.last_mut() {
                    b.insts.push(insts.len());
                }
                insts.push(s);
            }
        }
    }
    if !pending_labels.is_empty() {
        return Err(diag::internal(site, "label after the last instruction"));
    }
    let (pool, const_offsets, pool_align) = lay_out_pool(&framed.consts);
    let mut layout = Layout {
        labels,
        consts: vec![0; framed.consts.len()],
    };
    let mut starts: Vec<u64> = vec![0; blocks.len()];
    let mut pool_at = 0u64;
    let mut sizes = fixed::Sizes::new(between_blocks(&blocks, &layout.labels, &insts));
    // o16 branches and branches between blocks (`fixed.rs`) only grow, each at most once: a
    // layout round per branch at most.
    for _round in 0..32 + sizes.growable(&insts) {
        for (i, off) in const_offsets.iter().enumerate() {
            layout.consts[i] = pool_at + off;
        }
        // The fixed instructions as this round places them; the block encoder sees
        // placeholders of their length.
        let mut reals: BTreeMap<usize, Instruction> = BTreeMap::new();
        for (i, s) in insts.iter().enumerate() {
            if sizes.places(i, s) {
                let mut ins = instr::build(s.code, &s.inst.operands, s.inst.prefix, &layout)
                    .map_err(|e| diag::internal(s.inst.span, e))?;
                ins.set_code(sizes.form(i, s));
                fixed::displacement(&mut ins, s);
                reals.insert(i, ins);
            }
        }
        let built: Vec<Vec<Instruction>> = blocks
            .iter()
            .map(|b| {
                b.insts
                    .iter()
                    .map(|&i| {
                        let s = insts[i];
                        let mut ins = match reals.get(&i) {
                            Some(real) => fixed::placeholder(real, s)
                                .map_err(|e| diag::internal(s.inst.span, e))?,
                            None => {
                                let mut ins =
                                    instr::build(s.code, &s.inst.operands, s.inst.prefix, &layout)
                                        .map_err(|e| diag::internal(s.inst.span, e))?;
                                fixed::displacement(&mut ins, s);
                                ins
                            }
                        };
                        ins.set_ip(ORIG_BASE + i as u64 * 16);
                        if !reals.contains_key(&i) && matches!(rip_patch(s), Some((true, _))) {
                            // `[rip + disp]`: encoded against the instruction's own address.
                            ins.set_memory_displacement64(ins.ip());
                        }
                        Ok(ins)
                    })
                    .collect::<syn::Result<Vec<_>>>()
            })
            .collect::<syn::Result<_>>()?;
        let ib: Vec<InstructionBlock<'_>> = built
            .iter()
            .zip(&starts)
            .map(|(b, s)| InstructionBlock::new(b, *s))
            .collect();
        let results = BlockEncoder::encode_slice(
            64,
            &ib,
            BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS
                | BlockEncoderOptions::RETURN_CONSTANT_OFFSETS,
        )
        .map_err(|e| encode_error(&insts, &e.to_string()))?;
        // Where each block would start given the sizes just produced.
        let mut new_starts = Vec::with_capacity(blocks.len());
        let mut end = 0u64;
        for (b, r) in blocks.iter().zip(&results) {
            let start = align_up(end, b.align);
            new_starts.push(start);
            end = start + r.code_buffer.len() as u64;
        }
        let code_end = end;
        let new_pool_at = align_up(code_end, pool_align);
        // Without constants the pool's place changes nothing: one round suffices.
        if new_starts == starts && (new_pool_at == pool_at || framed.consts.is_empty()) {
            let fin = (&blocks[..], &results[..], &starts[..], &layout, &sizes);
            let patches = match resolve_fixed(&reals, fin, &insts)? {
                fixed::Resolved::Grow(which) => {
                    sizes.grow(which);
                    continue;
                }
                fixed::Resolved::Patch(p) => p,
            };
            let mut enc = assemble(&blocks, &results, &starts, code_end, pool, pool_at, &insts);
            let mut built = built;
            for (at, bytes, i, real) in patches {
                enc.bytes[at..at + bytes.len()].copy_from_slice(&bytes);
                if let Some(slot) = blocks
                    .iter()
                    .zip(built.iter_mut())
                    .find_map(|(b, ins)| b.insts.iter().position(|&j| j == i).map(|k| &mut ins[k]))
                {
                    *slot = real;
                }
            }
            let _targets = rip_displacements(&mut enc.bytes, &blocks, &results, &starts, &insts)?;
            enc.registers = register_use(built.iter().flatten());
            #[cfg(test)]
            {
                enc.placed = placed(&results, &starts, &built);
                for (i, target) in _targets {
                    if let Some((_, ins)) = enc.placed.get_mut(i) {
                        ins.set_memory_displacement64(target);
                    }
                }
            }
            enc.saved = framed.saved.clone();
            enc.vzeroupper = framed.vzeroupper;
            enc.unwind = unwind_offsets(&marks, &blocks, &results, &starts);
            let spans: Vec<Span> = insts.iter().map(|s| s.inst.span).collect();
            enc.fields = fields::fields(&blocks, &results, &starts, &built, &spans);
            return Ok(enc);
        }
        starts = new_starts;
        pool_at = new_pool_at;
    }
    Err(diag::internal(
        site,
        "code layout did not converge; remove an `align!`",
    ))
}

/// The [`fixed::relaxable`] branches whose label heads an instruction of another block.
fn between_blocks(
    blocks: &[Block],
    labels: &BTreeMap<LabelId, u64>,
    insts: &[&PInst],
) -> std::collections::BTreeSet<usize> {
    let mut block_of = vec![0usize; insts.len()];
    for (b, block) in blocks.iter().enumerate() {
        for &i in &block.insts {
            block_of[i] = b;
        }
    }
    let block_of_label = |l: LabelId| {
        let a = *labels.get(&l)?;
        let i = usize::try_from(a.checked_sub(ORIG_BASE)? / 16).ok()?;
        block_of.get(i).copied()
    };
    (0..insts.len())
        .filter(|&i| {
            fixed::relaxable(insts[i])
                .and_then(block_of_label)
                .is_some_and(|b| b != block_of[i])
        })
        .collect()
}

/// One round's layout: blocks, what the block encoder made of them, where they start, the
/// labels and constants, and the sizes of the placed instructions.
type Round<'a> = (
    &'a [Block],
    &'a [iced_x86::BlockEncoderResult],
    &'a [u64],
    &'a Layout,
    &'a fixed::Sizes,
);

/// Final addresses for [`fixed::resolve`]: each instruction's, and each label's instruction.
fn resolve_fixed(
    reals: &BTreeMap<usize, Instruction>,
    (blocks, results, starts, layout, sizes): Round<'_>,
    insts: &[&PInst],
) -> syn::Result<fixed::Resolved> {
    if reals.is_empty() {
        return Ok(fixed::Resolved::Patch(Vec::new()));
    }
    let mut addr = BTreeMap::new();
    for ((b, r), start) in blocks.iter().zip(results).zip(starts) {
        for (k, &i) in b.insts.iter().enumerate() {
            if let Some(off) = offset_in_block(r, k) {
                addr.insert(i, start + u64::from(off));
            }
        }
    }
    let labels: BTreeMap<LabelId, usize> = layout
        .labels
        .iter()
        .filter(|(_, a)| **a >= ORIG_BASE)
        .map(|(l, a)| (*l, ((a - ORIG_BASE) / 16) as usize))
        .collect();
    let mut placed = BTreeMap::new();
    for (i, ins) in reals {
        let Some(at) = addr.get(i) else {
            return Err(diag::internal(
                insts[*i].inst.span,
                "a fixed instruction the block encoder moved",
            ));
        };
        placed.insert(*i, (*ins, *at));
    }
    fixed::resolve(
        &placed,
        insts,
        &fixed::Final {
            addr: &addr,
            labels: &labels,
            between: sizes.between(),
        },
    )
}

/// What a RIP-relative operand adds to the rel32 the block encoder produced: `(replace,
/// disp)`. `[label ± disp]` is encoded against the label and `disp` added; `[rip + disp]`
/// against the instruction's own address, and `disp` replaces it.
fn rip_patch(s: &PInst) -> Option<(bool, i64)> {
    s.inst.operands.iter().find_map(|o| match &o.kind {
        OperandKind::Mem(m, _) => match m.rip {
            Some(RipTarget::Label(_)) if m.disp != 0 => Some((false, m.disp)),
            Some(RipTarget::Next) => Some((true, m.disp)),
            _ => None,
        },
        _ => None,
    })
}

/// Applies [`rip_patch`] to the laid-out code; returns, per patched instruction (by index),
/// the final address its memory operand points at.
fn rip_displacements(
    bytes: &mut [u8],
    blocks: &[Block],
    results: &[iced_x86::BlockEncoderResult],
    starts: &[u64],
    insts: &[&PInst],
) -> syn::Result<Vec<(usize, u64)>> {
    let mut targets = Vec::new();
    for ((b, r), start) in blocks.iter().zip(results).zip(starts) {
        for (k, &i) in b.insts.iter().enumerate() {
            let Some((replace, disp)) = rip_patch(insts[i]).filter(|_| !fixed::is_fixed(insts[i]))
            else {
                continue;
            };
            let span = insts[i].inst.span;
            let field = offset_in_block(r, k)
                .zip(r.constant_offsets.get(k))
                .filter(|(_, co)| co.has_displacement() && co.displacement_size() == 4);
            let Some((off, co)) = field else {
                return Err(diag::internal(span, "no rel32 for a RIP-relative operand"));
            };
            let at = *start as usize + off as usize + co.displacement_offset();
            let Some(old) = bytes.get(at..at + 4) else {
                return Err(diag::internal(span, "rel32 beyond the code"));
            };
            let old = i32::from_le_bytes([old[0], old[1], old[2], old[3]]);
            let new = if replace { disp } else { i64::from(old) + disp };
            let Ok(new) = i32::try_from(new) else {
                return Err(syn::Error::new(
                    span,
                    format!("the RIP-relative displacement {new} does not fit in 32 bits"),
                ));
            };
            bytes[at..at + 4].copy_from_slice(&new.to_le_bytes());
            let end = at + 4 + co.immediate_size() + co.immediate_size2();
            targets.push((i, (end as i64 + i64::from(new)) as u64));
        }
    }
    Ok(targets)
}

fn encode_error(insts: &[&PInst], msg: &str) -> syn::Error {
    let span = insts.first().map_or(Span::call_site(), |s| s.inst.span);
    syn::Error::new(span, format!("cannot encode this kernel: {msg}"))
}

fn assemble(
    blocks: &[Block],
    results: &[iced_x86::BlockEncoderResult],
    starts: &[u64],
    code_end: u64,
    pool: Vec<u8>,
    pool_at: u64,
    insts: &[&PInst],
) -> Encoded {
    let mut bytes = Vec::with_capacity(pool_at as usize + pool.len());
    let mut lines = Vec::with_capacity(insts.len());
    for ((b, r), start) in blocks.iter().zip(results).zip(starts) {
        pad_with_nops(&mut bytes, *start as usize);
        for (k, &i) in b.insts.iter().enumerate() {
            if let Some(off) = offset_in_block(r, k) {
                lines.push((*start as u32 + off, insts[i].inst.line));
            }
        }
        bytes.extend_from_slice(&r.code_buffer);
    }
    let code_size = code_end as u32;
    if !pool.is_empty() {
        bytes.resize(pool_at as usize, 0xCC);
        bytes.extend_from_slice(&pool);
    }
    let mut features: Vec<CpuidFeature> = insts
        .iter()
        .flat_map(|s| s.code.cpuid_features().iter().copied())
        .collect();
    features.sort_by_key(|f| *f as u32);
    features.dedup();
    Encoded {
        unwind: Vec::new(),
        fields: Vec::new(),
        registers: [0; 3],
        bytes,
        code_size,
        pool_size: pool.len() as u32,
        lines,
        features,
        saved: Vec::new(),
        vzeroupper: false,
        #[cfg(test)]
        placed: Vec::new(),
    }
}

/// How many distinct GPRs (rsp excluded), vector registers and masks the instructions touch,
/// explicitly or implicitly (iced's `InstructionInfoFactory`), read from the instructions as
/// built for the final layout (addresses do not change which registers are used).
fn register_use<'a>(built: impl Iterator<Item = &'a Instruction>) -> [u8; 3] {
    let mut factory = iced_x86::InstructionInfoFactory::new();
    let (mut gpr, mut vec, mut mask) = (0u64, 0u64, 0u64);
    // `vzeroupper` formally writes every vector register; it uses none.
    for ins in built.filter(|i| i.code() != iced_x86::Code::VEX_Vzeroupper) {
        for used in factory.info(ins).used_registers() {
            let r = used.register();
            if r.is_gpr() && r.full_register() != iced_x86::Register::RSP {
                gpr |= 1 << r.full_register().number();
            } else if r.is_vector_register() {
                vec |= 1 << r.number();
            } else if r.is_k() {
                mask |= 1 << r.number();
            }
        }
    }
    [
        gpr.count_ones() as u8,
        vec.count_ones() as u8,
        mask.count_ones() as u8,
    ]
}

/// Each directive at the offset just past the instruction it follows (`marks` hold the count
/// of instructions before them). Prologue and epilogue instructions are never rewritten by
/// the block encoder, so their offsets are all known.
fn unwind_offsets(
    marks: &[(usize, crate::frame::cfi::CfiOp)],
    blocks: &[Block],
    results: &[iced_x86::BlockEncoderResult],
    starts: &[u64],
) -> Vec<(u32, crate::frame::cfi::CfiOp)> {
    let mut ends: Vec<u32> = Vec::new();
    for ((b, r), start) in blocks.iter().zip(results).zip(starts) {
        let block_end = *start as u32 + r.code_buffer.len() as u32;
        for k in 0..b.insts.len() {
            let next = (k + 1..b.insts.len()).find_map(|n| offset_in_block(r, n));
            ends.push(next.map_or(block_end, |o| *start as u32 + o));
        }
    }
    marks
        .iter()
        .map(|(after, op)| {
            let at = after.checked_sub(1).and_then(|i| ends.get(i)).copied();
            (at.unwrap_or(0), *op)
        })
        .collect()
}

/// The built instructions with the offsets the block encoder gave them.
#[cfg(test)]
fn placed(
    results: &[iced_x86::BlockEncoderResult],
    starts: &[u64],
    built: &[Vec<Instruction>],
) -> Vec<(u32, Instruction)> {
    let mut out = Vec::new();
    for ((r, start), ins) in results.iter().zip(starts).zip(built) {
        for (k, i) in ins.iter().enumerate() {
            let off = offset_in_block(r, k).map_or(u32::MAX, |o| o + *start as u32);
            out.push((off, *i));
        }
    }
    out
}

/// `loop`, `loope`, `loopne`, `jrcxz`, `jecxz`: branches with no rel32 form.
fn is_rel8_only(code: iced_x86::Code) -> bool {
    use iced_x86::Mnemonic as M;
    matches!(
        code.mnemonic(),
        M::Loop | M::Loope | M::Loopne | M::Jrcxz | M::Jecxz
    )
}

/// Where the `k`th instruction of a block landed; a rewritten instruction (u32::MAX) is
/// known only when it heads its block (see `is_rel8_only`).
fn offset_in_block(r: &iced_x86::BlockEncoderResult, k: usize) -> Option<u32> {
    match r.new_instruction_offsets.get(k).copied() {
        Some(u32::MAX) if k == 0 => Some(0),
        Some(u32::MAX) | None => None,
        Some(off) => Some(off),
    }
}

fn align_up(x: u64, a: u64) -> u64 {
    x.div_ceil(a) * a
}

/// Recommended multi-byte NOPs (Intel SDM Vol. 2B, NOP, Table 4-12).
const NOPS: [&[u8]; 9] = [
    &[0x90],
    &[0x66, 0x90],
    &[0x0F, 0x1F, 0x00],
    &[0x0F, 0x1F, 0x40, 0x00],
    &[0x0F, 0x1F, 0x44, 0x00, 0x00],
    &[0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00],
    &[0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00],
    &[0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
    &[0x66, 0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00],
];

fn pad_with_nops(bytes: &mut Vec<u8>, to: usize) {
    while bytes.len() < to {
        let n = (to - bytes.len()).min(NOPS.len());
        bytes.extend_from_slice(NOPS[n - 1]);
    }
}

/// Places constants largest first, each aligned to its size; a constant whose bytes already
/// sit at a suitably aligned offset (e.g. `f32(1.0)` inside `f32x4(1.0)`) is not stored again.
/// Returns the pool, each constant's offset, and the pool's alignment.
fn lay_out_pool(consts: &[Const]) -> (Vec<u8>, Vec<u64>, u64) {
    let mut order: Vec<usize> = (0..consts.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(consts[i].bytes.len()));
    let mut pool: Vec<u8> = Vec::new();
    let mut offsets = vec![0u64; consts.len()];
    let mut max_align = 1u64;
    for i in order {
        let c = &consts[i];
        let align = u64::from(c.align.clamp(1, 64));
        max_align = max_align.max(align);
        let found = (0..pool.len())
            .step_by(align as usize)
            .find(|&off| pool.get(off..off + c.bytes.len()) == Some(&c.bytes[..]));
        offsets[i] = match found {
            Some(off) => off as u64,
            None => {
                let at = align_up(pool.len() as u64, align);
                pool.resize(at as usize, 0);
                pool.extend_from_slice(&c.bytes);
                at
            }
        };
    }
    (pool, offsets, max_align)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_deduplicates_across_sizes_and_aligns() {
        let one = 1.0f32.to_le_bytes().to_vec();
        let four: Vec<u8> = one.iter().copied().cycle().take(16).collect();
        let two = 2.0f64.to_le_bytes().to_vec();
        let consts = vec![
            Const {
                bytes: one.clone(),
                align: 4,
            },
            Const {
                bytes: two.clone(),
                align: 8,
            },
            Const {
                bytes: four.clone(),
                align: 16,
            },
        ];
        let (pool, offsets, align) = lay_out_pool(&consts);
        assert_eq!(align, 16);
        assert_eq!(offsets[2], 0);
        assert_eq!(offsets[0], 0, "f32 1.0 reuses the first lane of f32x4(1.0)");
        assert_eq!(offsets[1], 16);
        assert_eq!(pool.len(), 24);
        assert_eq!(&pool[16..24], &two[..]);
    }

    #[test]
    fn nop_padding_is_exact() {
        for n in 0..40 {
            let mut b = vec![0xC3; 3];
            pad_with_nops(&mut b, 3 + n);
            assert_eq!(b.len(), 3 + n);
        }
    }
}
