//! Rules over the whole project rather than one send: the required wording of marketing
//! messages (`check::wording`), STOP and HELP handling on phone-text channels (J0412), and the
//! policy's quiet hours against the profile, the recipient's location and the law (J0406).

use super::{media, rules, Context, FlowReport, SendEvidence};
use crate::check::Sink;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{Def, JurisdictionRule, QuietHoursRule, WeekPeriod, Weekday, DAY_MINUTES};
use crate::project::Sources;
use crate::syntax::literals::format_time;
use crate::weakening::{self, Weakening};

/// Rules over the whole project rather than one send: wording of marketing messages, SMS
/// keyword handling, quiet hours against jurisdictions.
pub(super) fn project_rules(cx: &Context<'_>, sources: &Sources, report: &FlowReport, sink: &mut Sink) {
    crate::check::wording::check(cx.model, sources, sink);
    // Phone-text programs (SMS, MMS, RCS) must answer STOP and HELP (CTIA-STOP).
    for (name, channel) in &cx.model.channels {
        if !media::channel_requires_keywords(channel) || !report.evidence.iter().any(|e| &e.channel == name) {
            continue;
        }
        sink.stats.content_rules += 1;
        let missing: Vec<&str> = rules::SMS_REQUIRED_KEYWORDS
            .iter()
            .copied()
            .filter(|k| !channel.keywords.iter().any(|w| w.eq_ignore_ascii_case(k)))
            .collect();
        if !missing.is_empty() {
            sink.push(
                Diagnostic::new(
                    Code::J0412,
                    format!("SMS channel `{name}` does not handle {}", missing.join(" and ")),
                    channel.def.file,
                    channel.def.span,
                )
                .with_label("messages are sent on it")
                .with_note("CTIA-STOP: an SMS program must stop on STOP and answer HELP")
                .with_help("add `keywords STOP, HELP` (and END, CANCEL, UNSUBSCRIBE, QUIT), or import `std/channels`"),
            );
        }
    }
    quiet_hours_rules(cx, report, sink);
}

fn quiet_hours_rules(cx: &Context<'_>, report: &FlowReport, sink: &mut Sink) {
    let quiet_sends = || {
        report.evidence.iter().filter(|e| {
            rules::QUIET_HOURS_APPLY_TO.contains(&e.category.as_str())
                && cx.medium_of(&e.channel).is_some_and(media::needs_quiet_hours)
        })
    };
    let node_of = |send: &SendEvidence| {
        report
            .graphs
            .iter()
            .find(|g| g.journey == send.journey)
            .and_then(|g| g.nodes.iter().find(|n| n.id == send.node))
    };
    // Phone-text marketing: the quiet-hours law counts at the called party's location (TCPA-QH).
    let first_phone_text = quiet_sends().find(|e| cx.medium_of(&e.channel).is_some_and(media::is_phone_text));
    let Some(quiet) = &cx.policies.quiet_hours else {
        if let Some((send, node)) = quiet_sends().next().and_then(|send| Some((send, node_of(send)?))) {
            sink.stats.content_rules += 1;
            sink.push(
                Diagnostic::new(
                    Code::J0406,
                    format!("{} messages are sent on {} but no policy sets quiet hours", send.category, send.channel),
                    node.file,
                    node.span,
                )
                .with_label("could be sent at night")
                .with_note("TCPA-QH: no solicitation before 08:00 or after 21:00 at the recipient's location")
                .with_help("add `policy { quiet_hours 21:00..08:00 recipient }`"),
            );
        }
        for JurisdictionRule { code, def } in &cx.policies.jurisdictions {
            // A default of journey.toml applies to every project under it, and one that sends
            // no marketing (the only case here: with a marketing send, the error above is
            // already given) needs no quiet hours. Its code was checked with the manifest.
            let Some(def) = def else { continue };
            sink.stats.content_rules += 1;
            let Some(law) = rules::jurisdiction(code) else {
                unknown_jurisdiction(code, *def, sink);
                continue;
            };
            sink.push(
                Diagnostic::new(
                    Code::J0406,
                    format!("jurisdiction `{code}` is selected but no quiet hours are set"),
                    def.file,
                    def.span,
                )
                .with_label(format!("{} restricts sending hours ({})", law.name, law.source)),
            );
        }
        return;
    };
    // `recipient` quiet hours need each contact's zone: without a `timezone` field in the
    // profile the runtime cannot know it, and holds every such send (docs/bundle.md §4.1).
    if quiet.recipient() && quiet_sends().next().is_some() {
        sink.stats.content_rules += 1;
        let has_zone = cx.model.profile.values().any(|f| f.ty == crate::model::Type::Timezone);
        if !has_zone {
            sink.push(
                Diagnostic::new(
                    Code::J0406,
                    "quiet hours in the recipient's zone, but the profile has no `timezone` field",
                    quiet.def.file,
                    quiet.def.span,
                )
                .with_label("the runtime cannot know where the contact is")
                .with_note(
                    "a runtime that does not know a contact's zone must treat every send that quiet hours apply to as falling in quiet hours, and never sends it",
                )
                .with_help("add `timezone: timezone` to the `profile` block"),
            );
        }
    }
    if let (Some(zone), Some(send)) = (&quiet.zone, first_phone_text) {
        sink.stats.content_rules += 1;
        sink.push(
            Diagnostic::new(
                Code::J0406,
                format!("quiet hours in the fixed zone \"{zone}\" cannot protect texts at the recipient's location"),
                quiet.def.file,
                quiet.def.span,
            )
            .with_label("the same hours everywhere, whatever the contact's zone")
            .with_note(format!(
                "{} messages are sent on {} (journey `{}`, step {}); TCPA-QH counts 08:00 to 21:00 at the called party's location, and a contact three zones away gets them at other hours",
                send.category, send.channel, send.journey, send.node
            ))
            .with_help("write `recipient` instead of the zone: the runtime then reads each contact's own zone"),
        );
    }
    let mut laws: Vec<(&rules::Jurisdiction, Selected, bool)> = Vec::new();
    for JurisdictionRule { code, def } in &cx.policies.jurisdictions {
        sink.stats.content_rules += 1;
        match (rules::jurisdiction(code), def) {
            (Some(law), Some(def)) => laws.push((law, Selected::Policy(*def), false)),
            (Some(law), None) => laws.push((law, Selected::Manifest, false)),
            (None, Some(def)) => unknown_jurisdiction(code, *def, sink),
            // Codes of journey.toml are checked against the table with the manifest (J0117),
            // and kept only when every one is known.
            (None, None) => {}
        }
    }
    // No jurisdiction: phone-text marketing is still under the federal baseline (TCPA-QH).
    if cx.policies.jurisdictions.is_empty() && first_phone_text.is_some() {
        if let Some(baseline) = rules::jurisdiction(rules::BASELINE_JURISDICTION) {
            sink.stats.content_rules += 1;
            laws.push((baseline, Selected::Policy(quiet.def), true));
        }
    }
    const DAYS: [&str; 7] = crate::model::WEEKDAY_NAMES;
    if weakening::on(Weakening::QuietHoursNotComparedWithLaw) {
        laws.clear();
    }
    for (law, def, implied) in laws {
        for (index, (day, hours)) in DAYS.iter().zip(law.days.iter()).enumerate() {
            // Every minute of the day: times are whole minutes, so this comparison is exact.
            let breach = (0..1440u16).find(|m| {
                !quiet.contains_on(index, *m)
                    && match hours {
                        None => true,
                        Some(h) => *m < h.from || *m >= h.to,
                    }
            });
            let Some(minute) = breach else { continue };
            let law_hours = match hours {
                None => "no sending at all".to_owned(),
                Some(h) => format!("{}..{}", format_time(h.from), format_time(h.to)),
            };
            let mut diagnostic = Diagnostic::new(
                Code::J0406,
                format!(
                    "quiet hours {} allow sending at {} on {day}; {} allows {law_hours}",
                    quiet.describe(),
                    format_time(minute),
                    law.name
                ),
                quiet.def.file,
                quiet.def.span,
            )
            .with_label("less strict than the law")
            .with_note(law.source.to_owned());
            let covering = covering_rule(quiet, law);
            diagnostic = diagnostic.with_help(format!("cover the law's hours: `{covering}`")).with_suggestion(
                "cover the law's hours",
                quiet.def.span,
                covering,
            );
            if implied {
                diagnostic = diagnostic.with_note(format!(
                    "no `jurisdiction` is set, so texts are checked against the federal baseline ({}); add `jurisdiction \"US-FL\"` (or another) where state law is stricter",
                    law.source
                ));
            } else {
                diagnostic = match def {
                    Selected::Policy(def) => {
                        diagnostic.with_secondary(def.file, def.span, format!("jurisdiction {}", law.code))
                    }
                    Selected::Manifest => diagnostic.with_note(format!(
                        "no policy selects a jurisdiction, so the default of journey.toml applies: `[project] jurisdictions` names {}",
                        law.code
                    )),
                };
            }
            sink.push(diagnostic);
            break;
        }
    }
}

/// Where a law was selected: by a policy's `jurisdiction`, or by default in journey.toml.
#[derive(Debug, Clone, Copy)]
enum Selected {
    Policy(Def),
    Manifest,
}

/// A `quiet_hours` rule at least as strict as both `quiet` and `law`: the law's quiet hours
/// (the complement of what it allows, day by day, consecutive days alike as one range) when they
/// already contain the policy's on every day, else the policy's periods followed by the law's
/// (periods add up). In the policy's zone.
fn covering_rule(quiet: &QuietHoursRule, law: &rules::Jurisdiction) -> String {
    // The law's quiet period on each day, as `(from, to)` read on that day's clock.
    let law_quiet: Vec<(u16, u16)> = law
        .days
        .iter()
        .map(|hours| match hours {
            None => (0, 0),
            Some(h) if h.to >= DAY_MINUTES => (0, h.from),
            Some(h) => (h.to, h.from),
        })
        .collect();
    let mut periods: Vec<WeekPeriod> = Vec::new();
    for (day, (from, to)) in law_quiet.iter().copied().enumerate() {
        let weekday = WEEKDAYS.get(day).copied().unwrap_or(Weekday::Mon);
        match periods.last_mut() {
            Some(last) if (last.from, last.to) == (from, to) => {
                if let Some(range) = last.days.last_mut() {
                    range.1 = weekday;
                }
            }
            _ => periods.push(WeekPeriod { days: vec![(weekday, weekday)], from, to }),
        }
    }
    if let [every_day] = periods.as_mut_slice() {
        every_day.days.clear();
    }
    let law_rule = QuietHoursRule::new(quiet.def, periods, quiet.zone.clone());
    let contains_policy =
        (0..7usize).all(|day| (0..DAY_MINUTES).all(|m| !quiet.contains_on(day, m) || law_rule.contains_on(day, m)));
    let periods =
        if contains_policy { law_rule.describe() } else { format!("{}, {}", quiet.describe(), law_rule.describe()) };
    let zone = match &quiet.zone {
        None => "recipient".to_owned(),
        Some(name) => format!("{name:?}"),
    };
    format!("quiet_hours {periods} {zone}")
}

const WEEKDAYS: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

fn unknown_jurisdiction(code: &str, def: Def, sink: &mut Sink) {
    let known: Vec<&str> = rules::JURISDICTIONS.iter().map(|j| j.code).collect();
    sink.push(
        Diagnostic::new(Code::J0406, format!("unknown jurisdiction `{code}`"), def.file, def.span)
            .with_label("not in the quiet-hours table")
            .with_note(format!("known: {}", known.join(", "))),
    );
}
