//! The exhaustive encoding sweep: every 64-bit-mode legacy, VEX and EVEX form of iced-x86's
//! table, through the macro's own pipeline, against GNU as — and against `llvm-mc` for the
//! forms binutils does not know.
//!
//! ```text
//!   iced Code --cases--> operand sets --render--> DSL snippet ----encode_body----> bytes --+
//!                                             \-> GNU as text --as (batched)--> bytes -----+--> verdict
//!                                                             \-> llvm-mc, where as has no
//!                                                                 spelling for the form
//! ```
//!
//! For each form [`cases`] derives operand sets from iced's `OpCodeInfo` and [`render`] spells
//! each as DSL tokens and as GNU `.intel_syntax noprefix` text (forms that no written operand
//! tells apart by GNU's own size spellings: `pushw`, `retfq`, `data16 fldenv`, `addr32 loop`,
//! `data16 jz`, which the DSL spells `pushw`, `retfq`, `data16_fldenv`, `addr32_loop`,
//! `data16_jz`). The o16 branches are judged as AMD CPUs decode them (`run::form_of`); GNU
//! as drops the 66 of `data16 loop`/`data16 jrcxz` with a warning, so llvm-mc checks those. Every DSL snippet
//! goes through [`encode_body`](super::encode_body) — parse, eval, select, encode: the path a
//! kernel takes. At about 80 µs a snippet, 170 000 snippets cost some 15 CPU-seconds (two
//! threads), so there is no need to bypass the parser. The GNU texts go through a few `as`
//! runs of 3000 lines ([`run`]); a line `as` rejects is dropped and its chunk re-run.
//!
//! The second assembler: where GNU as (binutils 2.40 on the reference machines) rejects a case
//! that asmforge encodes as a form GNU as assembled in no other case, the same text goes to
//! `llvm-mc -triple=x86_64 -filetype=obj` of LLVM 19 ([`gnu::llvm_mc`]: `$ASMFORGE_LLVM_MC`,
//! else `llvm-mc-19`; never an unversioned `llvm-mc`, which is LLVM 14 here and has no spelling
//! for 29 of the forms LLVM 19 checks). GNU as stays the standard wherever it has a say; LLVM 19
//! checks the extensions newer than binutils 2.40 (AVX-VNNI-INT16, SHA512, SM3, SM4,
//! AMX-COMPLEX, LKGS, FRED, PBNDKB, `vmovw` with a 64-bit register), and it also judges
//! asmforge's encodings of spellings GNU as refuses (it showed that `tpause rcx` is `tpause
//! ecx`, and `lkgs ax` `lkgs eax`, now narrowed like `movmskps rax`). Where that `llvm-mc` is
//! missing, the sweep says so in a NOTE line and leaves the forms only it could judge unchecked
//! (so `cargo test` still runs on a machine with only LLVM 14); with `ASMFORGE_REQUIRE_TOOLS`
//! set — `.ci/run` sets it after installing `llvm-19` — it fails instead. Pointed at an older one, the forms it
//! cannot check are neither checked nor listed, and the sweep fails too. LLVM 22 (Debian's
//! `llvm-22`, through `ASMFORGE_LLVM_MC`) checks the same 31 forms as LLVM 19, so the sweep
//! stays with 19.
//!
//! asmforge picks the form by its own rules (least demanding encoding, then shortest), so which
//! form a snippet exercised is read back from its bytes: the decoded `Code` of the instruction
//! under test. A form counts as *checked* when some snippet encodes to exactly that form and
//! the reference assembler makes the same bytes, or — for the differences [`verdict`]
//! documents — the same instruction at no greater length. Where asmforge picks VEX, the
//! assembler gets the `{vex}` pseudo-prefix: asmforge's rule is VEX before EVEX, GNU's for
//! AVX-VNNI-style instructions is EVEX first, and both are valid. (asmforge never gets
//! `{evex}`: an EVEX form where VEX would do must show up as a mismatch.)
//!
//! The printed line is `encoding sweep: N forms checked of M, K mismatches (GNU as G, llvm-mc
//! L)`, a form counted for GNU as whenever GNU as checked it. The test fails on a mismatch (with
//! either assembler); on a rejection of what GNU as assembles that is not one of
//! [`coverage::DELIBERATE_REJECTIONS`]; and on a form that is neither checked nor listed, with
//! its reason, in `codegen/tests/sweep-exclusions.txt` (or listed but checked after all).
//!
//! Run it alone with `cargo test -p asmforge-codegen encoding_sweep -- --nocapture`. Set
//! `ASMFORGE_SWEEP_DUMP=<file>` to write every case that did not match byte for byte, and
//! `ASMFORGE_SWEEP_UNCHECKED=<file>` to write every unchecked form with what its cases hit
//! (the draft of the exclusions file).

mod cases;
mod coverage;
mod operands;
mod render;
mod run;
mod verdict;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use iced_x86::Code;

use super::gnu::{self, Assembler};
use cases::Case;
use run::Ours;
use verdict::Outcome;

/// Everything the cases came to.
#[derive(Default)]
struct Tally {
    /// Forms of M some case checked.
    checked: BTreeSet<Code>,
    /// The assembler that checked each form (GNU as wherever it did).
    checked_by: BTreeMap<Code, Assembler>,
    counts: BTreeMap<Outcome, usize>,
    /// Mismatches, spelled out (capped).
    report: String,
    /// Every case that did not match byte for byte.
    dump: String,
    /// Per generating form: its cases' outcomes and the forms they hit.
    fate: BTreeMap<Code, BTreeSet<String>>,
    /// Rejections of what GNU as assembles that are not deliberate.
    unexpected: Vec<String>,
}

impl Tally {
    fn of(
        cases: &[Case],
        ours: &[Ours],
        theirs: &[Result<Vec<u8>, String>],
        by: &[Assembler],
    ) -> Tally {
        let mut t = Tally::default();
        for (((case, o), g), a) in cases.iter().zip(ours).zip(theirs).zip(by) {
            t.add(case, o, g, *a);
        }
        t
    }

    fn add(&mut self, case: &Case, o: &Ours, g: &Result<Vec<u8>, String>, by: Assembler) {
        let v = verdict::judge(case, o, g);
        *self.counts.entry(v.outcome).or_default() += 1;
        let hit = match o {
            Ours::Encoded(_, c) => format!("{:?}->{c:?}", v.outcome),
            Ours::Rejected(_) => format!("{:?}", v.outcome),
        };
        self.fate.entry(case.form).or_default().insert(hit);
        if let (Outcome::Match | Outcome::Equivalent, Ours::Encoded(_, c)) = (v.outcome, o) {
            self.checked.insert(*c);
            let e = self.checked_by.entry(*c).or_insert(by);
            if by == Assembler::Gnu {
                *e = by;
            }
        }
        let deliberate = coverage::DELIBERATE_REJECTIONS
            .iter()
            .any(|(m, _)| v.detail.contains(m));
        if v.outcome == Outcome::OursRejects && !deliberate && self.unexpected.len() < 50 {
            self.unexpected
                .push(format!("  {}: {}", case.dsl, v.detail));
        }
        if v.outcome == Outcome::Match {
            return;
        }
        let entry = format!(
            "{:?} [{:?}, {}{}]\n    dsl: {}\n    gnu: {}\n    {}\n",
            v.outcome,
            case.form,
            case.what,
            if by == Assembler::LlvmMc {
                ", against llvm-mc"
            } else {
                ""
            },
            case.dsl,
            run::gnu_text(case, o, true).replace('\n', "; "),
            v.detail
        );
        if v.outcome == Outcome::Mismatch && self.report.len() < 20_000 {
            self.report.push_str(&entry);
        }
        self.dump.push_str(&entry);
    }

    fn count(&self, o: Outcome) -> usize {
        self.counts.get(&o).copied().unwrap_or(0)
    }

    /// The files `ASMFORGE_SWEEP_DUMP` and `ASMFORGE_SWEEP_UNCHECKED` ask for.
    fn write_files(&self, unchecked: &[Code]) {
        if let Ok(path) = std::env::var("ASMFORGE_SWEEP_DUMP") {
            let _ = std::fs::write(path, &self.dump);
        }
        if let Ok(path) = std::env::var("ASMFORGE_SWEEP_UNCHECKED") {
            let text: String = unchecked
                .iter()
                .map(|c| {
                    let f: Vec<String> = self.fate.get(c).into_iter().flatten().cloned().collect();
                    let form = c.op_code().instruction_string();
                    format!("{c:?}\t{form}\t{}\n", f.join(" "))
                })
                .collect();
            let _ = std::fs::write(path, text);
        }
    }
}

/// The per-family lines: checked and excluded forms of each extension family.
fn print_families(forms: &[Code], checked: &BTreeSet<Code>, excluded: &BTreeMap<Code, String>) {
    let mut fam: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for c in forms {
        for f in coverage::families(*c) {
            let e = fam.entry(f).or_default();
            e.0 += 1;
            if checked.contains(c) {
                e.1 += 1;
            } else if excluded.contains_key(c) {
                e.2 += 1;
            }
        }
    }
    let order = coverage::FAMILIES.iter().map(|(n, _)| *n).chain([
        "other legacy",
        "other VEX",
        "other EVEX",
    ]);
    for name in order {
        if let Some((total, ok, ex)) = fam.get(name) {
            let pct = 100.0 * *ok as f64 / *total as f64;
            eprintln!("  {name:<14} {ok:4} of {total:4} checked ({pct:5.1}%), {ex} excluded");
        }
    }
}

/// Listed forms that are checked after all: `(GNU-dependent ones, the others)`.
fn stale(
    checked: &BTreeSet<Code>,
    excluded: &BTreeMap<Code, String>,
) -> (Vec<String>, Vec<String>) {
    let (mut gnu, mut fixed) = (Vec::new(), Vec::new());
    for (c, r) in excluded.iter().filter(|(c, _)| checked.contains(c)) {
        let entry = format!("{c:?} ({r})");
        if coverage::GNU_DEPENDENT.contains(&r.as_str()) {
            gnu.push(entry);
        } else {
            fixed.push(entry);
        }
    }
    (gnu, fixed)
}

/// The timing line's phases.
struct Phases {
    generate: Duration,
    asmforge: Duration,
    gnu: Duration,
}

#[test]
fn encoding_sweep() {
    if !gnu::available() {
        eprintln!("encoding sweep: GNU as not found, skipped");
        return;
    }
    // Without LLVM 19 the forms only llvm-mc can judge go unchecked, said below; CI
    // (`ASMFORGE_REQUIRE_TOOLS`, set by `.ci/run`, which installs it) fails instead.
    if let Err(e) = gnu::llvm_mc() {
        if std::env::var_os("ASMFORGE_REQUIRE_TOOLS").is_some() {
            panic!(
                "encoding sweep: the forms binutils does not know are checked against llvm-mc: {e}"
            );
        }
        eprintln!(
            "encoding sweep: NOTE: {e}; the forms binutils does not know go unchecked in this run"
        );
    }
    let start = Instant::now();
    let forms = coverage::all_forms();
    let excluded =
        coverage::exclusions(&forms).unwrap_or_else(|e| panic!("sweep-exclusions.txt:\n{e}"));
    let cases = cases::all(&forms);
    let generated = start.elapsed();
    let ours = run::encode_all(&cases);
    let encoded = start.elapsed();
    let (theirs, by, retries, pending) = run::assemble_cases(&cases, &ours);
    let phases = Phases {
        generate: generated,
        asmforge: encoded - generated,
        gnu: start.elapsed() - encoded,
    };

    let mut tally = Tally::of(&cases, &ours, &theirs, &by);
    tally.checked.retain(|c| forms.contains(c));
    tally.checked_by.retain(|c, _| forms.contains(c));
    let by_llvm = tally
        .checked_by
        .values()
        .filter(|a| **a == Assembler::LlvmMc)
        .count();
    let unchecked: Vec<Code> = forms
        .iter()
        .copied()
        .filter(|c| !tally.checked.contains(c))
        .collect();
    tally.write_files(&unchecked);
    let mismatches = tally.count(Outcome::Mismatch);
    eprint!("{}", tally.report);
    eprintln!(
        "encoding sweep: {} forms checked of {}, {mismatches} mismatches (GNU as {}, llvm-mc {by_llvm})",
        tally.checked.len(),
        forms.len(),
        tally.checked.len() - by_llvm,
    );
    print_families(&forms, &tally.checked, &excluded);
    let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
    for r in excluded.values() {
        *by_reason.entry(r.as_str()).or_default() += 1;
    }
    eprintln!(
        "  {} operand sets: {:?}; {retries} GNU retries without a size keyword; \
         generate {:.1?}, asmforge {:.1?}, GNU as {:.1?}\n  excluded by reason: {by_reason:?}",
        cases.len(),
        tally.counts,
        phases.generate,
        phases.asmforge,
        phases.gnu
    );
    if !pending.is_empty() {
        eprintln!(
            "  NOTE: {} forms only llvm-mc (LLVM 19) can judge went unchecked: install llvm-19",
            pending.len()
        );
    }
    check(&forms, &tally, &unchecked, &excluded, &pending, mismatches);
}

/// The assertions, after everything is printed.
fn check(
    forms: &[Code],
    tally: &Tally,
    unchecked: &[Code],
    excluded: &BTreeMap<Code, String>,
    pending: &BTreeSet<Code>,
    mismatches: usize,
) {
    let (stale_gnu, stale_fixed) = stale(&tally.checked, excluded);
    if !stale_gnu.is_empty() {
        eprintln!("  note: this GNU as checks listed forms; unlist them: {stale_gnu:?}");
    }
    // `narrowed` is exactly what selection narrows (and no prefix spelling keeps).
    let narrowed_disagree: Vec<String> = forms
        .iter()
        .filter(|c| !tally.checked.contains(c) && !pending.contains(c))
        .filter(|c| {
            (excluded.get(c).map(String::as_str) == Some("narrowed"))
                != crate::isa::forms::narrow_twin(**c).is_some()
        })
        .map(|c| format!("{c:?}"))
        .collect();
    let unlisted: Vec<String> = unchecked
        .iter()
        .filter(|c| !excluded.contains_key(c) && !pending.contains(c))
        .map(|c| format!("{c:?}"))
        .collect();
    assert_eq!(mismatches, 0, "encoding mismatches: see above");
    assert!(
        tally.unexpected.is_empty(),
        "asmforge rejects what GNU as assembles:\n{}",
        tally.unexpected.join("\n")
    );
    assert!(
        stale_fixed.is_empty(),
        "listed in sweep-exclusions.txt but checked: {stale_fixed:?}"
    );
    assert!(
        narrowed_disagree.is_empty(),
        "`narrowed` in sweep-exclusions.txt disagrees with forms::narrow_twin: {narrowed_disagree:?}"
    );
    assert!(
        unlisted.is_empty(),
        "{} forms neither checked nor listed in sweep-exclusions.txt: {}",
        unlisted.len(),
        unlisted.join(" ")
    );
}
