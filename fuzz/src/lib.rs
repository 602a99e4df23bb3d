//! The fuzz target's view of the compiler: `asmforge-codegen`'s [`expand`] (the function
//! behind `#[kernel]`) and the oracle that the codegen crate's proptest fuzzing uses.

pub use asmforge_codegen::expand_kernel as expand;

#[path = "../../codegen/src/tests/oracle.rs"]
pub mod oracle;
