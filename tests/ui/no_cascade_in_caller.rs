use asmforge::kernel;

// The kernel fails to compile; its callers must see only that error, not a cascade of
// "cannot find function" or type errors: the macro still emits `double` with its signature.
#[kernel]
pub fn double(x: u64) -> u64 {
    lae(rax, [x + x]);
    return rax;
}

fn twice(f: fn(u64) -> u64, x: u64) -> u64 {
    f(f(x))
}

fn main() {
    let y: u64 = double(21);
    assert_eq!(y, 42);
    assert_eq!(twice(double, 1), 4);
}
