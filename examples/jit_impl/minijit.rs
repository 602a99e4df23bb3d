// The body of the `minijit` example (see ../minijit.rs), which needs `asmforge::jit` (Unix).

use asmforge::jit::{self, Builder, Specializer, Value};
use asmforge::measure::tsc;

type MulFn = extern "sysv64" fn(u64) -> u64;

/// `x * c` for a run-time `c`.
#[asmforge::stencil]
fn mul(x: u64) -> u64 {
    movabs(rax, hole!(imm64 c));
    imul(rax, x);
    return rax;
}

fn parse(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let st = mul::best().ok_or("no variant of `mul` runs here")?;
    let hole = st.holes()[0];
    println!(
        "stencil `{}`: {} bytes {:02x?}",
        st.name(),
        st.code().len(),
        st.code()
    );
    println!(
        "hole `{}`: {} at byte {}",
        hole.name,
        hole.kind.describe(),
        hole.offset
    );

    let mut constants: Vec<u64> = std::env::args().skip(1).filter_map(|a| parse(&a)).collect();
    if constants.is_empty() {
        // "Run time": derived from the clock, so no compiler could have seen them.
        let t = tsc::rdtsc();
        constants = vec![t % 1000, t.rotate_left(17), 0x00de_adbe_efed];
    }
    let xs = [0u64, 1, 2, 3, 1 << 40, u64::MAX, 0x0123_4567_89ab_cdef];
    for &c in &constants {
        let (ticks, f) = tsc::measure(|| jit::specialize::<MulFn>(st, &[("c", Value::UInt(c))]));
        let f = f?;
        for &x in &xs {
            let got = f.func().call(x);
            assert_eq!(got, x.wrapping_mul(c), "{x} * {c}");
        }
        println!(
            "c = {c:#x}: fresh function at {:p} in {ticks} TSC ticks, {} inputs checked",
            f.func().addr(),
            xs.len()
        );
    }

    // A batch: the stencil is checked once (signature, features, names), then each function
    // is a copy and a patch into shared pages.
    let mut b = Builder::new();
    let (ticks, refs) = tsc::measure(|| {
        Specializer::<MulFn>::new(st, &["c"])?.place_n(&mut b, 1000, |c| [Value::UInt(c as u64)])
    });
    let refs = refs?;
    let region = b.finalize()?;
    for (c, r) in refs.iter().enumerate() {
        assert_eq!(region.get(r).call(7), 7 * c as u64);
    }
    println!(
        "1000 functions patched into one region in {ticks} TSC ticks ({} per function), all checked",
        ticks / 1000
    );
    Ok(())
}
