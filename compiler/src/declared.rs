//! The tree of each declaration the model keeps.
//!
//! The model decides which declaration of a name wins (the first; every later one is J0209). A
//! pass that needs a declaration's tree (a segment's condition, a message's elements, a journey's
//! members) finds it here, matched to the model's winner by file and span, so no pass re-collects
//! the tree with a duplicate rule of its own (the bundle used to keep the last one).

use std::collections::BTreeMap;

use crate::ast::{self, Item};
use crate::model::{Def, Model};
use crate::project::Sources;

/// The winning declarations' trees, by name.
#[derive(Debug, Default)]
pub struct Declared<'a> {
    pub segments: BTreeMap<&'a str, &'a ast::Expr>,
    pub messages: BTreeMap<&'a str, &'a ast::Message>,
    pub journeys: BTreeMap<&'a str, &'a ast::Journey>,
}

impl<'a> Declared<'a> {
    /// One walk over the top-level items of every file: linear in the number of items.
    pub fn new(sources: &'a Sources, model: &Model) -> Declared<'a> {
        let mut declared = Declared::default();
        for file in &sources.files {
            let Some(tree) = &file.ast else { continue };
            let wins = |kept: Option<Def>, name: &ast::Ident| kept == Some(Def { file: file.id, span: name.span });
            for item in &tree.items {
                match item {
                    Item::Segment(s) if wins(model.segments.get(&s.name.name).copied(), &s.name) => {
                        declared.segments.insert(&s.name.name, &s.condition);
                    }
                    Item::Message(m) if wins(model.messages.get(&m.name.name).map(|m| m.def), &m.name) => {
                        declared.messages.insert(&m.name.name, m);
                    }
                    Item::Journey(j) if wins(model.journeys.get(&j.name.name).map(|j| j.def), &j.name) => {
                        declared.journeys.insert(&j.name.name, j);
                    }
                    _ => {}
                }
            }
        }
        declared
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use journey_test_support::{journey_files_under, project_root};

    use super::Declared;
    use crate::project::{MemoryLoader, ProjectPath};
    use crate::span::Span;

    /// The files as `(name, bytes)` in this crate's loader (`journey_test_support`'s loaders
    /// implement the trait of the compiler it links, a second copy of this crate's types).
    fn in_memory(files: Vec<(String, Vec<u8>)>) -> (MemoryLoader, Vec<ProjectPath>) {
        let mut loader = MemoryLoader::default();
        let mut entries = Vec::new();
        for (name, bytes) in files {
            let path = ProjectPath::new(&name).unwrap();
            loader.insert(path.clone(), bytes);
            entries.push(path);
        }
        (loader, entries)
    }

    #[test]
    fn the_tree_kept_for_a_name_declared_twice_is_the_first_as_in_the_model() {
        let text = "segment vip = true\nsegment vip = false\n\
                    message hi on sms as service { text \"a\" }\nmessage hi on sms as service { text \"b\" }\n\
                    journey j { entry on contact_created\nstage s { exit } }\njourney j { entry on contact_created\nstage t { exit } }\n";
        let (loader, entries) = in_memory(vec![("a.journey".into(), text.into())]);
        let report = crate::check_project(&entries, &loader);
        let declared = Declared::new(&report.sources, &report.model);
        let first = |span: Span, needle: &str| text.get(span.range()).is_some_and(|t| t.contains(needle));
        assert!(declared.segments.get("vip").is_some_and(|c| first(c.span, "true")));
        assert!(declared.messages.get("hi").is_some_and(|m| first(m.span, "\"a\"")));
        assert!(declared.journeys.get("j").is_some_and(|j| first(j.span, "stage s")));
    }

    #[test]
    fn every_declaration_of_the_examples_has_its_tree() {
        let (loader, entries) = in_memory(journey_files_under(&project_root("examples")));
        let report = crate::check_project(&entries, &loader);
        let declared = Declared::new(&report.sources, &report.model);
        assert!(report.model.messages.len() > 20, "{}", report.model.messages.len());
        assert_eq!(declared.segments.len(), report.model.segments.len());
        assert_eq!(declared.messages.len(), report.model.messages.len());
        assert_eq!(declared.journeys.len(), report.model.journeys.len());
    }
}
