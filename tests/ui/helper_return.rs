use asmforge::{instruction, kernel};

/// `return` inside a custom instruction would end the kernel.
#[instruction]
fn early(x: Gp) {
    return x;
}

#[kernel]
fn k() -> u64 {
    use early;
    early(rax);
    return rax;
}

fn main() {}
