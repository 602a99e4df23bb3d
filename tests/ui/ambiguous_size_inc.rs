use asmforge::kernel;

#[kernel]
unsafe fn k(p: *mut u32) {
    inc([p]);
}

fn main() {}
