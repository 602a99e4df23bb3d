//! [`Feature`]: the CPU features an x86 instruction form can require.
//!
//! The list is generated from iced-x86 1.22's `CpuidFeature` (same names, same order), so the
//! macro maps every form's `cpuid_features()` to a variant here without a hand-kept table.
//! Detection lives in [`crate::detect`].

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
            /// Every feature, in declaration order.
            pub const ALL: &'static [Feature] = &[$(Feature::$name,)*];

            /// The feature's name as iced-x86 spells it (e.g. `"AVX512F"`, `"SSE4_1"`).
            pub const fn name(self) -> &'static str {
                match self { $(Feature::$name => stringify!($name),)* }
            }

            /// What the feature is, with the CPUID bit that reports it where there is one.
            pub const fn description(self) -> &'static str {
                match self { $(Feature::$name => $doc,)* }
            }

            /// The feature with this iced-x86 name, if there is one.
            pub fn from_name(name: &str) -> Option<Feature> {
                match name { $(stringify!($name) => Some(Feature::$name),)* _ => None }
            }
        }
    };
}

include!("feature_list.rs");

impl core::fmt::Display for Feature {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}
