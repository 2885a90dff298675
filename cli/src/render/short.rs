//! `--format short`: one line per diagnostic, `path:line:col: error[J0101]: message`.
//!
//! Lines and columns are 1-based; columns count Unicode characters. The line format is stable:
//! editors and `grep` parse it.

use std::io::{self, Write};

use journey_compiler::Diagnostic;

use crate::files::{escape_controls, FileTable};

pub fn render(table: &FileTable, diagnostics: &[Diagnostic], out: &mut dyn Write) -> io::Result<()> {
    for diagnostic in diagnostics {
        let primary = &diagnostic.primary;
        let (name, line, column) = match table.locate(primary.file, primary.span) {
            Some(located) => (escape_controls(located.name), located.start.line, located.start.column),
            None => ("<unknown file>".to_owned(), 1, 1),
        };
        writeln!(
            out,
            "{name}:{line}:{column}: {}[{}]: {}",
            diagnostic.severity.as_str(),
            diagnostic.code,
            escape_controls(&diagnostic.message)
        )?;
    }
    Ok(())
}
