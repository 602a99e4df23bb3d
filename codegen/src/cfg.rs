//! The control-flow graph of a selected or allocated program: the one graph that
//! allocation's liveness and the SSE/AVX transition check both walk.
//!
//! Takes the items of a [`Selected`](crate::ir::Selected) or
//! [`Allocated`](crate::ir::Allocated) program; guarantees one node per instruction and per
//! `return`, in program order, with successors from the form's flow control (iced's
//! `Code::flow_control`, so no instruction is built):
//!
//! ```text
//!  fall-through        the next node (a label names the node after it)
//!  jmp label           the label's node only
//!  jcc / loop / xbegin the next node and the label's node
//!  ret, jmp reg, ud2   none; a `return` leaves through the epilogue: none
//! ```
//!
//! A branch to a label with no node after it (a label at the very end) has no successor
//! there. Node 0 is the entry.

use iced_x86::FlowControl;

use crate::ir::{OperandKind, SItem};

/// One node: an instruction or a `return`.
pub struct Node {
    /// Index of the item in the program.
    pub item: usize,
    /// Successor nodes.
    pub succs: Vec<usize>,
}

pub struct Cfg {
    pub nodes: Vec<Node>,
}

impl Cfg {
    /// The graph of `items`, whose labels are numbered below `label_count`.
    pub fn build<R>(items: &[SItem<R>], label_count: u32) -> Cfg {
        const NONE: usize = usize::MAX;
        // Node of each label: the next instruction or return after it.
        let mut label_node = vec![NONE; label_count as usize];
        let mut pending: Vec<usize> = Vec::new();
        let mut n = 0;
        for item in items {
            match item {
                SItem::Label(l) => pending.push(l.0 as usize),
                SItem::Inst(_) | SItem::Return(..) => {
                    for l in pending.drain(..) {
                        if let Some(slot) = label_node.get_mut(l) {
                            *slot = n;
                        }
                    }
                    n += 1;
                }
                SItem::Align(_) => {}
            }
        }
        let mut nodes = Vec::with_capacity(n);
        for (i, item) in items.iter().enumerate() {
            let next = nodes.len() + 1;
            let next = (next < n).then_some(next);
            let succs = match item {
                SItem::Return(..) => vec![],
                SItem::Inst(s) => {
                    let target = s
                        .inst
                        .operands
                        .iter()
                        .find_map(|o| match o.kind {
                            OperandKind::Label(l) => label_node.get(l.0 as usize).copied(),
                            _ => None,
                        })
                        .filter(|t| *t != NONE);
                    match s.code.flow_control() {
                        FlowControl::UnconditionalBranch => target.into_iter().collect(),
                        FlowControl::ConditionalBranch | FlowControl::XbeginXabortXend => {
                            next.into_iter().chain(target).collect()
                        }
                        FlowControl::IndirectBranch
                        | FlowControl::Return
                        | FlowControl::Exception => vec![],
                        _ => next.into_iter().collect(),
                    }
                }
                SItem::Label(_) | SItem::Align(_) => continue,
            };
            nodes.push(Node { item: i, succs });
        }
        Cfg { nodes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Inst, LabelId, Operand, RetValue, SelInst};
    use iced_x86::{Code, Register};
    use proc_macro2::Span;

    fn inst(code: Code, label: Option<u32>) -> SItem<Register> {
        let operands = label
            .map(|l| Operand {
                kind: OperandKind::Label(LabelId(l)),
                span: Span::call_site(),
            })
            .into_iter()
            .collect();
        SItem::Inst(SelInst {
            code,
            inst: Inst {
                mnemonic: String::new(),
                prefix: None,
                operands,
                span: Span::call_site(),
                line: 0,
                note: None,
            },
        })
    }

    #[test]
    fn branches_fall_through_and_loop() {
        // 0: nop; L0: 1: dec; 2: jne L0; 3: jmp L1; 4: nop; L1: 5: return
        let items = vec![
            inst(Code::Nopd, None),
            SItem::Label(LabelId(0)),
            inst(Code::Dec_rm32, None),
            inst(Code::Jne_rel32_64, Some(0)),
            inst(Code::Jmp_rel32_64, Some(1)),
            inst(Code::Nopd, None),
            SItem::Label(LabelId(1)),
            SItem::Return(RetValue::None, Span::call_site()),
        ];
        let cfg = Cfg::build(&items, 2);
        let succs: Vec<Vec<usize>> = cfg.nodes.iter().map(|n| n.succs.clone()).collect();
        assert_eq!(
            succs,
            [vec![1], vec![2], vec![3, 1], vec![5], vec![5], vec![]]
        );
        let at: Vec<usize> = cfg.nodes.iter().map(|n| n.item).collect();
        assert_eq!(at, [0, 2, 3, 4, 5, 7]);
    }
}
