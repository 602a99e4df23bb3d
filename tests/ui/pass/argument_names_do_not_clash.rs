// Generated code must not capture the kernel's argument names (`f`, `entry`, `variant`, ...).
use asmforge::kernel;

#[kernel]
fn sum(f: u64, entry: u64, variant: u64, info: u64, dispatch: u64, k: u64, g: u64) -> u64 {
    lea(rax, [f + entry]);
    add(rax, variant);
    add(rax, info);
    add(rax, dispatch);
    add(rax, k);
    add(rax, g);
    return rax;
}

fn main() {
    assert_eq!(sum(1, 2, 3, 4, 5, 6, 7), 28);
    let v = &sum::INFO.variants[0];
    assert_eq!(sum::call(v, 1, 2, 3, 4, 5, 6, 7).ok(), Some(28));
}
