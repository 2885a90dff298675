//! The formatter's input: the file as tokens, read from pest's parse tree.
//!
//! pest makes a pair for every rule it matches, so the leaves of the tree, in order, are the
//! file's names, keywords, literals, operators and comments, each exactly as written. Reading
//! them from the tree rather than with a lexer of our own means a token is what the grammar says
//! it is: `2026-12-24` is one date and `5-3` three tokens, `500 USD` is money and `500USD` a
//! duration, because the grammar decided, not a second set of rules that could disagree with it.
//!
//! What the grammar matches as bare literals (`{`, `}`, `(`, `[`, `,`, `;`) has no pair, and
//! neither have blanks and line breaks: they are read from the text between two leaves, where
//! nothing else can be. Strings and paths are leaves although pest gives them inner pairs: they
//! are written exactly as they are, interpolations included.
//!
//! The walk keeps its own stack instead of recursing, so its depth costs heap, not call stack;
//! the scanner has already refused anything nested deeper than `limits::MAX_NESTING`.

use pest::iterators::{Pair, Pairs};
use pest::Parser;

use crate::syntax::grammar::{JourneyParser, Rule};
use crate::syntax::scan;

/// What a token is, as far as layout cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Anything written with blanks around it: names, keywords, literals, strings, operators.
    Word,
    /// `{` of a block, a field list, an enum or an arm list.
    Open,
    /// `}`.
    Close,
    /// `(` of a parenthesised expression.
    OpenParen,
    /// `(` of a call's arguments, written against the name: `consent(sms, marketing)`.
    OpenCall,
    CloseParen,
    OpenBracket,
    CloseBracket,
    /// `<` and `>` of `set<text>`; the comparison operators are words.
    OpenAngle,
    CloseAngle,
    /// `..` of `21:00..08:00` and `mon..fri`.
    DotDot,
    /// `:` of a field declaration.
    Colon,
    Comma,
    /// `;`: a statement separator, like a line break.
    Semi,
    /// `?` of an optional type.
    Question,
    /// The prefix `-` of `-orders`.
    Minus,
    /// `// ...`, without trailing blanks.
    Comment,
}

/// A column that lines of the same kind align, as `gofmt` aligns struct fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The type of a field: `first_name:     text?`.
    FieldType,
    /// The arrow of an outcome arm: `timeout  => exit`.
    ArmArrow,
    /// The `=` of a segment: `segment vip     = ...`.
    SegmentEquals,
    /// The `=` of a template parameter written on a line of its own.
    ParamEquals,
    /// The `{` of the fields of an event without `inbound`: `event order_placed   { ... }`.
    EventFields,
}

#[derive(Debug, Clone)]
pub struct Token<'a> {
    pub kind: Kind,
    pub text: &'a str,
    /// Line breaks in the source between the previous token and this one.
    pub breaks: usize,
    /// The blank before this token is `Column`, for the declaration, field or arm that starts
    /// at the token with this index (aligned only when that token starts its line).
    pub column: Option<(Column, usize)>,
    /// The first token of an outcome arm (arms may follow each other on one line).
    pub starts_arm: bool,
}

/// Why the tree could not be read as tokens. Never expected for a file that parsed without
/// errors; the formatter refuses the file rather than guess.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

/// One entry of the walk's stack: the children still to visit, the rule they belong to, and
/// the index of the first token of that rule's pair.
struct Frame<'i> {
    rule: Rule,
    children: Pairs<'i, Rule>,
    first_token: usize,
}

struct Reader<'a> {
    text: &'a str,
    tokens: Vec<Token<'a>>,
    /// File offset up to which the text has been read.
    cursor: usize,
    /// Line breaks seen since the last token.
    breaks: usize,
    /// Set on the next token pushed.
    next_column: Option<(Column, usize)>,
    next_starts_arm: bool,
}

/// The tokens of `text`, a file the parser accepted without errors.
pub fn read(text: &str) -> Result<Vec<Token<'_>>, Unreadable> {
    let scanned = scan::scan(crate::span::FileId(0), text);
    let mut reader =
        Reader { text, tokens: Vec::new(), cursor: 0, breaks: 0, next_column: None, next_starts_arm: false };
    for chunk in &scanned.chunks {
        // A patched chunk (blanked characters, synthetic braces) means the scan reported an
        // error, and the formatter only runs on files without one.
        if chunk.too_deep || !chunk.blanks.is_empty() || !chunk.insertions.is_empty() || chunk.missing_closers > 0 {
            return Err(Unreadable("the scanner patched an item".to_owned()));
        }
        let chunk_text = text.get(chunk.range.clone()).ok_or_else(|| Unreadable("item out of range".to_owned()))?;
        let pairs = JourneyParser::parse(Rule::chunk, chunk_text)
            .map_err(|_| Unreadable("an item did not parse again".to_owned()))?;
        reader.walk(pairs, chunk.range.start)?;
    }
    reader.gap(text.len())?;
    Ok(reader.tokens)
}

impl<'a> Reader<'a> {
    fn walk(&mut self, pairs: Pairs<'a, Rule>, base: usize) -> Result<(), Unreadable> {
        let mut stack = vec![Frame { rule: Rule::EOI, children: pairs, first_token: 0 }];
        loop {
            let Some(frame) = stack.last_mut() else { return Ok(()) };
            let Some(pair) = frame.children.next() else {
                stack.pop();
                continue;
            };
            let rule = pair.as_rule();
            let start = base + pair.as_span().start();
            let end = base + pair.as_span().end();
            if start == end {
                continue; // EOI
            }
            if matches!(rule, Rule::bad_line | Rule::bad_entry) {
                return Err(Unreadable("a line did not parse".to_owned()));
            }
            self.gap(start)?;
            let parent = stack.last().map(|frame| (frame.rule, frame.first_token));
            let grandparent = stack.len().checked_sub(2).and_then(|i| stack.get(i)).map(|f| (f.rule, f.first_token));
            let is_leaf = matches!(rule, Rule::string | Rule::path | Rule::comment | Rule::kw_else)
                || pair.clone().into_inner().next().is_none();
            if is_leaf {
                self.leaf(&pair, start, end, parent, grandparent)?;
                continue;
            }
            match rule {
                Rule::arm => self.next_starts_arm = true,
                Rule::args => self.opener(start, '(', Kind::OpenCall)?,
                Rule::paren => self.opener(start, '(', Kind::OpenParen)?,
                Rule::list => self.opener(start, '[', Kind::OpenBracket)?,
                _ => {}
            }
            let first_token = self.tokens.len();
            stack.push(Frame { rule, children: pair.into_inner(), first_token });
        }
    }

    /// The bracket that opens `args`, `paren` or `list`: a literal, so it has no pair of its own,
    /// and its rule says which it is.
    fn opener(&mut self, at: usize, bracket: char, kind: Kind) -> Result<(), Unreadable> {
        match self.text.get(at..).and_then(|rest| rest.strip_prefix(bracket)) {
            Some(_) => {
                self.cursor = at + 1;
                self.push(kind, at, at + 1);
                Ok(())
            }
            None => Err(Unreadable(format!("expected `{bracket}`"))),
        }
    }

    fn leaf(
        &mut self,
        pair: &Pair<'a, Rule>,
        start: usize,
        end: usize,
        parent: Option<(Rule, usize)>,
        grandparent: Option<(Rule, usize)>,
    ) -> Result<(), Unreadable> {
        let rule = pair.as_rule();
        if rule == Rule::kw_else {
            return self.kw_else(start, end);
        }
        let kind = match rule {
            Rule::lbrace => Kind::Open,
            Rule::rbrace => Kind::Close,
            Rule::lparen => Kind::OpenParen,
            Rule::rparen => Kind::CloseParen,
            Rule::lbracket => Kind::OpenBracket,
            Rule::rbracket => Kind::CloseBracket,
            Rule::langle => Kind::OpenAngle,
            Rule::rangle => Kind::CloseAngle,
            Rule::dotdot => Kind::DotDot,
            Rule::colon => Kind::Colon,
            Rule::comma => Kind::Comma,
            Rule::optional => Kind::Question,
            Rule::prefix => Kind::Minus,
            Rule::comment => Kind::Comment,
            _ => Kind::Word,
        };
        // Which blanks line up: decided by the rule of the token and of its parents.
        let column = match (rule, parent, grandparent) {
            (Rule::arrow, Some((Rule::arm, first)), _) => Some((Column::ArmArrow, first)),
            (Rule::equals, Some((Rule::segment, first)), _) => Some((Column::SegmentEquals, first)),
            (Rule::equals, Some((Rule::template_param, first)), _) => Some((Column::ParamEquals, first)),
            // Only `event NAME {`: the `{` of events with an `inbound` clause would line up
            // far from the name of a plain one.
            (Rule::lbrace, Some((Rule::field_list, _)), Some((Rule::event_decl, first)))
                if self.tokens.len() == first + 2 =>
            {
                Some((Column::EventFields, first))
            }
            _ => None,
        };
        if let Some(column) = column {
            self.next_column = Some(column);
        }
        self.cursor = end;
        let end = if kind == Kind::Comment { start + trimmed_len(self.slice(start, end)?) } else { end };
        self.push(kind, start, end);
        if let (Rule::colon, Some((Rule::field_decl, first))) = (rule, parent) {
            // The type after the colon is what lines up.
            self.next_column = Some((Column::FieldType, first));
        }
        Ok(())
    }

    /// `else`, with the line breaks and comments the grammar lets stand between a `}` and its
    /// `else` (all in one atomic pair). Without comments, `else` joins its `}`: `} else {`.
    fn kw_else(&mut self, start: usize, end: usize) -> Result<(), Unreadable> {
        let source = self.slice(start, end)?;
        let mut at = 0;
        let mut comments = false;
        while at < source.len() {
            let rest = source.get(at..).unwrap_or("");
            if rest.starts_with("//") {
                let len = rest.find(['\n', '\r']).unwrap_or(rest.len());
                let comment = rest.get(..len).unwrap_or("");
                self.push(Kind::Comment, start + at, start + at + trimmed_len(comment));
                comments = true;
                at += len;
            } else if rest.starts_with("else") {
                if !comments {
                    self.breaks = 0;
                }
                self.push(Kind::Word, start + at, start + at + "else".len());
                at += "else".len();
            } else if rest.starts_with("\r\n") {
                self.breaks += 1;
                at += 2;
            } else if rest.starts_with(['\n', '\r']) {
                self.breaks += 1;
                at += 1;
            } else if rest.starts_with([' ', '\t']) {
                at += 1;
            } else {
                return Err(Unreadable("unexpected text before `else`".to_owned()));
            }
        }
        self.cursor = end;
        Ok(())
    }

    /// Reads the text between the last token and `to`: blanks, line breaks and the literal
    /// punctuation that has no pair.
    fn gap(&mut self, to: usize) -> Result<(), Unreadable> {
        let from = self.cursor;
        if to < from {
            return Err(Unreadable("pairs out of order".to_owned()));
        }
        let gap = self.slice(from, to)?;
        let mut chars = gap.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let at = from + i;
            let kind = match c {
                ' ' | '\t' => continue,
                '\n' => {
                    self.breaks += 1;
                    continue;
                }
                '\r' => {
                    self.breaks += 1;
                    if chars.peek().is_some_and(|(_, next)| *next == '\n') {
                        chars.next();
                    }
                    continue;
                }
                '{' => Kind::Open,
                '}' => Kind::Close,
                '(' => Kind::OpenParen,
                ')' => Kind::CloseParen,
                '[' => Kind::OpenBracket,
                ']' => Kind::CloseBracket,
                ',' => Kind::Comma,
                ';' => Kind::Semi,
                other => return Err(Unreadable(format!("unexpected `{}` between tokens", other.escape_debug()))),
            };
            self.push(kind, at, at + 1);
        }
        self.cursor = to;
        Ok(())
    }

    fn push(&mut self, kind: Kind, start: usize, end: usize) {
        let text = self.text.get(start..end).unwrap_or("");
        let token = Token {
            kind,
            text,
            breaks: std::mem::take(&mut self.breaks),
            column: self.next_column.take(),
            starts_arm: std::mem::take(&mut self.next_starts_arm),
        };
        self.tokens.push(token);
    }

    fn slice(&self, from: usize, to: usize) -> Result<&'a str, Unreadable> {
        self.text.get(from..to).ok_or_else(|| Unreadable("span out of range".to_owned()))
    }
}

/// The length of a comment without its trailing blanks.
fn trimmed_len(comment: &str) -> usize {
    comment.trim_end_matches([' ', '\t']).len()
}
