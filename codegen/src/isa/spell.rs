//! Mnemonics that GNU as and LLVM accept but iced-x86 does not name: compare pseudo-ops that
//! carry their predicate in the name, and size spellings for forms that no written operand
//! tells apart.
//!
//! Takes a lower-case mnemonic that the form table does not know; guarantees either nothing
//! or the iced mnemonic it stands for with (a) the predicate immediate the pseudo-op implies,
//! appended as the last operand exactly as GNU as does (`cmpltps xmm1, xmm2` is
//! `cmpps xmm1, xmm2, 1`, Intel SDM Vol. 2A, CMPPS, Table 3-4 "Pseudo-Op and CMPPS
//! Implementation"), or (b) the subset of the mnemonic's forms a size spelling selects.
//!
//! | spelling | stands for |
//! |---|---|
//! | `cmp{eq,lt,le,unord,neq,nlt,nle,ord}{ps,pd,ss,sd}` | `cmpps` … `cmpsd` with imm8 0–7 |
//! | `vcmp<one of 32 predicates>{ps,pd,ss,sd,ph,sh}` | `vcmpps` … `vcmpsh` with imm8 0–31 |
//! | `vpcmp{lt,le,neq,nlt,nle}{b,w,d,q}`, `vpcmp{eq,lt,le,neq,nlt,nle}{ub,uw,ud,uq}` | `vpcmp{b,…,uq}` with 0, 1, 2, 4, 5, 6 (`vpcmpeq{b,w,d,q}` is the real VPCMPEQ) |
//! | `vpcom{lt,le,gt,ge,eq,neq,false,true}{b,w,d,q,ub,uw,ud,uq}` | XOP `vpcom{b,…,uq}` with 0–7 |
//! | `pclmul{lql,hql,lqh,hqh}qdq`, `vpclmul…qdq` | `pclmulqdq` / `vpclmulqdq` with 0x00, 0x01, 0x10, 0x11 |
//! | `pushw`, `popw`, `enterw`, `leavew`, `retfw`, `retfq` | the 16-bit (or REX.W) form |
//! | `data16_<m>` | the forms of `<m>` with a 16-bit operand size (`data16_fldenv`: the 14-byte environment) |
//! | `addr32_<m>` | the forms of `<m>` with a 32-bit address size (`addr32_monitor`: `67 0F 01 C8`, reads `[eax]`) |
//! | `data16_addr32_<m>` | both (`data16_addr32_loop`: `66 67 E2 cb`, decrements cx, GNU's `data16 addr32 loop`) |
//! | `rex64_<m>` | the legacy forms of `<m>` with REX.W (`rex64_movmskps(rax, xmm0)`: `48 0F 50 C0`) |
//! | `store_`, `load_`, `vex_`, `vex3_`, `evex_`, `disp8_`, `disp32_` | GNU's pseudo-prefixes `{store}` … `{disp32}` ([`Pseudo`]; `isa::pseudo` selects, `encode` applies) |
//!
//! `data16_` is the only way to reach the o16 near branches (`data16_jz`: `66 74 cb` or
//! `66 0F 84 cw`; `data16_jmp`, `data16_call`, `data16_loop`, `data16_jrcxz`): the plain
//! mnemonics never select them (`forms::lookup`). AMD CPUs truncate the new RIP to 16 bits,
//! Intel CPUs ignore the prefix (and then read a rel32 where GNU as wrote a rel16).
//!
//! `data16_` and `rex64_` name a prefix the CPU ignores for some forms (`movmskps rax`,
//! `lldt`): those spellings keep it, where the plain mnemonic drops it as GNU as does
//! (`forms::narrow_twin`).
//!
//! The predicate names are GNU as' (binutils `i386-opc.tbl`, the `cmpp`/`vcmpp` and
//! `vpcmp`/`vpcom` templates), which LLVM shares. `vpcmp` has no pseudo-op for predicates 3
//! and 7 (always false / always true) in the Intel SDM (VPCMPB, Table 5-19), GNU as or
//! LLVM: write `vpcmpb(k1, zmm1, zmm2, 3)`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use iced_x86::Code;

/// The SSE predicates (imm8 0–7).
const SSE_PREDICATES: [&str; 8] = ["eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord"];

/// The AVX predicates (imm8 0–31), Intel SDM Vol. 2A, VCMPPS, Table 3-5.
const AVX_PREDICATES: [&str; 32] = [
    "eq", "lt", "le", "unord", "neq", "nlt", "nle", "ord", "eq_uq", "nge", "ngt", "false",
    "neq_oq", "ge", "gt", "true", "eq_os", "lt_oq", "le_oq", "unord_s", "neq_us", "nlt_uq",
    "nle_uq", "ord_s", "eq_us", "nge_uq", "ngt_uq", "false_os", "neq_os", "ge_oq", "gt_oq",
    "true_us",
];

/// `vpcmp` predicates that have a pseudo-op: (name, imm8). `eq` only with the unsigned
/// element types: `vpcmpeqb` is VPCMPEQB (opcode 74), another instruction.
const VPCMP_PREDICATES: [(&str, u8); 6] = [
    ("eq", 0),
    ("lt", 1),
    ("le", 2),
    ("neq", 4),
    ("nlt", 5),
    ("nle", 6),
];

/// XOP `vpcom` predicates (AMD64 APM Vol. 4, VPCOMB, "Comparison predicates").
const VPCOM_PREDICATES: [&str; 8] = ["lt", "le", "gt", "ge", "eq", "neq", "false", "true"];

/// Element suffixes of `vpcmp`/`vpcom`, longest first so that `ub` wins over `b`.
const ELEMENTS: [&str; 8] = ["ub", "uw", "ud", "uq", "b", "w", "d", "q"];

/// PCLMULQDQ's pseudo-ops (Intel SDM Vol. 2B, PCLMULQDQ, Table 4-14).
const PCLMUL: [(&str, u8); 4] = [("lql", 0x00), ("hql", 0x01), ("lqh", 0x10), ("hqh", 0x11)];

/// A compare pseudo-op: the iced mnemonic and the predicate immediate it implies.
pub fn pseudo_op(name: &str) -> Option<(String, u8)> {
    if let Some(rest) = name.strip_prefix("vcmp") {
        for ty in ["ps", "pd", "ss", "sd", "ph", "sh"] {
            if let Some(pred) = rest.strip_suffix(ty)
                && let Some(i) = AVX_PREDICATES.iter().position(|p| *p == pred)
            {
                return Some((format!("vcmp{ty}"), i as u8));
            }
        }
        return None;
    }
    if let Some(rest) = name.strip_prefix("cmp") {
        for ty in ["ps", "pd", "ss", "sd"] {
            if let Some(pred) = rest.strip_suffix(ty)
                && let Some(i) = SSE_PREDICATES.iter().position(|p| *p == pred)
            {
                return Some((format!("cmp{ty}"), i as u8));
            }
        }
        return None;
    }
    if let Some(rest) = name.strip_prefix("vpcmp") {
        for ty in ELEMENTS {
            if let Some(pred) = rest.strip_suffix(ty)
                && let Some((_, imm)) = VPCMP_PREDICATES
                    .iter()
                    .find(|(p, _)| *p == pred && (*p != "eq" || ty.starts_with('u')))
            {
                return Some((format!("vpcmp{ty}"), *imm));
            }
        }
        return None;
    }
    if let Some(rest) = name.strip_prefix("vpcom") {
        for ty in ELEMENTS {
            if let Some(pred) = rest.strip_suffix(ty)
                && let Some(i) = VPCOM_PREDICATES.iter().position(|p| *p == pred)
            {
                return Some((format!("vpcom{ty}"), i as u8));
            }
        }
        return None;
    }
    for base in ["pclmul", "vpclmul"] {
        if let Some(pred) = name.strip_prefix(base).and_then(|r| r.strip_suffix("qdq"))
            && let Some((_, imm)) = PCLMUL.iter().find(|(p, _)| *p == pred)
        {
            return Some((format!("{base}qdq"), *imm));
        }
    }
    None
}

/// GNU as' suffixed names for the forms of another operand size: (name, iced mnemonic,
/// operand size in bits the name selects).
const SUFFIXED: [(&str, &str, u32); 6] = [
    ("pushw", "push", 16),
    ("popw", "pop", 16),
    ("enterw", "enter", 16),
    ("leavew", "leave", 16),
    ("retfw", "retf", 16),
    ("retfq", "retf", 64),
];

/// The GNU as size prefixes a spelling names, in front of the mnemonic: `data16_`,
/// `addr32_`, `rex64_`, or `data16_addr32_` (GNU's `data16 addr32 loop`).
#[derive(Clone, Copy, Default)]
struct PrefixWords {
    data16: bool,
    addr32: bool,
    rex64: bool,
}

/// Splits `data16_addr32_loop` into its prefix words and `loop`; `None` without a word, or
/// with a word twice or `rex64_` with another.
fn prefix_words(name: &str) -> Option<(PrefixWords, &str)> {
    let mut w = PrefixWords::default();
    let mut rest = name;
    loop {
        let flag = if let Some(r) = rest.strip_prefix("data16_") {
            rest = r;
            &mut w.data16
        } else if let Some(r) = rest.strip_prefix("addr32_") {
            rest = r;
            &mut w.addr32
        } else if let Some(r) = rest.strip_prefix("rex64_") {
            rest = r;
            &mut w.rex64
        } else {
            break;
        };
        if *flag {
            return None;
        }
        *flag = true;
    }
    let any = w.data16 || w.addr32 || w.rex64;
    (any && !(w.rex64 && (w.data16 || w.addr32))).then_some((w, rest))
}

impl PrefixWords {
    /// Whether form `c` has the operand and address size the words name.
    fn keeps(self, c: Code) -> bool {
        let op = c.op_code();
        if self.rex64 {
            use iced_x86::OpCodeOperandKind as K;
            return op.encoding() == iced_x86::EncodingKind::Legacy
                && (op.operand_size() == 64
                    || (0..op.op_count()).any(|i| {
                        matches!(
                            op.op_kind(i),
                            K::r64_or_mem | K::r64_reg | K::r64_rm | K::r64_opcode
                        )
                    }));
        }
        let osz = if self.data16 {
            op.operand_size() == 16
        } else {
            op.operand_size() != 16
        };
        osz && (!self.addr32 || op.address_size() == 32)
    }
}

/// The forms a size spelling selects among `forms` (the iced mnemonic's), or `None` if
/// `name` is not one. `data16_`/`addr32_` apply to any mnemonic that has such forms.
pub fn size_spelling(
    name: &str,
    forms: impl Fn(&str) -> Option<&'static [Code]>,
) -> Option<&'static [Code]> {
    static CACHE: OnceLock<std::sync::Mutex<BTreeMap<String, &'static [Code]>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Ok(c) = cache.lock()
        && let Some(f) = c.get(name)
    {
        return Some(f);
    }
    let (base, keep): (&str, Box<dyn Fn(Code) -> bool>) =
        if let Some((_, base, bits)) = SUFFIXED.iter().find(|(n, _, _)| *n == name) {
            (
                base,
                Box::new(move |c: Code| c.op_code().operand_size() == *bits),
            )
        } else {
            let (words, base) = prefix_words(name)?;
            (base, Box::new(move |c: Code| words.keeps(c)))
        };
    let mut kept: Vec<Code> = forms(base)?.iter().copied().filter(|c| keep(*c)).collect();
    // `data16_loop` is the o16 LOOP with the default (64-bit) address size: the a32 forms
    // need `addr32_` too, unless the mnemonic has no other (`data16_jecxz`).
    let data16_only = name.starts_with("data16_") && !name.contains("addr32_");
    if data16_only && kept.iter().any(|c| c.op_code().address_size() != 32) {
        kept.retain(|c| c.op_code().address_size() != 32);
    }
    if kept.is_empty() {
        return None;
    }
    // One leaked list per distinct spelling, of which there are finitely many.
    let kept: &'static [Code] = Box::leak(kept.into_boxed_slice());
    if let Ok(mut c) = cache.lock() {
        c.insert(name.to_owned(), kept);
    }
    Some(kept)
}

/// GNU as' encoding pseudo-prefixes (binutils `tc-i386.c`, "Pseudo prefixes"; LLVM's X86
/// AsmParser knows the same), written as a prefix word like `lock_` and `data16_`:
/// `store_vmovss(xmm1.k(k1), xmm2, xmm3)` is `{store} vmovss xmm1{k1}, xmm2, xmm3`. An
/// instruction mnemonic never contains `_` (only the compare pseudo-ops do, after `vcmp`), so
/// a leading `word_` is unambiguous; braces cannot be written in a Rust call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    /// `{load}`: of two register-to-register encodings, the one whose destination is
    /// ModRM.reg (`8B /r`, `0F 28`, `VMOVSS 0F 10`).
    Load,
    /// `{store}`: the one whose destination is ModRM.rm (`89 /r`, `0F 29`, `VMOVSS 0F 11`,
    /// `VMOVQ 66 0F D6`, `PEXTRW 0F 3A 15`).
    Store,
    /// `{vex}`: a VEX encoding, where EVEX would also do.
    Vex,
    /// `{vex3}`: the three-byte VEX prefix (`C4`), where the two-byte one (`C5`) would do.
    Vex3,
    /// `{evex}`: an EVEX encoding, where VEX would do.
    Evex,
    /// `{disp8}`: an 8-bit displacement, also for a displacement of 0 (`8B 40 00`).
    Disp8,
    /// `{disp32}`: a 32-bit displacement (`8B 80 00 00 00 00`).
    Disp32,
}

const PSEUDO_WORDS: [(&str, Pseudo); 7] = [
    ("load_", Pseudo::Load),
    ("store_", Pseudo::Store),
    ("vex_", Pseudo::Vex),
    ("vex3_", Pseudo::Vex3),
    ("evex_", Pseudo::Evex),
    ("disp8_", Pseudo::Disp8),
    ("disp32_", Pseudo::Disp32),
];

impl Pseudo {
    /// The DSL prefix word (`store_`).
    pub fn word(self) -> &'static str {
        PSEUDO_WORDS
            .iter()
            .find(|(_, p)| *p == self)
            .map_or("", |(w, _)| w)
    }

    /// GNU as' spelling (`{store}`).
    pub fn gnu(self) -> String {
        format!("{{{}}}", self.word().trim_end_matches('_'))
    }
}

/// Splits `store_vmovss` into (`[Store]`, `vmovss`), `disp32_vex3_vaddps` into
/// (`[Disp32, Vex3]`, `vaddps`); `None` without a pseudo-prefix word, or with one twice.
pub fn pseudo_prefixes(name: &str) -> Option<(Vec<Pseudo>, &str)> {
    let mut found = Vec::new();
    let mut rest = name;
    while let Some((w, p)) = PSEUDO_WORDS
        .iter()
        .find(|(w, _)| rest.strip_prefix(w).is_some_and(|r| !r.is_empty()))
    {
        if found.contains(p) {
            return None;
        }
        found.push(*p);
        rest = &rest[w.len()..];
    }
    (!found.is_empty()).then_some((found, rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_ops_name_base_and_predicate() {
        assert_eq!(pseudo_op("cmpltps"), Some(("cmpps".into(), 1)));
        assert_eq!(pseudo_op("cmpordsd"), Some(("cmpsd".into(), 7)));
        assert_eq!(pseudo_op("vcmpgeps"), Some(("vcmpps".into(), 13)));
        assert_eq!(pseudo_op("vcmptrue_ussh"), Some(("vcmpsh".into(), 31)));
        assert_eq!(pseudo_op("vcmpunord_ssd"), Some(("vcmpsd".into(), 19)));
        assert_eq!(pseudo_op("vpcmpltud"), Some(("vpcmpud".into(), 1)));
        assert_eq!(pseudo_op("vpcmpequb"), Some(("vpcmpub".into(), 0)));
        assert_eq!(pseudo_op("vpcmpnleq"), Some(("vpcmpq".into(), 6)));
        assert_eq!(
            pseudo_op("vpcmpeqb"),
            None,
            "VPCMPEQB is a real instruction"
        );
        assert_eq!(pseudo_op("vpcmpfalseb"), None);
        assert_eq!(pseudo_op("vpcomgeuw"), Some(("vpcomuw".into(), 3)));
        assert_eq!(pseudo_op("pclmulhqlqdq"), Some(("pclmulqdq".into(), 1)));
        assert_eq!(
            pseudo_op("vpclmullqhqdq"),
            Some(("vpclmulqdq".into(), 0x10))
        );
        assert_eq!(pseudo_op("cmpgeps"), None, "SSE has predicates 0-7 only");
        assert_eq!(pseudo_op("cmpsb"), None);
    }

    #[test]
    fn pseudo_prefixes_split_off_their_word() {
        use Pseudo::*;
        assert_eq!(
            pseudo_prefixes("store_vmovss"),
            Some((vec![Store], "vmovss"))
        );
        assert_eq!(
            pseudo_prefixes("disp32_vex3_vaddps"),
            Some((vec![Disp32, Vex3], "vaddps"))
        );
        assert_eq!(
            pseudo_prefixes("vex_vpdpbusd"),
            Some((vec![Vex], "vpdpbusd"))
        );
        assert_eq!(
            pseudo_prefixes("disp32_lock_add"),
            Some((vec![Disp32], "lock_add"))
        );
        assert_eq!(pseudo_prefixes("vaddps"), None);
        assert_eq!(pseudo_prefixes("store_"), None);
        assert_eq!(pseudo_prefixes("vex_vex_vaddps"), None);
        assert_eq!(Pseudo::Disp8.gnu(), "{disp8}");
    }
}
