//! Positions of names, for lookups in hot loops (a `goto` in every stage of a journey with
//! thousands of stages).
//!
//! A sorted list of (name, position) searched by binary search: O(n log n) to build and
//! O(log n) per lookup whatever the input (no hash table an input could flood). A name written
//! more than once means its first position, as a duplicate declaration (J0209) does everywhere
//! in the model.

/// Names to their positions in the list they were indexed from; the first of duplicates wins.
#[derive(Debug, Clone, Default)]
pub struct NamesIndex<'a> {
    /// Sorted by name; one entry per name, holding its first position.
    entries: Vec<(&'a str, usize)>,
}

impl<'a> NamesIndex<'a> {
    /// Indexes `names` by their position in the iteration.
    pub fn new(names: impl Iterator<Item = &'a str>) -> NamesIndex<'a> {
        let mut entries: Vec<(&'a str, usize)> = names.enumerate().map(|(position, name)| (name, position)).collect();
        // Among equal names the smaller position sorts first, and `dedup_by_key` keeps the first.
        entries.sort_unstable();
        entries.dedup_by_key(|(name, _)| *name);
        NamesIndex { entries }
    }

    /// The first position of `name`, if it was indexed.
    pub fn get(&self, name: &str) -> Option<usize> {
        let found = self.entries.binary_search_by(|(entry, _)| (*entry).cmp(name)).ok()?;
        self.entries.get(found).map(|(_, position)| *position)
    }
}

#[cfg(test)]
mod tests {
    use super::NamesIndex;

    #[test]
    fn a_names_index_finds_every_name_and_keeps_the_first_duplicate() {
        let names = ["s10", "s1", "a_rather_long_stage_name", "a_rather_long_stage_other", "s1", "", "s2", "s1"];
        let index = NamesIndex::new(names.iter().copied());
        assert_eq!(index.get("s1"), Some(1));
        for (i, name) in names.iter().enumerate().filter(|(_, n)| **n != "s1") {
            assert_eq!(index.get(name), Some(i), "{name}");
        }
        assert_eq!(index.get("s"), None);
        assert_eq!(index.get("s100"), None);
        assert_eq!(index.get("a_rather_long_stage_nam"), None);
    }

    #[test]
    fn names_that_share_a_prefix_or_differ_only_in_length_are_told_apart() {
        let names = ["abcdefgh", "abcdefgi", "abcdefgh1", "abcdefgh2", "ab", "ab\0", "ab\0\0", "é", "e"];
        let index = NamesIndex::new(names.iter().copied());
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index.get(name), Some(i), "{name:?}");
        }
        for absent in ["abcdefgj", "abcdefgh3", "abcdefgh10", "a", "ab\0\0\0", "abc", "E"] {
            assert_eq!(index.get(absent), None, "{absent:?}");
        }
    }

    #[test]
    fn an_empty_index_finds_nothing() {
        let index = NamesIndex::new(std::iter::empty());
        assert_eq!(index.get(""), None);
        assert_eq!(index.get("s1"), None);
    }

    #[test]
    fn ten_thousand_names_are_each_found_at_their_first_position() {
        let names: Vec<String> = (0..10_000).map(|i| format!("stage_{}", i % 7_000)).collect();
        let index = NamesIndex::new(names.iter().map(String::as_str));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index.get(name), Some(i % 7_000), "{name}");
        }
    }
}
