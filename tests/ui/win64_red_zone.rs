use asmforge::kernel;

#[kernel(abi = "win64")]
fn k(x: u64) {
    mov([rsp - 8], x);
}

fn main() {}
