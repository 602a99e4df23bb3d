//! Writing one hole's value into code: range and type checks, then little-endian bytes.
//!
//! Position-free kinds (immediates, displacements, floats) are patched here directly.
//! Relative kinds need the field's final address or a label's offset; their callers compute
//! the distance and call [`write_rel32`].

use std::string::ToString;

use super::error::JitError;
use super::stencil::{Hole, HoleKind, Stencil, Value};

/// Whether two hole names are equal: the same string (one literal, typically) without
/// comparing bytes, else byte by byte.
#[inline(always)]
pub(crate) fn name_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && (core::ptr::eq(a.as_ptr(), b.as_ptr()) || a == b)
}

/// Finds the value for `hole` in `values` (by name).
#[inline]
pub(crate) fn value_for(
    st: &Stencil<'_>,
    hole: &Hole<'_>,
    values: &[(&str, Value)],
) -> Result<Value, JitError> {
    for (n, v) in values {
        if name_eq(n, hole.name) {
            return Ok(*v);
        }
    }
    Err(JitError::MissingValue {
        stencil: st.name().to_string(),
        hole: hole.name.to_string(),
    })
}

/// Every name in `values` is a hole of `st`.
#[inline]
pub(crate) fn check_names(st: &Stencil<'_>, values: &[(&str, Value)]) -> Result<(), JitError> {
    for (n, _) in values {
        if !st.holes().iter().any(|h| name_eq(h.name, n)) {
            return Err(JitError::UnknownHole {
                stencil: st.name().to_string(),
                name: n.to_string(),
            });
        }
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn out_of_range(st: &Stencil<'_>, hole: &Hole<'_>, value: Value) -> JitError {
    JitError::HoleOutOfRange {
        stencil: st.name().to_string(),
        hole: hole.name.to_string(),
        kind: hole.kind,
        value,
    }
}

#[cold]
#[inline(never)]
fn wrong(st: &Stencil<'_>, hole: &Hole<'_>, value: Value) -> JitError {
    JitError::WrongValue {
        stencil: st.name().to_string(),
        hole: hole.name.to_string(),
        kind: hole.kind,
        value,
    }
}

/// Writes an immediate, displacement or float hole at `field` (`field.len()` is at least the
/// hole's width). Relative kinds are refused with [`JitError::WrongValue`].
#[inline]
pub(crate) fn write_value(
    st: &Stencil<'_>,
    hole: &Hole<'_>,
    value: Value,
    field: &mut [u8],
) -> Result<(), JitError> {
    let bits = match (hole.kind, value) {
        (HoleKind::F32, Value::F32(x)) => u64::from(x.to_bits()),
        (HoleKind::F64, Value::F64(x)) => x.to_bits(),
        (
            HoleKind::Imm8 | HoleKind::Imm16 | HoleKind::Imm32 | HoleKind::Imm64 | HoleKind::Disp32,
            Value::Int(_) | Value::UInt(_),
        ) => {
            let v: i128 = match value {
                Value::Int(i) => i128::from(i),
                Value::UInt(u) => i128::from(u),
                _ => 0,
            };
            let (smin, umax) = int_range(hole);
            if v < smin || v > umax {
                return Err(out_of_range(st, hole, value));
            }
            v as u64
        }
        _ => return Err(wrong(st, hole, value)),
    };
    store(field, hole.kind.width(), bits);
    Ok(())
}

/// The integers an immediate or displacement hole accepts: from the signed minimum to the
/// signed maximum when the CPU sign-extends the field (every displacement, SDM Vol. 2A
/// §2.1.5), else to the unsigned maximum.
pub(crate) fn int_range(hole: &Hole<'_>) -> (i128, i128) {
    let w = hole.kind.width() as u32 * 8;
    let smin = -(1i128 << (w - 1));
    let smax = (1i128 << (w - 1)) - 1;
    let umax = if hole.signed || hole.kind == HoleKind::Disp32 {
        smax
    } else {
        (1i128 << w) - 1
    };
    (smin, umax)
}

/// Writes the low `width` bytes of `bits` (1, 2, 4 or 8) little-endian at the start of
/// `field`: fixed-size stores, no variable-length copy.
#[inline(always)]
pub(crate) fn store(field: &mut [u8], width: usize, bits: u64) {
    match width {
        1 => field[0] = bits as u8,
        2 => field[..2].copy_from_slice(&(bits as u16).to_le_bytes()),
        4 => field[..4].copy_from_slice(&(bits as u32).to_le_bytes()),
        _ => field[..8].copy_from_slice(&bits.to_le_bytes()),
    }
}

/// Writes a rel32 field: `target - end` where both are addresses (or offsets in one
/// function).
#[inline]
pub(crate) fn write_rel32(
    st: &Stencil<'_>,
    hole: &Hole<'_>,
    value: Value,
    target: i128,
    end: i128,
    field: &mut [u8],
) -> Result<(), JitError> {
    let d = target - end;
    if d < i128::from(i32::MIN) || d > i128::from(i32::MAX) {
        return Err(out_of_range(st, hole, value));
    }
    field[..4].copy_from_slice(&(d as i32).to_le_bytes());
    Ok(())
}

/// The error for a value of the wrong type (used by placement for relative holes).
pub(crate) fn wrong_value(st: &Stencil<'_>, hole: &Hole<'_>, value: Value) -> JitError {
    wrong(st, hole, value)
}
