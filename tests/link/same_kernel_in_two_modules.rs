//! A `macro_rules!` that stamps out the same kernel in two modules. Every token of the two
//! kernels comes from the macro's body, so the macro sees identical input twice — same name,
//! same source position, same bytes — and gives both the same symbol, which the linker then
//! rejects as defined twice.

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
}
