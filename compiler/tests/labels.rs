//! Every label of every diagnostic points into its own file: its span lies inside that file's
//! text (docs/fuzzing.md, Finding 2: a label once took its file from one declaration of a
//! duplicated message and its span from another).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use journey_compiler::check_project;
use journey_compiler::project::{MemoryLoader, ProjectPath};

#[test]
fn labels_of_a_message_declared_in_two_files_point_into_their_own_file() {
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/hostile");
    let mut memory = MemoryLoader::default();
    let mut entries = Vec::new();
    for name in ["sem-duplicate-message-across-files-a.journey", "sem-duplicate-message-across-files-b.journey"] {
        let path = ProjectPath::new(name).unwrap();
        memory.insert(path.clone(), std::fs::read(hostile.join(name)).unwrap());
        entries.push(path);
    }
    let report = check_project(&entries[..1], &memory);
    assert!(report.diagnostics.iter().any(|d| d.code == journey_compiler::Code::J0209), "{:?}", report.diagnostics);
    let mut labels = 0;
    for diagnostic in &report.diagnostics {
        for label in std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary) {
            let file = report.sources.file(label.file).unwrap();
            assert!(
                label.span.end() <= file.text.len(),
                "{} {diagnostic:?} points past {}",
                diagnostic.code,
                file.name
            );
            labels += 1;
        }
    }
    assert!(labels >= 2);
    // The label of the bug: at a send, where the message reads the event.
    assert!(
        report.diagnostics.iter().flat_map(|d| &d.secondary).any(|l| l.message == "the message reads the event here"),
        "{:?}",
        report.diagnostics
    );
}
