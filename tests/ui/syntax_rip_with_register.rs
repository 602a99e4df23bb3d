use asmforge::kernel;

// `rip` is the base of a RIP-relative address: no other register can join it.
#[kernel]
fn k(i: u64) -> u32 {
    mov(eax, dword[rip + i * 4]);
    return eax;
}

fn main() {}
