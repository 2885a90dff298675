//! Two compliance records of one send compared: what changed, and whether it is weaker.
//!
//! Weaker means (docs/diff.md): the proved window bound, a proved frequency count or the
//! quiet-hour hold grew (even when still inside its limit); a window bound or frequency count
//! that was proved no longer is; a frequency cap that counted the send no longer does; consent
//! was lost, or now rests on the send being inside the channel's window (a runtime obligation)
//! where it was proved or not needed; the send is now marketing; or the new version has no
//! evidence for the send at all (fail closed: evidence that is missing never reads as "not
//! weaker").

use super::{change, describe_send, Change, ChangeKind, Proof, SendId, Subject};
use crate::flow::{CapCount, ConsentProof, SendEvidence};
use crate::syntax::literals::format_duration;

const MARKETING: &str = "marketing";

/// The change of a send added in the new version: weaker when it is marketing, or when nothing
/// about it is proved.
pub(super) fn added(id: &SendId, evidence: Proof<'_>) -> Change {
    let subject = Subject::Send(id.clone());
    let Some(e) = evidence else {
        let sentence =
            format!("{} added, with no compliance evidence (its journey was not fully analysed)", describe_send(id));
        return Change { weaker: true, ..change(ChangeKind::SendAdded, subject, None, None, sentence) };
    };
    let mut facts = vec![consent_words(e)];
    if let Some(bound) = e.window_max_secs {
        facts.push(format!("reaches contacts up to {} after their last message", format_duration(bound)));
    }
    facts.push(quiet_phrase(e.proved.quiet_hold_secs, &e.quiet_hours));
    let sentence = format!(
        "{} send `{}` added in journey `{}` (stage `{}`) on {}: {}",
        e.category,
        id.message,
        id.journey,
        id.stage,
        e.channel,
        facts.join(", ")
    );
    let summary = format!("{} on {}", e.category, e.channel);
    Change { weaker: e.category == MARKETING, ..change(ChangeKind::SendAdded, subject, None, Some(summary), sentence) }
}

/// Every change between the old and new evidence of one send (matched, or moved).
pub(super) fn compare(id: &SendId, old: Proof<'_>, new: Proof<'_>, changes: &mut Vec<Change>) {
    let subject = || Subject::Send(id.clone());
    let send = describe_send(id);
    let (old, new) = match (old, new) {
        (Some(old), Some(new)) => (old, new),
        (_, None) => {
            let sentence = format!("{send} has no compliance evidence in the new version (its journey was not fully analysed), so nothing about it is proved");
            let was = old.map(|_| "proved".to_owned());
            changes.push(Change { weaker: true, ..change(ChangeKind::Evidence, subject(), was, None, sentence) });
            return;
        }
        (None, Some(_)) => {
            let sentence = format!("{send} now has compliance evidence (none in the old version)");
            changes.push(change(ChangeKind::Evidence, subject(), None, Some("proved".to_owned()), sentence));
            return;
        }
    };
    if new.category == MARKETING && old.category != MARKETING {
        let sentence = format!("{send} is now a marketing send (was {})", old.category);
        let (was, now) = (Some(old.category.clone()), Some(new.category.clone()));
        changes.push(Change { weaker: true, ..change(ChangeKind::SendMarketing, subject(), was, now, sentence) });
    }
    window(&send, old, new, &subject, changes);
    frequency(&send, &old.proved.frequency, &new.proved.frequency, &subject, changes);
    quiet_hours(&send, old, new, &subject, changes);
    consent(&send, old, new, &subject, changes);
    if old.form != new.form {
        let sentence = format!("{send} is now sent as {} (was {})", new.form, old.form);
        changes.push(change(ChangeKind::Form, subject(), Some(old.form.clone()), Some(new.form.clone()), sentence));
    }
}

/// The window bound: `None` with a window is unbounded (an error); `None` without one, no window.
fn window(
    send: &str,
    old: &SendEvidence,
    new: &SendEvidence,
    subject: &dyn Fn() -> Subject,
    changes: &mut Vec<Change>,
) {
    let words = |e: &SendEvidence| match (e.window_max_secs, e.window_secs) {
        (Some(bound), _) => Some(format_duration(bound)),
        (None, Some(_)) => Some("unbounded".to_owned()),
        (None, None) => None,
    };
    let (was, now) = (words(old), words(new));
    if was == now {
        return;
    }
    let weaker = match (old.window_max_secs, new.window_max_secs, new.window_secs) {
        (Some(a), Some(b), _) => b > a,
        // A bound that was proved and no longer is, on a channel that still has a window.
        (Some(_), None, Some(_)) => true,
        _ => false,
    };
    let sentence = match (&was, &now) {
        (_, Some(now)) if new.window_max_secs.is_some() => format!(
            "{send} now reaches contacts up to {now} after their last message (was {})",
            was.as_deref().unwrap_or("no window")
        ),
        (Some(was), Some(_)) => {
            format!("{send} no longer has a proved bound on the time since the contact's last message (was {was})")
        }
        (Some(was), None) => format!("{send} is no longer on a channel with a messaging window (was {was})"),
        (None, _) => format!("{send} is now on a channel with a messaging window, and its bound is not proved"),
    };
    changes.push(Change { weaker, ..change(ChangeKind::WindowBound, subject(), was, now, sentence) });
}

/// Caps matched by what they count and their period; a cap whose maximum changed is the same cap.
fn frequency(send: &str, old: &[CapCount], new: &[CapCount], subject: &dyn Fn() -> Subject, changes: &mut Vec<Change>) {
    let key = |c: &CapCount| (c.channel.clone(), c.category.clone(), c.per_secs);
    let count_words = |c: &CapCount| c.count.map_or_else(|| "not proved".to_owned(), |n| n.to_string());
    for cap in new {
        let period = &cap.per_written;
        match old.iter().find(|o| key(o) == key(cap)) {
            Some(before) if before.count != cap.count || before.max != cap.max => {
                let weaker = match (before.count, cap.count) {
                    (Some(a), Some(b)) => b > a,
                    (Some(_), None) => true,
                    _ => false,
                };
                let (was, now) = (count_words(before), count_words(cap));
                let sentence = match cap.count {
                    Some(n) => format!(
                        "{send} now counts up to {} within {period} of a run under `frequency {}` (was {was})",
                        sends(n),
                        cap.cap,
                    ),
                    None => format!("{send} has no proved count under `frequency {}` any more (was {was})", cap.cap),
                };
                changes.push(Change {
                    weaker,
                    ..change(ChangeKind::Frequency, subject(), Some(was), Some(now), sentence)
                });
            }
            Some(_) => {}
            None => {
                let counted = cap.count.map_or_else(
                    || "its count is not proved".to_owned(),
                    |n| format!("up to {} within {period} of a run", sends(n)),
                );
                let sentence = format!("{send} is now counted by `frequency {}`: {counted}", cap.cap);
                let weaker = cap.count.is_none();
                changes.push(Change {
                    weaker,
                    ..change(ChangeKind::Frequency, subject(), None, Some(count_words(cap)), sentence)
                });
            }
        }
    }
    for cap in old.iter().filter(|o| !new.iter().any(|n| key(n) == key(o))) {
        let sentence = format!("{send} is no longer counted by `frequency {}`", cap.cap);
        let was = Some(count_words(cap));
        changes.push(Change { weaker: true, ..change(ChangeKind::Frequency, subject(), was, None, sentence) });
    }
}

fn quiet_hours(
    send: &str,
    old: &SendEvidence,
    new: &SendEvidence,
    subject: &dyn Fn() -> Subject,
    changes: &mut Vec<Change>,
) {
    let (before, after) = (old.proved.quiet_hold_secs, new.proved.quiet_hold_secs);
    if before == after && old.quiet_hours == new.quiet_hours {
        return;
    }
    let weaker = after.unwrap_or(0) > before.unwrap_or(0);
    let was = quiet_words(before, &old.quiet_hours);
    let now = quiet_words(after, &new.quiet_hours);
    let sentence = match after {
        Some(hold) if before != after => {
            format!("{send} can now be held by quiet hours up to {} (was {was})", format_duration(hold))
        }
        Some(_) => format!("{send}: quiet hours now read `{}` (was `{}`)", new.quiet_hours, old.quiet_hours),
        None => format!("{send} is now {} (was {was})", quiet_phrase(after, &new.quiet_hours)),
    };
    changes.push(Change { weaker, ..change(ChangeKind::QuietHours, subject(), Some(was), Some(now), sentence) });
}

/// How quiet hours apply, in short: `up to 13h`, `never held`, `not applicable`.
fn quiet_words(hold: Option<u64>, text: &str) -> String {
    match hold {
        Some(hold) => format!("up to {}", format_duration(hold)),
        None if text.starts_with("never held") => "never held".to_owned(),
        None => "not applicable".to_owned(),
    }
}

/// How quiet hours apply, as part of a sentence.
fn quiet_phrase(hold: Option<u64>, text: &str) -> String {
    match hold {
        Some(hold) => format!("quiet hours deferred up to {}", format_duration(hold)),
        None if text.starts_with("never held") => "never held by quiet hours".to_owned(),
        None => "quiet hours do not apply".to_owned(),
    }
}

/// Strength of a consent proof: a proof and no need are alike; resting on the window is a runtime
/// obligation, weaker; missing is weakest.
fn strength(proof: ConsentProof) -> u8 {
    match proof {
        ConsentProof::Missing => 0,
        ConsentProof::InsideWindow => 1,
        ConsentProof::Proved | ConsentProof::NotRequired => 2,
    }
}

fn consent(
    send: &str,
    old: &SendEvidence,
    new: &SendEvidence,
    subject: &dyn Fn() -> Subject,
    changes: &mut Vec<Change>,
) {
    let (before, after) = (old.proved.consent, new.proved.consent);
    // Inside the window, the consent text repeats the window bound, which has its own change.
    let same = before == after && (old.consent == new.consent || after == ConsentProof::InsideWindow);
    if same {
        return;
    }
    let weaker = strength(after) < strength(before);
    let sentence = match after {
        ConsentProof::Missing if before != ConsentProof::Missing => {
            format!("{send} lost its consent proof (was {})", old.consent)
        }
        ConsentProof::InsideWindow if weaker => format!(
            "{send} no longer has consent proved: it rests on being inside the {} window, a runtime obligation ({}; was {})",
            new.channel, new.consent, old.consent
        ),
        _ => format!("the consent of {send} is now {} (was {})", new.consent, old.consent),
    };
    let (was, now) = (Some(old.consent.clone()), Some(new.consent.clone()));
    changes.push(Change { weaker, ..change(ChangeKind::Consent, subject(), was, now, sentence) });
}

/// How a send's consent reads in the sentence of an added send.
fn consent_words(e: &SendEvidence) -> String {
    match e.proved.consent {
        ConsentProof::Proved => format!("consent proved ({})", e.consent),
        ConsentProof::NotRequired => "no consent needed".to_owned(),
        ConsentProof::InsideWindow => format!("consent waived inside the {} window (a runtime obligation)", e.channel),
        ConsentProof::Missing => "consent missing".to_owned(),
    }
}

/// `1 send`, `2 sends`.
fn sends(n: u64) -> String {
    if n == 1 {
        "1 send".to_owned()
    } else {
        format!("{n} sends")
    }
}
