//! Loading serialized functions: every corruption is a typed error, and nothing of a refused
//! blob is mapped executable (counted in /proc/self/maps).
// Executable memory and stencils are Unix-only (`asmforge::jit`).
#![cfg(all(unix, target_arch = "x86_64"))]

#[path = "../examples/stencils/mod.rs"]
mod stencils;

use std::sync::Mutex;

use asmforge::jit::{self, LoadError, Stitch, Value};
use proptest::prelude::*;
use stencils::MulFn;

/// Tests that map code hold this, so the mapping counts of the others are exact.
static MAPS: Mutex<()> = Mutex::new(());

fn blob(c: u64) -> Vec<u8> {
    let owned = stencils::mul_stencil();
    let mut s = Stitch::<MulFn>::new();
    s.append(&owned.stencil(), &[("c", Value::UInt(c))])
        .unwrap();
    s.finish().unwrap().to_blob().unwrap()
}

/// Anonymous executable mappings of this process.
fn exec_mappings() -> usize {
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    maps.lines()
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() == 5 && f[1].contains('x')
        })
        .count()
}

#[test]
fn round_trip_and_each_refusal() {
    let _g = MAPS.lock().unwrap_or_else(|p| p.into_inner());
    let good = blob(77);
    // SAFETY: produced just above by to_blob.
    let f = unsafe { jit::load::<MulFn>(&good) }.unwrap();
    assert_eq!(f.func().call(3), 231);
    let v = jit::verify(&good).unwrap();
    assert_eq!(
        v.signature_fingerprint(),
        stencils::mul_signature_fingerprint()
    );

    let reseal = |mut b: Vec<u8>| {
        let n = b.len() - 8;
        let sum = jit::checksum(&b[..n]);
        b[n..].copy_from_slice(&sum.to_le_bytes());
        b
    };
    type Case = (Vec<u8>, fn(&LoadError) -> bool);
    let cases: Vec<Case> = vec![
        (good[..20].to_vec(), |e| matches!(e, LoadError::Truncated)),
        (b"ELF\x7fnot a blob, not at all, really not".to_vec(), |e| {
            matches!(e, LoadError::BadMagic)
        }),
        (
            reseal({
                let mut b = good.clone();
                b[8] = 2;
                b
            }),
            |e| {
                matches!(
                    e,
                    LoadError::Version {
                        found: 2,
                        supported: 1
                    }
                )
            },
        ),
        (
            {
                let mut b = good.clone();
                b[35] ^= 1;
                b
            },
            |e| matches!(e, LoadError::Checksum { .. }),
        ),
        (
            reseal({
                let mut b = good.clone();
                b[12] = 1;
                b
            }),
            |e| matches!(e, LoadError::UnknownFlags(1)),
        ),
        (
            reseal({
                let mut b = good.clone();
                b[16] ^= 1;
                b
            }),
            |e| matches!(e, LoadError::SignatureMismatch { .. }),
        ),
        (
            reseal({
                let mut b = good.clone();
                b[24] += 1;
                b
            }),
            |e| matches!(e, LoadError::Truncated),
        ),
        (
            reseal({
                let mut b = good.clone();
                b[24] -= 1;
                b[28] -= 1;
                b
            }),
            |e| matches!(e, LoadError::TrailingBytes),
        ),
        (
            reseal({
                let mut b = good.clone();
                b[28] = 200;
                b
            }),
            |e| matches!(e, LoadError::BadLayout),
        ),
        (
            reseal({
                let mut b = good.clone();
                b[10] = 200;
                b
            }),
            |e| matches!(e, LoadError::UnknownFeature(_) | LoadError::Truncated),
        ),
    ];
    let before = exec_mappings();
    for (i, (b, ok)) in cases.iter().enumerate() {
        // SAFETY: refused before mapping (asserted).
        let e = unsafe { jit::load::<MulFn>(b) }
            .err()
            .unwrap_or_else(|| panic!("case {i} accepted"));
        assert!(ok(&e), "case {i}: {e}");
    }
    // A feature list naming a feature this crate does not know.
    let mut b = good[..32].to_vec();
    b[10] += 1;
    b.push(4);
    b.extend_from_slice(b"WARP");
    b.extend_from_slice(&good[32..]);
    let e = jit::verify(&reseal(b)).unwrap_err();
    assert!(
        matches!(&e, LoadError::UnknownFeature(n) if n == "WARP"),
        "{e}"
    );
    // Wrong type requested.
    // SAFETY: refused for the signature.
    let e = unsafe { jit::load::<extern "sysv64" fn(u32) -> u32>(&good) }.unwrap_err();
    assert!(matches!(e, LoadError::SignatureMismatch { .. }), "{e}");
    assert_eq!(
        exec_mappings(),
        before,
        "a refused blob was mapped executable"
    );
    drop(f);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Corrupted blobs (bytes changed, cut, extended, or random) are refused and never mapped.
    #[test]
    fn corrupted_blobs_are_refused(
        c in any::<u64>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in any::<prop::sample::Index>(),
        extra in prop::collection::vec(any::<u8>(), 1..16),
        noise in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let _g = MAPS.lock().unwrap_or_else(|p| p.into_inner());
        let good = blob(c);
        let mut flipped = good.clone();
        for (at, x) in &edits {
            flipped[at.index(good.len())] ^= x;
        }
        let mut extended = good.clone();
        extended.extend_from_slice(&extra);
        let before = exec_mappings();
        for bad in [&flipped[..], &good[..cut.index(good.len())], &extended[..], &noise[..]] {
            if bad == &good[..] {
                continue; // edits that cancel out
            }
            // SAFETY: every candidate differs from a valid blob; it must be refused unmapped.
            let r = unsafe { jit::load::<MulFn>(bad) };
            prop_assert!(r.is_err(), "accepted a corrupted blob of {} bytes", bad.len());
        }
        prop_assert_eq!(exec_mappings(), before);
    }
}
