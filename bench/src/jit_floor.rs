//! The floors: what any run-time code generator must at least pay, through libc.

use core::ptr;

/// `movabs rax, imm64; imul rax, rdi; ret` (SDM: MOV B8+r io; IMUL 0F AF /r).
pub const MUL: [u8; 15] = [
    0x48, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x0F, 0xAF, 0xC7, 0xC3,
];

type MulFn = extern "sysv64" fn(u64) -> u64;

/// mmap, copy 15 bytes, patch the immediate, mprotect to read+execute, call, munmap.
pub fn single(c: u64, x: u64) -> u64 {
    // SAFETY: a fresh anonymous page, written then sealed, called, unmapped.
    unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        let p = p.cast::<u8>();
        ptr::copy_nonoverlapping(MUL.as_ptr(), p, MUL.len());
        ptr::write_unaligned(p.add(2).cast::<u64>(), c);
        assert_eq!(
            libc::mprotect(p.cast(), 4096, libc::PROT_READ | libc::PROT_EXEC),
            0
        );
        let f: MulFn = core::mem::transmute(p);
        let r = f(x);
        libc::munmap(p.cast(), 4096);
        r
    }
}

/// `n` functions patched into one 64 KiB region, one mprotect, every function called once
/// (`check(i, result)`), munmap.
pub fn batch(n: usize, x: u64, mut check: impl FnMut(usize, u64)) {
    let len = 64 * 1024;
    assert!(n * 16 <= len);
    // SAFETY: as in `single`, with functions at a 16-byte stride.
    unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert_ne!(p, libc::MAP_FAILED);
        let p = p.cast::<u8>();
        for i in 0..n {
            let f = p.add(16 * i);
            ptr::copy_nonoverlapping(MUL.as_ptr(), f, MUL.len());
            ptr::write_unaligned(f.add(2).cast::<u64>(), i as u64);
        }
        assert_eq!(
            libc::mprotect(p.cast(), len, libc::PROT_READ | libc::PROT_EXEC),
            0
        );
        for i in 0..n {
            let f: MulFn = core::mem::transmute(p.add(16 * i));
            check(i, f(x));
        }
        libc::munmap(p.cast(), len);
    }
}
