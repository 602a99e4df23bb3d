//! [`FeatureSet`]: a set of [`Feature`]s as a fixed bitset, usable in `const` and without
//! allocation, so the tables can be computed at compile time and read in `no_std`.

use crate::Feature;

const WORDS: usize = 3;
const _: () = assert!(Feature::ALL.len() <= 64 * WORDS, "grow WORDS");

/// A set of features. Iteration is in [`Feature::ALL`] order, so output built from it is
/// deterministic.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FeatureSet([u64; WORDS]);

impl FeatureSet {
    /// No feature.
    pub const EMPTY: FeatureSet = FeatureSet([0; WORDS]);

    /// The set of `features`.
    pub const fn of(features: &[Feature]) -> FeatureSet {
        let mut set = FeatureSet::EMPTY;
        let mut i = 0;
        while i < features.len() {
            set = set.with(features[i]);
            i += 1;
        }
        set
    }

    /// This set plus `f`.
    pub const fn with(self, f: Feature) -> FeatureSet {
        let mut words = self.0;
        words[f as usize / 64] |= 1 << (f as usize % 64);
        FeatureSet(words)
    }

    /// Whether `f` is in the set.
    pub const fn contains(self, f: Feature) -> bool {
        self.0[f as usize / 64] & (1 << (f as usize % 64)) != 0
    }

    /// Features in either set.
    pub const fn union(self, other: FeatureSet) -> FeatureSet {
        let mut words = self.0;
        let mut i = 0;
        while i < WORDS {
            words[i] |= other.0[i];
            i += 1;
        }
        FeatureSet(words)
    }

    /// Features in `self` but not in `other`.
    pub const fn minus(self, other: FeatureSet) -> FeatureSet {
        let mut words = self.0;
        let mut i = 0;
        while i < WORDS {
            words[i] &= !other.0[i];
            i += 1;
        }
        FeatureSet(words)
    }

    /// Whether every feature of `self` is in `other`.
    pub const fn is_subset(self, other: FeatureSet) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.0[i] & !other.0[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// Whether the set is empty.
    pub const fn is_empty(self) -> bool {
        let mut i = 0;
        while i < WORDS {
            if self.0[i] != 0 {
                return false;
            }
            i += 1;
        }
        true
    }

    /// The number of features in the set.
    pub const fn len(self) -> usize {
        let mut n = 0;
        let mut i = 0;
        while i < WORDS {
            n += self.0[i].count_ones() as usize;
            i += 1;
        }
        n
    }

    /// The features, in [`Feature::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Feature> {
        Feature::ALL
            .iter()
            .copied()
            .filter(move |&f| self.contains(f))
    }
}

impl FromIterator<Feature> for FeatureSet {
    fn from_iter<I: IntoIterator<Item = Feature>>(iter: I) -> Self {
        iter.into_iter().fold(FeatureSet::EMPTY, FeatureSet::with)
    }
}

impl core::fmt::Debug for FeatureSet {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}
