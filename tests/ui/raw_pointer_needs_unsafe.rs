use asmforge::kernel;

/// A safe function that dereferences a raw pointer would be undefined behaviour reachable
/// from safe code.
#[kernel]
pub fn load(p: *const u64) -> u64 {
    mov(rax, [p]);
    return rax;
}

fn main() {}
