//! `--format github`: GitHub Actions workflow commands, one per diagnostic, which GitHub turns
//! into annotations on the pull request:
//!
//! `::error file=PATH,line=L,col=C,endLine=L2,endColumn=C2,title=J0101::message`
//!
//! Escaping follows GitHub's runner: in the message `%`, `\r` and `\n` become `%25`, `%0D` and
//! `%0A`; in property values `:` and `,` also become `%3A` and `%2C`. Other control characters
//! are shown as `\u{..}` so a hostile file cannot inject terminal escapes into the log.

use std::io::{self, Write};

use journey_compiler::Diagnostic;

use crate::files::{escape_controls, FileTable};

pub fn render(table: &FileTable, diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    for diagnostic in diagnostics {
        let primary = &diagnostic.primary;
        let command = diagnostic.severity.as_str();
        let title = escape_property(diagnostic.code.as_str());
        // Each line is made inert first; the line breaks between them are then escaped.
        let message: Vec<String> = diagnostic.full_text().lines().map(escape_controls).collect();
        let message = escape_data(&message.join("\n"));
        match table.locate(primary.file, primary.span) {
            Some(located) => writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={title}::{message}",
                escape_property(&escape_controls(located.name)),
                located.start.line,
                located.start.column,
                located.end.line,
                located.end.column,
            )?,
            None => writeln!(out, "::{command} title={title}::{message}")?,
        }
    }
    Ok(())
}

/// Escapes a workflow command's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_escape_as_github_documents() {
        assert_eq!(escape_data("50% a\r\nb"), "50%25 a%0D%0Ab");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
