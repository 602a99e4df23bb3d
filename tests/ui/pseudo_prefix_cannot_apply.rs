use asmforge::kernel;

// GNU's pseudo-prefixes as prefix words: where one cannot apply, the mnemonic says why
// (GNU as ignores it in silence).
#[kernel(targets(avx512f))]
unsafe fn k(p: *mut u32) {
    store_mov(eax, 1);
    load_mov([p], ebx);
    vex_vaddps(xmm17, xmm2, xmm3);
    evex_addps(xmm1, xmm2);
    disp32_mov(eax, ebx);
    disp8_disp32_mov(eax, [p]);
}

fn main() {}
