use asmforge::kernel;

/// Thirteen values, `rax` and two parameters live at once: the error names the parameters
/// (`m`, `x.len()`) by name, with the register each arrived in.
#[kernel]
fn k(x: &[u64], m: u64) -> u64 {
    let v = gp64s(13);
    for i in 0..13 {
        mov(v[i], i);
    }
    for i in 0..13 {
        add(rax, v[i]);
    }
    add(rax, x.len());
    add(rax, m);
    return rax;
}

fn main() {}
