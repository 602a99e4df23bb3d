//! Operand sets for each form ([`super::render`] spells them).
//!
//! Everything is derived from iced's `OpCodeInfo`: the explicit slots (`forms::explicit_slots`,
//! the ones an author writes), each slot's `OpCodeOperandKind`, the memory and broadcast sizes,
//! the tuple type (for EVEX disp8*N) and the `can_*` flags for masking, zeroing, broadcast,
//! rounding, SAE and prefixes. A form gets a base set (low registers, a register wherever a
//! register fits) and variations of one thing at a time: each register slot through its
//! encodings (REX/VEX extension bits, EVEX R'/V'/X, high-byte and REX-only byte registers,
//! rsp/rbp/r12/r13 numbers), every addressing form, immediates at their boundaries, masks,
//! zeroing, broadcast, each rounding mode, SAE, prefixes, and near/far labels.

use iced_x86::{Code, EncodingKind, OpCodeInfo, OpCodeOperandKind as K};

use super::operands::{
    Addr, FLAVOURS, Flavour, Layout, MemUse, Slot, addr, addresses, disp8_n, is_high, pick, rip,
    slot, vec_name,
};
use super::render::{LABEL, mnemonics, render};
use crate::isa::forms;

/// One snippet in both syntaxes.
pub(super) struct Case {
    /// The form the operand set was generated from (asmforge may select a sibling).
    pub(super) form: Code,
    /// What the set varies, for reports.
    pub(super) what: &'static str,
    pub(super) dsl: String,
    /// GNU text; [`VEX_MARK`] stands where a `{vex}` pseudo-prefix goes if asmforge picks VEX.
    pub(super) gnu: String,
    /// Index of the instruction under test among the snippet's instructions.
    pub(super) subject: usize,
}

/// Placeholder in [`Case::gnu`] before the mnemonic of the instruction under test.
pub(super) const VEX_MARK: &str = "@VEX@";

/// One operand.
#[derive(Clone)]
pub(super) enum Arg {
    Reg(String),
    Mem(Addr),
    Imm(i128),
    Target,
}

#[derive(Clone)]
pub(super) struct Set {
    pub(super) what: &'static str,
    pub(super) args: Vec<Arg>,
    pub(super) mask: Option<u8>,
    pub(super) zero: bool,
    /// Rounding (`rn`, `rd`, `ru`, `rz`) or `"sae"`.
    pub(super) deco: Option<&'static str>,
    pub(super) prefix: Option<&'static str>,
    pub(super) layout: Layout,
}

/// The operand sets of every form, rendered, with GNU labels unique across them all.
pub(super) fn all(forms: &[Code]) -> Vec<Case> {
    let mut next_id = 0;
    forms.iter().flat_map(|c| cases(*c, &mut next_id)).collect()
}

/// Every operand set for `code`, rendered; `next_id` numbers the GNU labels.
fn cases(code: Code, next_id: &mut usize) -> Vec<Case> {
    let op = code.op_code();
    let slots: Vec<Slot> = forms::explicit_slots(op)
        .into_iter()
        .map(|(_, k)| slot(k))
        .collect();
    let (mnemonic, gnu_name) = mnemonics(code);
    let mut seen = std::collections::BTreeSet::new();
    sets(op, &slots)
        .into_iter()
        .map(|s| render(code, &mnemonic, &gnu_name, &s))
        .filter(|c| seen.insert(c.dsl.clone()))
        .map(|mut c| {
            c.gnu = c.gnu.replace(LABEL, &format!(".Lsw{next_id}"));
            *next_id += 1;
            c
        })
        .collect()
}

fn default_imm(kind: K) -> i128 {
    match kind {
        K::imm8_const_1 => 1,
        K::imm4_m2z => 2,
        K::imm16 => 0x1234,
        K::imm32 => 0x1234_5678,
        K::imm32sex64 => 0x0123_4567,
        K::imm64 => 0x1122_3344_5566_7788,
        _ => 3,
    }
}

/// Immediates at the boundaries of the slot's range, as GNU as reads it (signed or unsigned
/// spelling of the slot's width; sign-extended slots also in the operand's width).
fn imm_values(kind: K) -> Vec<i128> {
    match kind {
        K::imm8 => vec![0, 0x7f, 0x80, 0xff, -1, -128],
        K::imm8sex16 => vec![-128, 127, -1, 0xff80],
        K::imm8sex32 => vec![-128, 127, -1, 0xffff_ff80],
        K::imm8sex64 => vec![-128, 127, -1],
        K::imm16 => vec![0x7fff, 0x8000, 0xffff, -0x8000, 0x80],
        K::imm32 => vec![0x7fff_ffff, 0x8000_0000, 0xffff_ffff, -0x8000_0000, 0x80],
        K::imm32sex64 => vec![0x7fff_ffff, -0x8000_0000, -129, 0x80],
        K::imm64 => vec![
            0xffff_ffff_ffff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_0000_0000,
            -0x8000_0001,
            0x7fff_ffff_ffff_ffff,
        ],
        K::imm4_m2z => vec![0, 15],
        _ => vec![],
    }
}

/// The base operand set: `flavour` registers (falling back to `Low`), a register in every
/// slot that takes one, `[rax]` in memory-only slots, default immediates.
fn base(op: &OpCodeInfo, slots: &[Slot], flavour: Flavour) -> Vec<Arg> {
    let vsib_index = match flavour {
        f if is_high(f) => 23,
        Flavour::Ext | Flavour::Max => 14,
        _ => 6,
    };
    slots
        .iter()
        .enumerate()
        .map(|(j, s)| {
            if let Some(class) = s.reg {
                let r = pick(class, flavour, j).or_else(|| pick(class, Flavour::Low, j));
                if let Some(r) = r {
                    return Arg::Reg(r);
                }
            }
            let sized = |mut a: Addr| {
                a.size = op.memory_size().size();
                a.gnu_size = a.size;
                Arg::Mem(a)
            };
            match s.mem {
                // A moffs form's 64-bit absolute address (`movabs`).
                MemUse::Plain if s.kind == K::mem_offs => {
                    return sized(addr(None, None, 1, 0x1122_3344_5566_7788));
                }
                MemUse::Plain => return sized(addr(Some("rax"), None, 1, 0)),
                MemUse::Vsib(bytes) => {
                    return sized(addr(Some("rax"), Some(&vec_name(bytes, vsib_index)), 4, 0));
                }
                MemUse::No => {}
            }
            if s.imm {
                return Arg::Imm(default_imm(s.kind));
            }
            Arg::Target
        })
        .collect()
}

fn plain(what: &'static str, args: Vec<Arg>) -> Set {
    Set {
        what,
        args,
        mask: None,
        zero: false,
        deco: None,
        prefix: None,
        layout: Layout::Plain,
    }
}

/// Sets the memory slot's size and the label layout of a RIP-relative address.
fn with_mem(mut set: Set, m: usize, mut a: Addr, op: &OpCodeInfo) -> Set {
    a.gnu_size = if a.bcst.is_some() {
        op.broadcast_memory_size().size()
    } else {
        op.memory_size().size()
    };
    a.size = if a.bcst_vector {
        op.memory_size().size()
    } else {
        a.gnu_size
    };
    if let Some(layout) = a.rip {
        set.layout = layout;
    }
    set.args[m] = Arg::Mem(a);
    set
}

fn sets(op: &OpCodeInfo, slots: &[Slot]) -> Vec<Set> {
    let evex = op.encoding() == EncodingKind::EVEX;
    let mut out = vec![plain("base", base(op, slots, Flavour::Low))];
    // Whole-set register flavours.
    for f in [
        Flavour::Ext,
        Flavour::Max,
        Flavour::High,
        Flavour::HighExt,
        Flavour::HighMax,
    ] {
        if is_high(f) && !evex {
            continue;
        }
        let what = match f {
            Flavour::Ext => "all regs 8+",
            Flavour::Max => "all regs 15",
            Flavour::High => "all regs 16+",
            Flavour::HighExt => "all regs 24+",
            _ => "all regs 31",
        };
        out.push(plain(what, base(op, slots, f)));
    }
    // One register slot at a time.
    for (j, s) in slots.iter().enumerate() {
        let Some(class) = s.reg else { continue };
        for f in FLAVOURS {
            if f == Flavour::Low || (is_high(f) && !evex) {
                continue;
            }
            if let Some(r) = pick(class, f, j) {
                let mut args = base(op, slots, Flavour::Low);
                args[j] = Arg::Reg(r);
                out.push(plain("one reg varied", args));
            }
        }
    }
    // Immediates at their boundaries.
    for (j, s) in slots.iter().enumerate() {
        for v in imm_values(s.kind) {
            let mut args = base(op, slots, Flavour::Low);
            args[j] = Arg::Imm(v);
            out.push(plain("immediate boundary", args));
        }
    }
    // Branch targets near and far, forward and backward; a label must be defined, so these
    // replace the base set.
    if slots.iter().any(|s| s.target) {
        let args = out.remove(0).args;
        for (what, layout) in [
            ("label forward", Layout::Fwd),
            ("label backward", Layout::Back),
            ("label far forward", Layout::FarFwd),
            ("label far backward", Layout::FarBack),
            ("label beyond rel16", Layout::VeryFar),
        ] {
            // Beyond rel16: XBEGIN, and the o16 rel16 branches, whose rel16 is the distance
            // mod 2^16 (`encode/o16.rs`).
            if layout == Layout::VeryFar
                && !slots
                    .iter()
                    .any(|s| matches!(s.kind, K::xbegin_4 | K::br16_2))
            {
                continue;
            }
            let mut s = plain(what, args.clone());
            s.layout = layout;
            out.push(s);
        }
    }
    memory_sets(op, slots, evex, &mut out);
    if evex {
        evex_sets(op, slots, &mut out);
    }
    prefix_sets(op, slots, &mut out);
    direction_sets(op.code(), &mut out);
    // A branch target must be a defined label.
    out.retain(|s| s.layout != Layout::Plain || !s.args.iter().any(|a| matches!(a, Arg::Target)));
    if op.require_op_mask_register() {
        for s in &mut out {
            s.mask.get_or_insert(1);
        }
    }
    out
}

fn memory_sets(op: &OpCodeInfo, slots: &[Slot], evex: bool, out: &mut Vec<Set>) {
    let Some(m) = slots.iter().position(|s| s.mem != MemUse::No) else {
        return;
    };
    let n = if evex { disp8_n(op, false) } else { 1 };
    if slots[m].kind == K::mem_offs {
        for (what, disp) in [
            ("moffs low", 0x10),
            ("moffs beyond 2^31", 0x8000_0000),
            ("moffs high", 0x7fff_ffff_ffff_fff0),
        ] {
            let a = addr(None, None, 1, disp);
            out.push(with_mem(
                plain(what, base(op, slots, Flavour::Low)),
                m,
                a,
                op,
            ));
        }
        return;
    }
    match slots[m].mem {
        MemUse::Plain => {
            for (what, a) in addresses(n) {
                out.push(with_mem(
                    plain(what, base(op, slots, Flavour::Low)),
                    m,
                    a,
                    op,
                ));
            }
            // Memory with extended and (EVEX) high registers in the other slots.
            let mut flavours = vec![Flavour::Ext];
            if evex {
                flavours.extend([Flavour::High, Flavour::HighMax]);
            }
            for f in flavours {
                let a = addr(Some("r10"), Some("r11"), 4, 2 * n);
                out.push(with_mem(
                    plain("memory, other regs varied", base(op, slots, f)),
                    m,
                    a,
                    op,
                ));
            }
        }
        MemUse::Vsib(bytes) => {
            let mut idx: Vec<(usize, &'static str)> = vec![(5, "vsib low"), (14, "vsib 8+")];
            if evex {
                idx.extend([(21, "vsib 16+"), (27, "vsib 24+")]);
            }
            let bases: [(Option<&str>, u32, i64); 6] = [
                (Some("rax"), 4, 0),
                (Some("r9"), 1, -8),
                (Some("rbp"), 2, 0),
                (Some("r13"), 8, 127 * n),
                (Some("rsp"), 4, 128 * n),
                (None, 8, 16),
            ];
            for (num, what) in idx {
                for (b, scale, disp) in bases {
                    let a = addr(b, Some(&vec_name(bytes, num)), scale, disp);
                    out.push(with_mem(
                        plain(what, base(op, slots, Flavour::Low)),
                        m,
                        a,
                        op,
                    ));
                }
            }
        }
        MemUse::No => {}
    }
}

fn evex_sets(op: &OpCodeInfo, slots: &[Slot], out: &mut Vec<Set>) {
    let m = slots.iter().position(|s| s.mem != MemUse::No);
    let dest_is_reg = slots.first().is_some_and(|s| s.reg.is_some());
    if op.can_use_op_mask_register() {
        for (what, mask, zero, f) in [
            ("mask k1", 1, false, Flavour::Low),
            ("mask k7", 7, false, Flavour::HighMax),
            ("mask k1 {z}", 1, true, Flavour::Low),
            ("mask k7 {z}", 7, true, Flavour::High),
        ] {
            if zero && !(op.can_use_zeroing_masking() && dest_is_reg) {
                continue;
            }
            let mut s = plain(what, base(op, slots, f));
            s.mask = Some(mask);
            s.zero = zero;
            out.push(s);
        }
        if let Some(m) = m {
            let mut s = plain("mask + memory", base(op, slots, Flavour::Low));
            s.mask = Some(2);
            out.push(with_mem(s, m, addr(Some("rdi"), Some("r8"), 2, 64), op));
        }
    }
    if op.can_broadcast()
        && let Some(m) = m
    {
        let nb = disp8_n(op, true);
        let lanes = op.memory_size().size() / op.broadcast_memory_size().size().max(1);
        let bc = |a: Addr| Addr {
            bcst: Some(lanes),
            ..a
        };
        let bcv = |a: Addr| Addr {
            bcst_vector: true,
            ..bc(a)
        };
        let list = [
            ("bcst", addr(Some("rax"), None, 1, 0)),
            ("bcst disp8*N", bcv(addr(Some("rax"), None, 1, 127 * nb))),
            ("bcst disp32", addr(Some("rax"), None, 1, 128 * nb)),
            (
                "bcst sib",
                bcv(addr(Some("r12"), Some("r15"), 8, -128 * nb)),
            ),
            ("bcst rip", rip(Layout::Back)),
        ];
        for (what, a) in list {
            let a = if a.bcst.is_some() { a } else { bc(a) };
            out.push(with_mem(
                plain(what, base(op, slots, Flavour::Low)),
                m,
                a,
                op,
            ));
        }
        let mut s = plain("bcst + mask {z}", base(op, slots, Flavour::HighExt));
        s.mask = Some(3);
        s.zero = op.can_use_zeroing_masking() && dest_is_reg;
        out.push(with_mem(s, m, bcv(addr(Some("r13"), None, 1, 0)), op));
    }
    if op.can_use_rounding_control() {
        for (i, rc) in ["rn", "rd", "ru", "rz"].into_iter().enumerate() {
            let f = [Flavour::Low, Flavour::High, Flavour::Ext, Flavour::HighMax][i];
            let mut s = plain("rounding", base(op, slots, f));
            s.deco = Some(rc);
            if i == 3 && op.can_use_op_mask_register() {
                s.mask = Some(5);
                s.zero = op.can_use_zeroing_masking() && dest_is_reg;
            }
            out.push(s);
        }
    }
    if op.can_suppress_all_exceptions() {
        for f in [Flavour::Low, Flavour::HighMax] {
            let mut s = plain("sae", base(op, slots, f));
            s.deco = Some("sae");
            out.push(s);
        }
    }
}

fn prefix_sets(op: &OpCodeInfo, slots: &[Slot], out: &mut Vec<Set>) {
    let mut prefixes = vec![];
    if op.can_use_rep_prefix() {
        prefixes.push("rep");
    }
    if op.can_use_repne_prefix() {
        prefixes.push("repne");
    }
    for p in prefixes {
        let mut s = plain("rep prefix", base(op, slots, Flavour::Low));
        s.prefix = Some(p);
        out.push(s);
    }
    if op.can_use_lock_prefix()
        && let Some(m) = slots.iter().position(|s| s.mem != MemUse::No)
    {
        let mut s = plain("lock", base(op, slots, Flavour::Low));
        s.prefix = Some("lock");
        out.push(with_mem(s, m, addr(Some("rdi"), Some("r9"), 4, 8), op));
        let mut s = plain("lock", base(op, slots, Flavour::Ext));
        s.prefix = Some("lock");
        out.push(with_mem(s, m, addr(Some("r13"), None, 1, 0), op));
    }
}

/// GNU's `{store}`/`{load}` (`store_`/`load_` in the DSL, `isa::pseudo`): where a form has a
/// register-to-register twin in the other direction (`vmovss` 0F 11 / 0F 10, `vmovq` D6 /
/// 7E), every all-register set again with the pseudo-prefix of this form's direction, which
/// reaches the forms asmforge would not pick by itself (EVEX `vmovss` 0F 11).
fn direction_sets(code: Code, out: &mut Vec<Set>) {
    let Some(word) = crate::isa::pseudo::direction(code) else {
        return;
    };
    let regs_only: Vec<Set> = out
        .iter()
        .filter(|s| s.prefix.is_none() && s.layout == Layout::Plain)
        .filter(|s| {
            s.args
                .iter()
                .all(|a| matches!(a, Arg::Reg(_) | Arg::Imm(_)))
        })
        .cloned()
        .map(|mut s| {
            s.prefix = Some(word);
            s.what = "store/load pseudo-prefix";
            s
        })
        .collect();
    out.extend(regs_only);
}
