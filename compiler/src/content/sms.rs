//! SMS encoding and segment counting (docs/rules.md SMS-ENC).
//!
//! An SMS is sent in one of two encodings, chosen for the whole message:
//! - **GSM-7** (GSM 03.38) when every character is in the default alphabet or its extension
//!   table. A single message holds 160 septets; a concatenated one holds 153 per segment (the
//!   other 7 carry the concatenation header). Extension characters are sent as ESC + character,
//!   so they cost 2 septets.
//! - **UCS-2** as soon as one character is outside GSM-7. A single message holds 70 UTF-16 code
//!   units, a concatenated one 67 per segment. Characters outside the Basic Multilingual Plane
//!   (most emoji) are surrogate pairs and cost 2 units.
//!
//! Segments are filled greedily the way senders split messages: an escape sequence (GSM-7) or a
//! surrogate pair (UCS-2) is never cut between two segments, so a segment may carry one unit
//! fewer than its capacity. Without such characters the count is simply
//! `ceil(units / 153)` or `ceil(units / 67)`.
//!
//! Everything here is a pure function of the text. Message text with `{field}` parts is measured
//! by the caller on its literal parts.

/// Septets in a single, unconcatenated GSM-7 message (SMS-ENC).
pub const GSM7_SINGLE: usize = 160;
/// Septets per segment of a concatenated GSM-7 message: 160 minus the 7 septets of the
/// concatenation header (SMS-ENC).
pub const GSM7_PER_SEGMENT: usize = 153;
/// UTF-16 code units in a single UCS-2 message (SMS-ENC).
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 code units per segment of a concatenated UCS-2 message (SMS-ENC).
pub const UCS2_PER_SEGMENT: usize = 67;

/// The GSM 03.38 default alphabet in code order, 0x00 to 0x7F, sixteen codes a line. Code 0x1B
/// is the escape to the extension table, not a character, and is left out (127 characters).
/// 0x09 is the capital `Ç` (some old documents show `ç`; the standard's table has `Ç`).
pub const GSM7_BASIC: &str = concat!(
    "@£$¥èéùìòÇ\nØø\rÅå", // 0x00..=0x0F (0x0A line feed, 0x0D carriage return)
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ",    // 0x10..=0x1F (0x1B escape left out)
    " !\"#¤%&'()*+,-./",  // 0x20..=0x2F (0x24 is `¤`, the dollar sign is 0x02)
    "0123456789:;<=>?",   // 0x30..=0x3F
    "¡ABCDEFGHIJKLMNO",   // 0x40..=0x4F
    "PQRSTUVWXYZÄÖÑÜ§",   // 0x50..=0x5F
    "¿abcdefghijklmno",   // 0x60..=0x6F
    "pqrstuvwxyzäöñüà",   // 0x70..=0x7F
);

/// The GSM 03.38 extension table: characters sent as ESC + code, 2 septets each. In code order:
/// 0x0A form feed, 0x14 `^`, 0x28 `{`, 0x29 `}`, 0x2F `\`, 0x3C `[`, 0x3D `~`, 0x3E `]`,
/// 0x40 `|`, 0x65 `€`.
pub const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// The encoding a message is sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SmsEncoding {
    /// GSM 03.38 7-bit default alphabet (with its extension table).
    Gsm7,
    /// UCS-2 (UTF-16 code units on the wire).
    Ucs2,
}

impl SmsEncoding {
    /// The name used in messages: `GSM-7` or `UCS-2`.
    pub fn name(self) -> &'static str {
        match self {
            SmsEncoding::Gsm7 => "GSM-7",
            SmsEncoding::Ucs2 => "UCS-2",
        }
    }

    /// Units that fit in a single, unconcatenated message: 160 or 70.
    pub fn single_capacity(self) -> usize {
        match self {
            SmsEncoding::Gsm7 => GSM7_SINGLE,
            SmsEncoding::Ucs2 => UCS2_SINGLE,
        }
    }

    /// Units per segment of a concatenated message: 153 or 67.
    pub fn segment_capacity(self) -> usize {
        match self {
            SmsEncoding::Gsm7 => GSM7_PER_SEGMENT,
            SmsEncoding::Ucs2 => UCS2_PER_SEGMENT,
        }
    }

    /// What one character costs in this encoding: septets for GSM-7, UTF-16 code units for
    /// UCS-2. For GSM-7, a character outside the alphabet costs 1 (it cannot occur in a text
    /// whose encoding is GSM-7).
    fn cost(self, c: char) -> usize {
        match self {
            SmsEncoding::Gsm7 => gsm7_septets(c).unwrap_or(1),
            SmsEncoding::Ucs2 => c.len_utf16(),
        }
    }
}

/// The measure of one SMS text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmsCount {
    pub encoding: SmsEncoding,
    /// Septets (GSM-7) or UTF-16 code units (UCS-2).
    pub units: usize,
    /// Segments the message is sent as; 0 for an empty text.
    pub segments: usize,
}

/// Septets `c` takes in GSM-7: 1 in the default alphabet, 2 in the extension table, `None` when
/// it has no GSM-7 encoding.
pub fn gsm7_septets(c: char) -> Option<usize> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// Whether `c` can be sent in GSM-7 (default alphabet or extension table).
pub fn is_gsm7(c: char) -> bool {
    gsm7_septets(c).is_some()
}

/// GSM-7 when every character has a GSM-7 encoding, else UCS-2. The empty text is GSM-7.
pub fn encoding_of(text: &str) -> SmsEncoding {
    if text.chars().all(is_gsm7) {
        SmsEncoding::Gsm7
    } else {
        SmsEncoding::Ucs2
    }
}

/// The length of `text` in its encoding: septets for GSM-7 (extension characters count 2),
/// UTF-16 code units for UCS-2 (characters outside the BMP, most emoji, count 2).
pub fn septets_or_units(text: &str) -> usize {
    let encoding = encoding_of(text);
    text.chars().map(|c| encoding.cost(c)).fold(0, usize::saturating_add)
}

/// Encoding, length and segment count of `text` (SMS-ENC): 0 segments when empty, 1 up to
/// 160 septets / 70 units, else segments of 153 septets / 67 units, filled without cutting an
/// escape sequence or a surrogate pair.
pub fn segments(text: &str) -> SmsCount {
    let encoding = encoding_of(text);
    let units = text.chars().map(|c| encoding.cost(c)).fold(0, usize::saturating_add);
    let segments = if units == 0 {
        0
    } else if units <= encoding.single_capacity() {
        1
    } else {
        let capacity = encoding.segment_capacity();
        let mut segments = 1usize;
        let mut used = 0usize;
        for c in text.chars() {
            let cost = encoding.cost(c);
            if used.saturating_add(cost) > capacity {
                segments = segments.saturating_add(1);
                used = 0;
            }
            used = used.saturating_add(cost);
        }
        segments
    };
    SmsCount { encoding, units, segments }
}

/// The characters of `text` that force UCS-2, in order, each with its byte offset and, where a
/// common look-alike exists, the GSM-7 text to write instead. Empty when the text is GSM-7.
pub fn ucs2_culprits(text: &str) -> Vec<(usize, char, Option<&'static str>)> {
    text.char_indices().filter(|(_, c)| !is_gsm7(*c)).map(|(at, c)| (at, c, gsm7_replacement(c))).collect()
}

/// A GSM-7 look-alike for a character outside GSM-7: typographic quotes, dashes, spaces and
/// similar punctuation that word processors and phones insert. Letters are never replaced
/// (`ç` → `c` would change the spelling), and neither are emoji.
pub fn gsm7_replacement(c: char) -> Option<&'static str> {
    Some(match c {
        // Double quotes: curly, low, reversed, guillemets, double prime.
        '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{201F}' | '\u{00AB}' | '\u{00BB}' | '\u{2033}' | '\u{FF02}' => "\"",
        // Single quotes and apostrophes: curly, low, reversed, modifier apostrophe, prime,
        // acute and grave accents used as apostrophes, the backtick.
        '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' | '\u{02BC}' | '\u{2032}' | '\u{00B4}' | '`' | '\u{FF07}' => {
            "'"
        }
        // Single guillemets.
        '\u{2039}' => "<",
        '\u{203A}' => ">",
        // Hyphens and dashes: hyphen, non-breaking hyphen, figure dash, en dash, em dash,
        // horizontal bar, minus sign.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => "-",
        // Ellipsis.
        '\u{2026}' => "...",
        // Spaces: tab, no-break space, the U+2000 family (en quad to hair space), narrow no-break
        // space, medium mathematical space, ideographic space.
        '\t' | '\u{00A0}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => " ",
        // Invisible characters with no meaning in a text message: zero-width space, word
        // joiner, byte-order mark, soft hyphen.
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' => "",
        // Modifier letters that look like the extension characters.
        '\u{02C6}' => "^",
        '\u{02DC}' => "~",
        // Bullet and fraction slash.
        '\u{2022}' => "-",
        '\u{2044}' => "/",
        _ => return None,
    })
}

/// What replacing the characters that force UCS-2 would save (J0305).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ucs2Advice {
    /// Every character that forces UCS-2, once each, in order.
    pub culprits: Vec<char>,
    /// Those with a GSM-7 look-alike, and the look-alike.
    pub fixable: Vec<(char, &'static str)>,
    /// Those without one that are not letters or digits (emoji, symbols): only removing them helps.
    pub removable: Vec<char>,
    pub segments: usize,
    /// Segments once the look-alikes are in and the removable characters are out.
    pub fixed_segments: usize,
}

/// Advice for a UCS-2 text with at least one character that has a GSM-7 look-alike, when
/// replacing those (and removing emoji and symbols that have none) would save segments.
///
/// None when the text is GSM-7, when no character has a look-alike (an emoji alone is the
/// author's choice), when a letter outside GSM-7 is in the text (its language needs UCS-2, so
/// nothing can be saved without misspelling it), or when no segment would be saved.
pub fn ucs2_advice(text: &str) -> Option<Ucs2Advice> {
    let count = segments(text);
    if count.encoding != SmsEncoding::Ucs2 {
        return None;
    }
    let mut culprits = Vec::new();
    let mut fixable = Vec::new();
    let mut removable = Vec::new();
    for (_, c, replacement) in ucs2_culprits(text) {
        if culprits.contains(&c) {
            continue;
        }
        culprits.push(c);
        match replacement {
            Some(r) => fixable.push((c, r)),
            None if c.is_alphanumeric() => return None,
            None => removable.push(c),
        }
    }
    if fixable.is_empty() {
        return None;
    }
    let mut fixed = String::with_capacity(text.len());
    for c in text.chars() {
        if let Some((_, r)) = fixable.iter().find(|(f, _)| *f == c) {
            fixed.push_str(r);
        } else if !removable.contains(&c) {
            fixed.push(c);
        }
    }
    let fixed_segments = segments(&fixed).segments;
    (fixed_segments < count.segments).then_some(Ucs2Advice {
        culprits,
        fixable,
        removable,
        segments: count.segments,
        fixed_segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gsm(n: usize) -> String {
        "a".repeat(n)
    }

    fn ucs(n: usize) -> String {
        // `д` is in the BMP and not in GSM-7: 1 UTF-16 unit, forces UCS-2.
        "д".repeat(n)
    }

    #[test]
    fn the_basic_table_has_127_distinct_characters_plus_the_escape() {
        let chars: Vec<char> = GSM7_BASIC.chars().collect();
        assert_eq!(chars.len(), 127);
        let mut sorted = chars.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 127);
    }

    #[test]
    fn the_extension_table_has_ten_characters_none_of_them_basic() {
        assert_eq!(GSM7_EXTENSION.chars().count(), 10);
        assert!(GSM7_EXTENSION.chars().all(|c| !GSM7_BASIC.contains(c)));
    }

    #[test]
    fn the_tables_hold_the_characters_of_gsm_03_38() {
        for c in "@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./:;<=>?¡ÄÖÑÜ§¿äöñüà\n\r".chars()
        {
            assert_eq!(gsm7_septets(c), Some(1), "{c:?}");
        }
        for c in ('0'..='9').chain('A'..='Z').chain('a'..='z') {
            assert_eq!(gsm7_septets(c), Some(1), "{c:?}");
        }
        for c in "€[]{}\\^~|\u{0C}".chars() {
            assert_eq!(gsm7_septets(c), Some(2), "{c:?}");
        }
    }

    #[test]
    fn every_printable_ascii_character_except_the_backtick_is_gsm7() {
        let missing: Vec<char> = (' '..='~').filter(|c| !is_gsm7(*c)).collect();
        assert_eq!(missing, vec!['`']);
    }

    #[test]
    fn letters_and_controls_outside_the_table_are_not_gsm7() {
        for c in ['ç', 'á', 'í', 'ó', 'ú', 'ê', 'È', 'д', '\u{1B}', '\t'] {
            assert!(!is_gsm7(c), "{c:?}");
        }
    }

    #[test]
    fn the_empty_text_is_gsm7_with_zero_segments() {
        assert_eq!(segments(""), SmsCount { encoding: SmsEncoding::Gsm7, units: 0, segments: 0 });
        assert!(ucs2_culprits("").is_empty());
    }

    #[test]
    fn one_gsm7_character_is_one_segment() {
        assert_eq!(segments("a").segments, 1);
    }

    #[test]
    fn exactly_160_gsm7_characters_fit_in_one_segment() {
        assert_eq!(segments(&gsm(160)), SmsCount { encoding: SmsEncoding::Gsm7, units: 160, segments: 1 });
    }

    #[test]
    fn the_161st_gsm7_character_makes_two_segments() {
        assert_eq!(segments(&gsm(161)), SmsCount { encoding: SmsEncoding::Gsm7, units: 161, segments: 2 });
    }

    #[test]
    fn two_full_concatenated_gsm7_segments_hold_306_characters() {
        assert_eq!(segments(&gsm(153 * 2)).segments, 2);
        assert_eq!(segments(&gsm(153 * 2 + 1)).segments, 3);
    }

    #[test]
    fn ten_gsm7_segments_hold_1530_characters() {
        assert_eq!(segments(&gsm(1530)).segments, 10);
        assert_eq!(segments(&gsm(1531)).segments, 11);
    }

    #[test]
    fn exactly_70_ucs2_units_fit_in_one_segment_and_71_make_two() {
        assert_eq!(segments(&ucs(70)), SmsCount { encoding: SmsEncoding::Ucs2, units: 70, segments: 1 });
        assert_eq!(segments(&ucs(71)), SmsCount { encoding: SmsEncoding::Ucs2, units: 71, segments: 2 });
    }

    #[test]
    fn concatenated_ucs2_segments_hold_67_units_each() {
        assert_eq!(segments(&ucs(67 * 2)).segments, 2);
        assert_eq!(segments(&ucs(67 * 2 + 1)).segments, 3);
    }

    #[test]
    fn extension_characters_count_twice() {
        assert_eq!(septets_or_units("€"), 2);
        assert_eq!(septets_or_units("a[b]"), 6);
        assert_eq!(encoding_of("{curly} ~ ^ | \\ \u{0C}"), SmsEncoding::Gsm7);
    }

    #[test]
    fn an_extension_character_at_the_160_boundary_makes_a_second_segment() {
        let fits = format!("{}€", gsm(158));
        assert_eq!(segments(&fits), SmsCount { encoding: SmsEncoding::Gsm7, units: 160, segments: 1 });
        let over = format!("{}€", gsm(159));
        assert_eq!(segments(&over), SmsCount { encoding: SmsEncoding::Gsm7, units: 161, segments: 2 });
    }

    #[test]
    fn an_escape_sequence_is_never_cut_between_two_segments() {
        // 152 septets then `€` (2): the `€` does not fit in the first segment's 153rd septet,
        // so it starts the second one. 152 + 2 + 152 = 306 septets, but three segments.
        let text = format!("{}€{}", gsm(152), gsm(152));
        let count = segments(&text);
        assert_eq!(count.units, 306);
        assert_eq!(count.segments, 3);
        // Moved one character later, it ends the first segment exactly: two segments.
        let text = format!("{}€{}", gsm(151), gsm(153));
        assert_eq!(segments(&text).segments, 2);
    }

    #[test]
    fn a_surrogate_pair_is_never_cut_between_two_segments() {
        let text = format!("{}😀{}", ucs(66), ucs(66));
        let count = segments(&text);
        assert_eq!(count.units, 134);
        assert_eq!(count.segments, 3);
    }

    #[test]
    fn one_curly_quote_turns_a_150_character_message_from_one_segment_into_three() {
        let plain = format!("{}'s", gsm(148));
        assert_eq!(segments(&plain), SmsCount { encoding: SmsEncoding::Gsm7, units: 150, segments: 1 });
        let curly = format!("{}\u{2019}s", gsm(148));
        assert_eq!(segments(&curly), SmsCount { encoding: SmsEncoding::Ucs2, units: 150, segments: 3 });
        assert_eq!(ucs2_culprits(&curly), vec![(148, '\u{2019}', Some("'"))]);
    }

    #[test]
    fn most_emoji_count_two_ucs2_units() {
        assert_eq!(encoding_of("Hi 👋"), SmsEncoding::Ucs2);
        assert_eq!(septets_or_units("👋"), 2);
        assert_eq!(septets_or_units("Hi 👋"), 5);
        // 35 emoji are 70 units: one segment; 36 are 72: two.
        assert_eq!(segments(&"😀".repeat(35)).segments, 1);
        assert_eq!(segments(&"😀".repeat(36)).segments, 2);
    }

    #[test]
    fn in_ucs2_extension_characters_count_once() {
        assert_eq!(septets_or_units("€д"), 2);
    }

    #[test]
    fn culprits_give_byte_offsets_and_gsm7_replacements() {
        let text = "Hi “Ann” – it’s here… \u{00A0}ok 👋";
        let culprits = ucs2_culprits(text);
        let found: Vec<(char, Option<&str>)> = culprits.iter().map(|(_, c, r)| (*c, *r)).collect();
        assert_eq!(
            found,
            vec![
                ('“', Some("\"")),
                ('”', Some("\"")),
                ('–', Some("-")),
                ('’', Some("'")),
                ('…', Some("...")),
                ('\u{00A0}', Some(" ")),
                ('👋', None),
            ]
        );
        for (at, c, _) in &culprits {
            assert_eq!(text.get(*at..).and_then(|rest| rest.chars().next()), Some(*c));
        }
    }

    #[test]
    fn a_gsm7_text_has_no_culprits() {
        assert!(ucs2_culprits("Acme: your order shipped! Reply STOP to opt out. €5 off {next} time").is_empty());
    }

    #[test]
    fn letters_outside_gsm7_have_no_replacement() {
        assert_eq!(ucs2_culprits("ça"), vec![(0, 'ç', None)]);
    }

    #[test]
    fn every_replacement_is_itself_gsm7() {
        for c in (0u32..0x1_0000).filter_map(char::from_u32) {
            if let Some(replacement) = gsm7_replacement(c) {
                assert!(!is_gsm7(c), "{c:?} is already GSM-7");
                assert_eq!(encoding_of(replacement), SmsEncoding::Gsm7, "{c:?} -> {replacement:?}");
            }
        }
    }

    #[test]
    fn replacing_the_culprits_restores_gsm7_and_one_segment() {
        let text = "We’re open “late” tonight — see you…";
        let mut fixed = text.to_owned();
        for (_, c, replacement) in ucs2_culprits(text) {
            fixed = fixed.replace(c, replacement.unwrap_or_default());
        }
        assert_eq!(fixed, "We're open \"late\" tonight - see you...");
        assert_eq!(segments(&fixed).encoding, SmsEncoding::Gsm7);
        assert_eq!(segments(&fixed).segments, 1);
    }

    #[test]
    fn look_alikes_that_save_segments_are_advised() {
        // 71 characters: two UCS-2 segments, one GSM-7 segment with `'`.
        let text = format!("We\u{2019}re open {}", "x".repeat(60));
        let advice = ucs2_advice(&text).unwrap();
        assert_eq!((advice.culprits, advice.removable), (vec!['\u{2019}'], vec![]));
        assert_eq!((advice.segments, advice.fixed_segments), (2, 1));
    }

    #[test]
    fn an_emoji_beside_look_alikes_is_named_and_counted_as_removed() {
        // 100 characters: two UCS-2 segments, one GSM-7 segment without the quote and the emoji.
        let text = format!("It\u{2019}s here {} \u{1F44B}", "x".repeat(86));
        let advice = ucs2_advice(&text).unwrap();
        assert_eq!(advice.culprits, vec!['\u{2019}', '\u{1F44B}']);
        assert_eq!(advice.fixable, vec![('\u{2019}', "'")]);
        assert_eq!(advice.removable, vec!['\u{1F44B}']);
        assert_eq!((advice.segments, advice.fixed_segments), (2, 1));
    }

    #[test]
    fn an_emoji_alone_or_a_letter_outside_gsm7_gets_no_advice() {
        assert_eq!(ucs2_advice(&format!("Hi {} \u{1F44B}", "x".repeat(90))), None);
        // Polish needs UCS-2 for its letters: replacing the quote would save nothing.
        assert_eq!(ucs2_advice(&format!("Dzi\u{0119}kujemy \u{2019}{}", "x".repeat(90))), None);
        assert_eq!(ucs2_advice("plain GSM-7 text"), None);
        // Short enough for one UCS-2 segment: nothing to save.
        assert_eq!(ucs2_advice("We\u{2019}re open"), None);
    }
}
