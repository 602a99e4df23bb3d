use asmforge::kernel;

#[kernel(instances(one = (N = 0), two = (N = 8)))]
fn k() {
    let t = like(5);
    let u = param(7);
    mov(eax, N.ilog2());
}

#[kernel(instances(same = (N = 1), same = (N = 2)))]
fn twice() {}

fn main() {}
