//! Round trip: the bytes of every kernel the tests compile decode, instruction by instruction,
//! to what selection chose — the same `Code` (up to branch relaxation) and the same operands,
//! prefixes and AVX-512 decorations — with nothing in between but alignment NOPs and the
//! stubs iced's block encoder adds to rel8-only branches whose target is out of reach.
//!
//! Design.md: "A silently wrong encoding is the worst bug this project can have." The GNU as
//! triples compare bytes with an assembler; this compares them with our own intent, for whole
//! kernels after allocation, framing, relaxation and layout.

use std::collections::BTreeMap;

use iced_x86::{Code, Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, OpKind};
use proc_macro2::TokenStream;
use quote::quote;

use super::{encoding, sources};
use crate::encode::Encoded;
use crate::isa::variant::Variant;
use crate::{expand, parse};

/// The variants a kernel compiles to: its `targets(...)`, or the one baseline variant.
pub fn variants(kernel: &parse::Kernel) -> Vec<Variant> {
    kernel
        .options
        .targets
        .clone()
        .unwrap_or_else(|| vec![Variant::baseline()])
}

/// Compiles every variant of a kernel and checks each round trip. `Ok` holds the variants'
/// names; `Err` is either the compile error (`Err(Ok(..))`) or a round-trip failure.
pub fn compile_and_check(
    attr: TokenStream,
    item: TokenStream,
) -> Result<Vec<String>, Result<String, String>> {
    let kernel = parse::parse(attr, item).map_err(|e| Ok(e.to_string()))?;
    let mut names = Vec::new();
    for v in variants(&kernel) {
        let enc = expand::compile_variant(&kernel, &v).map_err(|e| Ok(e.to_string()))?;
        check(&enc).map_err(|e| Err(format!("variant `{}`: {e}", v.name)))?;
        names.push(v.name);
    }
    Ok(names)
}

/// Checks that the code of `enc` decodes to its placed instructions.
///
/// # Errors
///
/// A description of the first difference, with both instructions in Intel syntax.
pub fn check(enc: &Encoded) -> Result<(), String> {
    let code = enc
        .bytes
        .get(..enc.code_size as usize)
        .ok_or("code_size beyond the bytes")?;
    let decoded: Vec<Instruction> = Decoder::with_ip(64, code, 0, DecoderOptions::NONE)
        .into_iter()
        .collect();
    // Pre-layout address of each instruction → where it was placed.
    let moved: BTreeMap<u64, u64> = enc
        .placed
        .iter()
        .map(|(off, ins)| (ins.ip(), u64::from(*off)))
        .collect();
    let placed: Vec<(u64, Instruction)> = enc
        .placed
        .iter()
        .map(|(off, ins)| (u64::from(*off), relocate(ins, &moved)))
        .collect();
    if !placed.windows(2).all(|w| w[0].0 < w[1].0) {
        return Err(format!("offsets not increasing: {:?}", offsets(&placed)));
    }
    let line_offsets: Vec<u64> = enc.lines.iter().map(|(o, _)| u64::from(*o)).collect();
    if line_offsets != offsets(&placed) {
        return Err(format!(
            "the line table's offsets {line_offsets:?} are not the instructions' {:?}",
            offsets(&placed)
        ));
    }
    let at: BTreeMap<u64, &Instruction> = decoded.iter().map(|d| (d.ip(), d)).collect();
    let mut next = 0;
    let mut stub_after: Option<u64> = None;
    for d in &decoded {
        if d.code() == Code::INVALID {
            return Err(format!("undecodable bytes at {:#x}", d.ip()));
        }
        match placed.get(next) {
            Some((off, want)) if *off == d.ip() => {
                compare(want, d, &at)?;
                stub_after = is_short_only(want.code()).then_some(*off);
                next += 1;
            }
            Some((off, _)) if *off < d.ip() => {
                return Err(format!(
                    "no instruction starts at {off:#x}: the bytes decode across it ({})",
                    text(d)
                ));
            }
            _ if d.mnemonic() == iced_x86::Mnemonic::Nop && d.op_count() <= 1 => {
                // Alignment padding (a written `nop()` is a placed instruction, compared above).
            }
            _ if stub_after.is_some()
                && matches!(d.code(), Code::Jmp_rel8_64 | Code::Jmp_rel32_64) =>
            {
                // The block encoder's long form of a rel8-only branch (`loop`, `jrcxz`).
            }
            _ => {
                return Err(format!(
                    "unexpected instruction at {:#x}: {}",
                    d.ip(),
                    text(d)
                ));
            }
        }
    }
    if let Some((off, want)) = placed.get(next) {
        return Err(format!(
            "{} at {off:#x} is missing from the bytes",
            text(want)
        ));
    }
    if decoded.last().map_or(0, Instruction::next_ip) != code.len() as u64 {
        return Err("the last instruction does not end at code_size".into());
    }
    Ok(())
}

fn offsets(placed: &[(u64, Instruction)]) -> Vec<u64> {
    placed.iter().map(|(o, _)| *o).collect()
}

/// The instruction with pre-layout addresses (its own, branch targets, label-relative memory)
/// replaced by final offsets. Pool constants are already at their final addresses.
fn relocate(ins: &Instruction, moved: &BTreeMap<u64, u64>) -> Instruction {
    let mut out = *ins;
    out.set_ip(moved.get(&ins.ip()).copied().unwrap_or(ins.ip()));
    for i in 0..ins.op_count() {
        if ins.op_kind(i) == OpKind::NearBranch64
            && let Some(t) = moved.get(&ins.near_branch64())
        {
            out.set_near_branch64(*t);
        }
    }
    if ins.is_ip_rel_memory_operand()
        && let Some(t) = moved.get(&ins.memory_displacement64())
    {
        out.set_memory_displacement64(*t);
    }
    out
}

/// `loop`, `loope`, `loopne`, `jrcxz`: branches with no rel32 form.
fn is_short_only(code: Code) -> bool {
    use iced_x86::Mnemonic as M;
    matches!(
        code.mnemonic(),
        M::Loop | M::Loope | M::Loopne | M::Jrcxz | M::Jecxz
    )
}

fn text(ins: &Instruction) -> String {
    let mut f = IntelFormatter::new();
    let mut s = String::new();
    f.format(ins, &mut s);
    format!("`{s}` ({:?})", ins.code())
}

/// Where a decoded branch really goes: through the block encoder's stub (`loop L1; jmp L2;
/// L1: jmp target; L2:`) to the final target.
fn final_target(d: &Instruction, at: &BTreeMap<u64, &Instruction>) -> u64 {
    let t = d.near_branch_target();
    if is_short_only(d.code())
        && t > d.ip()
        && let Some(stub) = at.get(&t)
        && stub.code() == Code::Jmp_rel32_64
    {
        return stub.near_branch_target();
    }
    t
}

/// `xchg ax, ax` (66 90) and `xchg rax, rax` (48 90) are what the CPU and the decoder call
/// `nop`: exchanging a register with itself changes nothing at those widths. (`xchg eax, eax`
/// is not one: it zeroes the upper half of rax, so it must not become 90.)
fn is_nop_alias(want: &Instruction, d: &Instruction) -> bool {
    matches!(
        (want.code(), d.code()),
        (Code::Xchg_r16_AX, Code::Nopw) | (Code::Xchg_r64_RAX, Code::Nopq)
    ) && want.op0_register() == want.op1_register()
}

/// The decoded instruction `d` is the placed instruction `want`.
fn compare(
    want: &Instruction,
    d: &Instruction,
    at: &BTreeMap<u64, &Instruction>,
) -> Result<(), String> {
    let differs = |what: &str| {
        Err(format!(
            "at {:#x}: {what} differs: selected {}, decoded {}",
            d.ip(),
            text(want),
            text(d)
        ))
    };
    if is_nop_alias(want, d) {
        return Ok(());
    }
    let same_code = want.code() == d.code()
        || (want.code().as_short_branch() == d.code().as_short_branch()
            && want.code().as_near_branch() == d.code().as_near_branch());
    if !same_code {
        return differs("the form");
    }
    if want.op_count() != d.op_count() {
        return differs("the operand count");
    }
    for i in 0..want.op_count() {
        let (k, dk) = (want.op_kind(i), d.op_kind(i));
        if k != dk {
            return differs(&format!("operand {i}'s kind"));
        }
        let same = match k {
            OpKind::Register => want.op_register(i) == d.op_register(i),
            OpKind::NearBranch16 | OpKind::NearBranch32 | OpKind::NearBranch64 => {
                want.near_branch_target() == final_target(d, at)
            }
            OpKind::Memory => {
                want.memory_base() == d.memory_base()
                    && want.memory_index() == d.memory_index()
                    && want.memory_index_scale() == d.memory_index_scale()
                    && want.memory_displacement64() == d.memory_displacement64()
            }
            OpKind::Immediate8
            | OpKind::Immediate8_2nd
            | OpKind::Immediate16
            | OpKind::Immediate32
            | OpKind::Immediate64
            | OpKind::Immediate8to16
            | OpKind::Immediate8to32
            | OpKind::Immediate8to64
            | OpKind::Immediate32to64 => want.immediate(i) == d.immediate(i),
            _ => true,
        };
        if !same {
            return differs(&format!("operand {i}"));
        }
    }
    let decor = |x: &Instruction| {
        (
            x.op_mask(),
            x.zeroing_masking(),
            x.is_broadcast(),
            x.rounding_control(),
            x.suppress_all_exceptions(),
            x.segment_prefix(),
        )
    };
    if decor(want) != decor(d) {
        return differs("a mask, {z}, broadcast, rounding, SAE or segment");
    }
    let prefixes = |x: &Instruction| {
        (
            x.has_lock_prefix(),
            x.has_repe_prefix(),
            x.has_repne_prefix(),
        )
    };
    if prefixes(want) != prefixes(d) {
        return differs("a prefix");
    }
    Ok(())
}

#[test]
fn example_kernels_round_trip() {
    let mut checked = 0;
    for s in sources::kernels() {
        match compile_and_check(s.attr.clone(), s.item.clone()) {
            Ok(names) => checked += names.len(),
            Err(Ok(e)) => panic!("{} ({}) does not compile: {e}", s.name, s.file),
            Err(Err(e)) => panic!("{} ({}): {e}", s.name, s.file),
        }
    }
    assert!(checked >= 18, "only {checked} variants checked");
}

#[test]
fn encoding_triples_round_trip() {
    let table = encoding::table();
    let equivalents = encoding::equivalents().into_iter().map(|(t, _)| t);
    let mut failures = Vec::new();
    let mut n = 0;
    for t in table.into_iter().chain(equivalents) {
        let dsl = &t.dsl;
        // A kernel without targets may not choose between AVX-VNNI/AVX-IFMA (VEX) and their
        // AVX-512 forms (`choose::check_decided`); the `{vex}` triples name their features.
        let item = quote!(unsafe fn k() { #dsl });
        let vex = quote!(targets(avx2 + avx_vnni + avx_ifma + avx_ne_convert));
        let result = match compile_and_check(quote!(), item.clone()) {
            Err(Ok(e)) if e.contains("neither of which implies the other") => {
                compile_and_check(vex, item)
            }
            other => other,
        };
        match result {
            Ok(_) => n += 1,
            Err(Ok(e)) => failures.push(format!("`{dsl}` does not compile as a kernel: {e}")),
            Err(Err(e)) => failures.push(format!("`{dsl}`: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(n >= 200, "only {n} triples");
}

/// Relaxation, alignment, pool addressing and a rel8-only branch out of reach: the cases the
/// comparison has to see through.
#[test]
fn layout_cases_round_trip() {
    let cases = [
        quote!(
            fn k() {
                label!(top);
                for _ in 0..40 {
                    add(rax, 0x1000);
                }
                jnz(top);
            }
        ),
        quote!(
            fn k() {
                nop();
                align!(32);
                label!(l);
                dec(ecx);
                jnz(l);
                align!(16);
                jmp(l);
            }
        ),
        quote!(
            fn k() {
                label!(top);
                for _ in 0..40 {
                    add(rax, 0x1000);
                }
                r#loop(top);
            }
        ),
        quote!(
            fn k() {
                jrcxz(far);
                for _ in 0..40 {
                    add(rax, 0x1000);
                }
                label!(far);
            }
        ),
        quote!(
            fn k() -> f32 {
                vmulps(ymm0, ymm0, f32x8(0.5));
                vaddss(xmm1, xmm1, f32(0.5));
                lea(rax, [done]);
                label!(done);
                return xmm1;
            }
        ),
        quote!(
            unsafe fn k(p: *const u8, n: usize) -> u64 {
                let a = gp64();
                let b = gp64();
                xor(a.r32(), a.r32());
                mov(b, n);
                label!(top);
                add(a, [p + b - 1]);
                dec(b);
                jnz(top);
                return a;
            }
        ),
    ];
    for item in cases {
        match compile_and_check(quote!(), item.clone()) {
            Ok(_) => {}
            Err(Ok(e)) => panic!("`{item}` does not compile: {e}"),
            Err(Err(e)) => panic!("`{item}`: {e}"),
        }
    }
}

/// The checker itself catches a wrong byte: flip the register of an instruction.
#[test]
fn a_changed_byte_is_caught() {
    let kernel = parse::parse(
        quote!(),
        quote!(
            fn k(x: u64) -> u64 {
                mov(rax, x);
                add(rax, 7);
                return rax;
            }
        ),
    )
    .unwrap();
    let mut enc = expand::compile_variant(&kernel, &Variant::baseline()).unwrap();
    assert_eq!(check(&enc), Ok(()));
    // mov rax, rdi (48 89 f8) → mov rax, rsi (48 89 f0).
    enc.bytes[2] = 0xf0;
    let err = check(&enc).unwrap_err();
    assert!(err.contains("operand 1 differs"), "{err}");
}
