//! Facts about the machine that every stage may query, and that no stage owns: the
//! instruction-form table (`forms`, built once per process), which form to use for an
//! instruction under a variant's features (`choose`: selection binds the author's
//! instructions with it, allocation asks it which values may live in xmm16–31 and re-binds
//! forms after allocation, the frame binds the instructions it adds), building an iced
//! instruction from a form (`instr`), the mnemonics GNU as and LLVM spell differently
//! (`spell`: compare pseudo-ops, size suffixes, pseudo-prefixes, and what a pseudo-prefix selects: `pseudo`), register names, widths and the [`regs::RegRef`]
//! abstraction over virtual and physical operands (`regs`), CPU features and variants
//! (`variant`), and the calling conventions (`abi`). Nothing here names a stage (only `ir`
//! and `diag`); stages depend on this.

pub mod abi;
pub mod choose;
pub mod forms;
pub mod instr;
pub mod pseudo;
pub mod regs;
pub mod spell;
pub mod variant;
