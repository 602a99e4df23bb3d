//! Stage 4, **regalloc**: bind virtual registers to physical ones, without spilling.
//!
//! Takes a [`Selected`] program, in which operands may be virtual registers ([`Reg::Virt`]),
//! a [`MachineEnv`] and the variant being built; returns an [`Allocated`] one, whose operands are iced's physical
//! `Register`s — by type, so no virtual register can leave this stage — in which no two
//! values that are live at the same time share a register, or reports a spanned error, never
//! a silent spill. Each instruction that named a virtual register is re-bound to its form
//! through `isa::choose` (a fixed-register form such as `al` may now be the shortest, exactly
//! as if the author had written the register). The vocabulary is regalloc2's: locations are
//! pre-coloured physical registers (PReg) or virtual ones (VReg); a [`MachineEnv`] lists the
//! allocatable registers of each class in preference order. Registers the frame reserves
//! (rbp when it is the frame pointer) are removed from the environment by the caller
//! ([`MachineEnv::reserving`]): this stage makes no frame decision of its own.
//!
//! ```text
//!  nodes      the crate's control-flow graph (`cfg.rs`): one per instruction and `return`
//!  uses/defs  explicit operands and implicit ones from iced's InstructionInfoFactory
//!             (mul → rdx:rax, shl r, cl → cl, blendvps → xmm0, rep movsb → rcx/rsi/rdi)
//!  liveness   backward dataflow to a fixed point over the CFG (loops included)
//!  interfere  a definition interferes with everything live after it
//!  colour     in order of first definition, first free register in preference order
//!  check      forward simulation: at every use, the register holds that virtual value
//! ```
//!
//! Preferences cost nothing at run time: caller-saved GPRs before callee-saved ones (no
//! push/pop), xmm0–7 before xmm8–15 (2-byte VEX prefixes), k1–k7 for masks (k0 is "no mask").
//! Errors: a virtual register read before it is written on some path from entry; more
//! simultaneously live values than registers (the message counts the registers the failing
//! value could have had in this variant — 16 or 32 vector registers, GPRs less rsp and a
//! reserved rbp, k1–k7 — and names every live value: a virtual register and where it was
//! created, a parameter by its name and register, [`MachineEnv::params`]).
//! [`pressure_errors`] reports the latter alone for a program some of whose statements failed.

pub mod transitions;

use std::collections::BTreeSet;

use iced_x86::{InstructionInfoFactory, OpAccess, Register};
use proc_macro2::Span;

use crate::cfg::Cfg;
use crate::diag::{self, Errors};
use crate::ir::{Allocated, OperandKind, RetValue, SItem, SelInst, Selected, VRegInfo};
use crate::isa::regs::{self, Reg, RegClass, RegRef, VReg};
use crate::isa::variant::Variant;
use crate::isa::{choose, instr};

/// Allocatable registers per class, in preference order.
pub struct MachineEnv {
    pub gpr: Vec<usize>,
    pub vec: Vec<usize>,
    pub mask: Vec<usize>,
    /// The kernel's parameters by the register each arrives in (`n`, `x.len()`), so that
    /// errors name a parameter rather than its register.
    pub params: Vec<(Register, String)>,
}

impl MachineEnv {
    /// System V, legacy/VEX code: 15 GPRs (not rsp), caller-saved first; xmm0–15; k1–k7.
    pub fn sysv() -> Self {
        // rax rcx rdx rsi rdi r8 r9 r10 r11 | rbx rbp r12 r13 r14 r15
        let gpr = vec![0, 1, 2, 6, 7, 8, 9, 10, 11, 3, 5, 12, 13, 14, 15];
        MachineEnv {
            gpr,
            vec: (0..16).collect(),
            mask: (1..8).collect(),
            params: Vec::new(),
        }
    }

    /// Win64, legacy/VEX code: the volatile rax, rcx, rdx, r8–r11 first; then the
    /// callee-saved GPRs (a push/pop pair each); xmm0–5 before xmm6–15, which are callee-saved
    /// in Win64 and cost a 16-byte stack slot and a `movaps` pair each; k1–k7.
    pub fn win64() -> Self {
        // rax rcx rdx r8 r9 r10 r11 | rbx rsi rdi rbp r12 r13 r14 r15
        let gpr = vec![0, 1, 2, 8, 9, 10, 11, 3, 6, 7, 5, 12, 13, 14, 15];
        MachineEnv {
            gpr,
            vec: (0..16).collect(),
            mask: (1..8).collect(),
            params: Vec::new(),
        }
    }

    /// The environment of a calling convention.
    pub fn for_abi(abi: crate::isa::abi::Abi) -> Self {
        match abi {
            crate::isa::abi::Abi::SysV => Self::sysv(),
            crate::isa::abi::Abi::Win64 => Self::win64(),
        }
    }

    /// The same environment without the general-purpose registers `reserved` (rbp when the
    /// frame keeps its frame pointer there).
    pub fn reserving(mut self, reserved: &[Register]) -> Self {
        self.gpr
            .retain(|g| !reserved.iter().any(|r| r.full_register().number() == *g));
        self
    }

    /// The same environment, knowing which parameter arrives in which register: `(rdi,
    /// "n")`, `(rsi, "x.len()")`.
    pub fn with_params(mut self, params: Vec<(Register, String)>) -> Self {
        self.params = params;
        self
    }

    /// The registers a kernel's parameters arrive in, named as the body names them.
    pub fn param_registers(args: &[crate::parse::Arg]) -> Vec<(Register, String)> {
        use crate::isa::abi::ArgLoc;
        let mut out = Vec::new();
        for a in args {
            if let ArgLoc::Reg(r) = a.loc {
                out.push((r.full_register(), a.name.to_string()));
            }
            if let Some(ArgLoc::Reg(r)) = a.len {
                out.push((r.full_register(), format!("{}.len()", a.name)));
            }
        }
        out
    }

    fn order(&self, class: RegClass) -> &[usize] {
        match class {
            RegClass::Gpr => &self.gpr,
            RegClass::Vec => &self.vec,
            RegClass::Mask => &self.mask,
        }
    }
}

/// Dense location numbering: 16 GPRs, 32 vector registers, 8 masks, then virtual registers.
const GPR0: usize = 0;
const VEC0: usize = 16;
const MASK0: usize = 48;
const VIRT0: usize = 56;

fn phys_loc(r: Register) -> Option<usize> {
    if r.is_gpr() {
        let full = r.full_register();
        // rsp is never allocatable and is not tracked; rip is not a GPR.
        (full != Register::RSP).then(|| GPR0 + full.number())
    } else if r.is_vector_register() {
        Some(VEC0 + r.number())
    } else if r.is_k() {
        Some(MASK0 + r.number())
    } else {
        None
    }
}

fn loc_class(loc: usize) -> RegClass {
    match loc {
        l if l < VEC0 => RegClass::Gpr,
        l if l < MASK0 => RegClass::Vec,
        _ => RegClass::Mask,
    }
}

/// The physical register with this number, viewed at `size` bytes.
fn phys_reg(class: RegClass, number: usize, size: u8) -> Option<Register> {
    let base = match class {
        RegClass::Gpr => Register::RAX,
        RegClass::Vec => Register::XMM0,
        RegClass::Mask => return Register::values().nth(Register::K0 as usize + number),
    };
    let full = Register::values().nth(base as usize + number)?;
    match class {
        RegClass::Gpr => regs::gpr_of_size(full, usize::from(size)),
        _ => regs::vec_of_size(full, usize::from(size)),
    }
}

/// One CFG node's register effects: the locations it reads and writes.
struct Node {
    item: usize,
    uses: Vec<usize>,
    defs: Vec<usize>,
    succs: Vec<usize>,
    /// All vector operands must differ (gathers: Intel SDM Vol. 2, VGATHERDPS #UD).
    unique: bool,
}

/// Allocates every virtual register in `sel`, for a kernel variant with `variant`'s features
/// (they decide whether a value may live in xmm16–31, and the forms re-bound afterwards).
pub fn allocate(sel: Selected, env: &MachineEnv, variant: &Variant) -> syn::Result<Allocated> {
    if sel.vregs.is_empty() {
        return physical(sel);
    }
    let nodes = build_nodes(&sel)?;
    let nloc = VIRT0 + sel.vregs.len();
    let (live_in, live_out) = liveness(&nodes, nloc);
    check_defined(&sel, &nodes, &live_in)?;
    let high = eligible_for_high(&sel, variant);
    let colours = colour(&sel, &nodes, &live_out, env, &high, variant)?;
    let classes: Vec<RegClass> = sel.vregs.iter().map(|v| v.class).collect();
    check(&nodes, &colours, &classes).map_err(|(node, what)| {
        let span = sel.items[nodes[node].item].span();
        diag::internal(span, format!("register allocation check failed: {what}"))
    })?;
    rewrite(sel, &colours, variant)
}

/// The pressure errors alone of a program some of whose statements failed to evaluate or
/// select (and are missing from it): a missing statement can leave a virtual register read
/// before any write — not reported here, since the statement that wrote it may be the one
/// missing — but more values live than registers is the author's to fix either way.
pub fn pressure_errors(sel: &Selected, env: &MachineEnv, variant: &Variant) -> syn::Result<()> {
    if sel.vregs.is_empty() {
        return Ok(());
    }
    let nodes = build_nodes(sel)?;
    let (_, live_out) = liveness(&nodes, VIRT0 + sel.vregs.len());
    let high = eligible_for_high(sel, variant);
    colour(sel, &nodes, &live_out, env, &high, variant).map(|_| ())
}

/// A program without virtual registers, as the physical type.
fn physical(sel: Selected) -> syn::Result<Allocated> {
    let mut items = Vec::with_capacity(sel.items.len());
    for item in sel.items {
        let span = item.span();
        let item = match item {
            SItem::Inst(s) => SItem::Inst(SelInst {
                code: s.code,
                inst: s
                    .inst
                    .map_regs(Reg::phys)
                    .ok_or_else(|| diag::internal(span, "unallocated virtual register"))?,
            }),
            SItem::Return(v, span) => SItem::Return(return_value(v, |r| r.phys(), span)?, span),
            SItem::Label(l) => SItem::Label(l),
            SItem::Align(a) => SItem::Align(a),
        };
        items.push(item);
    }
    Ok(Allocated {
        items,
        consts: sel.consts,
        label_count: sel.label_count,
    })
}

fn return_value(
    v: RetValue<Reg>,
    assign: impl Fn(Reg) -> Option<Register>,
    span: Span,
) -> syn::Result<RetValue<Register>> {
    let phys =
        |r: Reg| assign(r).ok_or_else(|| diag::internal(span, "unallocated virtual register"));
    Ok(match v {
        RetValue::None => RetValue::None,
        RetValue::Gpr(r, bytes, s) => RetValue::Gpr(phys(r)?, bytes, s),
        RetValue::Float(r, s) => RetValue::Float(phys(r)?, s),
    })
}

// ----- CFG and uses/defs ------------------------------------------------------------------

fn build_nodes(sel: &Selected) -> syn::Result<Vec<Node>> {
    let cfg = Cfg::build(&sel.items, sel.label_count);
    let mut factory = InstructionInfoFactory::new();
    let mut nodes = Vec::with_capacity(cfg.nodes.len());
    for n in cfg.nodes {
        let node = match &sel.items[n.item] {
            SItem::Inst(s) => {
                let (uses, defs) = uses_defs(s, &mut factory)?;
                Node {
                    item: n.item,
                    uses,
                    defs,
                    succs: n.succs,
                    unique: s.code.op_code().requires_unique_reg_nums(),
                }
            }
            SItem::Return(value, _) => {
                let uses = match value {
                    RetValue::Gpr(r, ..) | RetValue::Float(r, _) => {
                        reg_loc(*r).into_iter().collect()
                    }
                    RetValue::None => vec![],
                };
                Node {
                    item: n.item,
                    uses,
                    defs: vec![],
                    succs: n.succs,
                    unique: false,
                }
            }
            SItem::Label(_) | SItem::Align(_) => continue,
        };
        nodes.push(node);
    }
    Ok(nodes)
}

fn reg_loc(r: Reg) -> Option<usize> {
    match r {
        Reg::Phys(p) => phys_loc(p),
        Reg::Virt(v) => Some(VIRT0 + v.id as usize),
    }
}

fn uses_defs(
    s: &SelInst,
    factory: &mut InstructionInfoFactory,
) -> syn::Result<(Vec<usize>, Vec<usize>)> {
    let (ops, standins) = instr::with_standins(&s.inst.operands).ok_or_else(|| {
        diag::internal(s.inst.span, "too many virtual registers in one instruction")
    })?;
    let ins = instr::build(s.code, &ops, s.inst.prefix, &instr::Dummy)
        .map_err(|e| diag::internal(s.inst.span, e))?;
    let info = factory.info(&ins);
    let mut uses = Vec::new();
    let mut defs = Vec::new();
    for used in info.used_registers() {
        let r = used.register();
        let virt = standins
            .iter()
            .find(|(st, _)| same_register(*st, r))
            .map(|(_, v)| *v);
        let Some(loc) = (match virt {
            Some(v) => Some(VIRT0 + v.id as usize),
            None => phys_loc(r),
        }) else {
            continue;
        };
        let (mut read, write) = match used.access() {
            OpAccess::Read | OpAccess::CondRead => (true, false),
            OpAccess::Write => (false, true),
            // A conditional write may leave the old value: it is also a use.
            OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite => (true, true),
            _ => (false, false),
        };
        // Writing an 8- or 16-bit GPR keeps the upper bits (Intel SDM Vol. 1, 3.4.1.1).
        if write && r.is_gpr() && r.size() < 4 {
            read = true;
        }
        if read && !uses.contains(&loc) {
            uses.push(loc);
        }
        if write && !defs.contains(&loc) {
            defs.push(loc);
        }
    }
    Ok((uses, defs))
}

fn same_register(a: Register, b: Register) -> bool {
    if a.is_vector_register() && b.is_vector_register() {
        a.number() == b.number()
    } else {
        a.full_register() == b.full_register()
    }
}

// ----- liveness ------------------------------------------------------------------------------

type Bits = Vec<u64>;

fn has(b: &Bits, i: usize) -> bool {
    b[i / 64] >> (i % 64) & 1 == 1
}

fn set(b: &mut Bits, i: usize) {
    b[i / 64] |= 1 << (i % 64);
}

fn liveness(nodes: &[Node], nloc: usize) -> (Vec<Bits>, Vec<Bits>) {
    let words = nloc.div_ceil(64);
    let mut live_in = vec![vec![0u64; words]; nodes.len()];
    let mut live_out = vec![vec![0u64; words]; nodes.len()];
    let mut changed = true;
    while changed {
        changed = false;
        for i in (0..nodes.len()).rev() {
            let mut out = vec![0u64; words];
            for &s in &nodes[i].succs {
                for (o, x) in out.iter_mut().zip(&live_in[s]) {
                    *o |= x;
                }
            }
            let mut inn = out.clone();
            for &d in &nodes[i].defs {
                inn[d / 64] &= !(1 << (d % 64));
            }
            for &u in &nodes[i].uses {
                set(&mut inn, u);
            }
            if inn != live_in[i] || out != live_out[i] {
                changed = true;
                live_in[i] = inn;
                live_out[i] = out;
            }
        }
    }
    (live_in, live_out)
}

/// A virtual register live on entry is read on some path before any write.
fn check_defined(sel: &Selected, nodes: &[Node], live_in: &[Bits]) -> syn::Result<()> {
    let Some(entry) = live_in.first() else {
        return Ok(());
    };
    let mut errors = Errors::new();
    for (id, info) in sel.vregs.iter().enumerate() {
        if !has(entry, VIRT0 + id) {
            continue;
        }
        let first_use = nodes.iter().find(|n| n.uses.contains(&(VIRT0 + id)));
        let span = first_use.map_or(info.span, |n| use_span(&sel.items[n.item], id as u32));
        errors.push(span, format!("virtual register `{}` is read here before it is written on some path from the kernel's entry; write it first (e.g. `xor`, `mov`, `vxorps`)", display_name(info, id)));
    }
    errors.finish()
}

/// The span of the operand that mentions virtual register `id`, or the instruction's.
fn use_span(item: &SItem, id: u32) -> Span {
    match item {
        SItem::Inst(s) => s
            .inst
            .operands
            .iter()
            .find(|o| o.regs().any(|r| matches!(r, Reg::Virt(v) if v.id == id)))
            .map_or(s.inst.span, |o| o.span),
        other => other.span(),
    }
}

fn display_name(info: &VRegInfo, id: usize) -> String {
    if info.name.is_empty() {
        format!("v{id}")
    } else {
        info.name.clone()
    }
}

// ----- interference and colouring ------------------------------------------------------------

fn colour(
    sel: &Selected,
    nodes: &[Node],
    live_out: &[Bits],
    env: &MachineEnv,
    high: &[High],
    variant: &Variant,
) -> syn::Result<Vec<Option<usize>>> {
    let nv = sel.vregs.len();
    let nloc = VIRT0 + nv;
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nv];
    let mut forbid = vec![0u64; nv];
    let mut first_def = vec![usize::MAX; nv];
    let class_of = |l: usize| {
        if l >= VIRT0 {
            sel.vregs[l - VIRT0].class
        } else {
            loc_class(l)
        }
    };
    let edge = |a: usize, b: usize, adj: &mut Vec<BTreeSet<usize>>, forbid: &mut Vec<u64>| {
        if a == b || class_of(a) != class_of(b) {
            return;
        }
        match (a >= VIRT0, b >= VIRT0) {
            (true, true) => {
                adj[a - VIRT0].insert(b - VIRT0);
                adj[b - VIRT0].insert(a - VIRT0);
            }
            (true, false) => forbid[a - VIRT0] |= 1 << b,
            (false, true) => forbid[b - VIRT0] |= 1 << a,
            (false, false) => {}
        }
    };
    for (i, node) in nodes.iter().enumerate() {
        for &d in &node.defs {
            if d >= VIRT0 && first_def[d - VIRT0] == usize::MAX {
                first_def[d - VIRT0] = i;
            }
            for x in 0..nloc {
                if has(&live_out[i], x) {
                    edge(d, x, &mut adj, &mut forbid);
                }
            }
            for &e in &node.defs {
                edge(d, e, &mut adj, &mut forbid);
            }
        }
        if node.unique {
            let all: Vec<usize> = node.uses.iter().chain(&node.defs).copied().collect();
            for &a in &all {
                for &b in &all {
                    edge(a, b, &mut adj, &mut forbid);
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..nv).filter(|v| first_def[*v] != usize::MAX).collect();
    order.sort_by_key(|v| (first_def[*v], *v));
    let mut colours: Vec<Option<usize>> = vec![None; nv];
    let mut errors = Errors::new();
    for v in order {
        let class = sel.vregs[v].class;
        let base = match class {
            RegClass::Gpr => GPR0,
            RegClass::Vec => VEC0,
            RegClass::Mask => MASK0,
        };
        let taken = |n: usize| {
            forbid[v] >> (base + n) & 1 == 1 || adj[v].iter().any(|w| colours[*w] == Some(n))
        };
        // xmm16–31 come last: EVEX is longer than VEX, and only some registers may use them.
        let extra: &[usize] = if class == RegClass::Vec && high[v].is_ok() {
            &HIGH_VEC
        } else {
            &[]
        };
        match env
            .order(class)
            .iter()
            .chain(extra)
            .copied()
            .find(|n| !taken(*n))
        {
            Some(n) => colours[v] = Some(n),
            None => {
                let at = first_def[v];
                let limit = Limit {
                    class,
                    count: env.order(class).len() + extra.len(),
                    env,
                    variant,
                    high: &high[v],
                    name: display_name(&sel.vregs[v], v),
                };
                errors.push_err(pressure_error(sel, nodes, live_out, at, &limit));
                break;
            }
        }
    }
    errors.finish()?;
    Ok(colours)
}

/// What the failing value could have been given: its class, how many registers, and why.
struct Limit<'a> {
    class: RegClass,
    count: usize,
    env: &'a MachineEnv,
    variant: &'a Variant,
    high: &'a High,
    name: String,
}

impl Limit<'_> {
    /// "15 registers can be allocated (the 16 general-purpose registers less rsp)".
    fn describe(&self) -> String {
        let n = self.count;
        match self.class {
            RegClass::Gpr => {
                let rbp = if self.env.gpr.contains(&5) {
                    ""
                } else {
                    " and rbp, this kernel's frame pointer"
                };
                format!(
                    "{n} registers can be allocated (16 general-purpose registers less rsp, the stack pointer{rbp})"
                )
            }
            RegClass::Mask => {
                format!("{n} registers can be allocated (k1–k7: k0 as a mask means \"no mask\")")
            }
            RegClass::Vec => match self.high {
                Ok(()) => format!(
                    "{n} registers can be allocated (0–31 in variant `{}`, which has AVX-512)",
                    self.variant.name
                ),
                Err(None) if self.variant.allowed.is_none() => format!(
                    "{n} registers can be allocated (0–15: registers 16–31 need AVX-512, and a kernel without `targets(..)` assumes only the x86-64 baseline; `targets(avx512f)` gives 32)"
                ),
                Err(None) => format!(
                    "{n} registers can be allocated (0–15: registers 16–31 need AVX-512, which variant `{}` does not have)",
                    self.variant.name
                ),
                Err(Some((mnemonic, line))) => format!(
                    "{n} registers can be allocated for `{}` (0–15: `{mnemonic}` at line {line} has no EVEX form in variant `{}` that takes a register 16–31{})",
                    self.name,
                    self.variant.name,
                    if self.variant.has(iced_x86::CpuidFeature::AVX512VL) {
                        ""
                    } else {
                        "; most 128- and 256-bit EVEX forms need `+ avx512vl`"
                    }
                ),
            },
        }
    }
}

fn pressure_error(
    sel: &Selected,
    nodes: &[Node],
    live_out: &[Bits],
    at: usize,
    limit: &Limit<'_>,
) -> syn::Error {
    let class = limit.class;
    let node = &nodes[at];
    let mut live: Vec<usize> = (0..VIRT0 + sel.vregs.len())
        .filter(|x| has(&live_out[at], *x) || node.defs.contains(x))
        .collect();
    live.dedup();
    let mut names = Vec::new();
    for x in live {
        if x >= VIRT0 {
            let info = &sel.vregs[x - VIRT0];
            if info.class == class {
                let line = info.span.start().line;
                names.push(format!(
                    "`{}` (created at line {line})",
                    display_name(info, x - VIRT0)
                ));
            }
        } else if loc_class(x) == class {
            let size = if class == RegClass::Vec { 16 } else { 8 };
            let name = phys_reg(class, x - loc_base(class), size)
                .map(regs::name)
                .unwrap_or_default();
            match param_in(limit.env, nodes, at, x) {
                Some(param) => names.push(format!("parameter `{param}` (in {name})")),
                None => names.push(format!("`{name}` (used directly)")),
            }
        }
    }
    let what = match class {
        RegClass::Gpr => "general-purpose",
        RegClass::Vec => "vector",
        RegClass::Mask => "mask",
    };
    let span = sel.items[node.item].span();
    syn::Error::new(
        span,
        format!(
            "too many live {what} registers here: {} values are live but {}, and asmforge never spills; shorten some live ranges or use fewer registers. Live: {}",
            names.len(),
            limit.describe(),
            names.join(", ")
        ),
    )
}

/// The parameter physical location `x` still holds at node `at`: one arrived there and no
/// instruction before `at` wrote it.
fn param_in<'a>(env: &'a MachineEnv, nodes: &[Node], at: usize, x: usize) -> Option<&'a str> {
    let (_, name) = env.params.iter().find(|(r, _)| phys_loc(*r) == Some(x))?;
    let written = nodes[..at].iter().any(|n| n.defs.contains(&x));
    (!written).then_some(name.as_str())
}

fn loc_base(class: RegClass) -> usize {
    match class {
        RegClass::Gpr => GPR0,
        RegClass::Vec => VEC0,
        RegClass::Mask => MASK0,
    }
}

/// Vector registers 16–31, numbered as the vector class numbers them.
const HIGH_VEC: [usize; 16] = [
    16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
];

/// Which virtual vector registers may live in xmm16–31: only in a variant with AVX-512F, and
/// only those whose every instruction still has a form — necessarily EVEX — with the register
/// in the upper bank (so `vpshufb` on ymm, which has an EVEX form only with AVX512BW, decides
/// per variant). Legacy-SSE and VEX-only instructions keep their registers in 0–15.
fn eligible_for_high(sel: &Selected, variant: &Variant) -> Vec<High> {
    let mut ok: Vec<High> = vec![
        if variant.has_evex() {
            Ok(())
        } else {
            Err(None)
        };
        sel.vregs.len()
    ];
    if !variant.has_evex() {
        return ok;
    }
    let allowed = choose::allowed(variant);
    for item in &sel.items {
        let SItem::Inst(s) = item else { continue };
        let mut vecs: Vec<VReg> = Vec::new();
        for r in s.inst.operands.iter().flat_map(|o| o.regs()) {
            if let Reg::Virt(v) = r
                && v.class == RegClass::Vec
                && !vecs.iter().any(|w| w.id == v.id)
            {
                vecs.push(v);
            }
        }
        for v in vecs {
            if ok[v.id as usize].is_err() {
                continue;
            }
            let Some(high) = phys_reg(RegClass::Vec, 16, v.size) else {
                continue;
            };
            // The trial replaces the value where it is an operand or an address, not where it
            // is a write mask (masks are not vectors).
            let mut trial = s.inst.clone();
            for o in &mut trial.operands {
                let slots: Vec<&mut Reg> = match &mut o.kind {
                    OperandKind::Reg(r, _) => vec![r],
                    OperandKind::Mem(m, _) => m
                        .base
                        .as_mut()
                        .into_iter()
                        .chain(m.index.as_mut())
                        .collect(),
                    _ => vec![],
                };
                for r in slots {
                    if matches!(r, Reg::Virt(w) if w.id == v.id) {
                        *r = Reg::Phys(high);
                    }
                }
            }
            if choose::choose(trial, allowed).is_err() {
                ok[v.id as usize] = Err(Some((s.inst.mnemonic.clone(), s.inst.line)));
            }
        }
    }
    ok
}

/// Whether a virtual vector register may live in xmm16–31; if not, the instruction (mnemonic,
/// line) that has no EVEX form for it in the variant, or `None` when the variant has no
/// AVX-512 at all.
type High = Result<(), Option<(String, u32)>>;

// ----- checker -------------------------------------------------------------------------------

/// Simulates the allocated program: each physical register holds a known virtual value or
/// nothing; at every use of a virtual register, its register must hold that value on every
/// path. Independent of the interference graph, so it catches colouring bugs.
fn check(
    nodes: &[Node],
    colours: &[Option<usize>],
    classes: &[RegClass],
) -> Result<(), (usize, String)> {
    const UNKNOWN: u32 = u32::MAX;
    let phys = |loc: usize| -> Option<usize> {
        let v = loc - VIRT0;
        colours
            .get(v)
            .copied()
            .flatten()
            .map(|n| loc_base(classes[v]) + n)
    };
    let mut state_in: Vec<Option<Vec<u32>>> = vec![None; nodes.len()];
    if nodes.is_empty() {
        return Ok(());
    }
    state_in[0] = Some(vec![UNKNOWN; VIRT0]);
    let mut work: Vec<usize> = vec![0];
    while let Some(i) = work.pop() {
        let Some(mut st) = state_in[i].clone() else {
            continue;
        };
        let node = &nodes[i];
        for &u in node.uses.iter().filter(|u| **u >= VIRT0) {
            if phys(u).and_then(|p| st.get(p)) != Some(&(u as u32)) {
                return Err((
                    i,
                    format!(
                        "virtual register v{} is not in its register here",
                        u - VIRT0
                    ),
                ));
            }
        }
        for &d in &node.defs {
            if d < VIRT0 {
                st[d] = UNKNOWN;
            }
        }
        for &d in node.defs.iter().filter(|d| **d >= VIRT0) {
            match phys(d) {
                Some(p) => st[p] = d as u32,
                None => {
                    return Err((
                        i,
                        format!("virtual register v{} has no register", d - VIRT0),
                    ));
                }
            }
        }
        for &s in &node.succs {
            let merged = match &state_in[s] {
                None => st.clone(),
                Some(old) => old
                    .iter()
                    .zip(&st)
                    .map(|(a, b)| if a == b { *a } else { UNKNOWN })
                    .collect(),
            };
            if state_in[s].as_ref() != Some(&merged) {
                state_in[s] = Some(merged);
                work.push(s);
            }
        }
    }
    Ok(())
}

// ----- rewrite ---------------------------------------------------------------------------------

/// Replaces every virtual register by its colour and re-binds the forms of the instructions
/// that named one.
fn rewrite(sel: Selected, colours: &[Option<usize>], variant: &Variant) -> syn::Result<Allocated> {
    let mut errors = Errors::new();
    let allowed = choose::allowed(variant);
    let assign = |r: Reg| -> Option<Register> {
        match r {
            Reg::Phys(p) => Some(p),
            Reg::Virt(v) => {
                let n = colours.get(v.id as usize).copied().flatten()?;
                phys_reg(v.class, n, v.size)
            }
        }
    };
    let mut items = Vec::with_capacity(sel.items.len());
    for item in sel.items {
        let span = item.span();
        match item {
            SItem::Inst(s) => {
                let had_virtual = s
                    .inst
                    .operands
                    .iter()
                    .flat_map(|o| o.regs())
                    .any(|r| r.virt().is_some());
                let Some(inst) = s.inst.map_regs(assign) else {
                    errors.push_err(diag::internal(span, "unallocated virtual register"));
                    continue;
                };
                if had_virtual {
                    match choose::choose(inst, allowed) {
                        Ok(new) => items.push(SItem::Inst(new)),
                        Err(e) => errors.push_err(e),
                    }
                } else {
                    items.push(SItem::Inst(SelInst { code: s.code, inst }));
                }
            }
            SItem::Return(v, span) => match return_value(v, assign, span) {
                Ok(v) => items.push(SItem::Return(v, span)),
                Err(e) => errors.push_err(e),
            },
            SItem::Label(l) => items.push(SItem::Label(l)),
            SItem::Align(a) => items.push(SItem::Align(a)),
        }
    }
    errors.finish()?;
    Ok(Allocated {
        items,
        consts: sel.consts,
        label_count: sel.label_count,
    })
}
