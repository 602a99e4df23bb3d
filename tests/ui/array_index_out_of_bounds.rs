use asmforge::kernel;

#[kernel]
fn k() {
    let acc = [ymm0, ymm1, ymm2, ymm3];
    for i in 0..5 {
        vxorps(acc[i], acc[i], acc[i]);
    }
}

fn main() {}
