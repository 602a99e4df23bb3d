//! Running the assemblers: asmforge through [`encode_body`] on every core, GNU as over a few
//! batches, `llvm-mc` over what GNU as rejects, and reading back which form asmforge's bytes
//! are.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use iced_x86::{
    Code, Decoder, DecoderOptions, EncodingKind, Formatter, Instruction, IntelFormatter,
};
use proc_macro2::TokenStream;

use super::cases::{Case, VEX_MARK};
use super::render::{SIZE_CLOSE, SIZE_OPEN};
use crate::tests::encode_body;
use crate::tests::gnu::{self, Assembler};

/// GNU as lines per run: small enough that a retry after a rejected line is cheap.
const CHUNK: usize = 3000;

/// What asmforge made of one case.
pub(super) enum Ours {
    Rejected(String),
    /// The bytes, and the form of the instruction under test as decoded from them
    /// (`Code::INVALID` where iced's decoder does not know it, e.g. VIA PadLock).
    Encoded(Vec<u8>, Code),
}

/// The instructions `bytes` decode to.
pub(super) fn decode(bytes: &[u8], options: u32) -> Vec<Instruction> {
    Decoder::with_ip(64, bytes, 0, options)
        .into_iter()
        .collect()
}

pub(super) fn format(ins: &Instruction) -> String {
    let mut s = String::new();
    IntelFormatter::new().format(ins, &mut s);
    s
}

pub(super) fn disassemble(bytes: &[u8], options: u32) -> String {
    decode(bytes, options)
        .iter()
        .map(format)
        .collect::<Vec<_>>()
        .join("; ")
}

pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub(super) fn options(case: &Case) -> u32 {
    DecoderOptions::NONE | case.form.op_code().decoder_option()
}

pub(super) fn subject(case: &Case, bytes: &[u8]) -> Option<Instruction> {
    let all = decode(bytes, options(case));
    all.get(case.subject)
        .copied()
        .filter(|i| i.code() != Code::INVALID)
}

/// The form the instruction under test encodes. iced decodes the waiting x87 forms (`fclex`
/// = `9B DB E2`) as WAIT followed by the no-wait form (`fnclex`); those bytes are exactly the
/// waiting form.
///
/// Two more readings credit the form the snippet was generated from: AMD's (iced decodes
/// `66 FF D1` as `call rcx` because Intel CPUs ignore 66 on near branches; AMD's honour it,
/// and that is `Call_rm16`), and for an operand-less form that iced cannot decode (VIA's
/// MONTMUL), iced's own encoding of that form.
fn form_of(case: &Case, bytes: &[u8]) -> Code {
    let all = decode(bytes, options(case));
    let Some(ins) = all.get(case.subject).filter(|i| i.code() != Code::INVALID) else {
        let mut own = Instruction::default();
        own.set_code(case.form);
        let mut enc = iced_x86::Encoder::new(64);
        if case.form.op_code().op_count() == 0
            && case.subject == 0
            && enc.encode(&own, 0).is_ok()
            && enc.take_buffer() == bytes
        {
            return case.form;
        }
        return Code::INVALID;
    };
    if ins.code() != case.form
        && decode(bytes, options(case) | DecoderOptions::AMD)
            .get(case.subject)
            .is_some_and(|i| i.code() == case.form)
    {
        return case.form;
    }
    let waiting = case.form.op_code().fwait();
    if ins.code() == Code::Wait
        && waiting
        && let Some(next) = all.get(case.subject + 1)
        && format!("{:?}", next.mnemonic())
            == format!("{:?}", case.form.mnemonic()).replacen('F', "Fn", 1)
        && next.memory_size() == case.form.op_code().memory_size()
    {
        return case.form;
    }
    ins.code()
}

fn encode_one(case: &Case) -> Ours {
    let tokens: TokenStream = match case.dsl.parse() {
        Ok(t) => t,
        Err(e) => return Ours::Rejected(format!("tokens: {e}")),
    };
    match encode_body(tokens) {
        Err(e) => Ours::Rejected(e),
        Ok(bytes) => {
            let code = form_of(case, &bytes);
            Ours::Encoded(bytes, code)
        }
    }
}

/// asmforge's result for every case, on every core.
pub(super) fn encode_all(cases: &[Case]) -> Vec<Ours> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per = cases.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .chunks(per)
            .map(|chunk| s.spawn(move || chunk.iter().map(encode_one).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// The snippet numbers an `as` error message names (`in snippet 12: ...`).
fn named_snippets(err: &str) -> Vec<usize> {
    err.split("in snippet ")
        .skip(1)
        .filter_map(|s| s.split(':').next()?.trim().parse().ok())
        .collect()
}

/// GNU as' bytes for each line, or its complaint. Lines that `as` rejects (or warns about)
/// are dropped and the rest re-assembled; an error that names no line is bisected.
fn assemble_chunk(asm: Assembler, lines: &[String]) -> Vec<Result<Vec<u8>, String>> {
    let mut out: Vec<Option<Result<Vec<u8>, String>>> = vec![None; lines.len()];
    let mut live: Vec<usize> = (0..lines.len()).collect();
    while !live.is_empty() {
        let texts: Vec<&str> = live.iter().map(|&i| lines[i].as_str()).collect();
        match gnu::assemble_with(asm, &texts) {
            Ok(bytes) => {
                for (&i, b) in live.iter().zip(bytes) {
                    out[i] = Some(Ok(b));
                }
                break;
            }
            Err(e) => {
                let bad: BTreeSet<usize> = named_snippets(&e).into_iter().collect();
                if bad.is_empty() {
                    if live.len() == 1 {
                        out[live[0]] = Some(Err(e));
                        break;
                    }
                    let (a, b) = live.split_at(live.len() / 2);
                    for half in [a, b] {
                        let sub: Vec<String> = half.iter().map(|&i| lines[i].clone()).collect();
                        for (&i, r) in half.iter().zip(assemble_chunk(asm, &sub)) {
                            out[i] = Some(r);
                        }
                    }
                    break;
                }
                for msg in e.split("\n    in snippet ").collect::<Vec<_>>().windows(2) {
                    let Some(n) = msg[1]
                        .split(':')
                        .next()
                        .and_then(|n| n.trim().parse::<usize>().ok())
                    else {
                        continue;
                    };
                    let Some(&i) = live.get(n) else { continue };
                    let why = msg[0].lines().last().unwrap_or("").to_owned();
                    let why = why
                        .split_once(": ")
                        .map_or(why.clone(), |(_, w)| w.to_owned());
                    if out[i].is_none() {
                        out[i] = Some(Err(why));
                    }
                }
                live = live
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| !bad.contains(k))
                    .map(|(_, &i)| i)
                    .collect();
            }
        }
    }
    out.into_iter()
        .map(|r| r.unwrap_or_else(|| Err("not assembled".into())))
        .collect()
}

/// The assembler's result for every line, chunked over every core.
fn assemble_all(asm: Assembler, lines: &[String]) -> Vec<Result<Vec<u8>, String>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks: Vec<&[String]> = lines.chunks(CHUNK).collect();
    let mut out = Vec::with_capacity(lines.len());
    for group in chunks.chunks(threads) {
        let results: Vec<Vec<Result<Vec<u8>, String>>> = std::thread::scope(|s| {
            let handles: Vec<_> = group
                .iter()
                .map(|c| s.spawn(move || assemble_chunk(asm, c)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_default())
                .collect()
        });
        out.extend(results.into_iter().flatten());
    }
    out
}

/// An assembler's bytes for a case, or its complaint.
pub(super) type Reference = Result<Vec<u8>, String>;

/// The reference bytes (or complaint) for every case, which assembler made them, and how many
/// cases needed a second try. GNU as first; where it rejects a case that asmforge encodes as
/// a form GNU as assembled in no other case (an instruction binutils 2.40 does not know, or a
/// form it has no spelling for), `llvm-mc` gets the same text. Where an assembler rejects an operand with a size keyword, it gets one more try
/// without it (GNU as wants none for some forms, e.g. `movdir64b`); the DSL keeps its
/// explicit size.
pub(super) fn assemble_cases(
    cases: &[Case],
    ours: &[Ours],
) -> (Vec<Reference>, Vec<Assembler>, usize) {
    let mut theirs = vec![Err(String::new()); cases.len()];
    let mut by = vec![Assembler::Gnu; cases.len()];
    let mut retries = 0;
    let all: Vec<usize> = (0..cases.len()).collect();
    retries += assemble_some(Assembler::Gnu, cases, ours, &all, &mut theirs, &mut by);
    // The forms GNU as knows: it assembled some case that asmforge encodes as that form.
    // `llvm-mc` speaks only for the others, so GNU as stays the standard wherever it has a say.
    let encoded_as = |i: usize| match &ours[i] {
        Ours::Encoded(_, c) => Some(*c),
        Ours::Rejected(_) => None,
    };
    let known: BTreeSet<Code> = (0..cases.len())
        .filter(|&i| theirs[i].is_ok())
        .filter_map(encoded_as)
        .collect();
    if Assembler::LlvmMc.available() {
        let rest: Vec<usize> = (0..cases.len())
            .filter(|&i| theirs[i].is_err() && encoded_as(i).is_some_and(|c| !known.contains(&c)))
            .collect();
        assemble_some(Assembler::LlvmMc, cases, ours, &rest, &mut theirs, &mut by);
    }
    (theirs, by, retries)
}

/// Assembles the cases `which` with `asm`, filling in `theirs` and `by` where it succeeds (or
/// where nothing was there yet); returns how many needed a try without the size keyword.
fn assemble_some(
    asm: Assembler,
    cases: &[Case],
    ours: &[Ours],
    which: &[usize],
    theirs: &mut [Result<Vec<u8>, String>],
    by: &mut [Assembler],
) -> usize {
    let texts: Vec<String> = which
        .iter()
        .map(|&i| gnu_text(&cases[i], &ours[i], true))
        .collect();
    let mut results = assemble_all(asm, &texts);
    let retry: Vec<usize> = (0..which.len())
        .filter(|&k| results[k].is_err() && cases[which[k]].gnu.contains(SIZE_OPEN))
        .collect();
    let retry_texts: Vec<String> = retry
        .iter()
        .map(|&k| gnu_text(&cases[which[k]], &ours[which[k]], false))
        .collect();
    for (&k, r) in retry.iter().zip(assemble_all(asm, &retry_texts)) {
        if r.is_ok() {
            results[k] = r;
        }
    }
    for (&i, r) in which.iter().zip(results) {
        let first = asm == Assembler::Gnu;
        if r.is_ok() || first {
            theirs[i] = r;
            by[i] = asm;
        }
    }
    retry.len()
}

/// The GNU text of a case: `{vex}` where asmforge chose a VEX form; the size keyword kept or
/// dropped.
pub(super) fn gnu_text(case: &Case, ours: &Ours, keep_size: bool) -> String {
    let vex = matches!(ours, Ours::Encoded(_, c) if c.op_code().encoding() == EncodingKind::VEX);
    let mut s = case.gnu.replace(VEX_MARK, if vex { "{vex} " } else { "" });
    if keep_size {
        s = s.replace(
            [
                SIZE_OPEN.chars().next().unwrap_or('\u{1}'),
                SIZE_CLOSE.chars().next().unwrap_or('\u{2}'),
            ],
            "",
        );
    } else {
        while let (Some(a), Some(b)) = (s.find(SIZE_OPEN), s.find(SIZE_CLOSE)) {
            s.replace_range(a..b + SIZE_CLOSE.len(), "");
        }
    }
    s
}
