//! Shipping a fused function to another process, standing in for a compute node.
//!
//! The parent stitches `max((x·a + b)·x + c, 0)` at run time, serializes it, and starts this
//! same test binary again with `ASMFORGE_JIT_NODE=<blob file>` selecting the `node` test:
//! that process has never built the function; it loads the blob (every check passes), runs
//! it on inputs it generates, checks the results against Rust, and prints a digest of them
//! that the parent compares with its own. A corrupted blob sent the same way is refused.
// Executable memory and stencils are Unix-only (`asmforge::jit`).
#![cfg(all(unix, target_arch = "x86_64"))]

#[path = "../examples/stencils/mod.rs"]
mod stencils;

use std::process::Command;

use asmforge::jit;
use stencils::{FuseStencils, Op, PipeFn, Src};

const NODE: &str = "ASMFORGE_JIT_NODE";
const N: usize = 1003;
const OPS: [Op; 3] = [Op::FmaConst(0.5, -2.0), Op::FmaX(1.25), Op::Max(0.0)];

fn inputs() -> Vec<f32> {
    (0..N)
        .map(|i| ((i * 7919) % 1000) as f32 / 125.0 - 4.0)
        .collect()
}

fn digest(v: &[f32]) -> u64 {
    jit::checksum(
        &v.iter()
            .flat_map(|f| f.to_bits().to_le_bytes())
            .collect::<Vec<u8>>(),
    )
}

/// The compute node: does nothing unless started by `ship_to_child_process`.
#[test]
fn node() {
    let Ok(path) = std::env::var(NODE) else {
        return;
    };
    let blob = std::fs::read(path).unwrap();
    // SAFETY: the blob comes from our own parent process through a private temp file.
    match unsafe { jit::load::<PipeFn>(&blob) } {
        Err(e) => println!("node: refused: {e}"),
        Ok(f) => {
            let x = inputs();
            let mut out = vec![f32::NAN; N];
            // SAFETY: x and out hold N elements (y is not read by a Src::X pipeline).
            unsafe { f.func().call(x.as_ptr(), x.as_ptr(), out.as_mut_ptr(), N) };
            let mut want = vec![0.0; N];
            stencils::reference(Src::X, &OPS, &x, &x, &mut want);
            assert_eq!(out, want);
            println!(
                "node: ran {N} elements at {:p}, digest {:#018x}",
                f.func().addr(),
                digest(&out)
            );
        }
    }
}

fn send(blob: &[u8], tag: &str) -> String {
    let path = std::env::temp_dir().join(format!("asmforge-jit-{}-{tag}.blob", std::process::id()));
    std::fs::write(&path, blob).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "node", "--nocapture", "--test-threads=1"])
        .env(NODE, &path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "node failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn ship_to_child_process() {
    if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")) {
        println!("skipped: this CPU lacks AVX2+FMA");
        return;
    }
    let code = FuseStencils::new().pipeline(Src::X, &OPS, false).unwrap();
    let blob = code.to_blob().unwrap();
    let x = inputs();
    let mut want = vec![0.0; N];
    stencils::reference(Src::X, &OPS, &x, &x, &mut want);

    let stdout = send(&blob, "good");
    let line = stdout
        .lines()
        .find_map(|l| l.find("node: ").map(|i| &l[i..]))
        .unwrap_or_else(|| panic!("no report:\n{stdout}"));
    assert!(
        line.starts_with(&format!("node: ran {N} elements")),
        "{line}"
    );
    assert!(
        line.ends_with(&format!("digest {:#018x}", digest(&want))),
        "{line}"
    );

    let mut bad = blob.clone();
    bad[40] ^= 0x10; // a byte of code
    let stdout = send(&bad, "bad");
    assert!(
        stdout.contains("node: refused: checksum mismatch"),
        "{stdout}"
    );
}
