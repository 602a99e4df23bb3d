//! Facts about the machine that every stage may query, and that no stage owns: the
//! instruction-form table (`forms`), building an iced instruction from a form (`instr`),
//! register names (`regs`), CPU features and variants (`variant`), and the calling
//! conventions (`abi`). Nothing here depends on a stage; stages depend on this.

pub mod abi;
pub mod forms;
pub mod choose;
pub mod instr;
pub mod regs;
pub mod variant;
