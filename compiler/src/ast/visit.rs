//! Walks over a message's elements and texts, written once so passes do not each recurse through
//! cards and pick a template out of every kind of element themselves.
//!
//! - [`elements`] (and [`elements_nested`], with the depth): every element, a card's elements
//!   right after the card, in source order.
//! - [`Element::texts`], [`texts`] and [`Message::texts`]: the texts (templates) of an element, of
//!   a list of elements (cards included), of a message, each with its [`TextRole`], so a pass
//!   keeps the roles it reads (a contact reads texts and titles, not URLs).
//! - [`Template::fields`], [`Template::text_without_fields`], [`Template::constant_text`]: what a
//!   text is made of.
//!
//! - [`List::sections`], [`List::rows`], [`List::header`], [`List::footer`]: a list as the
//!   platform shows it.
//!
//! Cards nest only as deep as the scanner allows (`limits::MAX_NESTING`); the walk keeps its own
//! stack anyway. A list holds rows, never elements, so the walk does not enter it.

use super::{ButtonAction, Element, List, ListPart, ListRow, Message, Path, Template, TemplatePart};
use crate::span::Span;

/// Which text of an element a template is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextRole {
    /// `text "..."`
    Text,
    /// `subject "..."`
    Subject,
    /// `title "..."` (in a card)
    Title,
    /// `subtitle "..."` (in a card)
    Subtitle,
    /// The title of `reply "..." -> outcome`.
    Reply,
    /// The title of a `button`.
    ButtonTitle,
    /// The URL of `button "..." url "..."`.
    ButtonUrl,
    /// The URL of `image`, `video` or `file`.
    MediaUrl,
    /// The label of a `list "..."`'s button.
    ListButton,
    /// A list's `header "..."`.
    ListHeader,
    /// A list's `footer "..."`.
    ListFooter,
    /// The title of a list's `section "..."`.
    SectionTitle,
    /// The title of a list's `row "..."`.
    RowTitle,
    /// The description of a list's row (`row "Title" "Description" -> outcome`).
    RowDescription,
}

/// Every element of `list`, each card followed by its own elements, in source order.
pub fn elements(list: &[Element]) -> impl Iterator<Item = &Element> {
    elements_nested(list).map(|(_, element)| element)
}

/// [`elements`] with each element's depth: 0 in `list`, 1 in a card of `list`, and so on.
pub fn elements_nested(list: &[Element]) -> ElementsNested<'_> {
    ElementsNested { stack: vec![list.iter()] }
}

/// The iterator of [`elements_nested`].
#[derive(Debug, Clone)]
pub struct ElementsNested<'a> {
    /// The lists being walked, outermost first; the length is the depth of the next element
    /// plus one.
    stack: Vec<std::slice::Iter<'a, Element>>,
}

impl<'a> Iterator for ElementsNested<'a> {
    type Item = (usize, &'a Element);

    fn next(&mut self) -> Option<(usize, &'a Element)> {
        loop {
            let depth = self.stack.len().checked_sub(1)?;
            match self.stack.last_mut()?.next() {
                Some(element) => {
                    if let Element::Card { elements, .. } = element {
                        self.stack.push(elements.iter());
                    }
                    return Some((depth, element));
                }
                None => {
                    self.stack.pop();
                }
            }
        }
    }
}

/// Every text of `list` and its cards, in source order (a button's title before its URL).
pub fn texts(list: &[Element]) -> impl Iterator<Item = (TextRole, &Template)> {
    elements(list).flat_map(Element::texts)
}

impl Element {
    /// The texts this element holds itself, in source order; a card's are its elements'.
    pub fn texts(&self) -> impl Iterator<Item = (TextRole, &Template)> {
        let list = match self {
            Element::List(list) => Some(list),
            _ => None,
        };
        let (first, second) = match self {
            Element::Text(t) => (Some((TextRole::Text, t)), None),
            Element::Subject(t) => (Some((TextRole::Subject, t)), None),
            Element::Title(t) => (Some((TextRole::Title, t)), None),
            Element::Subtitle(t) => (Some((TextRole::Subtitle, t)), None),
            Element::Reply { title, .. } => (Some((TextRole::Reply, title)), None),
            Element::Button { title, action, .. } => {
                let url = match action {
                    ButtonAction::Url(url) => Some((TextRole::ButtonUrl, url)),
                    ButtonAction::Outcome(_) => None,
                };
                (Some((TextRole::ButtonTitle, title)), url)
            }
            Element::Media { url, .. } => (Some((TextRole::MediaUrl, url)), None),
            Element::Card { .. } | Element::List(_) | Element::Template { .. } | Element::Tag { .. } => (None, None),
        };
        first.into_iter().chain(second).chain(list.into_iter().flat_map(List::texts))
    }
}

/// A section of a list as the platform shows it: a `section` as written, or a run of rows
/// written directly in the list (which has no title).
#[derive(Debug, Clone, PartialEq)]
pub struct Section<'a> {
    pub title: Option<&'a Template>,
    pub rows: Vec<&'a ListRow>,
    /// The `section` as written, or from the first to the last of the rows.
    pub span: Span,
    /// Whether it is written as a `section` (false: rows written directly in the list).
    pub written: bool,
}

impl List {
    /// Every text of the list in source order: the button's label, then headers, footers,
    /// section titles and rows (each row's title before its description).
    pub fn texts(&self) -> impl Iterator<Item = (TextRole, &Template)> {
        std::iter::once((TextRole::ListButton, &self.button)).chain(self.parts.iter().flat_map(|part| {
            let (own, rows) = match part {
                ListPart::Header(t) => (Some((TextRole::ListHeader, t)), &[][..]),
                ListPart::Footer(t) => (Some((TextRole::ListFooter, t)), &[][..]),
                ListPart::Section(section) => {
                    (section.title.as_ref().map(|t| (TextRole::SectionTitle, t)), section.rows.as_slice())
                }
                ListPart::Row(row) => (None, std::slice::from_ref(row)),
            };
            own.into_iter().chain(rows.iter().flat_map(|row| {
                std::iter::once((TextRole::RowTitle, &row.title))
                    .chain(row.description.as_ref().map(|d| (TextRole::RowDescription, d)))
            }))
        }))
    }

    /// Every row, in sections or not, in source order.
    pub fn rows(&self) -> impl Iterator<Item = &ListRow> {
        self.parts.iter().flat_map(|part| match part {
            ListPart::Section(section) => section.rows.as_slice(),
            ListPart::Row(row) => std::slice::from_ref(row),
            ListPart::Header(_) | ListPart::Footer(_) => &[],
        })
    }

    /// The sections the platform shows, in order: each `section`, and each run of rows written
    /// directly in the list between them as a section without a title.
    pub fn sections(&self) -> Vec<Section<'_>> {
        let mut sections: Vec<Section<'_>> = Vec::new();
        // Whether the last section is a run of rows that the next row continues.
        let mut open_run = false;
        for part in &self.parts {
            match part {
                ListPart::Section(section) => {
                    sections.push(Section {
                        title: section.title.as_ref(),
                        rows: section.rows.iter().collect(),
                        span: section.span,
                        written: true,
                    });
                    open_run = false;
                }
                ListPart::Row(row) => match sections.last_mut() {
                    Some(run) if open_run => {
                        run.rows.push(row);
                        run.span = Span::new(run.span.start(), row.span.end());
                    }
                    _ => {
                        sections.push(Section { title: None, rows: vec![row], span: row.span, written: false });
                        open_run = true;
                    }
                },
                // A header or footer between rows does not split them: the platform shows both
                // apart from the rows.
                ListPart::Header(_) | ListPart::Footer(_) => {}
            }
        }
        sections
    }

    /// The list's header: the last `header`, as of two `text`s the last is sent.
    pub fn header(&self) -> Option<&Template> {
        self.parts.iter().rev().find_map(|part| match part {
            ListPart::Header(t) => Some(t),
            _ => None,
        })
    }

    /// The list's footer: the last `footer`.
    pub fn footer(&self) -> Option<&Template> {
        self.parts.iter().rev().find_map(|part| match part {
            ListPart::Footer(t) => Some(t),
            _ => None,
        })
    }
}

impl Message {
    /// Every text of the message, cards included, in source order.
    pub fn texts(&self) -> impl Iterator<Item = (TextRole, &Template)> {
        texts(&self.elements)
    }
}

impl Template {
    /// The fields interpolated into the text (`{first_name ?? "there"}`), in order.
    pub fn fields(&self) -> impl Iterator<Item = &Path> {
        self.parts.iter().filter_map(|part| match part {
            TemplatePart::Field { path, .. } => Some(path),
            TemplatePart::Literal(_) => None,
        })
    }

    /// The literal parts of the text joined, fields left out: what is known of the text before
    /// its fields are filled in (`"Hi {name}!"` gives `Hi !`).
    pub fn text_without_fields(&self) -> String {
        self.parts
            .iter()
            .filter_map(|part| match part {
                TemplatePart::Literal(text) => Some(text.as_str()),
                TemplatePart::Field { .. } => None,
            })
            .collect()
    }

    /// The text when it has no fields (a plain string literal), else `None`.
    pub fn constant_text(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [] => Some(""),
            [TemplatePart::Literal(text)] => Some(text),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{elements_nested, texts, TextRole};
    use crate::ast::{Element, Item, Template};

    fn message_elements(source: &str) -> Vec<Element> {
        let parsed = crate::parse(crate::FileId(0), source);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        parsed
            .ast
            .items
            .into_iter()
            .find_map(|item| match item {
                Item::Message(message) => Some(message.elements),
                _ => None,
            })
            .unwrap_or_default()
    }

    const CARDS: &str = r#"message m on messenger as service {
  text "Hi {first_name}"
  card {
    title "One"
    button "Open" url "https://a.example/{id}"
    card {
      subtitle "Deep"
    }
  }
  reply "Yes" -> yes
  image "https://b.example"
}
"#;

    #[test]
    fn elements_come_in_source_order_with_each_card_followed_by_its_own() {
        let elements = message_elements(CARDS);
        let walked: Vec<(usize, &str)> = elements_nested(&elements)
            .map(|(depth, element)| {
                let kind = match element {
                    Element::Text(_) => "text",
                    Element::Card { .. } => "card",
                    Element::Title(_) => "title",
                    Element::Subtitle(_) => "subtitle",
                    Element::Button { .. } => "button",
                    Element::Reply { .. } => "reply",
                    Element::Media { .. } => "media",
                    _ => "other",
                };
                (depth, kind)
            })
            .collect();
        assert_eq!(
            walked,
            [
                (0, "text"),
                (0, "card"),
                (1, "title"),
                (1, "button"),
                (1, "card"),
                (2, "subtitle"),
                (0, "reply"),
                (0, "media")
            ]
        );
    }

    #[test]
    fn texts_come_with_their_roles_and_a_button_title_before_its_url() {
        let elements = message_elements(CARDS);
        let walked: Vec<(TextRole, String)> =
            texts(&elements).map(|(role, t)| (role, t.text_without_fields())).collect();
        let expected = [
            (TextRole::Text, "Hi "),
            (TextRole::Title, "One"),
            (TextRole::ButtonTitle, "Open"),
            (TextRole::ButtonUrl, "https://a.example/"),
            (TextRole::Subtitle, "Deep"),
            (TextRole::Reply, "Yes"),
            (TextRole::MediaUrl, "https://b.example"),
        ];
        assert_eq!(walked, expected.map(|(role, text)| (role, text.to_owned())));
    }

    #[test]
    fn only_a_text_without_fields_has_a_constant_text() {
        let elements = message_elements(CARDS);
        let constants: Vec<Option<&str>> = texts(&elements).map(|(_, t)| t.constant_text()).collect();
        assert_eq!(
            constants,
            [None, Some("One"), Some("Open"), None, Some("Deep"), Some("Yes"), Some("https://b.example")]
        );
        let fields: Vec<usize> = texts(&elements).map(|(_, t)| t.fields().count()).collect();
        assert_eq!(fields, [1, 0, 0, 1, 0, 0, 0]);
    }

    const LIST: &str = r#"message m on whatsapp as service {
  text "Pick"
  list "Sizes" {
    row "Tiny" -> tiny
    header "Old header"
    row "Small" "Chest 86-91 cm" -> small
    section "Shirts" {
      row "Large" -> large
    }
    footer "Free returns"
    row "Unsure" -> unsure
    header "Acme"
  }
}
"#;

    fn the_list(elements: &[Element]) -> &crate::ast::List {
        elements
            .iter()
            .find_map(|e| match e {
                Element::List(list) => Some(list),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no list in {elements:?}"))
    }

    #[test]
    fn rows_outside_a_section_are_a_section_without_a_title_until_a_section_interrupts_them() {
        let elements = message_elements(LIST);
        let list = the_list(&elements);
        let sections: Vec<(Option<String>, Vec<&str>, bool)> = list
            .sections()
            .iter()
            .map(|s| {
                (
                    s.title.map(|t| t.text_without_fields()),
                    s.rows.iter().map(|r| r.outcome.name.as_str()).collect(),
                    s.written,
                )
            })
            .collect();
        assert_eq!(
            sections,
            [
                (None, vec!["tiny", "small"], false),
                (Some("Shirts".to_owned()), vec!["large"], true),
                (None, vec!["unsure"], false)
            ]
        );
        let rows: Vec<&str> = list.rows().map(|r| r.outcome.name.as_str()).collect();
        assert_eq!(rows, ["tiny", "small", "large", "unsure"]);
        assert_eq!(list.header().map(Template::text_without_fields).as_deref(), Some("Acme"));
        assert_eq!(list.footer().map(Template::text_without_fields).as_deref(), Some("Free returns"));
    }

    #[test]
    fn a_lists_texts_come_in_source_order_with_the_button_label_first() {
        let elements = message_elements(LIST);
        let walked: Vec<(TextRole, String)> =
            texts(&elements).map(|(role, t)| (role, t.text_without_fields())).collect();
        let expected = [
            (TextRole::Text, "Pick"),
            (TextRole::ListButton, "Sizes"),
            (TextRole::RowTitle, "Tiny"),
            (TextRole::ListHeader, "Old header"),
            (TextRole::RowTitle, "Small"),
            (TextRole::RowDescription, "Chest 86-91 cm"),
            (TextRole::SectionTitle, "Shirts"),
            (TextRole::RowTitle, "Large"),
            (TextRole::ListFooter, "Free returns"),
            (TextRole::RowTitle, "Unsure"),
            (TextRole::ListHeader, "Acme"),
        ];
        assert_eq!(walked, expected.map(|(role, text)| (role, text.to_owned())));
    }
}
