use asmforge::kernel;

struct Engine;

/// A kernel is a free function (it comes with a module of its own): inside an `impl` block
/// it gets one error saying so.
impl Engine {
    #[kernel]
    fn add1(x: u64) -> u64 {
        lea(rax, [x + 1]);
        return rax;
    }
}

fn main() {}
