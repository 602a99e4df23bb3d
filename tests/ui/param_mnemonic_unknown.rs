use asmforge::kernel;

#[kernel(params(OP = vpadd))]
fn k() {
    OP(ymm0, ymm1, ymm2);
}

fn main() {}
