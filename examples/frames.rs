//! Stack frames: a stack local, arguments passed on the stack, the Windows x64 convention,
//! and the unwind information that lets debuggers and profilers walk through a kernel.
//!
//! ```text
//! cargo run --example frames
//! ```
//!
//! `mode` pushes rbx and r12 and realigns rsp for its 64-byte-aligned local, so it is the one
//! to step through: `gdb -batch -ex 'break <symbol>' -ex run -ex 'stepi 8' -ex bt
//! target/debug/examples/frames` (the program prints the symbol) shows `main` below it.

use asmforge::kernel;

/// `a + b + ... + j`, from one source under both conventions: under System V (`sum10`) the
/// first six arrive in registers and `g`..`j` on the stack; under Windows x64
/// (`sum10_win64`) four in registers and six on the stack.
#[kernel(instances(sum10 = (), sum10_win64 = (abi = "win64")))]
#[allow(clippy::too_many_arguments)]
pub fn sum10_any(
    a: i64,
    b: i64,
    c: i64,
    d: i64,
    e: i64,
    f: i64,
    g: i64,
    h: i64,
    i: i64,
    j: i64,
) -> i64 {
    mov(rax, a);
    for x in [b, c, d, e, f, g, h, i, j] {
        add(rax, x); // a register, or `qword [rsp + ...]` for an argument on the stack
    }
    return rax;
}

/// The most frequent byte of `data` (the smallest on ties; 0 for no data), counted in a
/// 256-entry histogram that lives in a 64-byte-aligned stack local.
#[kernel]
pub fn mode(data: &[u8]) -> u8 {
    let counts = local(256 * 4, 64);
    pxor(xmm0, xmm0);
    for k in 0..16 {
        movdqa([counts + k * 64], xmm0);
        movdqa([counts + k * 64 + 16], xmm0);
        movdqa([counts + k * 64 + 32], xmm0);
        movdqa([counts + k * 64 + 48], xmm0);
    }
    xor(ecx, ecx);
    test(data.len(), data.len());
    jz(count_done);
    label!(count);
    movzx(eax, byte[data + rcx]);
    inc(dword[counts + rax * 4]);
    inc(rcx);
    cmp(rcx, data.len());
    jb(count);
    label!(count_done);
    // rbx: best index, r12d: best count (callee-saved, so the prologue pushes them).
    xor(ebx, ebx);
    mov(r12d, dword[counts]);
    mov(ecx, 1);
    label!(scan);
    mov(eax, dword[counts + rcx * 4]);
    cmp(eax, r12d);
    jbe(next);
    mov(r12d, eax);
    mov(ebx, ecx);
    label!(next);
    inc(ecx);
    cmp(ecx, 256);
    jb(scan);
    mov(eax, ebx);
    return al;
}

/// The reference for [`mode`].
fn mode_ref(data: &[u8]) -> u8 {
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let mut best = 0;
    for (i, &c) in counts.iter().enumerate() {
        if c > counts[best] {
            best = i;
        }
    }
    best as u8
}

fn main() {
    let args = [1i64, -2, 3, -4, 5, -6, 7, -8, 9, 1000];
    let want: i64 = args.iter().sum();
    let [a, b, c, d, e, f, g, h, i, j] = args;
    println!(
        "sum10       = {} (Rust: {want})",
        sum10(a, b, c, d, e, f, g, h, i, j)
    );
    println!(
        "sum10_win64 = {}",
        sum10_win64(a, b, c, d, e, f, g, h, i, j)
    );
    let text = b"the quick brown fox jumps over the lazy dog, then sleeps";
    println!(
        "mode        = {:?} (Rust: {:?})",
        mode(text) as char,
        mode_ref(text) as char
    );
    for info in [&sum10::INFO, &sum10_win64::INFO, &mode::INFO] {
        let v = &info.variants[0];
        println!(
            "{:12} {} ({} bytes, saves {:?})",
            info.name, v.symbol, v.code_size, v.saved
        );
    }
}
