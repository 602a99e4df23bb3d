//! The macro's compiler as an ordinary library, for the fuzz target.
//!
//! `asmforge-macros` is a proc-macro crate, which other crates can only use as a macro. This
//! crate compiles the same source files as modules of its own (see build.rs), so the fuzz
//! target calls [`expand`] — the function behind `#[kernel]` — directly on token streams.
//! The oracle is the one the macro crate's proptest fuzzing uses.

#![allow(dead_code, reason = "only the entry point is used; the rest serves it")]

include!(concat!(env!("OUT_DIR"), "/modules.rs"));

#[path = "../../macros/src/tests/oracle.rs"]
pub mod oracle;

pub use expand::expand;
