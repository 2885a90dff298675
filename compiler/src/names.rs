//! "Did you mean": the closest known name to a misspelt one.
//!
//! Bounded: a suggestion is a plausible typo, at most [`MAX_SUGGESTION_EDITS`] edits away, so a
//! candidate whose length differs by more is skipped without a look, and the distance of the
//! others is computed only inside a band of that width around the diagonal, stopping as soon as
//! every cell of a row is over the bound (which tightens to the best distance found so far). The
//! cost per candidate is linear in the names' length, whatever the names, so thousands of long
//! unknown names against thousands of declared ones stay cheap (issue 21).

/// The most edits a suggestion may be from the name written: a third of its length, and never
/// more than this (a name 80 edits away is not a typo).
pub const MAX_SUGGESTION_EDITS: usize = 3;

/// The candidate closest to `name` by edit distance, if it is close enough to be a plausible
/// typo (at most a third of the name's length, at least one edit and at most
/// [`MAX_SUGGESTION_EDITS`]). Ties go to the candidate that sorts first, so suggestions are
/// deterministic.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let written: Vec<char> = name.chars().collect();
    let mut bound = (written.len() / 3).clamp(1, MAX_SUGGESTION_EDITS);
    let mut best: Option<(usize, &str)> = None;
    let mut other: Vec<char> = Vec::new();
    let mut rows = Rows::default();
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        // Lengths in bytes bound lengths in characters from above and below well enough to
        // skip most candidates before decoding them.
        if candidate.len() + 4 * bound < written.len() || candidate.len() > 4 * (written.len() + bound) {
            continue;
        }
        other.clear();
        other.extend(candidate.chars());
        if other.len().abs_diff(written.len()) > bound {
            continue;
        }
        let Some(distance) = distance_within(&written, &other, bound, &mut rows) else { continue };
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

/// Three rows of the banded distance table, reused from candidate to candidate.
#[derive(Default)]
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
/// of memory; names are short (at most `MAX_IDENT_BYTES`).
pub fn edit_distance(a: &str, b: &str) -> usize {
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
    fn distances_are_exact() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
