//! Where the cursor is, read from the text rather than the tree.
//!
//! While someone types, the line under the cursor rarely parses, so completion cannot rely on
//! the AST there. This module walks the text up to the cursor once, with the grammar's lexical
//! rules (strings with `{...}` interpolations that may hold strings, `//` comments, braces),
//! and reports the kind of block the cursor is in and the words of the statement before it.

/// The kind of block a `{` opens, decided by the statement that opens it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// `journey NAME {`: journey members.
    Journey,
    /// `stage NAME {`, `if ... {`, `else {`, `OUTCOME => {`: steps.
    Steps,
    /// `wait for ... {`, `split {`, `handoff ... {`, `request consent ... {`: arms.
    Arms,
    /// `ask ... {`: arms, which may include `other` (an answer that matches no reply).
    AskArms,
    /// `message ... {`, `card {`: message elements.
    Elements,
    /// `list "..." {`: a list's header, footer, sections and rows.
    List,
    /// `section ... {` inside a list: rows.
    Section,
    /// `channel NAME {`: channel rules.
    Channel,
    /// `policy {`: policy rules.
    Policy,
    /// `profile {`, `event ... {`, template parameters, enums.
    Other,
}

/// The cursor's surroundings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// Innermost block first is last: the stack of open blocks, outermost first.
    pub blocks: Vec<Block>,
    /// Inside a string literal (but not inside one of its `{...}` interpolations).
    pub in_string: bool,
    pub in_comment: bool,
    /// Inside a `{...}` interpolation of a string.
    pub in_interpolation: bool,
    /// The words and symbols of the current statement before the word being typed. A statement
    /// starts after a newline, `;`, `{`, `}` or `=>`.
    pub tokens: Vec<String>,
    /// The name being typed: its start offset and text (empty when the cursor follows a space).
    pub word_start: usize,
    pub word: String,
    /// Whether a `.` immediately precedes the word (`event.`), with the path before it.
    pub after_dot: Option<String>,
    /// The statement started after `=>`: an arm's body, where a step goes.
    pub after_arrow: bool,
}

impl Context {
    pub fn block(&self) -> Option<Block> {
        self.blocks.last().copied()
    }

    /// At the start of a statement: nothing but the word being typed.
    pub fn at_statement_start(&self) -> bool {
        self.tokens.is_empty() && self.after_dot.is_none()
    }

    pub fn last(&self, n: usize) -> Option<&str> {
        self.tokens.len().checked_sub(n + 1).and_then(|i| self.tokens.get(i)).map(String::as_str)
    }

    pub fn first(&self) -> Option<&str> {
        self.tokens.first().map(String::as_str)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Code, inside the given number of blocks opened in this mode (for interpolations: none).
    Code,
    String,
    /// Code inside a string's `{...}`.
    Interpolation,
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Reads the text before `offset` (clamped to a char boundary).
pub fn context(text: &str, offset: usize) -> Context {
    let mut end = offset.min(text.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    let bytes = text.as_bytes().get(..end).unwrap_or_default();

    let mut modes = vec![Mode::Code];
    let mut blocks: Vec<Block> = Vec::new();
    let mut tokens: Vec<String> = Vec::new();
    let mut in_comment = false;
    let mut after_arrow = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let mode = modes.last().copied().unwrap_or(Mode::Code);
        if in_comment {
            if b == b'\n' || b == b'\r' {
                in_comment = false;
                tokens.clear();
                after_arrow = false;
            }
            i += 1;
            continue;
        }
        match mode {
            Mode::String => {
                match b {
                    b'\\' => i += 1,
                    b'"' => {
                        modes.pop();
                        tokens.push("\"…\"".to_owned());
                    }
                    b'{' => modes.push(Mode::Interpolation),
                    // An unterminated string ends at the line's end (the scanner reports it).
                    b'\n' | b'\r' => {
                        modes.pop();
                        tokens.clear();
                        after_arrow = false;
                    }
                    _ => {}
                }
                i += 1;
            }
            Mode::Code | Mode::Interpolation => {
                match b {
                    b'/' if bytes.get(i + 1) == Some(&b'/') => {
                        in_comment = true;
                        i += 2;
                    }
                    b'"' => {
                        modes.push(Mode::String);
                        i += 1;
                    }
                    b'{' if mode == Mode::Code => {
                        blocks.push(block_opened_by(&tokens, after_arrow));
                        tokens.clear();
                        after_arrow = false;
                        i += 1;
                    }
                    b'}' if mode == Mode::Interpolation => {
                        modes.pop();
                        i += 1;
                    }
                    b'}' => {
                        blocks.pop();
                        tokens.clear();
                        after_arrow = false;
                        i += 1;
                    }
                    b'\n' | b'\r' | b';' if mode == Mode::Code => {
                        tokens.clear();
                        after_arrow = false;
                        i += 1;
                    }
                    b'=' if bytes.get(i + 1) == Some(&b'>') && mode == Mode::Code => {
                        tokens.clear();
                        after_arrow = true;
                        i += 2;
                    }
                    b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                    _ if is_ident_byte(b) => {
                        let start = i;
                        while bytes.get(i).copied().is_some_and(is_ident_byte) {
                            i += 1;
                        }
                        tokens.push(String::from_utf8_lossy(bytes.get(start..i).unwrap_or_default()).into_owned());
                    }
                    _ => {
                        // Punctuation: one token per symbol run (`==`, `->`, `,`, `.`).
                        let start = i;
                        i += 1;
                        while let Some(&next) = bytes.get(i) {
                            let joins = matches!(next, b'=' | b'>' | b'<' | b'!' | b'?' | b'-' | b'.')
                                && !matches!(b, b',' | b'(' | b')' | b'[' | b']');
                            if !joins {
                                break;
                            }
                            i += 1;
                        }
                        // Non-ASCII bytes: skip the whole character.
                        while i < bytes.len() && !text.is_char_boundary(i) {
                            i += 1;
                        }
                        tokens.push(String::from_utf8_lossy(bytes.get(start..i).unwrap_or_default()).into_owned());
                    }
                }
            }
        }
    }

    let mode = modes.last().copied().unwrap_or(Mode::Code);
    // The word being typed is the identifier run that ends at the cursor.
    let mut word_start = end;
    while word_start > 0 && bytes.get(word_start - 1).copied().is_some_and(is_ident_byte) {
        word_start -= 1;
    }
    let word = text.get(word_start..end).unwrap_or("").to_owned();
    if !word.is_empty() && tokens.last() == Some(&word) {
        tokens.pop();
    }
    let after_dot = if tokens.last().map(String::as_str) == Some(".") {
        tokens.pop();
        tokens.pop()
    } else {
        None
    };
    Context {
        blocks,
        in_string: mode == Mode::String,
        in_comment,
        in_interpolation: mode == Mode::Interpolation,
        tokens,
        word_start,
        word,
        after_dot,
        after_arrow,
    }
}

fn block_opened_by(tokens: &[String], after_arrow: bool) -> Block {
    let first = tokens.first().map(String::as_str);
    match first {
        None if after_arrow => Block::Steps,
        Some("journey") => Block::Journey,
        Some("stage" | "if" | "else") => Block::Steps,
        Some("message" | "card") => Block::Elements,
        Some("list") => Block::List,
        Some("section") => Block::Section,
        Some("channel") => Block::Channel,
        Some("policy") => Block::Policy,
        Some("ask") => Block::AskArms,
        Some("split" | "handoff" | "request" | "wait") => Block::Arms,
        _ => Block::Other,
    }
}

/// The identifier around `offset` (the cursor in it or just after it) and the next word after
/// it on the same line, for hover.
pub fn word_at(text: &str, offset: usize) -> Option<(std::ops::Range<usize>, Option<&str>)> {
    let bytes = text.as_bytes();
    let offset = offset.min(text.len());
    let mut start = offset;
    while start > 0 && bytes.get(start - 1).copied().is_some_and(is_ident_byte) {
        start -= 1;
    }
    let mut end = offset;
    while bytes.get(end).copied().is_some_and(is_ident_byte) {
        end += 1;
    }
    if start == end {
        return None;
    }
    let mut next_start = end;
    while matches!(bytes.get(next_start), Some(b' ' | b'\t')) {
        next_start += 1;
    }
    let mut next_end = next_start;
    while bytes.get(next_end).copied().is_some_and(is_ident_byte) {
        next_end += 1;
    }
    let next = text.get(next_start..next_end).filter(|next| !next.is_empty());
    Some((start..end, next))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at_marker(fixture: &str) -> Context {
        let offset = fixture.find("$0").unwrap();
        let text = fixture.replace("$0", "");
        context(&text, offset)
    }

    #[test]
    fn braces_inside_strings_and_interpolations_do_not_open_blocks() {
        let ctx = at_marker("message m on sms as service {\n  text \"a {x ?? \"}\"} b\"\n  $0");
        assert_eq!(ctx.blocks, vec![Block::Elements]);
        assert!(ctx.at_statement_start());
    }

    #[test]
    fn an_arm_body_after_the_arrow_is_a_statement_start_in_an_arms_block() {
        let ctx = at_marker("journey j {\n stage s {\n  ask m {\n   yes => go$0");
        assert_eq!(ctx.blocks, vec![Block::Journey, Block::Steps, Block::AskArms]);
        assert!(ctx.at_statement_start());
        assert!(ctx.after_arrow);
        assert_eq!(ctx.word, "go");
    }

    #[test]
    fn comments_and_strings_are_recognised_at_the_cursor() {
        assert!(at_marker("stage s { // send $0").in_comment);
        assert!(at_marker("stage s { tag \"se$0").in_string);
        assert!(at_marker("message m on sms as service { text \"{event.$0").in_interpolation);
    }

    #[test]
    fn the_path_before_a_dot_is_kept() {
        let ctx = at_marker("entry on e where event.to$0");
        assert_eq!(ctx.after_dot.as_deref(), Some("event"));
        assert_eq!(ctx.word, "to");
        assert_eq!(ctx.tokens, vec!["entry", "on", "e", "where"]);
    }
}
