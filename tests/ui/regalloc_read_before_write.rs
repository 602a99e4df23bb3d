use asmforge::kernel;

#[kernel]
fn k(c: u64) -> u64 {
    let sum = gp64();
    test(c, c);
    jz(skip);
    mov(sum, 1);
    label!(skip);
    add(sum, c); // when c == 0, `sum` was never written
    return sum;
}

fn main() {}
