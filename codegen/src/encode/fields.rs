//! Where the encoder put each instruction's immediate and displacement (iced's
//! `ConstantOffsets`), for stencils (`crate::stencil`): a hole is patched at these bytes.

use iced_x86::{Instruction, OpKind};
use proc_macro2::Span;

use super::{Block, offset_in_block};

/// One placed instruction's constant fields; offsets are from the start of the code.
#[derive(Clone, Debug)]
pub struct Field {
    /// First byte of the instruction.
    pub offset: u32,
    /// Its length.
    pub len: u32,
    /// (offset, size) of its immediate.
    pub imm: Option<(u32, u32)>,
    /// Whether the CPU sign-extends the immediate to the operand size.
    pub imm_signed: bool,
    /// (offset, size) of its displacement.
    pub disp: Option<(u32, u32)>,
    /// Whether the displacement is RIP-relative.
    pub rip: bool,
    /// The DSL instruction.
    pub span: Span,
}

pub(super) fn fields(
    blocks: &[Block],
    results: &[iced_x86::BlockEncoderResult],
    starts: &[u64],
    built: &[Vec<Instruction>],
    spans: &[Span],
) -> Vec<Field> {
    let mut out = Vec::new();
    for (bi, (b, r)) in blocks.iter().zip(results).enumerate() {
        let start = starts.get(bi).copied().unwrap_or(0) as u32;
        let offs: Vec<Option<u32>> = (0..b.insts.len()).map(|k| offset_in_block(r, k)).collect();
        for (k, &i) in b.insts.iter().enumerate() {
            let (Some(off), Some(co), Some(ins)) = (
                offs[k],
                r.constant_offsets.get(k),
                built.get(bi).and_then(|v| v.get(k)),
            ) else {
                continue;
            };
            let next = offs[k + 1..]
                .iter()
                .flatten()
                .next()
                .copied()
                .unwrap_or(r.code_buffer.len() as u32);
            let at = start + off;
            let signed = (0..ins.op_count()).any(|o| {
                matches!(
                    ins.op_kind(o),
                    OpKind::Immediate8to16
                        | OpKind::Immediate8to32
                        | OpKind::Immediate8to64
                        | OpKind::Immediate32to64
                )
            });
            out.push(Field {
                offset: at,
                len: next - off,
                imm: co.has_immediate().then(|| {
                    (
                        at + co.immediate_offset() as u32,
                        co.immediate_size() as u32,
                    )
                }),
                imm_signed: signed,
                disp: co.has_displacement().then(|| {
                    (
                        at + co.displacement_offset() as u32,
                        co.displacement_size() as u32,
                    )
                }),
                rip: ins.is_ip_rel_memory_operand(),
                span: spans.get(i).copied().unwrap_or_else(Span::call_site),
            });
        }
    }
    out.sort_by_key(|f| f.offset);
    out
}
