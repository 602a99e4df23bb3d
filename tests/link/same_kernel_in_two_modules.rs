//! A `macro_rules!` that stamps out the same kernel in two modules. Every token of the two
//! kernels comes from the macro's body, so the macro sees identical input twice — same name,
//! same source position, same bytes. Each copy is a naked function in its own module, so
//! rustc gives each its own symbol (`…::a::k::__asmforge_baseline`, `…::b::k::…`): both link
//! and both run.

macro_rules! seven {
    ($m:ident) => {
        mod $m {
            #[asmforge::kernel]
            pub fn k() -> u64 {
                mov(eax, 7);
                return rax;
            }
        }
    };
}

seven!(a);
seven!(b);

fn main() {
    assert_eq!(a::k() + b::k(), 14);
    // Two copies of the code, each named by its own module.
    let (va, vb) = (&a::k::INFO.variants[0], &b::k::INFO.variants[0]);
    assert_ne!(va.entry.0, vb.entry.0);
    assert!(va.symbol.ends_with("::a::k::__asmforge_baseline"), "{}", va.symbol);
    assert!(vb.symbol.ends_with("::b::k::__asmforge_baseline"), "{}", vb.symbol);
    assert_eq!(va.bytes, vb.bytes);
}
