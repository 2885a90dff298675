//! "Did you mean": the closest known name to a misspelt one.

/// The candidate closest to `name` by edit distance, if it is close enough to be a plausible
/// typo (at most a third of the name's length, and at least one edit allowed). Ties go to the
/// candidate that sorts first, so suggestions are deterministic.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = edit_distance(name, candidate);
        if distance > limit {
            continue;
        }
        let better = match best {
            None => true,
            Some((d, c)) => distance < d || (distance == d && candidate < c),
        };
        if better {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
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
    fn distances_are_exact() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
