//! Diagnostics: an error collector in the style of serde_derive's `Ctxt`.
//!
//! Stages push spanned errors and keep going where they can, so the author sees every
//! semantic error at once. Each error carries the span of the user's token that caused it.

use proc_macro2::Span;

/// Accumulates errors; [`Errors::finish`] combines them into one `syn::Error`.
#[derive(Default)]
pub struct Errors {
    errors: Vec<syn::Error>,
}

impl Errors {
    pub fn new() -> Self {
        Errors::default()
    }

    pub fn push(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.errors.push(syn::Error::new(span, msg));
    }

    pub fn push_err(&mut self, err: syn::Error) {
        self.errors.push(err);
    }

    /// `Ok(())` when nothing was reported, else every error combined.
    pub fn finish(self) -> syn::Result<()> {
        let mut iter = self.errors.into_iter();
        match iter.next() {
            None => Ok(()),
            Some(mut first) => {
                for e in iter {
                    first.combine(e);
                }
                Err(first)
            }
        }
    }
}

/// An error for a broken internal invariant, reported instead of panicking.
pub fn internal(span: Span, what: impl std::fmt::Display) -> syn::Error {
    syn::Error::new(
        span,
        format!("asmforge internal error: {what}; please report this with the kernel source"),
    )
}

/// The closest of `candidates` to `word` by edit distance, for "did you mean" hints.
pub fn closest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let mut scored: Vec<(usize, &str)> = candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (word.len().max(c.len()) / 3).max(1) + 1)
        .collect();
    // Ties go to a candidate with the same letters (`lae` → `lea`), then by name.
    let letters = |w: &str| {
        let mut l: Vec<char> = w.chars().collect();
        l.sort_unstable();
        l
    };
    let word_letters = letters(word);
    scored.sort_by_key(|(d, c)| (*d, letters(c) != word_letters, *c));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Optimal-string-alignment distance: Levenshtein plus adjacent transpositions, the
/// commonest typo (`lae` for `lea` is one edit, not two).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                cur[j + 1] = cur[j + 1].min(before[j - 1] + 1);
            }
        }
        std::mem::swap(&mut before, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// "a, b or c" for messages.
pub fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_nearby_words() {
        let c = ["vaddps", "vaddpd", "vsubps", "addps", "mov"];
        assert_eq!(closest("vadps", c, 2), vec!["vaddps", "addps"]);
        assert!(closest("zzzzzz", c, 3).is_empty());
        // A transposition is one edit, and ranks first among equals.
        assert_eq!(edit_distance("lae", "lea"), 1);
        assert_eq!(
            closest("lae", ["clac", "jae", "lar", "lea"], 3),
            vec!["lea", "jae", "lar"]
        );
    }

    #[test]
    fn joins() {
        assert_eq!(join_or(&["a".into(), "b".into(), "c".into()]), "a, b or c");
    }
}
