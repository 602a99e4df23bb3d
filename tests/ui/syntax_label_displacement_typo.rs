use asmforge::kernel;

// A misspelt label with a displacement is one error, at the name.
#[kernel]
fn k() -> u64 {
    lea(rax, [tabel + 8]);
    label!(table);
    return rax;
}

fn main() {}
