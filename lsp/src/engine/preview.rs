//! A message as the contact would see it, for hover: text with `{field}` placeholders, buttons,
//! replies and list rows, and how long the text is.

use journey_compiler::ast::{visit, ButtonAction, Element, List, Message, Template, TemplatePart};

/// The rendered parts of a message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Preview {
    /// One line per element, in order (`subject`, `text`, media, cards indented).
    pub lines: Vec<String>,
    /// Characters of literal text in `text` elements (what length limits count before fields
    /// are filled in).
    pub text_chars: usize,
    /// The fields interpolated into `text` elements, in order, without duplicates.
    pub fields: Vec<String>,
}

pub fn preview(message: &Message) -> Preview {
    let mut preview = Preview::default();
    elements(&message.elements, &mut preview);
    preview
}

fn elements(list: &[Element], out: &mut Preview) {
    for (depth, element) in visit::elements_nested(list) {
        let indent = "  ".repeat(depth);
        let line = match element {
            Element::Text(template) => {
                out.text_chars += template.text_without_fields().chars().count();
                for path in template.fields() {
                    let name = path_name(path);
                    if !out.fields.contains(&name) {
                        out.fields.push(name);
                    }
                }
                render(template)
            }
            Element::Subject(template) => format!("Subject: {}", render(template)),
            Element::Title(template) => format!("Title: {}", render(template)),
            Element::Subtitle(template) => format!("Subtitle: {}", render(template)),
            Element::Reply { title, outcome, .. } => format!("[{}] → {}", render(title), outcome.name),
            Element::Button { title, action: ButtonAction::Outcome(outcome), .. } => {
                format!("[{}] → {}", render(title), outcome.name)
            }
            Element::Button { title, action: ButtonAction::Url(url), .. } => {
                format!("[{}] ↗ {}", render(title), render(url))
            }
            Element::Media { kind, url, .. } => format!("{}: {}", kind.name, render(url)),
            // Its elements follow, one level deeper.
            Element::Card { .. } => "Card:".to_owned(),
            Element::List(list) => {
                list_lines(list, &indent, out);
                continue;
            }
            Element::Template { name, lang, params, .. } => {
                let params: Vec<&str> = params.iter().map(|param| param.name.name.as_str()).collect();
                if params.is_empty() {
                    format!("Template \"{}\" ({})", name.value, lang.value)
                } else {
                    format!("Template \"{}\" ({}) with {}", name.value, lang.value, params.join(", "))
                }
            }
            Element::Tag { name, .. } => format!("Sent under tag {}", name.name),
        };
        out.lines.push(format!("{indent}{line}"));
    }
}

/// A list as the contact sees it: the button that opens it, then its header, sections, rows
/// (`[Title] Description → outcome`) and footer.
fn list_lines(list: &List, indent: &str, out: &mut Preview) {
    out.lines.push(format!("{indent}List [{}]:", render(&list.button)));
    if let Some(header) = list.header() {
        out.lines.push(format!("{indent}  Header: {}", render(header)));
    }
    for section in list.sections() {
        let row_indent = match section.title {
            Some(title) => {
                out.lines.push(format!("{indent}  Section: {}", render(title)));
                "    "
            }
            None => "  ",
        };
        for row in section.rows {
            let description = row.description.as_ref().map(|d| format!(" {}", render(d))).unwrap_or_default();
            out.lines.push(format!("{indent}{row_indent}[{}]{description} → {}", render(&row.title), row.outcome.name));
        }
    }
    if let Some(footer) = list.footer() {
        out.lines.push(format!("{indent}  Footer: {}", render(footer)));
    }
}

/// A template's text with each interpolation shown as `{field}`.
pub fn render(template: &Template) -> String {
    let mut text = String::new();
    for part in &template.parts {
        match part {
            TemplatePart::Literal(literal) => text.push_str(literal),
            TemplatePart::Field { path, .. } => {
                text.push('{');
                text.push_str(&path_name(path));
                text.push('}');
            }
        }
    }
    text
}

fn path_name(path: &journey_compiler::ast::Path) -> String {
    path.segments.iter().map(|segment| segment.name.as_str()).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use journey_compiler::ast::Item;

    #[test]
    fn cards_are_indented_under_their_card_line_and_only_texts_count_toward_the_length() {
        let source = r#"message m on messenger as service {
  text "Hi {first_name}, {plan}!"
  card {
    title "One {plan}"
    card {
      subtitle "Deep"
    }
    button "Open" url "https://a.example"
  }
  reply "Yes" -> yes
}
"#;
        let parsed = journey_compiler::parse(journey_compiler::FileId(0), source);
        let Some(Item::Message(message)) = parsed.ast.items.first() else {
            panic!("no message: {:?}", parsed.diagnostics);
        };
        let preview = super::preview(message);
        assert_eq!(
            preview.lines,
            [
                "Hi {first_name}, {plan}!",
                "Card:",
                "  Title: One {plan}",
                "  Card:",
                "    Subtitle: Deep",
                "  [Open] ↗ https://a.example",
                "[Yes] → yes",
            ]
        );
        assert_eq!(preview.text_chars, "Hi , !".chars().count());
        assert_eq!(preview.fields, ["first_name", "plan"]);
    }
}
