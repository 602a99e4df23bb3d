use asmforge::kernel;

// `data16_loop` (GNU's `data16 loop`) has a rel8 only; unlike `loop` there is no longer form
// to rewrite it into.
#[kernel]
fn k() {
    label!(top);
    for _ in 0..20 {
        mov(rax, 0x1122_3344_5566_7788);
    }
    data16_loop(top);
}

fn main() {}
