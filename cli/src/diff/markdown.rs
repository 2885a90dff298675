//! `--format markdown`: a pull-request comment. A heading with the counts, a quoted warning for a
//! version with errors, then one list per section; weaker changes in bold, first in their section
//! order as found.

use journey_compiler::diff::SemanticDiff;

use super::{error_notes, headline, text::title, Labels};

pub fn render(diff: &SemanticDiff, labels: &Labels) -> String {
    let mut out =
        format!("### journey diff: {}\n\nComparing `{}` with `{}`.\n", headline(diff), labels.old, labels.new);
    for note in error_notes(diff, labels) {
        out.push_str(&format!("\n> **Note**: {note}.\n"));
    }
    let mut section = None;
    for change in &diff.changes {
        let this = change.kind.section();
        if section != Some(this) {
            let name = title(this);
            let mut heading = name.chars();
            let capital = heading.next().map(|c| c.to_ascii_uppercase()).into_iter().chain(heading).collect::<String>();
            out.push_str(&format!("\n#### {capital}\n\n"));
            section = Some(this);
        }
        if change.weaker {
            out.push_str(&format!("- **weaker**: {}\n", change.sentence));
        } else {
            out.push_str(&format!("- {}\n", change.sentence));
        }
    }
    out
}
