//! The comparison on small projects in memory; `tests/diff.rs` has a case per kind of change.

use super::{diff, ChangeKind, SemanticDiff};
use crate::project::{MemoryLoader, ProjectPath};

const PROJECT: &str = r#"import "std/channels"

event signed_up {}

message hello on sms as service {
  text "Hello from Acme."
}

message tip on sms as service {
  text "Acme tip: reply HELP for help."
}

journey welcome {
  entry on signed_up
  stage start {
    send hello
    wait 1d
    send tip
    send hello
  }
}
"#;

fn checked(text: &str) -> crate::ProjectReport {
    let mut loader = MemoryLoader::default();
    let path = ProjectPath::new("main.journey").unwrap();
    loader.insert(path.clone(), text);
    crate::check_project(&[path], &loader)
}

fn compared(old: &str, new: &str) -> SemanticDiff {
    diff(&checked(old), &checked(new))
}

#[test]
fn a_project_compared_with_itself_has_no_changes() {
    let same = compared(PROJECT, PROJECT);
    assert_eq!(same.changes, vec![]);
    assert!(!same.is_weaker());
    assert_eq!((same.old.errors, same.new.errors), (0, 0));
}

#[test]
fn a_step_added_above_sends_changes_their_node_ids_but_not_their_identity() {
    let new = PROJECT.replace("    send hello\n    wait 1d", "    wait 1h\n    send hello\n    wait 1d");
    assert_eq!(compared(PROJECT, &new).changes, vec![]);
}

#[test]
fn the_second_send_of_a_message_in_a_stage_is_its_own_send() {
    let new = PROJECT.replace("    send tip\n    send hello\n", "    send tip\n");
    let changes = compared(PROJECT, &new).changes;
    assert_eq!(changes.len(), 1, "{changes:?}");
    let removed = changes.first().unwrap();
    assert_eq!(removed.kind, ChangeKind::SendRemoved);
    assert_eq!(removed.sentence, "send `hello` in journey `welcome` (stage `start`, its 2nd send there) removed");
}

#[test]
fn a_send_with_no_evidence_in_the_new_version_is_weaker() {
    // A cap above what is tracked per position, on a journey with a loop, cannot be proved: the
    // journey is inconclusive (J0413) and none of its sends has evidence.
    let new = PROJECT.replace("    send hello\n  }", "    send hello\n    goto start\n  }")
        + "\npolicy {\n  frequency service at most 300 per 1d\n}\n";
    let result = compared(PROJECT, &new);
    assert!(result.new.errors > 0);
    let evidence: Vec<_> = result.changes.iter().filter(|c| c.kind == ChangeKind::Evidence).collect();
    assert_eq!(evidence.len(), 3, "{:?}", result.changes);
    assert!(evidence.iter().all(|c| c.weaker && c.new.is_none()), "{:?}", result.changes);
    assert!(result.is_weaker());
}
