//! Branch relaxation across `align!` blocks: random programs of labels, alignments, forward
//! and backward branches and fillers of many sizes must encode, and every branch must land on
//! its label. Each label is followed by `mov r8d, 1000 + k` and each branch preceded by
//! `mov r9d, 2000 + k`, so the decoded bytes say which label a branch means and where it is.

use std::collections::BTreeMap;
use std::str::FromStr;

use iced_x86::{Decoder, DecoderOptions, FlowControl, Mnemonic, OpKind, Register};
use proc_macro2::TokenStream;

/// xorshift64: a reproducible stream of cases.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

const FILLERS: [&str; 7] = [
    "nop();",
    "add(rax, 1);",
    "vaddps(ymm0, ymm0, ymm1);",
    "mov(rax, 0x1122334455667788u64);",
    "vmovaps(ymm2, f32x8(1.0));",
    "vfmadd231ps(ymm3, ymm4, [rdi + rcx * 4 + 32]);",
    "add(rax, 100000);",
];

fn program(rng: &mut Rng) -> String {
    let labels = 1 + rng.below(4) as usize;
    let len = 20 + rng.below(120) as usize;
    let mut at: Vec<usize> = (0..labels)
        .map(|_| rng.below(len as u64 + 1) as usize)
        .collect();
    at.sort_unstable();
    let mut s = String::new();
    let mut next = 0;
    for k in 0..=len {
        while next < labels && at[next] == k {
            if rng.below(3) == 0 {
                s += &format!("align!({});", [8, 16, 32, 64][rng.below(4) as usize]);
            }
            s += &format!("label!(l{next}); mov(r8d, {});", 1000 + next);
            next += 1;
        }
        if k == len {
            break;
        }
        if rng.below(6) == 0 {
            let t = rng.below(labels as u64);
            let op = ["jz", "jb", "jmp", "jae"][rng.below(4) as usize];
            s += &format!("mov(r9d, {}); {op}(l{t});", 2000 + t);
        } else {
            s += FILLERS[rng.below(FILLERS.len() as u64) as usize];
        }
    }
    s + "nop();"
}

/// Every branch's target is the address of the label its marker names.
fn check(bytes: &[u8], src: &str) {
    let mut label_at = BTreeMap::new();
    let mut branches = Vec::new();
    let mut marker = None;
    let mut d = Decoder::with_ip(64, bytes, 0, DecoderOptions::NONE);
    for ins in &mut d {
        if ins.is_invalid() || ins.mnemonic() == Mnemonic::Int3 {
            break; // the pool's padding
        }
        if ins.mnemonic() == Mnemonic::Mov && ins.op0_kind() == OpKind::Register {
            let imm = ins.immediate(1);
            match ins.op0_register() {
                Register::R8D => {
                    label_at.insert(imm - 1000, ins.ip());
                }
                Register::R9D => marker = Some(imm - 2000),
                _ => {}
            }
        }
        if matches!(
            ins.flow_control(),
            FlowControl::ConditionalBranch | FlowControl::UnconditionalBranch
        ) {
            let k = marker
                .take()
                .unwrap_or_else(|| panic!("a branch without its marker\n{src}"));
            branches.push((ins.ip(), k, ins.near_branch_target()));
        }
    }
    for (ip, k, target) in branches {
        assert_eq!(
            label_at.get(&k),
            Some(&target),
            "the branch at {ip:#x} to l{k} lands at {target:#x}\n{src}"
        );
    }
}

#[test]
fn branches_across_alignment_blocks_encode_and_land_on_their_labels() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..3000 {
        let src = program(&mut rng);
        let bytes = super::encode_body(TokenStream::from_str(&src).unwrap())
            .unwrap_or_else(|e| panic!("{e}\n{src}"));
        check(&bytes, &src);
    }
}
