use asmforge::kernel;

pub struct Point {
    pub x: f32,
    pub y: f32,
}

#[kernel]
fn k(p: Point) {
    nop();
}

fn main() {}
