//! [`Feature`]: the CPU features an x86 instruction form can require.
//!
//! The variants are iced-x86's `CpuidFeature`s, same names, same order, so the compiler maps
//! every form's `cpuid_features()` to a variant here by index and generated code names
//! `Feature::X` with iced's name. `feature_list.rs` is written by the generator in
//! `tests/generate.rs` and checked against the iced-x86 in `Cargo.lock` by the same file's
//! normal tests, so it cannot drift from iced silently.

macro_rules! feature_list {
    ($($name:ident => $doc:literal,)*) => {
        /// A CPU feature that an instruction form may require (iced-x86's `CpuidFeature`).
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u16)]
        pub enum Feature {
            $(#[doc = $doc] $name,)*
        }

        impl Feature {
            /// Every feature, in declaration order (`Feature::ALL[f as usize] == f`).
            pub const ALL: &'static [Feature] = &[$(Feature::$name,)*];

            /// The feature's name as iced-x86 spells it (e.g. `"AVX512F"`, `"SSE4_1"`).
            pub const fn name(self) -> &'static str {
                match self { $(Feature::$name => stringify!($name),)* }
            }

            /// What the feature is, with the CPUID bit that reports it where there is one
            /// (iced-x86's documentation of the feature).
            pub const fn description(self) -> &'static str {
                match self { $(Feature::$name => $doc,)* }
            }

            /// The feature with this iced-x86 name, exactly as spelled (see
            /// [`crate::by_name`] for the spellings users write).
            pub fn from_name(name: &str) -> Option<Feature> {
                match name { $(stringify!($name) => Some(Feature::$name),)* _ => None }
            }
        }
    };
}

include!("feature_list.rs");

impl Feature {
    /// The feature at `index` in [`Feature::ALL`] (iced-x86's `CpuidFeature as usize`).
    pub const fn from_index(index: usize) -> Option<Feature> {
        if index < Feature::ALL.len() {
            Some(Feature::ALL[index])
        } else {
            None
        }
    }
}

impl core::fmt::Display for Feature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
