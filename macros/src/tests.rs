//! Unit tests that span several stages.
