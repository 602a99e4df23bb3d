//! Finding each hole's sites in the two encodings of one variant (see `holes.rs`).
//!
//! Input: for each pass, the variant's bytes and, per instruction, where the encoder put its
//! immediate and displacement (iced's `ConstantOffsets`, recorded by the encode stage) and
//! whether the displacement is RIP-relative. Output: every site (name, kind, field offset,
//! end of instruction) and the length of the code the stencil keeps.
//!
//! Refused, each at the hole's (or instruction's) span: an encoding whose size depends on a
//! hole's value (the two passes lay out differently), a hole in a field of another width than
//! declared, a hole changed by compile-time arithmetic (found in no field), constant-pool
//! operands that are not pool holes (a stencil carries no pool of its own), and for a chained
//! stencil, a frame (saved registers).

use proc_macro2::Span;

use super::holes::{Hole, Kind, Pass, sentinel};
use crate::encode::Field;

/// One variant's encoding as the stencil analysis needs it.
pub struct Enc<'a> {
    pub bytes: &'a [u8],
    pub code_size: usize,
    pub fields: &'a [Field],
    pub saved: bool,
    pub vzeroupper: bool,
}

/// A hole site: index into the holes, field offset, end of its instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Site {
    pub hole: usize,
    pub offset: u32,
    pub end: u32,
}

/// The stencil's code length and its sites.
pub struct Layout {
    pub keep: usize,
    pub sites: Vec<Site>,
}

fn le(bytes: &[u8], at: usize, width: usize) -> Option<u64> {
    let b = bytes.get(at..at + width)?;
    let mut a = [0u8; 8];
    a[..width].copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

fn mask(width: usize) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    }
}

/// The sites of `holes` in passes `a` and `b` of one variant.
pub fn locate(
    holes: &[Hole],
    a: &Enc<'_>,
    b: &Enc<'_>,
    chain: bool,
    fn_span: Span,
) -> syn::Result<Layout> {
    let first_span = holes.first().map_or(fn_span, |h| h.span);
    let same_layout = a.bytes.len() == b.bytes.len()
        && a.code_size == b.code_size
        && a.fields.len() == b.fields.len()
        && a.fields
            .iter()
            .zip(b.fields)
            .all(|(x, y)| x.offset == y.offset && x.len == y.len);
    if !same_layout {
        let at = a
            .fields
            .iter()
            .zip(b.fields)
            .find(|(x, y)| x.len != y.len)
            .map_or(first_span, |(x, _)| x.span);
        return Err(syn::Error::new(
            at,
            "the encoding of this instruction depends on a hole's value (a shorter form fits some values), so the hole cannot be patched in place; use an operand with a fixed-width field (e.g. a register-immediate form that always takes imm32)",
        ));
    }
    let mut sites = Vec::new();
    for f in a.fields {
        let end = f.offset + f.len;
        if let Some((off, size)) = f.imm {
            if let Some(k) = rel32_site(holes, a, b, (off, size), end) {
                sites.push(Site {
                    hole: k,
                    offset: off,
                    end,
                });
            } else {
                find_site(holes, a, b, (off, size), end, false, f.span, &mut sites)?;
            }
        }
        if let Some((off, size)) = f.disp {
            if f.rip {
                pool_site(holes, a, b, (off, size), end, f.span, &mut sites)?;
            } else {
                find_site(holes, a, b, (off, size), end, true, f.span, &mut sites)?;
            }
        }
    }
    // Every byte that differs between the passes must belong to a site or a pool entry.
    let covered = |i: usize| {
        sites.iter().any(|s| {
            let h = &holes[s.hole];
            if let Kind::Pool { f64, lanes } = h.kind {
                let d = le(a.bytes, s.offset as usize, 4).unwrap_or(0) as u32 as i32;
                let entry = (i64::from(s.end) + i64::from(d)) as usize;
                let size = if f64 { 8 } else { 4 } * usize::from(lanes);
                (entry..entry + size).contains(&i)
                    || (s.offset as usize..s.offset as usize + 4).contains(&i)
            } else {
                (s.offset as usize..s.offset as usize + h.kind.width()).contains(&i)
            }
        })
    };
    if let Some(i) = (0..a.bytes.len()).find(|&i| a.bytes[i] != b.bytes[i] && !covered(i)) {
        let at = a
            .fields
            .iter()
            .find(|f| (f.offset as usize..(f.offset + f.len) as usize).contains(&i))
            .map_or(first_span, |f| f.span);
        return Err(syn::Error::new(
            at,
            "a hole's value is changed here before it is encoded (compile-time arithmetic on a hole?); a hole must be an operand as written",
        ));
    }
    for (k, h) in holes.iter().enumerate() {
        if !sites.iter().any(|s| s.hole == k) {
            return Err(syn::Error::new(
                h.span,
                format!(
                    "hole `{}` is in no instruction's immediate or displacement: it must be an operand as written, reached by the compile-time evaluation",
                    h.name
                ),
            ));
        }
    }
    let mut keep = a.code_size;
    if chain {
        if a.saved {
            return Err(syn::Error::new(
                fn_span,
                "a chained stencil cannot save callee-saved registers (it has no frame): use caller-saved registers in its body",
            ));
        }
        let n = a.fields.len();
        let last = a
            .fields
            .last()
            .filter(|f| f.len == 1 && a.bytes.get(f.offset as usize) == Some(&0xC3));
        let Some(last) = last else {
            return Err(syn::Error::new(
                fn_span,
                "internal error: the kernel does not end in `ret`; please report",
            ));
        };
        keep = last.offset as usize;
        if a.vzeroupper
            && n >= 2
            && a.fields[n - 2].len == 3
            && a.bytes.get(keep - 3..keep) == Some(&[0xC5, 0xF8, 0x77][..])
        {
            keep -= 3;
        }
        if let Some(s) = sites.iter().find(|s| s.end as usize > keep) {
            return Err(syn::Error::new(
                holes[s.hole].span,
                "internal error: a hole in the epilogue; please report",
            ));
        }
    }
    sites.sort_by_key(|s| s.offset);
    Ok(Layout { keep, sites })
}

#[allow(clippy::too_many_arguments)]
fn find_site(
    holes: &[Hole],
    a: &Enc<'_>,
    b: &Enc<'_>,
    (off, size): (u32, u32),
    end: u32,
    disp: bool,
    span: Span,
    sites: &mut Vec<Site>,
) -> syn::Result<()> {
    let (o, w) = (off as usize, size as usize);
    let (Some(va), Some(vb)) = (le(a.bytes, o, w), le(b.bytes, o, w)) else {
        return Ok(());
    };
    if va == vb {
        return Ok(());
    }
    for (k, h) in holes.iter().enumerate() {
        if matches!(h.kind, Kind::Pool { .. } | Kind::Rel32) || (h.kind == Kind::Disp32) != disp {
            continue;
        }
        let hw = h.kind.width();
        let (sa, sb) = (sentinel(h.kind, k, Pass::A), sentinel(h.kind, k, Pass::B));
        // The low bytes hold the sentinel: the field is this hole's, whatever its width.
        if va & mask(hw.min(w)) == sa & mask(hw.min(w))
            && vb & mask(hw.min(w)) == sb & mask(hw.min(w))
        {
            if w != hw {
                return Err(syn::Error::new(
                    h.span,
                    format!(
                        "hole `{}` is declared {} bytes wide but lands in a {w}-byte field here",
                        h.name, hw
                    ),
                ));
            }
            sites.push(Site {
                hole: k,
                offset: off,
                end,
            });
            return Ok(());
        }
    }
    Err(syn::Error::new(
        span,
        "a hole's value is changed before it is encoded here (compile-time arithmetic on a hole?); a hole must be an operand as written",
    ))
}

/// The rel32 hole whose external target (`ir::extern_address`) the branch field at
/// `off..off + 4`, ending its instruction at `end`, reaches in both passes.
fn rel32_site(
    holes: &[Hole],
    a: &Enc<'_>,
    b: &Enc<'_>,
    (off, size): (u32, u32),
    end: u32,
) -> Option<usize> {
    if size != 4 {
        return None;
    }
    let target = |e: &Enc<'_>| {
        let d = le(e.bytes, off as usize, 4)? as u32 as i32;
        Some((i64::from(end) + i64::from(d)) as u64)
    };
    let (ta, tb) = (target(a)?, target(b)?);
    holes.iter().enumerate().find_map(|(k, h)| {
        let id = crate::ir::LabelId(crate::ir::EXTERN_LABEL + k as u32);
        let want = crate::ir::extern_address(id)?;
        (h.kind == Kind::Rel32 && ta == want && tb == want).then_some(k)
    })
}

fn pool_site(
    holes: &[Hole],
    a: &Enc<'_>,
    b: &Enc<'_>,
    (off, size): (u32, u32),
    end: u32,
    span: Span,
    sites: &mut Vec<Site>,
) -> syn::Result<()> {
    if size != 4 {
        return Ok(());
    }
    let Some(d) = le(a.bytes, off as usize, 4) else {
        return Ok(());
    };
    let entry = i64::from(end) + i64::from(d as u32 as i32);
    if entry < a.code_size as i64 || entry as usize >= a.bytes.len() {
        return Ok(()); // not a pool reference (a RIP-relative label in the code)
    }
    let entry = entry as usize;
    for (k, h) in holes.iter().enumerate() {
        let Kind::Pool { f64, lanes } = h.kind else {
            continue;
        };
        let elem = if f64 { 8 } else { 4 };
        let lane_ok = |enc: &Enc<'_>, pass| {
            (0..usize::from(lanes)).all(|l| {
                le(enc.bytes, entry + l * elem, elem)
                    == Some(sentinel(h.kind, k, pass) & mask(elem))
            })
        };
        if lane_ok(a, Pass::A) && lane_ok(b, Pass::B) {
            sites.push(Site {
                hole: k,
                offset: off,
                end,
            });
            return Ok(());
        }
    }
    Err(syn::Error::new(
        span,
        "a stencil has no constant pool of its own: write this constant as a hole, `hole!(pool f32x8 c)`, and give its value when stitching",
    ))
}
