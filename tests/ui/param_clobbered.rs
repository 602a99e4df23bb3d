use asmforge::kernel;

/// `d` arrives in rcx: writing ecx before `d` is used destroys it (the kernel once returned
/// 6 instead of 44 here). The error names the parameter and the fix.
#[kernel]
fn sum4(a: u64, b: u64, c: u64, d: u64) -> u64 {
    mov(ecx, 2);
    lea(rax, [a + b]);
    add(rax, c);
    add(rax, d);
    return rax;
}

fn main() {}
