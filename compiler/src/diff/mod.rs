//! The semantic diff of two versions of a project (`journey diff`): journeys, stages and sends
//! added, removed or moved; messages whose text, category or channel changed; and every change in
//! what the analyses proved about a send (its compliance evidence), each marked when it makes
//! the send's compliance weaker. Pure: two [`ProjectReport`]s in, a [`SemanticDiff`] out; the CLI
//! loads the versions and renders the result (docs/diff.md).
//!
//! - `inventory.rs`: what of one version is compared, and the identity of a send ([`SendId`]);
//! - `evidence.rs`: two evidence records of one send compared, and what "weaker" means;
//! - `mod.rs` (this file): the structure and message changes, and the order of the result.

mod evidence;
mod inventory;

use std::collections::{BTreeMap, BTreeSet};

pub use inventory::SendId;
use inventory::{Inventory, MessageFacts};

use crate::flow::SendEvidence;
use crate::ProjectReport;

/// Everything that changed between two versions, in a fixed order: structure (journeys, stages,
/// sends), then messages, then compliance evidence; within each, by journey, stage, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemanticDiff {
    pub old: Side,
    pub new: Side,
    pub changes: Vec<Change>,
}

impl SemanticDiff {
    /// Whether some change makes some send's compliance weaker (`--deny weaker`).
    pub fn is_weaker(&self) -> bool {
        self.changes.iter().any(|c| c.weaker)
    }
}

/// What the diff knows about one version as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// Errors its check found: its evidence may be incomplete (a journey with errors in its
    /// analyses proves nothing).
    pub errors: usize,
}

/// Which part of the diff a change belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    Structure,
    Messages,
    Compliance,
}

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    JourneyAdded,
    JourneyRemoved,
    StageAdded,
    StageRemoved,
    SendAdded,
    SendRemoved,
    /// A send of the same message in the same journey, now in another stage.
    SendMoved,
    MessageAdded,
    MessageRemoved,
    MessageText,
    MessageCategory,
    MessageChannel,
    /// The send's message is now marketing (it was not).
    SendMarketing,
    /// The proved bound on the time since the contact's last message (a windowed channel).
    WindowBound,
    /// The proved count of sends under a frequency cap.
    Frequency,
    /// The longest quiet hours may hold the send.
    QuietHours,
    /// What the send's consent rests on.
    Consent,
    /// Free-form, template or tag.
    Form,
    /// No evidence for the send in one version (its journey has errors or was not analysed).
    Evidence,
}

impl ChangeKind {
    /// The stable name of the kind in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::JourneyAdded => "journey_added",
            ChangeKind::JourneyRemoved => "journey_removed",
            ChangeKind::StageAdded => "stage_added",
            ChangeKind::StageRemoved => "stage_removed",
            ChangeKind::SendAdded => "send_added",
            ChangeKind::SendRemoved => "send_removed",
            ChangeKind::SendMoved => "send_moved",
            ChangeKind::MessageAdded => "message_added",
            ChangeKind::MessageRemoved => "message_removed",
            ChangeKind::MessageText => "message_text",
            ChangeKind::MessageCategory => "message_category",
            ChangeKind::MessageChannel => "message_channel",
            ChangeKind::SendMarketing => "send_marketing",
            ChangeKind::WindowBound => "window_bound",
            ChangeKind::Frequency => "frequency",
            ChangeKind::QuietHours => "quiet_hours",
            ChangeKind::Consent => "consent",
            ChangeKind::Form => "form",
            ChangeKind::Evidence => "evidence",
        }
    }

    pub fn section(self) -> Section {
        match self {
            ChangeKind::JourneyAdded
            | ChangeKind::JourneyRemoved
            | ChangeKind::StageAdded
            | ChangeKind::StageRemoved
            | ChangeKind::SendAdded
            | ChangeKind::SendRemoved
            | ChangeKind::SendMoved => Section::Structure,
            ChangeKind::MessageAdded
            | ChangeKind::MessageRemoved
            | ChangeKind::MessageText
            | ChangeKind::MessageCategory
            | ChangeKind::MessageChannel => Section::Messages,
            ChangeKind::SendMarketing
            | ChangeKind::WindowBound
            | ChangeKind::Frequency
            | ChangeKind::QuietHours
            | ChangeKind::Consent
            | ChangeKind::Form
            | ChangeKind::Evidence => Section::Compliance,
        }
    }
}

/// What a change is about.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Subject {
    Journey { journey: String },
    Stage { journey: String, stage: String },
    Send(SendId),
    Message { message: String },
}

/// One change, with the old and new values as a person reads them (durations formatted), a
/// sentence that says it, and whether it makes a send's compliance weaker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    pub subject: Subject,
    pub old: Option<String>,
    pub new: Option<String>,
    pub sentence: String,
    pub weaker: bool,
}

/// Compares two versions of a project.
pub fn diff(old: &ProjectReport, new: &ProjectReport) -> SemanticDiff {
    let before = Inventory::of(old);
    let after = Inventory::of(new);
    let mut changes = Vec::new();
    journeys_and_stages(&before, &after, &mut changes);
    sends(&before, &after, &mut changes);
    messages(&before.messages, &after.messages, &mut changes);
    // Sections in order; within one, by subject, then kind; the order of finding otherwise.
    changes.sort_by(|a, b| (a.kind.section(), &a.subject, a.kind).cmp(&(b.kind.section(), &b.subject, b.kind)));
    SemanticDiff { old: Side { errors: before.errors }, new: Side { errors: after.errors }, changes }
}

/// How a send is named in sentences: "send `promo` in journey `welcome` (stage `start`)".
pub fn describe_send(id: &SendId) -> String {
    // The first send of a message in a stage is the usual case; later ones say which they are.
    let occurrence = match id.occurrence {
        0 => String::new(),
        n => format!(", its {} send there", ordinal(n.saturating_add(1))),
    };
    format!("send `{}` in journey `{}` (stage `{}`{occurrence})", id.message, id.journey, id.stage)
}

fn change(kind: ChangeKind, subject: Subject, old: Option<String>, new: Option<String>, sentence: String) -> Change {
    Change { kind, subject, old, new, sentence, weaker: false }
}

fn journeys_and_stages(before: &Inventory<'_>, after: &Inventory<'_>, changes: &mut Vec<Change>) {
    for (name, stages) in &after.journeys {
        let Some(old_stages) = before.journeys.get(name) else {
            let subject = Subject::Journey { journey: name.clone() };
            let sentence = format!("journey `{name}` added");
            changes.push(change(ChangeKind::JourneyAdded, subject, None, Some(name.clone()), sentence));
            continue;
        };
        for stage in stages.difference(old_stages) {
            let subject = Subject::Stage { journey: name.clone(), stage: stage.clone() };
            let sentence = format!("stage `{stage}` added to journey `{name}`");
            changes.push(change(ChangeKind::StageAdded, subject, None, Some(stage.clone()), sentence));
        }
        for stage in old_stages.difference(stages) {
            let subject = Subject::Stage { journey: name.clone(), stage: stage.clone() };
            let sentence = format!("stage `{stage}` removed from journey `{name}`");
            changes.push(change(ChangeKind::StageRemoved, subject, Some(stage.clone()), None, sentence));
        }
    }
    for name in before.journeys.keys().filter(|name| !after.journeys.contains_key(*name)) {
        let subject = Subject::Journey { journey: name.clone() };
        let sentence = format!("journey `{name}` removed");
        changes.push(change(ChangeKind::JourneyRemoved, subject, Some(name.clone()), None, sentence));
    }
}

/// Sends matched by identity; of those left on both sides, sends of the same message in the same
/// journey are paired in order as moved; the rest were added or removed. Every matched or moved
/// pair has its evidence compared.
fn sends(before: &Inventory<'_>, after: &Inventory<'_>, changes: &mut Vec<Change>) {
    let mut removed: BTreeMap<(&str, &str), Vec<&SendId>> = BTreeMap::new();
    for id in before.sends.keys().filter(|id| !after.sends.contains_key(*id)) {
        removed.entry((id.journey.as_str(), id.message.as_str())).or_default().push(id);
    }
    let mut added: BTreeMap<(&str, &str), Vec<&SendId>> = BTreeMap::new();
    for id in after.sends.keys().filter(|id| !before.sends.contains_key(*id)) {
        added.entry((id.journey.as_str(), id.message.as_str())).or_default().push(id);
    }
    let mut pairs: Vec<(&SendId, &SendId)> = Vec::new();
    for (id, old) in &before.sends {
        if let Some(new) = after.sends.get(id) {
            evidence::compare(id, *old, *new, changes);
        }
    }
    let keys: BTreeSet<(&str, &str)> = removed.keys().chain(added.keys()).copied().collect();
    for key in keys {
        let gone = removed.get(&key).map_or(&[][..], Vec::as_slice);
        let came = added.get(&key).map_or(&[][..], Vec::as_slice);
        let paired = gone.len().min(came.len());
        for (from, to) in gone.iter().zip(came) {
            pairs.push((from, to));
        }
        for id in gone.iter().skip(paired) {
            let sentence = format!("{} removed", describe_send(id));
            changes.push(change(ChangeKind::SendRemoved, Subject::Send((*id).clone()), None, None, sentence));
        }
        for id in came.iter().skip(paired) {
            changes.push(evidence::added(id, after.sends.get(*id).copied().flatten()));
        }
    }
    for (from, to) in pairs {
        let sentence = format!(
            "send `{}` in journey `{}` moved from stage `{}` to stage `{}`",
            to.message, to.journey, from.stage, to.stage
        );
        let moved = change(
            ChangeKind::SendMoved,
            Subject::Send(to.clone()),
            Some(from.stage.clone()),
            Some(to.stage.clone()),
            sentence,
        );
        changes.push(moved);
        let old = before.sends.get(from).copied().flatten();
        let new = after.sends.get(to).copied().flatten();
        evidence::compare(to, old, new, changes);
    }
}

fn messages(
    before: &BTreeMap<String, MessageFacts>,
    after: &BTreeMap<String, MessageFacts>,
    changes: &mut Vec<Change>,
) {
    for (name, new) in after {
        let subject = || Subject::Message { message: name.clone() };
        let Some(old) = before.get(name) else {
            let sentence = format!("message `{name}` added ({} on {})", new.category, new.channel);
            changes.push(change(ChangeKind::MessageAdded, subject(), None, Some(name.clone()), sentence));
            continue;
        };
        if old.texts != new.texts {
            let (mut was, mut now) = (joined(&old.texts, &new.texts), joined(&new.texts, &old.texts));
            if was == now {
                // The same texts in another order, or one written twice more or less.
                (was, now) = (old.texts.join("; "), new.texts.join("; "));
            }
            let sentence = match (was.as_str(), now.as_str()) {
                ("nothing", _) => format!("message `{name}` now also says {now}"),
                (_, "nothing") => format!("message `{name}` no longer says {was}"),
                _ => format!("message `{name}` now says {now} (was {was})"),
            };
            changes.push(change(ChangeKind::MessageText, subject(), Some(was), Some(now), sentence));
        }
        if old.category != new.category {
            let sentence = format!("message `{name}` is now {} (was {})", new.category, old.category);
            let (was, now) = (Some(old.category.clone()), Some(new.category.clone()));
            changes.push(change(ChangeKind::MessageCategory, subject(), was, now, sentence));
        }
        if old.channel != new.channel {
            let sentence = format!("message `{name}` is now sent on {} (was {})", new.channel, old.channel);
            let (was, now) = (Some(old.channel.clone()), Some(new.channel.clone()));
            changes.push(change(ChangeKind::MessageChannel, subject(), was, now, sentence));
        }
    }
    for (name, old) in before.iter().filter(|(name, _)| !after.contains_key(*name)) {
        let subject = Subject::Message { message: name.clone() };
        let sentence = format!("message `{name}` removed ({} on {})", old.category, old.channel);
        changes.push(change(ChangeKind::MessageRemoved, subject, Some(name.clone()), None, sentence));
    }
}

/// The texts of `these` that `those` does not have, in order, joined; `nothing` when none.
fn joined(these: &[String], those: &[String]) -> String {
    let only: Vec<&str> = these.iter().filter(|t| !those.contains(t)).map(String::as_str).collect();
    if only.is_empty() {
        "nothing".to_owned()
    } else {
        only.join("; ")
    }
}

/// `2nd`, `3rd`, `4th`, ... `11th`, `21st`.
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, m) if m != 11 => "st",
        (2, m) if m != 12 => "nd",
        (3, m) if m != 13 => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The evidence of a send, when there is one, for [`evidence`].
type Proof<'r> = Option<&'r SendEvidence>;

#[cfg(test)]
mod tests;
