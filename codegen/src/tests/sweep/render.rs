//! Rendering an operand set twice: as DSL tokens and as GNU as' Intel syntax, with the
//! spellings where the two (or iced and GNU as) name things differently.

use std::fmt::Write as _;

use iced_x86::Code;

use super::cases::{Arg, Case, Set, VEX_MARK};
use super::operands::{Addr, Layout};

/// Forms whose DSL or GNU spelling is not iced's mnemonic: `(form, DSL, GNU as)`. The
/// 16-bit `pushf`/`popf`/`iret` need a `w` suffix in both (plain names mean the default
/// operand size, as in GNU as); GNU as spells the REX.W string compares with a `q` suffix and
/// wants the 32-bit `sysret`/`sysexit`/`retf` spelled out. The size spellings of
/// `isa::spell` name the o16 and a32 forms that no written operand tells apart: GNU's
/// suffixes (`pushw`, `retfq`) and its `data16`/`addr32`/`rex64` prefixes, `data16_`/
/// `addr32_`/`rex64_` in the DSL (which also keep a prefix the CPU ignores, where the plain
/// mnemonic drops it as GNU as does: `rex64 movmskps rax, xmm0` is `48 0F 50 C0`).
const NAMES: &[(Code, &str, &str)] = &[
    (Code::Mov_AL_moffs8, "movabs", "movabs"),
    (Code::Mov_AX_moffs16, "movabs", "movabs"),
    (Code::Mov_EAX_moffs32, "movabs", "movabs"),
    (Code::Mov_RAX_moffs64, "movabs", "movabs"),
    (Code::Mov_moffs8_AL, "movabs", "movabs"),
    (Code::Mov_moffs16_AX, "movabs", "movabs"),
    (Code::Mov_moffs32_EAX, "movabs", "movabs"),
    (Code::Mov_moffs64_RAX, "movabs", "movabs"),
    (Code::Mov_r64m16_Sreg, "rex64_mov", "rex64 mov"),
    (Code::Mov_Sreg_r64m16, "rex64_mov", "rex64 mov"),
    (Code::Mov_Sreg_rm16, "data16_mov", "data16 mov"),
    (Code::Sldt_r64m16, "rex64_sldt", "rex64 sldt"),
    (Code::Str_r64m16, "rex64_str", "rex64 str"),
    (Code::Lldt_rm16, "data16_lldt", "data16 lldt"),
    (Code::Ltr_rm16, "data16_ltr", "data16 ltr"),
    (Code::Verr_rm16, "data16_verr", "data16 verr"),
    (Code::Verw_rm16, "data16_verw", "data16 verw"),
    (Code::Lmsw_rm16, "data16_lmsw", "data16 lmsw"),
    (Code::Lkgs_rm16, "data16_lkgs", "data16 lkgs"),
    (Code::Lldt_r64m16, "rex64_lldt", "rex64 lldt"),
    (Code::Ltr_r64m16, "rex64_ltr", "rex64 ltr"),
    (Code::Verr_r64m16, "rex64_verr", "rex64 verr"),
    (Code::Verw_r64m16, "rex64_verw", "rex64 verw"),
    (Code::Lmsw_r64m16, "rex64_lmsw", "rex64 lmsw"),
    (Code::Movmskps_r64_xmm, "rex64_movmskps", "rex64 movmskps"),
    (Code::Movmskpd_r64_xmm, "rex64_movmskpd", "rex64 movmskpd"),
    (Code::Pmovmskb_r64_mm, "rex64_pmovmskb", "rex64 pmovmskb"),
    (Code::Pmovmskb_r64_xmm, "rex64_pmovmskb", "rex64 pmovmskb"),
    (Code::Pextrw_r64_mm_imm8, "rex64_pextrw", "rex64 pextrw"),
    (Code::Pextrw_r64_xmm_imm8, "rex64_pextrw", "rex64 pextrw"),
    (Code::Pinsrw_mm_r64m16_imm8, "rex64_pinsrw", "rex64 pinsrw"),
    (Code::Pinsrw_xmm_r64m16_imm8, "rex64_pinsrw", "rex64 pinsrw"),
    (Code::Pextrb_r64m8_xmm_imm8, "rex64_pextrb", "rex64 pextrb"),
    (Code::Pinsrb_xmm_r64m8_imm8, "rex64_pinsrb", "rex64 pinsrb"),
    (Code::Pextrw_r64m16_xmm_imm8, "rex64_pextrw", "rex64 pextrw"),
    (
        Code::Extractps_r64m32_xmm_imm8,
        "rex64_extractps",
        "rex64 extractps",
    ),
    (Code::Push_imm16, "pushw", "pushw"),
    (Code::Pushw_imm8, "pushw", "pushw"),
    (Code::Pushw_FS, "pushw", "pushw"),
    (Code::Pushw_GS, "pushw", "pushw"),
    (Code::Popw_FS, "popw", "popw"),
    (Code::Popw_GS, "popw", "popw"),
    (Code::Enterw_imm16_imm8, "enterw", "enterw"),
    (Code::Leavew, "leavew", "leavew"),
    (Code::Retfw, "retfw", "retfw"),
    (Code::Retfw_imm16, "retfw", "retfw"),
    (Code::Retfq, "retfq", "retfq"),
    (Code::Retfq_imm16, "retfq", "retfq"),
    (Code::Fldenv_m14byte, "data16_fldenv", "data16 fldenv"),
    (Code::Fnstenv_m14byte, "data16_fnstenv", "data16 fnstenv"),
    (Code::Fstenv_m14byte, "data16_fstenv", "data16 fstenv"),
    (Code::Frstor_m94byte, "data16_frstor", "data16 frstor"),
    (Code::Fnsave_m94byte, "data16_fnsave", "data16 fnsave"),
    (Code::Fsave_m94byte, "data16_fsave", "data16 fsave"),
    (Code::Loop_rel8_64_ECX, "addr32_loop", "addr32 loop"),
    (Code::Loope_rel8_64_ECX, "addr32_loope", "addr32 loope"),
    (Code::Loopne_rel8_64_ECX, "addr32_loopne", "addr32 loopne"),
    (Code::Monitord, "addr32_monitor", "addr32 monitor"),
    (Code::Monitorxd, "addr32_monitorx", "addr32 monitorx"),
    (Code::Vmrund, "addr32_vmrun", "addr32 vmrun"),
    (Code::Vmloadd, "addr32_vmload", "addr32 vmload"),
    (Code::Vmsaved, "addr32_vmsave", "addr32 vmsave"),
    (Code::Invlpgad, "addr32_invlpga", "addr32 invlpga"),
    (Code::Clzerod, "addr32_clzero", "addr32 clzero"),
    (Code::Pvalidated, "addr32_pvalidate", "addr32 pvalidate"),
    (Code::Invlpgbd, "addr32_invlpgb", "addr32 invlpgb"),
    (Code::Montmul_32, "addr32_montmul", "addr32 montmul"),
    (Code::Xsha1_32, "addr32_xsha1", "addr32 xsha1"),
    (Code::Xsha256_32, "addr32_xsha256", "addr32 xsha256"),
    (Code::Xstore_32, "addr32_xstore", "addr32 xstore"),
    (Code::Xcryptecb_32, "addr32_xcryptecb", "addr32 xcryptecb"),
    (Code::Xcryptcbc_32, "addr32_xcryptcbc", "addr32 xcryptcbc"),
    (Code::Xcryptctr_32, "addr32_xcryptctr", "addr32 xcryptctr"),
    (Code::Xcryptcfb_32, "addr32_xcryptcfb", "addr32 xcryptcfb"),
    (Code::Xcryptofb_32, "addr32_xcryptofb", "addr32 xcryptofb"),
    (Code::Pushfw, "pushfw", "pushfw"),
    (Code::Popfw, "popfw", "popfw"),
    (Code::Iretw, "iretw", "iretw"),
    (Code::Iretd, "iretd", "iretd"),
    (Code::Retfd, "retf", "retfd"),
    (Code::Retfd_imm16, "retf", "retfd"),
    (Code::Sysretd, "sysret", "sysretd"),
    (Code::Sysexitd, "sysexit", "sysexitd"),
    (Code::Xlat_m8, "xlatb", "xlatb"),
    (
        Code::Pcmpestri64_xmm_xmmm128_imm8,
        "pcmpestri64",
        "pcmpestriq",
    ),
    (
        Code::Pcmpestrm64_xmm_xmmm128_imm8,
        "pcmpestrm64",
        "pcmpestrmq",
    ),
    (
        Code::VEX_Vpcmpestri64_xmm_xmmm128_imm8,
        "vpcmpestri64",
        "vpcmpestriq",
    ),
    (
        Code::VEX_Vpcmpestrm64_xmm_xmmm128_imm8,
        "vpcmpestrm64",
        "vpcmpestrmq",
    ),
];

/// The DSL and GNU mnemonics of a form: iced's, lower case (raw where it is a Rust keyword),
/// unless [`NAMES`] says otherwise.
pub(super) fn mnemonics(code: Code) -> (String, String) {
    if let Some((_, d, g)) = NAMES.iter().find(|(c, _, _)| *c == code) {
        return ((*d).to_owned(), (*g).to_owned());
    }
    let m = format!("{:?}", code.mnemonic()).to_ascii_lowercase();
    // The o16 near branches: only `data16_jz` & co. reach them (`forms::is_o16_branch`);
    // the a32 LOOPs also need `addr32` (GNU's `data16 addr32 loop`, which GNU as drops with a
    // warning and llvm-mc keeps), JECXZ names its a32 in the mnemonic.
    if crate::isa::forms::is_o16_branch(code) {
        let a32 = code.op_code().address_size() == 32 && m != "jecxz";
        let p = if a32 { "data16 addr32" } else { "data16" };
        return (format!("{}_{m}", p.replace(' ', "_")), format!("{p} {m}"));
    }
    let dsl = match m.as_str() {
        "in" | "loop" => format!("r#{m}"),
        _ => m.clone(),
    };
    (dsl, m)
}

/// GNU as spellings that are not a plain rendering of the operands: the m16:64 far pointer
/// forms take `rex64` and `fword ptr` (with a 32-bit register for `lss`/`lfs`/`lgs`); x87
/// `fcom`/`fcomp`/`fucom`/`fucomp`/`fxch` name only st(i).
fn gnu_fixup(code: Code, text: String) -> String {
    match code {
        Code::Call_m1664
        | Code::Jmp_m1664
        | Code::Lss_r64_m1664
        | Code::Lfs_r64_m1664
        | Code::Lgs_r64_m1664 => {
            let t = text.replace("tbyte ptr", "fword ptr");
            let t = match t.split_once(' ') {
                Some((m, rest)) if rest.starts_with('r') => {
                    let (reg, tail) = rest.split_once(',').unwrap_or((rest, ""));
                    let reg32 = if reg[1..].chars().all(|c| c.is_ascii_digit()) {
                        format!("{reg}d")
                    } else {
                        format!("e{}", &reg[1..])
                    };
                    format!("{m} {reg32},{tail}")
                }
                _ => t,
            };
            format!("rex64 {t}")
        }
        Code::Fcom_st0_sti
        | Code::Fcomp_st0_sti
        | Code::Fxch_st0_sti
        | Code::Fucom_st0_sti
        | Code::Fucomp_st0_sti => text.replacen("st(0), ", "", 1),
        _ => text,
    }
}

/// DSL and GNU spellings of a memory size (`dword` / `dword ptr`); `None` where the DSL has
/// no qualifier of that size (the form's size is then implied).
fn size_name(bytes: usize) -> Option<&'static str> {
    Some(match bytes {
        1 => "byte",
        2 => "word",
        4 => "dword",
        6 => "fword",
        8 => "qword",
        10 => "tbyte",
        16 => "xmmword",
        32 => "ymmword",
        64 => "zmmword",
        _ => return None,
    })
}

fn imm_text(v: i128) -> String {
    if v < 0 {
        format!("-{}", imm_text(-v))
    } else if v > 0xffff {
        format!("{v:#x}")
    } else {
        v.to_string()
    }
}

fn dsl_addr(a: &Addr) -> String {
    if a.rip.is_some() {
        return "l".into();
    }
    let mut terms = vec![];
    if let Some(b) = &a.base {
        terms.push(b.clone());
    }
    if let Some(i) = &a.index {
        terms.push(format!("{i} * {}", a.scale));
    }
    let mut s = terms.join(" + ");
    if a.disp != 0 || s.is_empty() {
        if s.is_empty() {
            s = imm_text(a.disp.into());
        } else if a.disp < 0 {
            let _ = write!(s, " - {}", imm_text(-i128::from(a.disp)));
        } else {
            let _ = write!(s, " + {}", imm_text(a.disp.into()));
        }
    }
    s
}

fn gnu_addr(a: &Addr, label: &str) -> String {
    if a.rip.is_some() {
        return format!("rip+{label}");
    }
    let mut terms = vec![];
    if let Some(b) = &a.base {
        terms.push(b.clone());
    }
    if let Some(i) = &a.index {
        terms.push(format!("{i}*{}", a.scale));
    }
    let mut s = terms.join("+");
    if a.disp != 0 || s.is_empty() {
        if s.is_empty() {
            s = imm_text(a.disp.into());
        } else if a.disp < 0 {
            let _ = write!(s, "-{}", imm_text(-i128::from(a.disp)));
        } else {
            let _ = write!(s, "+{}", imm_text(a.disp.into()));
        }
    }
    s
}

fn gnu_reg(r: &str) -> String {
    match r.strip_prefix("st") {
        Some(n) if n.len() == 1 => format!("st({n})"),
        _ => r.to_owned(),
    }
}

/// Marker for the GNU size keyword, so a second try can drop it (`GNU_SIZE{dword ptr }`).
pub(super) const SIZE_OPEN: &str = "\u{1}";
pub(super) const SIZE_CLOSE: &str = "\u{2}";

/// The GNU label of a snippet until [`super::cases`] numbers it.
pub(super) const LABEL: &str = ".Lsw@";

/// One operand set as a snippet in both syntaxes.
pub(super) fn render(code: Code, mnemonic: &str, gnu_name: &str, s: &Set) -> Case {
    let label = LABEL;
    let mut dsl_ops = Vec::new();
    let mut gnu_ops = Vec::new();
    for (i, a) in s.args.iter().enumerate() {
        let (mut d, mut g) = match a {
            Arg::Reg(r) => (r.clone(), gnu_reg(r)),
            Arg::Mem(m) => {
                let d = match size_name(m.size) {
                    Some(sz) => format!("{sz}[{}]", dsl_addr(m)),
                    None => format!("[{}]", dsl_addr(m)),
                };
                let mut g = match size_name(m.gnu_size) {
                    Some(sz) => {
                        format!("{SIZE_OPEN}{sz} ptr {SIZE_CLOSE}[{}]", gnu_addr(m, label))
                    }
                    None => format!("[{}]", gnu_addr(m, label)),
                };
                let mut d = d;
                if let Some(lanes) = m.bcst {
                    d.push_str(".bcst()");
                    let _ = write!(g, "{{1to{lanes}}}");
                }
                (d, g)
            }
            Arg::Imm(v) => (imm_text(*v), imm_text(*v)),
            Arg::Target => ("l".into(), label.to_owned()),
        };
        if i == 0
            && let Some(k) = s.mask
        {
            let _ = write!(d, ".k(k{k})");
            let _ = write!(g, "{{k{k}}}");
            if s.zero {
                d.push_str(".z()");
                g.push_str("{z}");
            }
        }
        dsl_ops.push(d);
        gnu_ops.push(g);
    }
    if let Some(deco) = s.deco {
        let (d, g) = if deco == "sae" {
            ("sae".to_owned(), "{sae}".to_owned())
        } else {
            (format!("{deco}_sae"), format!("{{{deco}-sae}}"))
        };
        dsl_ops.push(d);
        // GNU as: "RC/SAE operand must precede immediate operands".
        let at = s
            .args
            .iter()
            .rposition(|a| !matches!(a, Arg::Imm(_)))
            .map_or(0, |p| p + 1);
        gnu_ops.insert(at, g);
    }
    let dsl_name = match s.prefix {
        Some(p) => format!("{p}_{}", mnemonic.trim_start_matches("r#")),
        None => mnemonic.to_owned(),
    };
    // Pseudo-prefixes are `{store}` in GNU as, `store_` in the DSL.
    let gnu_prefix = match s.prefix {
        Some(p @ ("store" | "load")) => format!("{{{p}}} "),
        Some(p) => format!("{p} "),
        None => String::new(),
    };
    let dsl_inst = format!("{dsl_name}({});", dsl_ops.join(", "));
    let gnu_inst = gnu_fixup(
        code,
        format!("{gnu_prefix}{VEX_MARK}{gnu_name} {}", gnu_ops.join(", ")),
    );
    let filler_dsl = "mov(rax, 0x1122_3344_5566_7788); ".repeat(14);
    let filler_gnu = "movabs rax, 0x1122334455667788\n".repeat(14);
    let (dsl, gnu, subject) = match s.layout {
        Layout::Plain => (dsl_inst, gnu_inst, 0),
        Layout::Fwd => (
            format!("{dsl_inst} label!(l); nop();"),
            format!("{gnu_inst}\n{label}: nop"),
            0,
        ),
        Layout::Back => (
            format!("label!(l); {dsl_inst}"),
            format!("{label}: {gnu_inst}"),
            0,
        ),
        Layout::FarFwd => (
            format!("{dsl_inst} {filler_dsl}label!(l); nop();"),
            format!("{gnu_inst}\n{filler_gnu}{label}: nop"),
            0,
        ),
        Layout::FarBack => (
            format!("label!(l); {filler_dsl}{dsl_inst}"),
            format!("{label}:\n{filler_gnu}{gnu_inst}"),
            14,
        ),
        Layout::VeryFar => (
            format!(
                "{dsl_inst} for _ in 0..3300 {{ mov(rax, 0x1122_3344_5566_7788); }} label!(l); nop();"
            ),
            format!("{gnu_inst}\n.rept 3300\nmovabs rax, 0x1122334455667788\n.endr\n{label}: nop"),
            0,
        ),
    };
    Case {
        form: code,
        what: s.what,
        dsl,
        gnu,
        subject,
    }
}
