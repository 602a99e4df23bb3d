use super::encode_body;
use proc_macro2::TokenStream;

#[test]
fn encoding_sweep_timing() {
    let lines = ["vaddps(zmm1.k(k1).z(), zmm2, dword[rax + rbx*4 + 64].bcst());", "add(rax, qword[r13 + r12*8 - 129]);", "vfmadd231ps(xmm17, xmm30, xmm9);", "mov(ecx, dword[l]); label!(l); nop();"];
    let t = std::time::Instant::now();
    let n = 5000;
    for i in 0..n {
        let ts: TokenStream = lines[i % 4].parse().unwrap();
        encode_body(ts).unwrap();
    }
    eprintln!("one by one: {:?} per", t.elapsed() / n as u32);
    let t = std::time::Instant::now();
    let body: String = (0..n).map(|i| if i % 4 == 3 { "nop();" } else { lines[i % 4] }).collect::<Vec<_>>().join("\n");
    let ts: TokenStream = body.parse().unwrap();
    let b = encode_body(ts).unwrap();
    eprintln!("batched: {:?} per, {} bytes", t.elapsed() / n as u32, b.len());
}
