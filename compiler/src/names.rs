//! "Did you mean": the closest known name to a misspelt one.
//!
//! Bounded three ways:
//! - a suggestion is a plausible typo, at most [`MAX_SUGGESTION_EDITS`] edits away, so a candidate
//!   whose length differs by more is skipped without a look;
//! - the common prefix and suffix of the two names are set aside with a plain comparison (a
//!   typo in a long name leaves most of it equal), and the distance of what remains is computed
//!   only inside a band of that width around the diagonal, stopping as soon as every cell of a row
//!   is over the bound (which tightens to the best distance found so far): the cost per candidate
//!   is linear in the names' length, whatever the names;
//! - names a project declares go through a [`Suggester`], whose work budget for one check is
//!   [`limits::SUGGESTION_BUDGET_CELLS`]: names built to defeat the filters (thousands of long names
//!   that differ at both ends) cannot make a check slow, they only lose their suggestions once the
//!   budget is spent, and the first diagnostic that loses one says so.
//!
//! The free function [`closest`] is for the language's own vocabularies (categories, media, types,
//! standard modules, time zones), whose size the compiler fixes.

use crate::limits;

/// The most edits a suggestion may be from the name written: a third of its length, and never
/// more than this (a name 80 edits away is not a typo).
pub const MAX_SUGGESTION_EDITS: usize = 3;

/// The candidate closest to `name` in a vocabulary the compiler fixes (see the module comment):
/// no budget.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    Suggester::with_budget(u64::MAX).closest(name, candidates)
}

/// "Did you mean" over names a project declares, with a work budget for one check.
#[derive(Debug)]
pub struct Suggester {
    /// Work left, in table cells and candidates looked at.
    left: u64,
    /// Whether some suggestion was not looked for because the budget was spent; the first
    /// diagnostic that loses one says so.
    told: bool,
    rows: Rows,
}

impl Default for Suggester {
    fn default() -> Suggester {
        Suggester::with_budget(limits::SUGGESTION_BUDGET_CELLS)
    }
}

/// What a budgeted look for a suggestion found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suggestion<'a> {
    /// The closest candidate, close enough to be a typo.
    Found(&'a str),
    /// No candidate is close enough.
    None,
    /// The budget ran out before every candidate was looked at (reported once per check; after
    /// that, [`Suggestion::None`]).
    BudgetSpent,
}

impl<'a> Suggestion<'a> {
    pub fn found(self) -> Option<&'a str> {
        match self {
            Suggestion::Found(name) => Some(name),
            _ => None,
        }
    }
}

/// The note a diagnostic carries when its suggestion was not looked for.
pub const BUDGET_SPENT_NOTE: &str =
    "no \"did you mean\" here or for the unknown names after it: this check spent its budget for suggestions (a file with thousands of unknown long names)";

/// The most names a note lists before it says how many more there are: a note that lists
/// every one of thousands of names, on each of thousands of diagnostics, is quadratic output.
pub const MAX_LISTED_NAMES: usize = 20;

/// `` `a`, `b`, `c` ``, or the first [`MAX_LISTED_NAMES`] and `and N more`.
pub fn listed<S: AsRef<str>>(names: &[S]) -> String {
    let mut text: Vec<String> = names.iter().take(MAX_LISTED_NAMES).map(|n| format!("`{}`", n.as_ref())).collect();
    if names.len() > MAX_LISTED_NAMES {
        text.push(format!("and {} more", names.len() - MAX_LISTED_NAMES));
    }
    text.join(", ")
}

impl Suggester {
    pub fn with_budget(cells: u64) -> Suggester {
        Suggester { left: cells, told: false, rows: Rows::default() }
    }

    /// Like [`closest`], within the budget. Deterministic: the same names in the same order
    /// spend the same budget.
    pub fn suggest<'a>(&mut self, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Suggestion<'a> {
        match self.search(name, candidates) {
            Some(found) => Suggestion::Found(found),
            None if self.left == 0 && !self.told => {
                self.told = true;
                Suggestion::BudgetSpent
            }
            None => Suggestion::None,
        }
    }

    /// The closest candidate, or `None` (also when the budget ran out).
    pub fn closest<'a>(&mut self, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        self.search(name, candidates)
    }

    fn search<'a>(&mut self, name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
        if self.left == 0 {
            return None;
        }
        let written_chars = name.chars().count();
        let mut bound = (written_chars / 3).clamp(1, MAX_SUGGESTION_EDITS);
        let mut best: Option<(usize, &str)> = None;
        let (mut a, mut b): (Vec<char>, Vec<char>) = (Vec::new(), Vec::new());
        for candidate in candidates {
            // Every candidate costs at least one unit, so even a list of skipped ones is bounded,
            // and comparing the shared text costs about one unit per 16 bytes.
            self.left = self.left.saturating_sub(1 + (name.len().min(candidate.len()) / 16) as u64);
            if self.left == 0 {
                // Spent in the middle of a search: what was found so far is not the closest
                // over every candidate, so nothing is suggested rather than a worse name.
                return None;
            }
            if candidate == name {
                continue;
            }
            // Lengths in bytes bound lengths in characters from above and below well enough to
            // skip most candidates before decoding them.
            if candidate.len() + 4 * bound < written_chars || candidate.len() > 4 * (name.len() + bound) {
                continue;
            }
            let (x, y) = strip_common(name, candidate);
            a.clear();
            a.extend(x.chars());
            b.clear();
            b.extend(y.chars());
            if a.len().abs_diff(b.len()) > bound {
                continue;
            }
            let cells = (a.len().max(b.len()) as u64).saturating_mul(2 * bound as u64 + 1);
            self.left = self.left.saturating_sub(cells);
            if self.left == 0 {
                return None;
            }
            let Some(distance) = distance_within(&a, &b, bound, &mut self.rows) else { continue };
            let better = match best {
                None => true,
                Some((d, c)) => distance < d || (distance == d && candidate < c),
            };
            if better {
                best = Some((distance, candidate));
                bound = distance;
            }
        }
        best.map(|(_, candidate)| candidate)
    }
}

/// `a` and `b` without their common prefix and suffix: the distance of what remains is theirs.
/// (An optimal alignment never edits a shared prefix or suffix; for swaps of neighbours too,
/// since a swap of two equal characters is no edit.) Cut on character boundaries.
fn strip_common<'s>(a: &'s str, b: &'s str) -> (&'s str, &'s str) {
    let mut prefix = common_prefix_len(a.as_bytes(), b.as_bytes());
    while !(a.is_char_boundary(prefix) && b.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let (a, b) = (a.get(prefix..).unwrap_or(""), b.get(prefix..).unwrap_or(""));
    let mut suffix = common_suffix_len(a.as_bytes(), b.as_bytes());
    while !(a.is_char_boundary(a.len() - suffix) && b.is_char_boundary(b.len() - suffix)) {
        suffix -= 1;
    }
    (a.get(..a.len() - suffix).unwrap_or(""), b.get(..b.len() - suffix).unwrap_or(""))
}

/// How many bytes `a` and `b` share at the start: 16 at a time (a slice comparison, which the
/// compiler turns into a wide compare), then byte by byte.
fn common_prefix_len(a: &[u8], b: &[u8]) -> usize {
    let mut n = 0;
    for (x, y) in a.chunks_exact(16).zip(b.chunks_exact(16)) {
        if x != y {
            break;
        }
        n += 16;
    }
    n + a.iter().skip(n).zip(b.iter().skip(n)).take_while(|(x, y)| x == y).count()
}

/// How many bytes `a` and `b` share at the end.
fn common_suffix_len(a: &[u8], b: &[u8]) -> usize {
    let mut n = 0;
    for (x, y) in a.rchunks_exact(16).zip(b.rchunks_exact(16)) {
        if x != y {
            break;
        }
        n += 16;
    }
    n + a.iter().rev().skip(n).zip(b.iter().rev().skip(n)).take_while(|(x, y)| x == y).count()
}

/// Three rows of the banded distance table, reused from candidate to candidate.
#[derive(Debug, Default)]
struct Rows {
    before: Vec<usize>,
    previous: Vec<usize>,
    current: Vec<usize>,
}

/// The [`edit_distance`] of `a` and `b` if it is at most `limit`, else `None`, computing only the
/// cells at most `limit` from the diagonal and stopping at the first row whose cells are all
/// over `limit`: `O(len * limit)` at most.
fn distance_within(a: &[char], b: &[char], limit: usize, rows: &mut Rows) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > limit {
        return None;
    }
    if n == 0 || m == 0 {
        return Some(n.max(m)); // All insertions or all deletions, within the limit (checked above).
    }
    let over = limit + 1;
    for row in [&mut rows.before, &mut rows.previous, &mut rows.current] {
        row.clear();
        row.resize(m + 1, over);
    }
    for (j, cell) in rows.previous.iter_mut().enumerate().take(limit.min(m) + 1) {
        *cell = j;
    }
    for i in 1..=n {
        let lo = i.saturating_sub(limit).max(1);
        let hi = (i + limit).min(m);
        if lo > hi {
            return None;
        }
        let edge = if lo == 1 { i.min(over) } else { over };
        if let Some(cell) = rows.current.get_mut(lo - 1) {
            *cell = edge;
        }
        let mut row_min = edge;
        for j in lo..=hi {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ca != cb);
            let get = |row: &Vec<usize>, k: usize| row.get(k).copied().unwrap_or(over);
            let mut value =
                (get(&rows.previous, j - 1) + cost).min(get(&rows.current, j - 1) + 1).min(get(&rows.previous, j) + 1);
            if i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1) {
                value = value.min(get(&rows.before, j - 2) + 1);
            }
            let value = value.min(over);
            if let Some(cell) = rows.current.get_mut(j) {
                *cell = value;
            }
            row_min = row_min.min(value);
        }
        // The next row reads one cell past this band: it must not see a stale value.
        if let Some(cell) = rows.current.get_mut(hi + 1) {
            *cell = over;
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut rows.before, &mut rows.previous);
        std::mem::swap(&mut rows.previous, &mut rows.current);
    }
    rows.previous.get(m).copied().filter(|d| *d <= limit)
}

/// Edit distance over characters where inserting, deleting or replacing a character, or
/// swapping two neighbours (`vpi` for `vip`), each cost one (optimal string alignment). Three rows
/// of memory; names are short (at most `MAX_IDENT_BYTES`). The full computation
/// `distance_within` is tested against.
#[cfg(test)]
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut before: Vec<usize> = vec![usize::MAX / 2; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current = vec![0; width];
    for i in 1..=a.len() {
        if let Some(first) = current.first_mut() {
            *first = i;
        }
        for j in 1..width {
            let (ca, cb) = (a.get(i - 1), b.get(j - 1));
            let cost = usize::from(ca != cb);
            let substitution = previous.get(j - 1).copied().unwrap_or(usize::MAX / 2) + cost;
            let insertion = current.get(j - 1).copied().unwrap_or(usize::MAX / 2) + 1;
            let deletion = previous.get(j).copied().unwrap_or(usize::MAX / 2) + 1;
            let mut best = substitution.min(insertion).min(deletion);
            let swapped = i > 1 && j > 1 && a.get(i - 1) == b.get(j - 2) && a.get(i - 2) == b.get(j - 1);
            if swapped {
                best = best.min(before.get(j - 2).copied().unwrap_or(usize::MAX / 2) + 1);
            }
            if let Some(cell) = current.get_mut(j) {
                *cell = best;
            }
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous.get(b.len()).copied().unwrap_or(usize::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_one_letter_typo_finds_its_name() {
        assert_eq!(closest("welcom_offer", ["welcome_offer", "cart_nudge"]), Some("welcome_offer"));
        assert_eq!(closest("cart_nuge", ["welcome_offer", "cart_nudge"]), Some("cart_nudge"));
    }

    #[test]
    fn unrelated_names_get_no_suggestion() {
        assert_eq!(closest("xyz", ["welcome_offer", "cart_nudge"]), None);
        assert_eq!(closest("sms", ["email"]), None);
    }

    #[test]
    fn swapped_neighbours_cost_one_edit() {
        assert_eq!(edit_distance("vpi", "vip"), 1);
        assert_eq!(closest("vpi", ["vip", "runners"]), Some("vip"));
    }

    #[test]
    fn the_banded_distance_agrees_with_the_full_one_up_to_its_limit() {
        // Deterministic pseudo-random names over a small alphabet, so that near misses abound.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut rows = Rows::default();
        for _ in 0..5_000 {
            let word = |len: u64, next: &mut dyn FnMut() -> u64| -> String {
                (0..len).map(|_| char::from(b'a' + u8::try_from(next() % 3).unwrap_or(0))).collect()
            };
            let (la, lb) = (next() % 9, next() % 9);
            let a = word(la, &mut next);
            let b = word(lb, &mut next);
            let full = edit_distance(&a, &b);
            let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
            for limit in 0..5 {
                let banded = distance_within(&ca, &cb, limit, &mut rows);
                assert_eq!(banded, (full <= limit).then_some(full), "{a:?} {b:?} limit {limit}");
            }
        }
    }

    #[test]
    fn long_names_are_suggested_only_within_the_edit_cap() {
        let long = "a".repeat(200);
        let near = format!("{}b", "a".repeat(199));
        let far = format!("{}bbbb", "a".repeat(196));
        assert_eq!(closest(&long, [near.as_str()]), Some(near.as_str()));
        assert_eq!(closest(&long, [far.as_str()]), None);
    }

    #[test]
    fn the_suggestion_is_the_closest_candidate_by_the_full_distance() {
        // Stripping the common prefix and suffix and the band must not change the answer: the
        // closest candidate within the bound, ties to the first in order.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..2_000 {
            let word = |len: u64, next: &mut dyn FnMut() -> u64| -> String {
                (0..len).map(|_| ['a', 'b', 'é'][usize::try_from(next() % 3).unwrap_or(0)]).collect()
            };
            let len = 3 + next() % 10;
            let name = word(len, &mut next);
            let candidates: Vec<String> = (0..6).map(|_| word(len - 2 + next() % 5, &mut next)).collect();
            let bound = (name.chars().count() / 3).clamp(1, MAX_SUGGESTION_EDITS);
            let mut expected: Option<(usize, &str)> = None;
            for c in &candidates {
                let d = edit_distance(&name, c);
                if c == &name || d > bound {
                    continue;
                }
                if expected.is_none_or(|(bd, bc)| d < bd || (d == bd && c.as_str() < bc)) {
                    expected = Some((d, c));
                }
            }
            let got = closest(&name, candidates.iter().map(String::as_str));
            assert_eq!(got, expected.map(|(_, c)| c), "{name:?} among {candidates:?}");
        }
    }

    #[test]
    fn stripping_keeps_character_boundaries() {
        assert_eq!(strip_common("aéb", "aèb"), ("é", "è"));
        assert_eq!(strip_common("same", "same"), ("", ""));
        assert_eq!(strip_common("ab", "abc"), ("", "c"));
    }

    #[test]
    fn a_spent_budget_suggests_nothing_and_says_so_once() {
        let mut suggester = Suggester::with_budget(40);
        let long = "a".repeat(30);
        let near = format!("{long}b");
        assert_eq!(suggester.suggest(&long, [near.as_str()]), Suggestion::Found(near.as_str()));
        let many: Vec<String> = (0..100).map(|i| format!("{long}{i}")).collect();
        assert_eq!(suggester.suggest(&long, many.iter().map(String::as_str)), Suggestion::BudgetSpent);
        assert_eq!(suggester.suggest(&long, [near.as_str()]), Suggestion::None);
    }

    #[test]
    fn long_lists_of_names_are_cut_with_a_count() {
        let names: Vec<String> = (0..25).map(|i| format!("n{i}")).collect();
        let text = listed(&names);
        assert!(text.starts_with("`n0`, `n1`"));
        assert!(text.ends_with("`n19`, and 5 more"), "{text}");
        assert_eq!(listed(&["a", "b"]), "`a`, `b`");
    }

    #[test]
    fn distances_are_exact() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
