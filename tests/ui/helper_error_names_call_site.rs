use asmforge::{instruction, kernel};

mod helpers {
    use asmforge::instruction;

    /// A mistake inside a custom instruction: `addps` has no immediate form.
    #[instruction]
    pub fn add_const(x: Vec) {
        let t = like(x);
        movaps(t, x);
        addps(t, 5);
    }
}

/// A wrong argument kind, a wrong count and recursion, each reported at its own token.
#[instruction]
fn forever(x: Gp) {
    inc(x);
    forever(x);
}

#[kernel]
fn k() {
    use helpers::add_const;
    use forever;
    add_const(xmm1);
    add_const(rax);
    add_const(xmm1, xmm2);
    forever(rcx);
}

fn main() {}
