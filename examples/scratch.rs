use asmforge::kernel;

/// out[i] = a[i] + b[i]
#[kernel]
pub unsafe fn add_f32(a: *const f32, b: *const f32, out: *mut f32, n: usize) {
    xor(eax, eax);
    test(n, n);
    jz(done);
    label!(top);
    movss(xmm0, [a + rax * 4]);
    addss(xmm0, [b + rax * 4]);
    movss([out + rax * 4], xmm0);
    inc(rax);
    cmp(rax, n);
    jb(top);
    label!(done);
}

#[kernel(params(K = 3))]
fn addk(x: u64) -> u64 {
    mov(rax, x);
    for i in 0..K {
        add(rax, i + 1);
    }
    imul(rax, rax, 10);
    vaddps(ymm1, ymm1, f32x8(0.5));
    return rax;
}

fn main() {
    let a = [1.0f32, 2.0, 3.0];
    let b = [10.0f32, 20.0, 30.0];
    let mut out = [0.0f32; 3];
    unsafe { add_f32(a.as_ptr(), b.as_ptr(), out.as_mut_ptr(), 3) };
    println!("{out:?}");
    println!("{}", addk(5));
    println!("{:?}", add_f32::INFO);
}
