//! Encoding triples: an instruction in the DSL, the same instruction in GNU as' Intel syntax,
//! and (for a few) the expected machine code written out. asmforge must produce the bytes GNU
//! as produces for the same instructions (design.md, "the standard of comparison").
//!
//! Every snippet goes through [`encode_body`] — parse, eval, select, encode, the path a
//! kernel takes — and all GNU texts go through one run of `as` ([`gnu::assemble`]).
//! Snippets with labels (branches, RIP-relative addressing) compare the whole block; their
//! GNU labels are `.L`-local and unique across the table.
//!
//! Where GNU as picks a different but equivalent encoding that asmforge deliberately does not
//! follow, the triple lives in [`equivalents`] instead, which checks that both decode to the
//! same instruction and that asmforge's is not longer.

use std::fmt::Write as _;

use iced_x86::{Decoder, DecoderOptions, Formatter, IntelFormatter};
use proc_macro2::TokenStream;
use quote::quote;

use super::{encode_body, gnu};

/// One triple: DSL snippet, GNU as text, and optionally the bytes spelled out.
pub(super) struct Triple {
    category: &'static str,
    pub(super) dsl: TokenStream,
    gnu: String,
    hex: Option<&'static str>,
}

/// `triples!("category": [dsl] => "gnu text", [dsl] => "gnu text" ; "hex", ...)`.
macro_rules! triples {
    ($cat:literal: $( [$($dsl:tt)*] => $gnu:expr $(; $hex:literal)? ),* $(,)?) => {
        vec![$( Triple {
            category: $cat,
            dsl: quote!($($dsl)*;),
            gnu: ($gnu).to_string(),
            hex: triples!(@hex $($hex)?),
        } ),*]
    };
    (@hex) => { None };
    (@hex $h:literal) => { Some($h) };
}

fn legacy_alu() -> Vec<Triple> {
    triples!("legacy ALU, GPR sizes":
        [add(rax, rbx)] => "add rax, rbx" ; "4801d8",
        [add(eax, ebx)] => "add eax, ebx",
        [add(ax, bx)] => "add ax, bx",
        [add(al, bl)] => "add al, bl",
        [add(r8, r15)] => "add r8, r15",
        [add(r9d, r10d)] => "add r9d, r10d",
        [add(r11w, r12w)] => "add r11w, r12w",
        [add(r13b, r14b)] => "add r13b, r14b",
        [add(spl, dil)] => "add spl, dil" ; "4000fc",
        [mov(bpl, sil)] => "mov bpl, sil",
        [mov(ah, bl)] => "mov ah, bl",
        [sub(rsp, 8)] => "sub rsp, 8",
        [sub(ecx, dword[rdi])] => "sub ecx, dword ptr [rdi]",
        [sub(qword[rdi + 8], r9)] => "sub qword ptr [rdi+8], r9",
        [and(eax, 0xff)] => "and eax, 0xff",
        [or(r10, 1)] => "or r10, 1",
        [xor(eax, eax)] => "xor eax, eax",
        [xor(r15d, r15d)] => "xor r15d, r15d",
        [adc(rdx, rcx)] => "adc rdx, rcx",
        [sbb(eax, 0)] => "sbb eax, 0",
        [cmp(rdi, rsi)] => "cmp rdi, rsi",
        [cmp(byte[rsi], 0)] => "cmp byte ptr [rsi], 0",
        [cmp(word[rsi], 0x1234)] => "cmp word ptr [rsi], 0x1234",
        [test(eax, eax)] => "test eax, eax",
        [test(al, 1)] => "test al, 1",
        [test(dil, 1)] => "test dil, 1",
        [test(qword[rax], rcx)] => "test qword ptr [rax], rcx",
        [neg(r8)] => "neg r8",
        [not(dword[rax])] => "not dword ptr [rax]",
        [inc(r12w)] => "inc r12w",
        [dec(byte[rbx])] => "dec byte ptr [rbx]",
        [mov(rax, rbx)] => "mov rax, rbx",
        [mov(eax, 1)] => "mov eax, 1",
        [mov(r9d, 1)] => "mov r9d, 1",
        [mov(rax, -1)] => "mov rax, -1" ; "48c7c0ffffffff",
        [mov(dword[rdi], 7)] => "mov dword ptr [rdi], 7",
        [mov(byte[rdi], sil)] => "mov byte ptr [rdi], sil",
        [mov(word[rdi], 0x7fff)] => "mov word ptr [rdi], 0x7fff",
        [mov(r14, qword[rsp + 16])] => "mov r14, qword ptr [rsp+16]",
        [movabs(rax, 1)] => "movabs rax, 1",
        [mov(rax, 0x1122_3344_5566_7788)] => "mov rax, 0x1122334455667788" ; "48b88877665544332211",
        [mov(r11, 0xFFFF_FFFF)] => "mov r11, 0xffffffff",
        [mov(rcx, 0x8000_0000)] => "mov rcx, 0x80000000",
        [mov(rcx, -0x8000_0000)] => "mov rcx, -0x80000000",
    )
}

fn immediates() -> Vec<Triple> {
    triples!("immediate boundaries":
        [add(eax, 127)] => "add eax, 127",
        [add(eax, 128)] => "add eax, 128" ; "0580000000",
        [add(ecx, 128)] => "add ecx, 128",
        [add(ecx, -128)] => "add ecx, -128",
        [add(ecx, -129)] => "add ecx, -129",
        [add(ecx, 0xFFFF_FFF0)] => "add ecx, 0xFFFFFFF0",
        [add(rcx, 127)] => "add rcx, 127",
        [add(rcx, 128)] => "add rcx, 128",
        [add(rcx, -128)] => "add rcx, -128",
        [add(rcx, -129)] => "add rcx, -129",
        [add(cx, 127)] => "add cx, 127",
        [add(cx, 128)] => "add cx, 128",
        [add(cx, 0xFFF0)] => "add cx, 0xFFF0",
        [add(al, 1)] => "add al, 1",
        [add(cl, 200)] => "add cl, 200",
        [add(cl, -1)] => "add cl, -1",
        [cmp(rax, 0x7fff_ffff)] => "cmp rax, 0x7fffffff",
        [cmp(eax, -1)] => "cmp eax, -1",
        [and(rax, -16)] => "and rax, -16",
        [and(r12, -4096)] => "and r12, -4096",
        [imul(eax, ecx, 127)] => "imul eax, ecx, 127",
        [imul(eax, ecx, 128)] => "imul eax, ecx, 128",
        [push(127)] => "push 127",
        [push(128)] => "push 128",
        [push(-1)] => "push -1",
    )
}

fn shifts_muldiv() -> Vec<Triple> {
    triples!("shifts, mul/div/imul":
        [shl(eax, 1)] => "shl eax, 1" ; "d1e0",
        [shl(rax, cl)] => "shl rax, cl",
        [shl(r9d, 5)] => "shl r9d, 5",
        [sal(eax, 3)] => "sal eax, 3",
        [shr(byte[rsi], cl)] => "shr byte ptr [rsi], cl",
        [sar(r10, 63)] => "sar r10, 63",
        [rol(word[rax], 1)] => "rol word ptr [rax], 1",
        [ror(edx, 8)] => "ror edx, 8",
        [rcl(eax, 1)] => "rcl eax, 1",
        [rcr(bl, cl)] => "rcr bl, cl",
        [shld(eax, ebx, 4)] => "shld eax, ebx, 4",
        [shrd(rax, rdx, cl)] => "shrd rax, rdx, cl",
        [mul(rcx)] => "mul rcx",
        [mul(byte[rdi])] => "mul byte ptr [rdi]",
        [div(dword[rdi])] => "div dword ptr [rdi]",
        [idiv(r10)] => "idiv r10",
        [imul(r8)] => "imul r8",
        [imul(rax, rbx)] => "imul rax, rbx",
        [imul(r12d, dword[rsi + 4])] => "imul r12d, dword ptr [rsi+4]",
        [imul(eax, ecx, 10)] => "imul eax, ecx, 10",
        [imul(rax, qword[rdi], 1000)] => "imul rax, qword ptr [rdi], 1000",
        [imul(cx, dx, -2)] => "imul cx, dx, -2",
    )
}

fn moves_misc() -> Vec<Triple> {
    triples!("movzx/movsx, lea, push/pop, setcc/cmovcc, bit ops, xchg":
        [movzx(eax, byte[rdi])] => "movzx eax, byte ptr [rdi]",
        [movzx(r8d, word[rax])] => "movzx r8d, word ptr [rax]",
        [movzx(eax, sil)] => "movzx eax, sil",
        [movzx(rax, cx)] => "movzx rax, cx",
        [movsx(rax, cl)] => "movsx rax, cl",
        [movsx(ecx, word[rdx])] => "movsx ecx, word ptr [rdx]",
        [movsxd(rax, ecx)] => "movsxd rax, ecx",
        [movsxd(r9, dword[rsi + 4])] => "movsxd r9, dword ptr [rsi+4]",
        [lea(rax, [rbx + rcx * 4 + 8])] => "lea rax, [rbx+rcx*4+8]",
        [lea(eax, [rdi + 1])] => "lea eax, [rdi+1]",
        [lea(r13, [r13])] => "lea r13, [r13]",
        [lea(rsp, [rsp - 8])] => "lea rsp, [rsp-8]",
        [push(rbx)] => "push rbx",
        [push(r12)] => "push r12",
        [push(qword[rax])] => "push qword ptr [rax]",
        [push(ax)] => "push ax",
        [pop(r15)] => "pop r15",
        [pop(qword[rsp + 8])] => "pop qword ptr [rsp+8]",
        [sete(al)] => "sete al",
        [setz(al)] => "setz al",
        [setnae(r9b)] => "setnae r9b",
        [setg(sil)] => "setg sil",
        [setpe(byte[rax])] => "setpe byte ptr [rax]",
        [cmovnz(rax, rcx)] => "cmovnz rax, rcx",
        [cmovc(eax, dword[rdi])] => "cmovc eax, dword ptr [rdi]",
        [cmovnle(r8w, r9w)] => "cmovnle r8w, r9w",
        [cmova(rdx, qword[rsp])] => "cmova rdx, qword ptr [rsp]",
        [bt(eax, 5)] => "bt eax, 5",
        [bts(rax, rcx)] => "bts rax, rcx",
        [btr(dword[rdi], 31)] => "btr dword ptr [rdi], 31",
        [btc(r8, 63)] => "btc r8, 63",
        [bsf(eax, ecx)] => "bsf eax, ecx",
        [bsr(r8, qword[rsi])] => "bsr r8, qword ptr [rsi]",
        [bswap(r10d)] => "bswap r10d",
        [xchg(rcx, rax)] => "xchg rcx, rax",
        [xchg(eax, eax)] => "xchg eax, eax",
        [xchg(r8d, eax)] => "xchg r8d, eax",
        [xchg(dword[rdi], eax)] => "xchg dword ptr [rdi], eax",
        [xchg(cl, dl)] => "xchg cl, dl",
        [xchg(rax, rbx)] => "xchg rax, rbx",
        [xchg(eax, r8d)] => "xchg eax, r8d",
        [xchg(ax, ax)] => "xchg ax, ax",
        [xchg(eax, dword[rdi])] => "xchg eax, dword ptr [rdi]",
        [test(eax, dword[rdi])] => "test eax, dword ptr [rdi]",
        [cmpxchg(qword[rdi], rcx)] => "cmpxchg qword ptr [rdi], rcx",
        [cmpxchg16b(xmmword[rdi])] => "cmpxchg16b xmmword ptr [rdi]",
        [xadd(eax, ebx)] => "xadd eax, ebx",
        [cqo()] => "cqo",
        [cdq()] => "cdq",
        [cdqe()] => "cdqe",
        [nop()] => "nop",
        [int3()] => "int3",
        [pause()] => "pause",
        [lfence()] => "lfence",
        [rdtsc()] => "rdtsc",
        [cpuid()] => "cpuid",
    )
}

fn strings_lock_x87() -> Vec<Triple> {
    triples!("string ops, rep/lock prefixes, x87":
        [rep_movsb()] => "rep movsb" ; "f3a4",
        [rep_stosq()] => "rep stosq",
        [rep_stosb()] => "rep stosb",
        [repne_scasb()] => "repne scasb",
        [repe_cmpsb()] => "repe cmpsb",
        [repz_cmpsq()] => "repz cmpsq",
        [lodsd()] => "lodsd",
        [movsq()] => "movsq",
        [stosw()] => "stosw",
        [lock_add(dword[rdi], 1)] => "lock add dword ptr [rdi], 1" ; "f0830701",
        [lock_xadd(qword[rsi], rax)] => "lock xadd qword ptr [rsi], rax",
        [lock_inc(dword[rax])] => "lock inc dword ptr [rax]",
        [lock_cmpxchg(dword[rdi], ecx)] => "lock cmpxchg dword ptr [rdi], ecx",
        [lock_or(byte[r8], 0x80)] => "lock or byte ptr [r8], 0x80",
        [lock_bts(qword[rdi], rax)] => "lock bts qword ptr [rdi], rax",
        [fld(dword[rax])] => "fld dword ptr [rax]",
        [fld(tbyte[rax])] => "fld tbyte ptr [rax]",
        [fld(st1)] => "fld st(1)",
        [fadd(st0, st1)] => "fadd st, st(1)",
        [faddp(st1, st0)] => "faddp st(1), st",
        [fmul(qword[rdi])] => "fmul qword ptr [rdi]",
        [fxch(st0, st1)] => "fxch st(1)",
        [fstp(st1)] => "fstp st(1)",
        [fistp(qword[rsp])] => "fistp qword ptr [rsp]",
        [fldz()] => "fldz",
        [fsqrt()] => "fsqrt",
    )
}

fn sse() -> Vec<Triple> {
    triples!("SSE .. SSE4.2":
        [addps(xmm0, xmm1)] => "addps xmm0, xmm1",
        [movaps(xmm8, [rax])] => "movaps xmm8, [rax]",
        [movups([rdi], xmm15)] => "movups [rdi], xmm15",
        [movaps(xmm0, xmm9)] => "movaps xmm0, xmm9",
        [mulsd(xmm1, qword[rax])] => "mulsd xmm1, qword ptr [rax]",
        [movss(xmm0, dword[rdi + rax * 4])] => "movss xmm0, dword ptr [rdi+rax*4]",
        [movss(dword[rdi], xmm3)] => "movss dword ptr [rdi], xmm3",
        [sqrtps(xmm2, xmm3)] => "sqrtps xmm2, xmm3",
        [cmpps(xmm0, xmm1, 2)] => "cmpps xmm0, xmm1, 2",
        [shufps(xmm0, xmm1, 0x1b)] => "shufps xmm0, xmm1, 0x1b",
        [cvtsi2sd(xmm0, rax)] => "cvtsi2sd xmm0, rax",
        [cvtsi2ss(xmm0, dword[rdi])] => "cvtsi2ss xmm0, dword ptr [rdi]",
        [cvttss2si(eax, xmm1)] => "cvttss2si eax, xmm1",
        [cvtsd2si(r8, xmm9)] => "cvtsd2si r8, xmm9",
        [pxor(xmm2, xmm3)] => "pxor xmm2, xmm3",
        [paddd(xmm10, [rsi])] => "paddd xmm10, [rsi]",
        [pshufd(xmm0, xmm1, 0x1b)] => "pshufd xmm0, xmm1, 0x1b",
        [movd(xmm0, eax)] => "movd xmm0, eax",
        [movd(eax, xmm0)] => "movd eax, xmm0",
        [movd(xmm0, dword[rax])] => "movd xmm0, dword ptr [rax]",
        [movq(rax, xmm0)] => "movq rax, xmm0",
        [movq(xmm0, xmm1)] => "movq xmm0, xmm1",
        [movq(xmm0, qword[rdi])] => "movq xmm0, qword ptr [rdi]",
        [movq(qword[rdi], xmm0)] => "movq qword ptr [rdi], xmm0",
        [movdqa(xmm0, xmm1)] => "movdqa xmm0, xmm1",
        [movdqu(xmm12, [rdi + 16])] => "movdqu xmm12, [rdi+16]",
        [psllq(xmm1, 3)] => "psllq xmm1, 3",
        [pslld(xmm1, xmm2)] => "pslld xmm1, xmm2",
        [punpcklbw(xmm0, xmm1)] => "punpcklbw xmm0, xmm1",
        [pmovmskb(eax, xmm1)] => "pmovmskb eax, xmm1",
        [movmskps(eax, xmm0)] => "movmskps eax, xmm0",
        [haddps(xmm0, xmm1)] => "haddps xmm0, xmm1",
        [movddup(xmm0, qword[rax])] => "movddup xmm0, qword ptr [rax]",
        [lddqu(xmm0, [rax])] => "lddqu xmm0, [rax]",
        [pshufb(xmm0, xmm1)] => "pshufb xmm0, xmm1" ; "660f3800c1",
        [pshufb(xmm8, [r9])] => "pshufb xmm8, [r9]",
        [palignr(xmm0, xmm1, 4)] => "palignr xmm0, xmm1, 4",
        [pabsd(xmm3, xmm4)] => "pabsd xmm3, xmm4",
        [pmaddubsw(xmm0, xmm1)] => "pmaddubsw xmm0, xmm1",
        [dpps(xmm0, xmm1, 0xff)] => "dpps xmm0, xmm1, 0xff",
        [dppd(xmm0, [rax], 0x31)] => "dppd xmm0, [rax], 0x31",
        [blendvps(xmm1, xmm2)] => "blendvps xmm1, xmm2, xmm0",
        [pminsd(xmm0, xmm1)] => "pminsd xmm0, xmm1",
        [ptest(xmm0, xmm1)] => "ptest xmm0, xmm1",
        [roundps(xmm0, xmm1, 4)] => "roundps xmm0, xmm1, 4",
        [roundsd(xmm0, qword[rax], 9)] => "roundsd xmm0, qword ptr [rax], 9",
        [pextrd(eax, xmm1, 2)] => "pextrd eax, xmm1, 2",
        [pextrb(byte[rax], xmm1, 2)] => "pextrb byte ptr [rax], xmm1, 2",
        [pinsrq(xmm0, rax, 1)] => "pinsrq xmm0, rax, 1",
        [pmovzxbd(xmm0, dword[rax])] => "pmovzxbd xmm0, dword ptr [rax]",
        [insertps(xmm0, xmm1, 0x10)] => "insertps xmm0, xmm1, 0x10",
        [pmulld(xmm0, xmm1)] => "pmulld xmm0, xmm1",
        [pcmpistri(xmm0, xmm1, 0x0c)] => "pcmpistri xmm0, xmm1, 0x0c",
        [pcmpestri(xmm0, [rdi], 0x18)] => "pcmpestri xmm0, [rdi], 0x18",
        [pcmpgtq(xmm0, xmm1)] => "pcmpgtq xmm0, xmm1",
        [crc32(eax, byte[rdi])] => "crc32 eax, byte ptr [rdi]",
        [crc32(eax, cx)] => "crc32 eax, cx",
        [crc32(eax, ecx)] => "crc32 eax, ecx",
        [crc32(rax, rcx)] => "crc32 rax, rcx",
        [crc32(rax, bl)] => "crc32 rax, bl",
        [popcnt(rax, rbx)] => "popcnt rax, rbx",
        [popcnt(ecx, dword[rdi])] => "popcnt ecx, dword ptr [rdi]",
        [lzcnt(eax, ecx)] => "lzcnt eax, ecx",
        [tzcnt(rax, qword[rdi])] => "tzcnt rax, qword ptr [rdi]",
        [tzcnt(r8w, r9w)] => "tzcnt r8w, r9w",
    )
}

fn avx() -> Vec<Triple> {
    triples!("AVX/AVX2/FMA/BMI/AVX-VNNI":
        [vaddps(ymm0, ymm1, ymm2)] => "vaddps ymm0, ymm1, ymm2" ; "c5f458c2",
        [vaddps(xmm0, xmm1, [rax])] => "vaddps xmm0, xmm1, [rax]",
        [vaddps(ymm0, ymm8, ymm1)] => "vaddps ymm0, ymm8, ymm1",
        [vaddps(ymm0, ymm1, ymm8)] => "vaddps ymm0, ymm1, ymm8",
        [vmulsd(xmm0, xmm1, qword[rdi])] => "vmulsd xmm0, xmm1, qword ptr [rdi]",
        [vmovaps(ymm8, [rax])] => "vmovaps ymm8, [rax]",
        [vmovaps(ymm0, ymm8)] => "vmovaps ymm0, ymm8",
        [vmovups([rdi + 32], ymm15)] => "vmovups [rdi+32], ymm15",
        [vmovdqu(ymm1, [rsi + rcx])] => "vmovdqu ymm1, [rsi+rcx]",
        [vxorps(xmm0, xmm0, xmm0)] => "vxorps xmm0, xmm0, xmm0",
        [vxorps(ymm15, ymm15, ymm15)] => "vxorps ymm15, ymm15, ymm15",
        [vsqrtps(ymm0, ymm1)] => "vsqrtps ymm0, ymm1",
        [vcmpps(ymm0, ymm1, ymm2, 1)] => "vcmpps ymm0, ymm1, ymm2, 1",
        [vshufps(ymm0, ymm1, ymm2, 0x44)] => "vshufps ymm0, ymm1, ymm2, 0x44",
        [vmovd(xmm0, eax)] => "vmovd xmm0, eax",
        [vmovq(rax, xmm1)] => "vmovq rax, xmm1",
        [vmovq(xmm0, xmm1)] => "vmovq xmm0, xmm1",
        [vmovss(xmm0, dword[rax])] => "vmovss xmm0, dword ptr [rax]",
        [vmovss(xmm0, xmm1, xmm2)] => "vmovss xmm0, xmm1, xmm2",
        [vcvtps2pd(ymm0, xmm1)] => "vcvtps2pd ymm0, xmm1",
        [vcvtsi2sd(xmm0, xmm1, rax)] => "vcvtsi2sd xmm0, xmm1, rax",
        [vperm2f128(ymm0, ymm1, ymm2, 0x20)] => "vperm2f128 ymm0, ymm1, ymm2, 0x20",
        [vinsertf128(ymm0, ymm1, xmm2, 1)] => "vinsertf128 ymm0, ymm1, xmm2, 1",
        [vextractf128(xmm0, ymm1, 1)] => "vextractf128 xmm0, ymm1, 1",
        [vbroadcastss(ymm0, dword[rax])] => "vbroadcastss ymm0, dword ptr [rax]",
        [vbroadcastss(ymm0, xmm1)] => "vbroadcastss ymm0, xmm1",
        [vbroadcastsd(ymm0, qword[rdi])] => "vbroadcastsd ymm0, qword ptr [rdi]",
        [vblendvps(ymm0, ymm1, ymm2, ymm3)] => "vblendvps ymm0, ymm1, ymm2, ymm3",
        [vmaskmovps(ymm0, ymm1, [rax])] => "vmaskmovps ymm0, ymm1, [rax]",
        [vtestps(ymm0, ymm1)] => "vtestps ymm0, ymm1",
        [vzeroupper()] => "vzeroupper",
        [vpermd(ymm0, ymm1, ymm2)] => "vpermd ymm0, ymm1, ymm2",
        [vpermq(ymm0, ymm1, 0x4e)] => "vpermq ymm0, ymm1, 0x4e",
        [vpaddd(ymm9, ymm10, [r11])] => "vpaddd ymm9, ymm10, [r11]",
        [vpshufb(ymm0, ymm1, ymm2)] => "vpshufb ymm0, ymm1, ymm2",
        [vpbroadcastd(ymm0, xmm1)] => "vpbroadcastd ymm0, xmm1",
        [vpbroadcastb(xmm0, byte[rax])] => "vpbroadcastb xmm0, byte ptr [rax]",
        [vpblendvb(ymm0, ymm1, ymm2, ymm3)] => "vpblendvb ymm0, ymm1, ymm2, ymm3",
        [vpsllvd(ymm0, ymm1, ymm2)] => "vpsllvd ymm0, ymm1, ymm2",
        [vpsrld(ymm0, ymm1, 3)] => "vpsrld ymm0, ymm1, 3",
        [vpmovmskb(eax, ymm1)] => "vpmovmskb eax, ymm1",
        [vinserti128(ymm0, ymm1, [rax], 1)] => "vinserti128 ymm0, ymm1, [rax], 1",
        [vgatherdps(ymm0, [rax + ymm2 * 4], ymm1)] => "vgatherdps ymm0, [rax+ymm2*4], ymm1" ; "c4e275920490",
        [vgatherdpd(ymm0, [rdi + xmm2 * 8 + 16], ymm1)] => "vgatherdpd ymm0, [rdi+xmm2*8+16], ymm1",
        [vpgatherqq(ymm0, [rax + ymm1 * 8], ymm2)] => "vpgatherqq ymm0, [rax+ymm1*8], ymm2",
        [vpgatherdd(xmm3, [r9 + xmm10], xmm4)] => "vpgatherdd xmm3, [r9+xmm10], xmm4",
        [vpdpbusd(ymm0, ymm1, ymm2)] => "{vex} vpdpbusd ymm0, ymm1, ymm2",
        [vpdpwssds(xmm3, xmm4, [rax])] => "{vex} vpdpwssds xmm3, xmm4, [rax]",
        [vpmadd52luq(ymm0, ymm1, ymm2)] => "{vex} vpmadd52luq ymm0, ymm1, ymm2",
        [vfmadd231ps(ymm0, ymm1, [rax])] => "vfmadd231ps ymm0, ymm1, [rax]",
        [vfmadd213sd(xmm0, xmm1, xmm2)] => "vfmadd213sd xmm0, xmm1, xmm2",
        [vfnmadd132ps(xmm8, xmm9, xmm10)] => "vfnmadd132ps xmm8, xmm9, xmm10",
        [vfmsub231pd(ymm3, ymm4, ymm12)] => "vfmsub231pd ymm3, ymm4, ymm12",
        [andn(eax, ebx, ecx)] => "andn eax, ebx, ecx",
        [andn(r8, r9, qword[rdi])] => "andn r8, r9, qword ptr [rdi]",
        [bextr(rax, rbx, rcx)] => "bextr rax, rbx, rcx",
        [blsr(eax, ecx)] => "blsr eax, ecx",
        [blsi(rax, qword[rdi])] => "blsi rax, qword ptr [rdi]",
        [pdep(rax, rbx, rcx)] => "pdep rax, rbx, rcx",
        [pext(eax, ebx, dword[rdi])] => "pext eax, ebx, dword ptr [rdi]",
        [shlx(eax, ebx, ecx)] => "shlx eax, ebx, ecx",
        [sarx(r10, qword[rsi], r11)] => "sarx r10, qword ptr [rsi], r11",
        [rorx(rax, rbx, 7)] => "rorx rax, rbx, 7",
        [bzhi(eax, ebx, ecx)] => "bzhi eax, ebx, ecx",
        [mulx(rax, rbx, rcx)] => "mulx rax, rbx, rcx",
    )
}

fn avx512() -> Vec<Triple> {
    triples!("AVX-512 (F/BW/DQ/VL/CD/VNNI/BF16/FP16), masks, rounding, k-regs":
        [vaddps(zmm1.k(k1).z(), zmm2, dword[rax + 64].bcst())] => "vaddps zmm1{k1}{z}, zmm2, dword bcst [rax+64]" ; "62f16cd9584810",
        [vaddps(zmm1.k(k1).z(), zmm2, dword[rax + 64].bcst())] => "vaddps zmm1{k1}{z}, zmm2, [rax+64]{1to16}",
        [vaddps(zmm0, zmm1, zmm2)] => "vaddps zmm0, zmm1, zmm2",
        [vaddps(zmm0.k(k7), zmm1, [rax])] => "vaddps zmm0{k7}, zmm1, [rax]",
        [vaddpd(zmm0, zmm1, qword[rax].bcst())] => "vaddpd zmm0, zmm1, [rax]{1to8}",
        [vaddps(ymm0.k(k1), ymm1, dword[rax].bcst())] => "vaddps ymm0{k1}, ymm1, [rax]{1to8}",
        [vaddps(xmm0.k(k1), xmm1, dword[rax].bcst())] => "vaddps xmm0{k1}, xmm1, [rax]{1to4}",
        [vaddps(xmm16, xmm17, xmm18)] => "vaddps xmm16, xmm17, xmm18",
        [vaddps(ymm31, ymm0, ymm1)] => "vaddps ymm31, ymm0, ymm1",
        [vaddps(zmm31, zmm30, zmm29)] => "vaddps zmm31, zmm30, zmm29",
        [vaddps(zmm0, zmm1, zmm2, rn_sae)] => "vaddps zmm0, zmm1, zmm2, {rn-sae}" ; "62f1741858c2",
        [vaddpd(zmm0, zmm1, zmm2, rd_sae)] => "vaddpd zmm0, zmm1, zmm2, {rd-sae}",
        [vmulps(zmm0, zmm1, zmm2, ru_sae)] => "vmulps zmm0, zmm1, zmm2, {ru-sae}",
        [vsubss(xmm0, xmm1, xmm2, rz_sae)] => "vsubss xmm0, xmm1, xmm2, {rz-sae}",
        [vcvtps2dq(zmm0, zmm1, ru_sae)] => "vcvtps2dq zmm0, zmm1, {ru-sae}",
        [vcvtsi2ss(xmm0, xmm1, rax, rn_sae)] => "vcvtsi2ss xmm0, xmm1, rax, {rn-sae}",
        [vmaxps(zmm0, zmm1, zmm2, sae)] => "vmaxps zmm0, zmm1, zmm2, {sae}",
        [vcmpps(k1, zmm2, zmm3, 0, sae)] => "vcmpps k1, zmm2, zmm3, {sae}, 0",
        [vcmpps(k1.k(k2), zmm2, [rax], 1)] => "vcmpps k1{k2}, zmm2, [rax], 1",
        [vucomiss(xmm0, xmm1, sae)] => "vucomiss xmm0, xmm1, {sae}",
        [vmovaps(zmm0, [rax])] => "vmovaps zmm0, [rax]",
        [vmovups([rdi].k(k1), zmm5)] => "vmovups [rdi]{k1}, zmm5",
        [vmovdqu32(zmm0.k(k1).z(), [rsi])] => "vmovdqu32 zmm0{k1}{z}, [rsi]",
        [vmovdqa64(zmm16, zmm17)] => "vmovdqa64 zmm16, zmm17",
        [vmovdqu8(zmm0.k(k1), [rax])] => "vmovdqu8 zmm0{k1}, [rax]",
        [vmovdqu16(ymm20, [rax])] => "vmovdqu16 ymm20, [rax]",
        [vpaddb(zmm0, zmm1, zmm2)] => "vpaddb zmm0, zmm1, zmm2",
        [vpaddd(zmm0.k(k3), zmm1, dword[rdx].bcst())] => "vpaddd zmm0{k3}, zmm1, [rdx]{1to16}",
        [vpaddq(xmm20, xmm21, qword[rdx].bcst())] => "vpaddq xmm20, xmm21, [rdx]{1to2}",
        [vpermw(zmm0, zmm1, zmm2)] => "vpermw zmm0, zmm1, zmm2",
        [vpermt2ps(zmm0, zmm1, zmm2)] => "vpermt2ps zmm0, zmm1, zmm2",
        [vpternlogd(zmm0, zmm1, zmm2, 0x96)] => "vpternlogd zmm0, zmm1, zmm2, 0x96",
        [vpternlogq(xmm0, xmm1, xmm2, 0xff)] => "vpternlogq xmm0, xmm1, xmm2, 0xff",
        [vpcmpeqd(k1, zmm0, zmm1)] => "vpcmpeqd k1, zmm0, zmm1",
        [vpcmpud(k2.k(k1), zmm0, zmm1, 1)] => "vpcmpud k2{k1}, zmm0, zmm1, 1",
        [vpmullq(zmm0, zmm1, zmm2)] => "vpmullq zmm0, zmm1, zmm2",
        [vcvtqq2pd(zmm0, zmm1)] => "vcvtqq2pd zmm0, zmm1",
        [vandps(zmm0, zmm1, zmm2)] => "vandps zmm0, zmm1, zmm2",
        [vextracti64x2(xmm0, zmm1, 3)] => "vextracti64x2 xmm0, zmm1, 3",
        [vinsertf32x8(zmm0, zmm1, ymm2, 1)] => "vinsertf32x8 zmm0, zmm1, ymm2, 1",
        [vextractf32x4(xmm0, zmm1, 2)] => "vextractf32x4 xmm0, zmm1, 2",
        [vbroadcastss(zmm0, xmm1)] => "vbroadcastss zmm0, xmm1",
        [vbroadcastss(zmm0, dword[rax])] => "vbroadcastss zmm0, dword ptr [rax]",
        [vpbroadcastd(zmm0, eax)] => "vpbroadcastd zmm0, eax",
        [vpmovm2d(zmm0, k1)] => "vpmovm2d zmm0, k1",
        [vpmovd2m(k1, zmm0)] => "vpmovd2m k1, zmm0",
        [vpmovdb(xmm0, zmm1)] => "vpmovdb xmm0, zmm1",
        [vcompressps([rdi].k(k1), zmm0)] => "vcompressps [rdi]{k1}, zmm0",
        [vexpandps(zmm0.k(k1).z(), [rsi])] => "vexpandps zmm0{k1}{z}, [rsi]",
        [vgatherdps(zmm0.k(k1), [rax + zmm1 * 4])] => "vgatherdps zmm0{k1}, [rax+zmm1*4]",
        [vscatterdps([rax + zmm1 * 4].k(k1), zmm0)] => "vscatterdps [rax+zmm1*4]{k1}, zmm0",
        [vpgatherqq(zmm0.k(k2), [rdi + zmm20 * 8 + 8])] => "vpgatherqq zmm0{k2}, [rdi+zmm20*8+8]",
        [vfmadd231ps(zmm0.k(k1), zmm1, dword[rax].bcst())] => "vfmadd231ps zmm0{k1}, zmm1, [rax]{1to16}",
        [vfmadd213pd(zmm0, zmm1, zmm2, rn_sae)] => "vfmadd213pd zmm0, zmm1, zmm2, {rn-sae}",
        [vpconflictd(zmm0, zmm1)] => "vpconflictd zmm0, zmm1",
        [vplzcntq(ymm0, ymm1)] => "vplzcntq ymm0, ymm1",
        [vpdpbusd(zmm0, zmm1, zmm2)] => "vpdpbusd zmm0, zmm1, zmm2",
        [vpdpwssd(zmm0.k(k1), zmm1, dword[rax].bcst())] => "vpdpwssd zmm0{k1}, zmm1, [rax]{1to16}",
        [vpdpbusd(xmm16, xmm1, xmm2)] => "vpdpbusd xmm16, xmm1, xmm2",
        [vcvtne2ps2bf16(zmm0, zmm1, zmm2)] => "vcvtne2ps2bf16 zmm0, zmm1, zmm2",
        [vdpbf16ps(zmm0, zmm1, dword[rax].bcst())] => "vdpbf16ps zmm0, zmm1, [rax]{1to16}",
        [vcvtneps2bf16(ymm0, zmm1)] => "vcvtneps2bf16 ymm0, zmm1",
        [vaddph(zmm0, zmm1, zmm2)] => "vaddph zmm0, zmm1, zmm2",
        [vaddph(zmm0.k(k1), zmm1, word[rax].bcst())] => "vaddph zmm0{k1}, zmm1, [rax]{1to32}",
        [vmulph(zmm0, zmm1, zmm2, rz_sae)] => "vmulph zmm0, zmm1, zmm2, {rz-sae}",
        [vfmadd231ph(xmm0, xmm1, xmm2)] => "vfmadd231ph xmm0, xmm1, xmm2",
        [vcvtph2ps(zmm0, ymm1)] => "vcvtph2ps zmm0, ymm1",
        [vmovw(xmm0, eax)] => "vmovw xmm0, eax",
        [kmovw(k1, eax)] => "kmovw k1, eax" ; "c5f892c8",
        [kmovw(eax, k1)] => "kmovw eax, k1",
        [kmovw(k1, k2)] => "kmovw k1, k2",
        [kmovw(k1, word[rax])] => "kmovw k1, word ptr [rax]",
        [kmovq(k1, qword[rax])] => "kmovq k1, qword ptr [rax]",
        [kmovq(rax, k3)] => "kmovq rax, k3",
        [kmovb(k1, r8d)] => "kmovb k1, r8d",
        [kmovd(k7, k6)] => "kmovd k7, k6",
        [kandw(k1, k2, k3)] => "kandw k1, k2, k3",
        [korq(k1, k2, k3)] => "korq k1, k2, k3",
        [kxnorb(k1, k1, k1)] => "kxnorb k1, k1, k1",
        [knotw(k1, k2)] => "knotw k1, k2",
        [kortestw(k1, k2)] => "kortestw k1, k2",
        [ktestq(k1, k2)] => "ktestq k1, k2",
        [kshiftlw(k1, k2, 3)] => "kshiftlw k1, k2, 3",
        [kunpckbw(k1, k2, k3)] => "kunpckbw k1, k2, k3",
        [kaddd(k1, k2, k3)] => "kaddd k1, k2, k3",
    )
}

fn memory() -> Vec<Triple> {
    triples!("memory operand forms":
        [mov(eax, [rax])] => "mov eax, [rax]",
        [mov(eax, [rax + rbx])] => "mov eax, [rax+rbx]",
        [mov(eax, [rax + rbx * 2])] => "mov eax, [rax+rbx*2]",
        [mov(eax, [rax + rbx * 4])] => "mov eax, [rax+rbx*4]",
        [mov(eax, [rax + rbx * 8])] => "mov eax, [rax+rbx*8]" ; "8b04d8",
        [mov(eax, [r8 + r9 * 8 + 16])] => "mov eax, [r8+r9*8+16]",
        [mov(eax, [rax + 127])] => "mov eax, [rax+127]",
        [mov(eax, [rax + 128])] => "mov eax, [rax+128]",
        [mov(eax, [rax - 128])] => "mov eax, [rax-128]",
        [mov(eax, [rax - 129])] => "mov eax, [rax-129]",
        [mov(eax, [rax + 0x1234_5678])] => "mov eax, [rax+0x12345678]",
        [mov(eax, [rax - 0x8000_0000])] => "mov eax, [rax-0x80000000]",
        [mov(eax, [rbp])] => "mov eax, [rbp]" ; "8b4500",
        [mov(eax, [r13])] => "mov eax, [r13]",
        [mov(eax, [rbp + rax])] => "mov eax, [rbp+rax]",
        [mov(eax, [r13 + r12 * 2])] => "mov eax, [r13+r12*2]",
        [mov(eax, [rsp])] => "mov eax, [rsp]",
        [mov(eax, [r12])] => "mov eax, [r12]",
        [mov(eax, [rsp + 8])] => "mov eax, [rsp+8]",
        [mov(eax, [r12 + 0x200])] => "mov eax, [r12+0x200]",
        [mov(eax, [rax + rsp])] => "mov eax, [rax+rsp]",
        [mov(eax, [rbx * 4])] => "mov eax, [rbx*4]",
        [mov(eax, [rbx * 8 + 8])] => "mov eax, [rbx*8+8]",
        [mov(eax, [r13 * 2])] => "mov eax, [r13*2]",
        [mov(eax, [0x1000])] => "mov eax, [0x1000]",
        [mov(rax, [0x1000])] => "mov rax, [0x1000]",
        [mov([0x1000], cl)] => "mov [0x1000], cl",
        [lea(rax, [r12 + r13])] => "lea rax, [r12+r13]",
        [vmovaps(zmm0, [rax + 64])] => "vmovaps zmm0, [rax+64]",
        [vmovaps(zmm0, [rax + 60])] => "vmovaps zmm0, [rax+60]",
        [vmovaps(zmm0, [rax + 64 * 127])] => "vmovaps zmm0, [rax+8128]",
        [vmovaps(zmm0, [rax + 64 * 128])] => "vmovaps zmm0, [rax+8192]",
        [vmovaps(zmm0, [rax - 64 * 128])] => "vmovaps zmm0, [rax-8192]",
        [vmovaps(zmm0, [rax - 64 * 129])] => "vmovaps zmm0, [rax-8256]",
        [vmovaps(ymm16, [rax + 32])] => "vmovaps ymm16, [rax+32]",
        [vmovaps(ymm16, [rax + 48])] => "vmovaps ymm16, [rax+48]",
        [vmovaps(xmm16, [rax + 16 * 127])] => "vmovaps xmm16, [rax+2032]",
        [vmovaps(ymm0, [rax + 128])] => "vmovaps ymm0, [rax+128]",
        [vaddps(zmm0, zmm1, dword[rax + 4 * 127].bcst())] => "vaddps zmm0, zmm1, [rax+508]{1to16}",
        [vaddps(zmm0, zmm1, dword[rax + 4 * 128].bcst())] => "vaddps zmm0, zmm1, [rax+512]{1to16}",
        [vaddpd(zmm0, zmm1, qword[rax - 8].bcst())] => "vaddpd zmm0, zmm1, [rax-8]{1to8}",
        [vmovss(xmm16, dword[rax + 4])] => "vmovss xmm16, dword ptr [rax+4]",
        [vmovss(xmm16, dword[rax + 6])] => "vmovss xmm16, dword ptr [rax+6]",
        [vmovaps(zmm0, [rbp])] => "vmovaps zmm0, [rbp]",
        [vmovaps(zmm0, [r13 + rax * 2 + 128])] => "vmovaps zmm0, [r13+rax*2+128]",
        [vmovaps(zmm0, [rsp + 64])] => "vmovaps zmm0, [rsp+64]",
        [vmovaps(zmm0, [r12 + r15 * 8])] => "vmovaps zmm0, [r12+r15*8]",
    )
}

fn branches() -> Vec<Triple> {
    let adds = "add rax, 0x1000\n".repeat(40);
    triples!("branches and RIP-relative labels":
        [label!(top); inc(rax); jnz(top)] => ".Lb1: inc rax; jnz .Lb1" ; "48ffc075fb",
        [jmp(skip); nop(); label!(skip); int3()] => "jmp .Lb2; nop; .Lb2: int3",
        [jz(fwd); nop(); label!(fwd); int3()] => "jz .Lb3; nop; .Lb3: int3",
        [jmp(far); for _ in 0..40 { add(rax, 0x1000); } label!(far); nop()] => format!("jmp .Lb4\n{adds}.Lb4: nop"),
        [jae(far); for _ in 0..40 { add(rax, 0x1000); } label!(far); nop()] => format!("jae .Lb5\n{adds}.Lb5: nop"),
        [label!(top); for _ in 0..40 { add(rax, 0x1000); } jnz(top)] => format!(".Lb6:\n{adds}jnz .Lb6"),
        [label!(top); for _ in 0..40 { add(rax, 0x1000); } jmp(top)] => format!(".Lb7:\n{adds}jmp .Lb7"),
        [label!(top); nop(); dec(ecx); jg(top)] => ".Lb8: nop; dec ecx; jg .Lb8",
        [call(f); int3(); label!(f); nop()] => "call .Lb9; int3; .Lb9: nop",
        [label!(top); r#loop(top)] => ".Lb10: loop .Lb10",
        [jrcxz(out); nop(); label!(out); nop()] => "jrcxz .Lb11; nop; .Lb11: nop",
        [label!(l); nop(); lea(rax, [l])] => ".Lr1: nop; lea rax, [rip+.Lr1]",
        [lea(rax, [l]); label!(l); nop()] => "lea rax, [rip+.Lr2]; .Lr2: nop",
        [mov(ecx, dword[l]); label!(l); nop()] => "mov ecx, dword ptr [rip+.Lr3]; .Lr3: nop",
        [label!(l); nop(); vmovaps(zmm0, [l])] => ".Lr4: nop; vmovaps zmm0, [rip+.Lr4]",
        [label!(l); nop(); cmp(dword[l], 5)] => ".Lr5: nop; cmp dword ptr [rip+.Lr5], 5",
    )
}

fn assorted() -> Vec<Triple> {
    triples!("assorted: system, crypto, F16C, FMA4/XOP, more AVX-512":
        [test(rax, 0x10)] => "test rax, 0x10",
        [test(ecx, 0x10)] => "test ecx, 0x10",
        [test(r8b, 1)] => "test r8b, 1",
        [mov(al, [0x1000])] => "mov al, [0x1000]",
        [mov(eax, [rbp - 8])] => "mov eax, [rbp-8]",
        [mov(eax, [r13 + 0])] => "mov eax, [r13+0]",
        [lea(eax, [rax * 2])] => "lea eax, [rax*2]",
        [mov(eax, fs)] => "mov eax, fs",
        [mov(ax, fs)] => "mov ax, fs",
        [push(fs)] => "push fs",
        [movsb()] => "movsb",
        [xlatb()] => "xlatb",
        [cmc()] => "cmc",
        [lahf()] => "lahf",
        [cwde()] => "cwde",
        [cbw()] => "cbw",
        [bswap(rax)] => "bswap rax",
        [movnti(dword[rdi], eax)] => "movnti dword ptr [rdi], eax",
        [prefetcht0(byte[rax])] => "prefetcht0 byte ptr [rax]",
        [prefetchnta(byte[rax + 64])] => "prefetchnta byte ptr [rax+64]",
        [clflush(byte[rdi])] => "clflush byte ptr [rdi]",
        [sfence()] => "sfence",
        [mfence()] => "mfence",
        [ud2()] => "ud2",
        [int(0x80)] => "int 0x80",
        [syscall()] => "syscall",
        [enter(16, 0)] => "enter 16, 0",
        [leave()] => "leave",
        [endbr64()] => "endbr64",
        [xgetbv()] => "xgetbv",
        [movbe(eax, dword[rdi])] => "movbe eax, dword ptr [rdi]",
        [rdrand(eax)] => "rdrand eax",
        [adcx(rax, rbx)] => "adcx rax, rbx",
        [adox(eax, dword[rsi])] => "adox eax, dword ptr [rsi]",
        [fcomip(st0, st1)] => "fcomip st, st(1)",
        [fnstsw(ax)] => "fnstsw ax",
        [fild(word[rax])] => "fild word ptr [rax]",
        [aesenc(xmm0, xmm1)] => "aesenc xmm0, xmm1",
        [aesdeclast(xmm8, [rax])] => "aesdeclast xmm8, [rax]",
        [pclmulqdq(xmm0, xmm1, 0x11)] => "pclmulqdq xmm0, xmm1, 0x11",
        [sha256rnds2(xmm1, xmm2)] => "sha256rnds2 xmm1, xmm2, xmm0",
        [gf2p8affineqb(xmm0, xmm1, 0)] => "gf2p8affineqb xmm0, xmm1, 0",
        [vgf2p8affineqb(ymm0, ymm1, ymm2, 0)] => "vgf2p8affineqb ymm0, ymm1, ymm2, 0",
        [vaesenc(ymm0, ymm1, ymm2)] => "vaesenc ymm0, ymm1, ymm2",
        [vpclmulqdq(zmm0, zmm1, zmm2, 1)] => "vpclmulqdq zmm0, zmm1, zmm2, 1",
        [vcvtph2ps(ymm0, xmm1)] => "vcvtph2ps ymm0, xmm1",
        [vcvtps2ph(xmm0, ymm1, 4)] => "vcvtps2ph xmm0, ymm1, 4",
        [movq(xmm0, rax)] => "movq xmm0, rax",
        [vmovq(xmm0, qword[rax])] => "vmovq xmm0, qword ptr [rax]",
        [vpextrq(rax, xmm1, 1)] => "vpextrq rax, xmm1, 1",
        [vpinsrd(xmm0, xmm1, dword[rax], 3)] => "vpinsrd xmm0, xmm1, dword ptr [rax], 3",
        [vpperm(xmm0, xmm1, xmm2, xmm3)] => "vpperm xmm0, xmm1, xmm2, xmm3",
        [vpcmov(ymm0, ymm1, ymm2, ymm3)] => "vpcmov ymm0, ymm1, ymm2, ymm3",
        [vpcmov(ymm0, ymm1, ymm2, [rax])] => "vpcmov ymm0, ymm1, ymm2, [rax]",
        [vfmaddps(xmm0, xmm1, [rax], xmm3)] => "vfmaddps xmm0, xmm1, [rax], xmm3",
        [vfmaddps(xmm0, xmm1, xmm2, [rax])] => "vfmaddps xmm0, xmm1, xmm2, [rax]",
        [vprotd(xmm0, xmm1, xmm2)] => "vprotd xmm0, xmm1, xmm2",
        [vprotd(xmm0, xmm1, [rax])] => "vprotd xmm0, xmm1, [rax]",
        [vprotd(xmm0, [rax], xmm1)] => "vprotd xmm0, [rax], xmm1",
        [vpsrld(zmm0, [rax], 3)] => "vpsrld zmm0, [rax], 3",
        [vpsrld(zmm0, dword[rax].bcst(), 3)] => "vpsrld zmm0, [rax]{1to16}, 3",
        [vcmpps(k1, zmm2, dword[rax].bcst(), 0)] => "vcmpps k1, zmm2, [rax]{1to16}, 0",
        [vpcmpeqd(k1, zmm0, dword[rax].bcst())] => "vpcmpeqd k1, zmm0, [rax]{1to16}",
        [vfpclassps(k1, zmmword[rax], 0x22)] => "vfpclassps k1, zmmword ptr [rax], 0x22",
        [vcvtpd2ps(ymm0, zmm1, rn_sae)] => "vcvtpd2ps ymm0, zmm1, {rn-sae}",
        [vcvtdq2ps(zmm0, zmm1, rd_sae)] => "vcvtdq2ps zmm0, zmm1, {rd-sae}",
        [vgetexpps(zmm0, zmm1, sae)] => "vgetexpps zmm0, zmm1, {sae}",
        [vrndscaleps(zmm0, zmm1, 4, sae)] => "vrndscaleps zmm0, zmm1, {sae}, 4",
        [vpgatherdd(xmm0.k(k1), [rax + xmm1 * 4])] => "vpgatherdd xmm0{k1}, [rax+xmm1*4]",
        [vgatherdps(zmm16.k(k1), [r15 + zmm31 * 8 + 1024])] => "vgatherdps zmm16{k1}, [r15+zmm31*8+1024]",
        [vpscatterqd([rax + zmm2 * 4].k(k3), ymm1)] => "vpscatterqd [rax+zmm2*4]{k3}, ymm1",
        [vaddps(zmm0, zmm1, [r8 + r9 * 4 + 256])] => "vaddps zmm0, zmm1, [r8+r9*4+256]",
        [vmovdqu64([rax + 128].k(k2), zmm30)] => "vmovdqu64 [rax+128]{k2}, zmm30",
        [vmovss(xmm0.k(k1).z(), xmm1, xmm2)] => "vmovss xmm0{k1}{z}, xmm1, xmm2",
        [kmovq(k1, r15)] => "kmovq k1, r15",
        [vpbroadcastq(zmm0, rax)] => "vpbroadcastq zmm0, rax",
        [vpbroadcastb(zmm0, r8d)] => "vpbroadcastb zmm0, r8d",
        [vpmovzxbw(zmm0, ymm1)] => "vpmovzxbw zmm0, ymm1",
        [vpmovqd([rax], zmm1)] => "vpmovqd [rax], zmm1",
        [vshufi32x4(zmm0, zmm1, zmm2, 0x4e)] => "vshufi32x4 zmm0, zmm1, zmm2, 0x4e",
        [valignd(zmm0, zmm1, zmm2, 3)] => "valignd zmm0, zmm1, zmm2, 3",
        [vpermi2d(zmm0, zmm1, zmm2)] => "vpermi2d zmm0, zmm1, zmm2",
        [vpsllvw(zmm0, zmm1, zmm2)] => "vpsllvw zmm0, zmm1, zmm2",
        [vpshldvd(zmm0, zmm1, zmm2)] => "vpshldvd zmm0, zmm1, zmm2",
        [vpopcntd(zmm0, zmm1)] => "vpopcntd zmm0, zmm1",
        [vpermb(zmm0, zmm1, zmm2)] => "vpermb zmm0, zmm1, zmm2",
        [vpcompressb([rdi].k(k1), zmm0)] => "vpcompressb [rdi]{k1}, zmm0",
        [vreduceps(zmm0, zmm1, 1)] => "vreduceps zmm0, zmm1, 1",
        [vscalefps(zmm0, zmm1, zmm2, rn_sae)] => "vscalefps zmm0, zmm1, zmm2, {rn-sae}",
        [vcvtusi2sd(xmm0, xmm1, eax)] => "vcvtusi2sd xmm0, xmm1, eax",
        [vcvttps2uqq(zmm0, ymm1, sae)] => "vcvttps2uqq zmm0, ymm1, {sae}",
        [vrcp14ps(zmm0, zmm1)] => "vrcp14ps zmm0, zmm1",
        [vpabsq(zmm0, qword[rax].bcst())] => "vpabsq zmm0, [rax]{1to8}",
        [vpbroadcastd(zmm0.k(k1).z(), xmm1)] => "vpbroadcastd zmm0{k1}{z}, xmm1",
        [vcvtsi2ss(xmm0, xmm1, dword[rax])] => "vcvtsi2ss xmm0, xmm1, dword ptr [rax]",
        [lock_xchg(dword[rdi], eax)] => "lock xchg dword ptr [rdi], eax",
        [mov(eax, 0xFFFF_FFFF)] => "mov eax, 0xffffffff",
        [mov(al, -1)] => "mov al, -1",
        [and(eax, 0x8000_0000)] => "and eax, 0x80000000",
    )
}

/// Regressions for what the exhaustive sweep (`sweep.rs`) found.
fn sweep_findings() -> Vec<Triple> {
    triples!("encoding sweep findings":
        // No base: the disp32 is never scaled by EVEX's N (iced divided it by 16).
        [vmovdqa32(xmm1, xmmword[rcx * 8 + 16])] => "vmovdqa32 xmm1, xmmword ptr [rcx*8+16]" ; "62f17d086f0ccd10000000",
        [vgatherdps(zmm1.k(k1), dword[zmm5 * 8 + 16])] => "vgatherdps zmm1{k1}, dword ptr [zmm5*8+16]",
        [vaddpd(zmm0, zmm1, qword[rax * 8 - 64].bcst())] => "vaddpd zmm0, zmm1, qword ptr [rax*8-64]{1to8}",
        // Ties go to the imm8 form and to the form without REX.W / VEX.W1.
        [add(ax, 3)] => "add ax, 3" ; "6683c003",
        [cmp(ax, 0xffff)] => "cmp ax, 0xffff",
        [movq(xmm1, qword[r9])] => "movq xmm1, qword ptr [r9]" ; "f3410f7e09",
        [movq(qword[r9], xmm2)] => "movq qword ptr [r9], xmm2",
        [vmovq(xmm1, qword[r9])] => "vmovq xmm1, qword ptr [r9]",
        [movq(mm1, qword[r9])] => "movq mm1, qword ptr [r9]",
        // `pushf`, `popf`, `iret` are the default operand size, as in GNU as.
        [pushf()] => "pushf" ; "9c",
        [popf()] => "popf",
        [pushfw()] => "pushfw",
        [iret()] => "iretd",
        [iretw()] => "iretw",
        // A prefix that changes only the register's spelling is left out, as GNU as does.
        [movmskps(rax, xmm1)] => "movmskps rax, xmm1" ; "0f50c1",
        [vpmovmskb(r9, ymm2)] => "vpmovmskb r9, ymm2",
        [pextrw(rcx, xmm2, 3)] => "pextrw rcx, xmm2, 3",
        [vpinsrw(xmm1, xmm2, rbx, 3)] => "vpinsrw xmm1, xmm2, rbx, 3",
        [extractps(rax, xmm1, 2)] => "extractps rax, xmm1, 2",
        [mov(rcx, fs)] => "mov rcx, fs",
        [mov(fs, dx)] => "mov fs, dx",
        [lldt(cx)] => "lldt cx",
        [str(rax)] => "str rax",
        // A broadcast can name the vector it fills where {1toN} would be ambiguous.
        [vcvtpd2ps(xmm1, ymmword[rax].bcst())] => "vcvtpd2ps xmm1, qword ptr [rax]{1to4}",
        [vcvtpd2ps(xmm1, xmmword[rax].bcst())] => "vcvtpd2ps xmm1, qword ptr [rax]{1to2}",
        [vfpclassps(k1, zmmword[rax].bcst(), 3)] => "vfpclassps k1, dword ptr [rax]{1to16}, 3",
        // Sizes no qualifier names do not make an operand ambiguous.
        [fldenv([rax])] => "fldenv [rax]",
        [fnsave([rdi + 8])] => "fnsave [rdi+8]",
    )
}

/// Spellings GNU as and LLVM accept that are not iced's (`isa::spell`, `choose`): compare
/// pseudo-ops, implicit operands written out, size suffixes and prefixes.
fn gnu_spellings() -> Vec<Triple> {
    triples!("GNU as spellings":
        // SSE compare pseudo-ops: the predicate is the imm8.
        [cmpeqps(xmm1, xmm2)] => "cmpeqps xmm1, xmm2" ; "0fc2ca00",
        [cmpltps(xmm1, [rax])] => "cmpltps xmm1, [rax]",
        [cmpleps(xmm1, xmm2)] => "cmpleps xmm1, xmm2",
        [cmpunordps(xmm1, xmm2)] => "cmpunordps xmm1, xmm2",
        [cmpneqps(xmm1, xmm2)] => "cmpneqps xmm1, xmm2",
        [cmpnltps(xmm1, xmm2)] => "cmpnltps xmm1, xmm2",
        [cmpnleps(xmm1, xmm2)] => "cmpnleps xmm1, xmm2",
        [cmpordps(xmm1, xmm2)] => "cmpordps xmm1, xmm2",
        [cmpltss(xmm1, xmm2)] => "cmpltss xmm1, xmm2",
        [cmpltsd(xmm1, qword[rdi])] => "cmpltsd xmm1, qword ptr [rdi]",
        [cmpltpd(xmm9, xmm2)] => "cmpltpd xmm9, xmm2",
        // AVX: all 32 predicates, VEX and EVEX (with a mask destination and `sae`).
        [vcmpeqps(ymm1, ymm2, ymm3)] => "vcmpeqps ymm1, ymm2, ymm3",
        [vcmpltps(ymm1, ymm2, ymm3)] => "vcmpltps ymm1, ymm2, ymm3",
        [vcmpleps(ymm1, ymm2, ymm3)] => "vcmpleps ymm1, ymm2, ymm3",
        [vcmpunordps(ymm1, ymm2, ymm3)] => "vcmpunordps ymm1, ymm2, ymm3",
        [vcmpneqps(ymm1, ymm2, ymm3)] => "vcmpneqps ymm1, ymm2, ymm3",
        [vcmpnltps(ymm1, ymm2, ymm3)] => "vcmpnltps ymm1, ymm2, ymm3",
        [vcmpnleps(ymm1, ymm2, ymm3)] => "vcmpnleps ymm1, ymm2, ymm3",
        [vcmpordps(ymm1, ymm2, ymm3)] => "vcmpordps ymm1, ymm2, ymm3",
        [vcmpeq_uqps(ymm1, ymm2, ymm3)] => "vcmpeq_uqps ymm1, ymm2, ymm3",
        [vcmpngeps(ymm1, ymm2, ymm3)] => "vcmpngeps ymm1, ymm2, ymm3",
        [vcmpngtps(ymm1, ymm2, ymm3)] => "vcmpngtps ymm1, ymm2, ymm3",
        [vcmpfalseps(ymm1, ymm2, ymm3)] => "vcmpfalseps ymm1, ymm2, ymm3",
        [vcmpneq_oqps(ymm1, ymm2, ymm3)] => "vcmpneq_oqps ymm1, ymm2, ymm3",
        [vcmpgeps(ymm1, ymm2, ymm3)] => "vcmpgeps ymm1, ymm2, ymm3" ; "c5ecc2cb0d",
        [vcmpgtps(ymm1, ymm2, ymm3)] => "vcmpgtps ymm1, ymm2, ymm3",
        [vcmptrueps(ymm1, ymm2, ymm3)] => "vcmptrueps ymm1, ymm2, ymm3",
        [vcmpeq_osps(ymm1, ymm2, ymm3)] => "vcmpeq_osps ymm1, ymm2, ymm3",
        [vcmplt_oqps(ymm1, ymm2, ymm3)] => "vcmplt_oqps ymm1, ymm2, ymm3",
        [vcmple_oqps(ymm1, ymm2, ymm3)] => "vcmple_oqps ymm1, ymm2, ymm3",
        [vcmpunord_sps(ymm1, ymm2, ymm3)] => "vcmpunord_sps ymm1, ymm2, ymm3",
        [vcmpneq_usps(ymm1, ymm2, ymm3)] => "vcmpneq_usps ymm1, ymm2, ymm3",
        [vcmpnlt_uqps(ymm1, ymm2, ymm3)] => "vcmpnlt_uqps ymm1, ymm2, ymm3",
        [vcmpnle_uqps(ymm1, ymm2, ymm3)] => "vcmpnle_uqps ymm1, ymm2, ymm3",
        [vcmpord_sps(ymm1, ymm2, ymm3)] => "vcmpord_sps ymm1, ymm2, ymm3",
        [vcmpeq_usps(ymm1, ymm2, ymm3)] => "vcmpeq_usps ymm1, ymm2, ymm3",
        [vcmpnge_uqps(ymm1, ymm2, ymm3)] => "vcmpnge_uqps ymm1, ymm2, ymm3",
        [vcmpngt_uqps(ymm1, ymm2, ymm3)] => "vcmpngt_uqps ymm1, ymm2, ymm3",
        [vcmpfalse_osps(ymm1, ymm2, ymm3)] => "vcmpfalse_osps ymm1, ymm2, ymm3",
        [vcmpneq_osps(ymm1, ymm2, ymm3)] => "vcmpneq_osps ymm1, ymm2, ymm3",
        [vcmpge_oqps(ymm1, ymm2, ymm3)] => "vcmpge_oqps ymm1, ymm2, ymm3",
        [vcmpgt_oqps(ymm1, ymm2, ymm3)] => "vcmpgt_oqps ymm1, ymm2, ymm3",
        [vcmptrue_usps(ymm1, ymm2, ymm3)] => "vcmptrue_usps ymm1, ymm2, ymm3",
        [vcmpgepd(xmm1, xmm2, [rax])] => "vcmpgepd xmm1, xmm2, [rax]",
        [vcmpngtss(xmm1, xmm2, xmm3)] => "vcmpngtss xmm1, xmm2, xmm3",
        [vcmpunord_ssd(xmm1, xmm2, qword[rax])] => "vcmpunord_ssd xmm1, xmm2, qword ptr [rax]",
        [vcmpleps(k1.k(k2), zmm1, zmm2, sae)] => "vcmpleps k1{k2}, zmm1, zmm2, {sae}",
        [vcmpneqpd(k3, zmm1, qword[rax].bcst())] => "vcmpneqpd k3, zmm1, qword ptr [rax]{1to8}",
        [vcmpgeps(k1, xmm17, xmm2)] => "vcmpgeps k1, xmm17, xmm2",
        [vcmpeqph(k1, zmm1, zmm2)] => "vcmpeqph k1, zmm1, zmm2",
        [vcmpgesh(k1, xmm1, xmm2)] => "vcmpgesh k1, xmm1, xmm2",
        // AVX-512 integer compares: signed and unsigned, every element size.
        [vpcmpltb(k1, zmm1, zmm2)] => "vpcmpltb k1, zmm1, zmm2",
        [vpcmpleb(k1, zmm1, zmm2)] => "vpcmpleb k1, zmm1, zmm2",
        [vpcmpneqw(k1, zmm1, zmm2)] => "vpcmpneqw k1, zmm1, zmm2",
        [vpcmpnltd(k1, zmm1, zmm2)] => "vpcmpnltd k1, zmm1, zmm2",
        [vpcmpnleq(k1, zmm1, [rax])] => "vpcmpnleq k1, zmm1, [rax]",
        [vpcmpequb(k1, zmm1, zmm2)] => "vpcmpequb k1, zmm1, zmm2",
        [vpcmpltuw(k1.k(k2), ymm1, ymm2)] => "vpcmpltuw k1{k2}, ymm1, ymm2",
        [vpcmpltud(k1, zmm1, zmm2)] => "vpcmpltud k1, zmm1, zmm2" ; "62f375481eca01",
        [vpcmpnequq(k1, xmm1, qword[rax].bcst())] => "vpcmpnequq k1, xmm1, qword ptr [rax]{1to2}",
        // ...while `vpcmpeqd` stays VPCMPEQD.
        [vpcmpeqd(k1, zmm1, zmm2)] => "vpcmpeqd k1, zmm1, zmm2",
        // XOP `vpcom` pseudo-ops.
        [vpcomltb(xmm1, xmm2, xmm3)] => "vpcomltb xmm1, xmm2, xmm3",
        [vpcomgeuw(xmm1, xmm2, [rax])] => "vpcomgeuw xmm1, xmm2, [rax]",
        [vpcomfalsed(xmm1, xmm2, xmm3)] => "vpcomfalsed xmm1, xmm2, xmm3",
        [vpcomtrueuq(xmm1, xmm2, xmm3)] => "vpcomtrueuq xmm1, xmm2, xmm3",
        [vpcomneqq(xmm1, xmm2, xmm3)] => "vpcomneqq xmm1, xmm2, xmm3",
        // PCLMULQDQ's pseudo-ops.
        [pclmullqlqdq(xmm1, xmm2)] => "pclmullqlqdq xmm1, xmm2",
        [pclmulhqlqdq(xmm1, xmm2)] => "pclmulhqlqdq xmm1, xmm2",
        [pclmullqhqdq(xmm1, xmm2)] => "pclmullqhqdq xmm1, xmm2",
        [pclmulhqhqdq(xmm1, [rax])] => "pclmulhqhqdq xmm1, [rax]",
        [vpclmulhqlqdq(ymm1, ymm2, ymm3)] => "vpclmulhqlqdq ymm1, ymm2, ymm3",
        // Implicit operands written out.
        [blendvps(xmm1, xmm2, xmm0)] => "blendvps xmm1, xmm2, xmm0" ; "660f3814ca",
        [blendvpd(xmm1, [rax], xmm0)] => "blendvpd xmm1, [rax], xmm0",
        [pblendvb(xmm9, xmm2, xmm0)] => "pblendvb xmm9, xmm2, xmm0",
        [sha256rnds2(xmm1, xmm2, xmm0)] => "sha256rnds2 xmm1, xmm2, xmm0",
        [tpause(ecx, edx, eax)] => "tpause ecx, edx, eax" ; "660faef1",
        // Size suffixes and prefixes.
        [pushw(0x1234)] => "pushw 0x1234" ; "66683412",
        [pushw(3)] => "pushw 3",
        [pushw(fs)] => "pushw fs",
        [popw(gs)] => "popw gs",
        [pushw(word[rax])] => "pushw [rax]",
        [enterw(16, 0)] => "enterw 16, 0",
        [leavew()] => "leavew",
        [retfw()] => "retfw",
        [retfq(8)] => "retfq 8",
        [data16_fldenv([rax])] => "data16 fldenv [rax]" ; "66d920",
        [data16_fnsave([rdi])] => "data16 fnsave [rdi]",
        [data16_fnstenv([rdi])] => "data16 fnstenv [rdi]",
        [addr32_monitor()] => "addr32 monitor" ; "670f01c8",
        [addr32_clzero()] => "addr32 clzero",
        [addr32_vmrun()] => "addr32 vmrun",
        [rex64_movmskps(rax, xmm0)] => "rex64 movmskps rax, xmm0" ; "480f50c0",
        [rex64_pextrw(rcx, xmm2, 3)] => "rex64 pextrw rcx, xmm2, 3",
        [rex64_sldt(rax)] => "rex64 sldt rax",
        [rex64_lldt(word[rdi])] => "rex64 lldt word ptr [rdi]",
        [data16_lldt(cx)] => "data16 lldt cx" ; "660f00d1",
        [data16_mov(fs, dx)] => "data16 mov fs, dx",
        [label!(l0); addr32_loop(l0)] => ".Lgs0: addr32 loop .Lgs0",
        [label!(l1); addr32_loopne(l1)] => ".Lgs1: addr32 loopne .Lgs1",
        // 64-bit absolute addresses (moffs): `movabs`, as in GNU as.
        [movabs(al, byte[0x1122_3344_5566_7788])] => "movabs al, byte ptr [0x1122334455667788]" ; "a08877665544332211",
        [movabs(qword[0x10], rax)] => "movabs qword ptr [0x10], rax",
        [movabs(ax, word[0x8000_0000])] => "movabs ax, word ptr [0x80000000]",
        [mov(eax, dword[0x1122_3344_5566_7788])] => "mov eax, dword ptr [0x1122334455667788]",
        [mov(al, byte[0x1234])] => "mov al, byte ptr [0x1234]",
        // `[rip + disp]` and `[label ± disp]`.
        [mov(al, byte[rip + 8])] => "mov al, byte ptr [rip+8]" ; "8a0508000000",
        [mov(eax, [rip])] => "mov eax, [rip]",
        [lea(rax, [rip - 16])] => "lea rax, [rip-16]",
        [cmp(dword[rip + 4], 7)] => "cmp dword ptr [rip+4], 7" ; "833d0400000007",
        [vaddps(ymm0, ymm1, [rip + 0x100])] => "vaddps ymm0, ymm1, [rip+0x100]",
        [mov(ecx, dword[l2 + 4]); label!(l2); nop(); nop(); nop(); nop(); nop()] =>
            "mov ecx, dword ptr [rip+.Lgs2+4]\n.Lgs2: nop; nop; nop; nop; nop" ; "8b0d040000009090909090",
        [label!(l3); nop(); nop(); lea(rax, [l3 - 1])] => ".Lgs3: nop; nop; lea rax, [rip+.Lgs3-1]",
        [mov(ecx, dword[rip + l4 + 8]); label!(l4); nop()] => "mov ecx, dword ptr [rip+.Lgs4+8]\n.Lgs4: nop",
        [cmp(byte[l5 + 3], 1); jmp(l5); for _ in 0..4 { nop(); } label!(l5); nop()] =>
            "cmp byte ptr [rip+.Lgs5+3], 1; jmp .Lgs5; nop; nop; nop; nop\n.Lgs5: nop",
    )
}

/// Every triple compared byte for byte.
pub(super) fn table() -> Vec<Triple> {
    [
        legacy_alu(),
        immediates(),
        shifts_muldiv(),
        moves_misc(),
        strings_lock_x87(),
        sse(),
        avx(),
        avx512(),
        memory(),
        branches(),
        assorted(),
        sweep_findings(),
        gnu_spellings(),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Instructions where GNU as prefers another encoding that asmforge deliberately does not
/// produce: (DSL, GNU text, why).
pub(super) fn equivalents() -> Vec<(Triple, &'static str)> {
    const VEX_FIRST: &str = "asmforge takes the VEX form (AVX-VNNI / AVX-IFMA) before EVEX; \
        GNU as needs `{vex}` for it and defaults to the AVX-512 form";
    let vex_first = triples!("VEX before EVEX":
        [vpdpbusd(ymm0, ymm1, ymm2)] => "vpdpbusd ymm0, ymm1, ymm2",
        [vpdpwssds(xmm3, xmm4, [rax])] => "vpdpwssds xmm3, xmm4, [rax]",
        [vpmadd52luq(ymm0, ymm1, ymm2)] => "vpmadd52luq ymm0, ymm1, ymm2",
    );
    const FMA4_W: &str = "FMA4 with four registers fits VEX.W0 (is4 = 4th operand) and VEX.W1 \
        (is4 = 3rd) at equal length; asmforge keeps iced's order (W0, as GNU as does for XOP's \
        `vpperm`/`vpcmov`), GNU as' FMA4 table lists W1 first";
    let fma4 = triples!("FMA4 register forms":
        [vfmaddps(xmm0, xmm1, xmm2, xmm3)] => "vfmaddps xmm0, xmm1, xmm2, xmm3",
        [vfmaddsubps(ymm0, ymm1, ymm2, ymm3)] => "vfmaddsubps ymm0, ymm1, ymm2, ymm3",
        [vfnmaddss(xmm0, xmm1, xmm2, xmm3)] => "vfnmaddss xmm0, xmm1, xmm2, xmm3",
    );
    const PREFIX_ORDER: &str = "legacy prefixes of different groups may come in any order \
        (Intel SDM Vol. 2, 2.1.1); iced emits LOCK before 66, GNU as 66 before LOCK";
    let prefix_order = triples!("prefix order":
        [lock_add(word[rdi], dx)] => "lock add word ptr [rdi], dx",
    );
    let vex_first = vex_first.into_iter().map(|t| (t, VEX_FIRST));
    vex_first
        .chain(fma4.into_iter().map(|t| (t, FMA4_W)))
        .chain(prefix_order.into_iter().map(|t| (t, PREFIX_ORDER)))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The instructions `bytes` decode to, formatted in Intel syntax (branch targets relative to
/// the start), one per line.
fn disassemble(bytes: &[u8]) -> Vec<String> {
    let mut decoder = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    let mut out = Vec::new();
    for ins in &mut decoder {
        let mut s = String::new();
        formatter.format(&ins, &mut s);
        out.push(s);
    }
    out
}

/// asmforge's bytes for every triple, or the first error.
fn ours(table: &[Triple]) -> Vec<Vec<u8>> {
    table
        .iter()
        .map(|t| {
            encode_body(t.dsl.clone())
                .unwrap_or_else(|e| panic!("asmforge rejects `{}`: {e}", t.dsl))
        })
        .collect()
}

#[test]
fn encoding_triples_literal_hex() {
    let table: Vec<Triple> = table().into_iter().filter(|t| t.hex.is_some()).collect();
    assert!(table.len() >= 10);
    for (t, bytes) in table.iter().zip(ours(&table)) {
        assert_eq!(Some(hex(&bytes).as_str()), t.hex, "`{}` ({})", t.dsl, t.gnu);
    }
}

#[test]
fn encoding_triples_match_gnu_as() {
    let table = table();
    assert!(table.len() >= 200, "only {} triples", table.len());
    let ours = ours(&table);
    if !gnu::available() {
        eprintln!("encoding triples: GNU as not found, comparison skipped");
        return;
    }
    let texts: Vec<&str> = table.iter().map(|t| t.gnu.as_str()).collect();
    let theirs = gnu::assemble(&texts).unwrap_or_else(|e| panic!("GNU as failed:\n{e}"));
    let mut report = String::new();
    let mut mismatches = 0;
    let mut categories: Vec<(&str, usize)> = Vec::new();
    for ((t, a), g) in table.iter().zip(&ours).zip(&theirs) {
        match categories.last_mut() {
            Some((c, n)) if *c == t.category => *n += 1,
            _ => categories.push((t.category, 1)),
        }
        let hex_ok = t.hex.is_none_or(|h| h == hex(g));
        if a != g || !hex_ok {
            mismatches += 1;
            let _ = writeln!(
                report,
                "  MISMATCH `{}`\n    gnu text:  {}\n    asmforge:  {}  {:?}\n    GNU as:    {}  {:?}{}",
                t.dsl,
                t.gnu.replace('\n', "; "),
                hex(a),
                disassemble(a),
                hex(g),
                disassemble(g),
                if hex_ok {
                    ""
                } else {
                    "\n    (differs from the literal hex in the table)"
                }
            );
        }
    }
    for (c, n) in &categories {
        eprintln!("  {n:4}  {c}");
    }
    eprint!("{report}");
    eprintln!(
        "encoding triples: {} checked, {mismatches} mismatches",
        table.len()
    );
    assert_eq!(mismatches, 0, "see the mismatches above");
}

#[test]
fn encoding_rejects_what_the_sweep_found_wrong() {
    // MOV cannot load CS (#UD); iced encodes it.
    let err = encode_body(quote!(mov(cs, dx);)).unwrap_err();
    assert!(err.contains("no form of `mov`"), "{err}");
    // The conversion is exact: the CPU ignores {er}, the SDM lists none, GNU as rejects it.
    let err = encode_body(quote!(vcvtdq2pd(zmm0, ymm1, rn_sae);)).unwrap_err();
    assert!(err.contains("embedded rounding"), "{err}");
    // {1to2} or {1to4}: the element size alone does not say.
    let err = encode_body(quote!(vcvtpd2ps(xmm1, qword[rax].bcst());)).unwrap_err();
    assert!(err.contains("ambiguous broadcast"), "{err}");
}

/// MPX's bound registers, compared with GNU as apart from [`table`]: without
/// `DecoderOptions::MPX` iced decodes them as the hint NOPs they run as on CPUs without MPX,
/// which the round trip (`roundtrip.rs`) would read as another form.
#[test]
fn encoding_mpx_matches_gnu_as() {
    let mpx = triples!("MPX":
        [bndmk(bnd0, [rax + 8])] => "bndmk bnd0, [rax+8]" ; "f30f1b4008",
        [bndcl(bnd1, rcx)] => "bndcl bnd1, rcx",
        [bndcu(bnd3, qword[rdi])] => "bndcu bnd3, qword ptr [rdi]",
        [bndmov(bnd1, bnd2)] => "bndmov bnd1, bnd2",
        [bndldx(bnd0, [rax + rcx])] => "bndldx bnd0, [rax+rcx]",
    );
    let ours = ours(&mpx);
    assert_eq!(mpx[0].hex, Some(hex(&ours[0]).as_str()));
    if !gnu::available() {
        return;
    }
    let texts: Vec<&str> = mpx.iter().map(|t| t.gnu.as_str()).collect();
    let theirs = gnu::assemble(&texts).unwrap_or_else(|e| panic!("GNU as failed:\n{e}"));
    for ((t, a), g) in mpx.iter().zip(&ours).zip(&theirs) {
        assert_eq!(hex(a), hex(g), "`{}` ({})", t.dsl, t.gnu);
    }
}

/// The o16 near branches (`data16_jz` & co., `encode/o16.rs`), apart from [`table`]: iced
/// decodes them only with `DecoderOptions::AMD`, which the round trip does not use. GNU as
/// relaxes them like 64-bit branches (short while the target is within rel8, else rel16) and
/// writes `(target − next) mod 2^16` even beyond ±32 KiB; it drops the prefix of `data16
/// loop` with a warning, so those bytes are llvm-mc's (LLVM 19), spelled out.
#[test]
fn encoding_o16_branches_match_gnu_as() {
    let movs = "movabs rax, 0x1122334455667788\n".repeat(14);
    let o16 = triples!("o16 branches":
        [label!(b); nop(); data16_jz(b)] => ".Lo0: nop; data16 jz .Lo0" ; "906674fc",
        [data16_jnz(f); nop(); label!(f); nop()] => "data16 jnz .Lo1; nop; .Lo1: nop" ; "6675019090",
        [data16_jae(f); for _ in 0..14 { mov(rax, 0x1122_3344_5566_7788); } label!(f); nop()] =>
            format!("data16 jae .Lo2\n{movs}.Lo2: nop"),
        [label!(b); for _ in 0..14 { mov(rax, 0x1122_3344_5566_7788); } data16_jg(b)] =>
            format!(".Lo3:\n{movs}data16 jg .Lo3"),
        [data16_jmp(f); nop(); label!(f); nop()] => "data16 jmp .Lo4; nop; .Lo4: nop" ; "66eb019090",
        [data16_jmp(f); for _ in 0..14 { mov(rax, 0x1122_3344_5566_7788); } label!(f); nop()] =>
            format!("data16 jmp .Lo5\n{movs}.Lo5: nop"),
        [data16_call(f); int3(); label!(f); nop()] => "data16 call .Lo6; int3; .Lo6: nop" ; "66e80100cc90",
        [data16_jz(f); for _ in 0..3300 { mov(rax, 0x1122_3344_5566_7788); } label!(f); nop()] =>
            "data16 jz .Lo7\n.rept 3300\nmovabs rax, 0x1122334455667788\n.endr\n.Lo7: nop",
        // A plain `jz` beside them stays the 64-bit branch.
        [label!(b); data16_jz(b); jz(b)] => ".Lo8: data16 jz .Lo8; jz .Lo8" ; "6674fd74fb",
    );
    let ours = ours(&o16);
    for (t, a) in o16.iter().zip(&ours) {
        if let Some(h) = t.hex {
            assert_eq!(hex(a), h, "`{}`", t.dsl);
        }
    }
    // beyond ±32 KiB: the low 16 bits of the distance, as GNU as writes them.
    assert_eq!(hex(&ours[7][..5]), "660f84e880");
    // GNU as drops these prefixes (a warning); llvm-mc-19 keeps them.
    for (dsl, want) in [
        (quote!(label!(b); data16_loop(b);), "66e2fd"),
        (quote!(label!(b); data16_loope(b);), "66e1fd"),
        (quote!(label!(b); data16_jrcxz(b);), "66e3fd"),
        (quote!(label!(b); data16_jecxz(b);), "6667e3fc"),
        (quote!(label!(b); data16_addr32_loopne(b);), "6667e0fc"),
    ] {
        let got = encode_body(dsl.clone()).unwrap_or_else(|e| panic!("{dsl}: {e}"));
        assert_eq!(hex(&got), want, "{dsl}");
    }
    // With alignment, 64-bit branches aimed at o16 ones and o16 ones at each other, every
    // branch lands on its label (decoded as AMD CPUs decode o16 branches).
    let bytes = encode_body(quote!(
        label!(a); data16_jz(b); jmp(c); nop(); align!(16); label!(b); data16_jmp(a);
        for _ in 0..14 { mov(rax, 0x1122_3344_5566_7788); } label!(c); data16_call(b); jnz(a);
    ))
    .unwrap();
    let ins: Vec<_> = Decoder::with_ip(64, &bytes, 0, DecoderOptions::AMD)
        .into_iter()
        .collect();
    let at = |k: usize| ins[k].ip();
    // `b` is the first instruction after the alignment padding.
    let b = ins
        .iter()
        .position(|i| i.ip() > 0 && i.ip() % 16 == 0)
        .unwrap();
    let (jz, jmp, call, jnz) = (&ins[0], &ins[1], ins.len() - 2, ins.len() - 1);
    let c = call;
    assert_eq!(hex(&bytes[..2]), "6674", "short: b is near");
    assert_eq!(jz.near_branch_target(), at(b));
    assert_eq!(jmp.near_branch_target(), at(c));
    assert_eq!(ins[b].near_branch_target(), 0, "data16_jmp(a)");
    assert_eq!(ins[call].near_branch_target(), at(b));
    assert_eq!(ins[jnz].near_branch_target(), 0);
    assert_eq!(ins[b].code(), iced_x86::Code::Jmp_rel8_16);
    let err = encode_body(quote!(
        label!(b); for _ in 0..14 { mov(rax, 0x1122_3344_5566_7788); } data16_loop(b);
    ))
    .unwrap_err();
    assert!(err.contains("rel8 only"), "{err}");
    if !gnu::available() {
        return;
    }
    let texts: Vec<&str> = o16.iter().map(|t| t.gnu.as_str()).collect();
    let theirs = gnu::assemble(&texts).unwrap_or_else(|e| panic!("GNU as failed:\n{e}"));
    for ((t, a), g) in o16.iter().zip(&ours).zip(&theirs) {
        assert_eq!(hex(a), hex(g), "`{}` ({})", t.dsl, t.gnu);
    }
}

/// GNU's encoding pseudo-prefixes, spelled as prefix words (`isa::spell::Pseudo`), apart
/// from [`table`] (the round trip re-encodes what it decodes, which drops `{vex3}`).
#[test]
fn encoding_pseudo_prefixes_match_gnu_as() {
    let pseudo = triples!("pseudo-prefixes":
        [store_vmovss(xmm1.k(k1), xmm2, xmm3)] => "{store} vmovss xmm1{k1}, xmm2, xmm3" ; "62f16e0911d9",
        [store_vmovss(xmm17, xmm2, xmm3)] => "{store} vmovss xmm17, xmm2, xmm3",
        [store_vmovsd(xmm1.k(k1).z(), xmm2, xmm3)] => "{store} vmovsd xmm1{k1}{z}, xmm2, xmm3",
        [store_vmovsh(xmm1, xmm2, xmm3)] => "{store} vmovsh xmm1, xmm2, xmm3" ; "62f56e0811d9",
        [store_vmovq(xmm17, xmm2)] => "{store} vmovq xmm17, xmm2" ; "62b1fd08d6d1",
        [store_vmovq(xmm1, xmm2)] => "{store} vmovq xmm1, xmm2" ; "c5f9d6d1",
        [load_vmovq(xmm1, xmm2)] => "{load} vmovq xmm1, xmm2",
        [store_movq(xmm1, xmm2)] => "{store} movq xmm1, xmm2",
        [store_mov(eax, ebx)] => "{store} mov eax, ebx" ; "89d8",
        [load_mov(eax, ebx)] => "{load} mov eax, ebx" ; "8bc3",
        [load_add(r9, r10)] => "{load} add r9, r10",
        [store_pextrw(eax, xmm1, 1)] => "{store} pextrw eax, xmm1, 1" ; "660f3a15c801",
        [store_vpextrw(eax, xmm17, 1)] => "{store} vpextrw eax, xmm17, 1",
        [store_movaps(xmm1, xmm2)] => "{store} movaps xmm1, xmm2" ; "0f29d1",
        [load_vmovaps(xmm1, xmm2)] => "{load} vmovaps xmm1, xmm2",
        [vex3_vaddps(xmm1, xmm2, xmm3)] => "{vex3} vaddps xmm1, xmm2, xmm3" ; "c4e16858cb",
        [vex3_vmovaps(ymm0, [rip + 16])] => "{vex3} vmovaps ymm0, [rip+16]",
        [label!(l); nop(); vex3_vaddps(xmm1, xmm2, [l + 4])] => ".Lps0: nop; {vex3} vaddps xmm1, xmm2, [rip+.Lps0+4]",
        [vex3_vaddps(xmm1, xmm2, [l]); label!(l); nop()] => "{vex3} vaddps xmm1, xmm2, [rip+.Lps1]\n.Lps1: nop",
        [vex_vpdpbusd(xmm1, xmm2, xmm3)] => "{vex} vpdpbusd xmm1, xmm2, xmm3",
        [evex_vaddps(xmm1, xmm2, xmm3)] => "{evex} vaddps xmm1, xmm2, xmm3" ; "62f16c0858cb",
        [evex_vpaddd(ymm1, ymm2, [rax + 64])] => "{evex} vpaddd ymm1, ymm2, [rax+64]",
        [disp8_mov(eax, [rax])] => "{disp8} mov eax, [rax]" ; "8b4000",
        [disp32_mov(eax, [rax])] => "{disp32} mov eax, [rax]" ; "8b8000000000",
        [disp32_mov(eax, [rax + 4])] => "{disp32} mov eax, [rax+4]",
        [disp8_vaddps(zmm1, zmm2, [rax + 64])] => "{disp8} vaddps zmm1, zmm2, [rax+64]" ; "62f16c48584801",
        [disp32_vaddps(zmm1, zmm2, [rax + 64])] => "{disp32} vaddps zmm1, zmm2, [rax+64]",
        [disp32_lock_add(dword[rdi + r9 * 4], 1)] => "{disp32} lock add dword ptr [rdi+r9*4], 1",
        [disp8_mov(ecx, [r13])] => "{disp8} mov ecx, [r13]",
        [disp32_vex3_vaddps(xmm1, xmm2, [rax])] => "{disp32} {vex3} vaddps xmm1, xmm2, [rax]",
        [label!(l); nop(); disp32_jz(l)] => ".Lps2: nop; {disp32} jz .Lps2" ; "900f84f9ffffff",
        [disp32_jmp(l); label!(l); nop()] => "{disp32} jmp .Lps3\n.Lps3: nop" ; "e90000000090",
        [disp8_jmp(l); jz(l); label!(l); nop()] => "{disp8} jmp .Lps4; jz .Lps4\n.Lps4: nop",
        [disp32_call(l); int3(); label!(l); nop()] => "{disp32} call .Lps5; int3\n.Lps5: nop",
        [disp32_jnz(l); vex3_vaddps(xmm1, xmm2, [l]); label!(l); nop()] =>
            "{disp32} jnz .Lps6; {vex3} vaddps xmm1, xmm2, [rip+.Lps6]\n.Lps6: nop",
    );
    let ours = ours(&pseudo);
    for (t, a) in pseudo.iter().zip(&ours) {
        if let Some(h) = t.hex {
            assert_eq!(hex(a), h, "`{}`", t.dsl);
        }
    }
    for (dsl, want) in [
        (
            quote!(store_mov(eax, 1);),
            "picks one of two register-to-register encodings",
        ),
        (
            quote!(load_mov([rax], ebx);),
            "no form whose destination is ModRM.reg",
        ),
        (
            quote!(vex_vaddps(xmm17, xmm2, xmm3);),
            "asks for a VEX encoding",
        ),
        (quote!(evex_addps(xmm1, xmm2);), "asks for an EVEX encoding"),
        (quote!(vex3_add(eax, ebx);), "asks for a VEX encoding"),
        (quote!(disp32_mov(eax, ebx);), "sizes the displacement"),
        (quote!(disp8_mov(eax, [rip + 8]);), "sizes the displacement"),
        (
            quote!(disp8_call(l); label!(l); nop();),
            "or a branch's rel8",
        ),
        (quote!(label!(l); disp32_loop(l);), "or a branch's rel32"),
        (
            quote!(disp8_jz(l); for _ in 0..14 { mov(rax, 0x1122_3344_5566_7788); } label!(l); nop();),
            "beyond the rel8 that `disp8_` asks for",
        ),
    ] {
        let err = encode_body(dsl.clone()).unwrap_err();
        assert!(err.contains(want), "{dsl}: {err}");
    }
    if !gnu::available() {
        return;
    }
    let texts: Vec<&str> = pseudo.iter().map(|t| t.gnu.as_str()).collect();
    let theirs = gnu::assemble(&texts).unwrap_or_else(|e| panic!("GNU as failed:\n{e}"));
    for ((t, a), g) in pseudo.iter().zip(&ours).zip(&theirs) {
        assert_eq!(hex(a), hex(g), "`{}` ({})", t.dsl, t.gnu);
    }
}

#[test]
fn encoding_rejects_misused_rip() {
    let one_error = |body: TokenStream, want: &str| {
        let err = encode_body(body).unwrap_err();
        assert!(err.contains(want), "{err}");
    };
    one_error(
        quote!(mov(eax, [rip + rcx]);),
        "`rip` is the base of a RIP-relative address",
    );
    one_error(quote!(mov(eax, [rax - rip]);), "`rip` is added once");
    one_error(quote!(mov(eax, [rip + rip]);), "`rip` is added once");
    one_error(
        quote!(add(eax, [0x1_0000_0000]);),
        "only `movabs` to or from al, ax, eax or rax",
    );
}

#[test]
fn encoding_equivalents_decode_alike() {
    let list = equivalents();
    if list.is_empty() || !gnu::available() {
        return;
    }
    let texts: Vec<&str> = list.iter().map(|(t, _)| t.gnu.as_str()).collect();
    let theirs = gnu::assemble(&texts).unwrap_or_else(|e| panic!("GNU as failed:\n{e}"));
    for ((t, why), g) in list.iter().zip(&theirs) {
        let a = encode_body(t.dsl.clone()).unwrap();
        assert_ne!(
            &a, g,
            "`{}` now matches GNU as: move it to the table",
            t.dsl
        );
        assert_eq!(disassemble(&a), disassemble(g), "`{}` ({why})", t.dsl);
        assert!(
            a.len() <= g.len(),
            "`{}` is longer than GNU as' ({why})",
            t.dsl
        );
        eprintln!(
            "equivalent: `{}`: asmforge {} vs GNU as {} ({why})",
            t.dsl,
            hex(&a),
            hex(g)
        );
    }
}
