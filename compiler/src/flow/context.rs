//! The project-wide [`Context`] every analysis of a journey reads: the model, its policies (as
//! `check::collect` gathered them), segment conditions, the channels with a messaging window,
//! and what the policies mean for sends (holds for quiet hours, business hours that never meet
//! them).

use std::collections::BTreeMap;

use super::{media, rules};
use crate::ast;
use crate::declared::Declared;
use crate::model::{Model, Policies, QuietHoursRule};
use crate::project::Sources;
use crate::syntax::literals::format_duration;
use crate::weakening::{self, Weakening};

/// Project-wide facts the analyses need besides the model: policies and segment conditions.
pub struct Context<'a> {
    pub model: &'a Model,
    /// The model's policies (first `quiet_hours` and `business_hours`, every frequency rule and
    /// jurisdiction), as `check::collect` gathered them.
    pub policies: &'a Policies,
    pub segments: BTreeMap<&'a str, &'a ast::Expr>,
    /// Channels with a messaging window, by name, and the window's length: the components of a
    /// window analysis state.
    windows: Vec<(&'a str, u64)>,
    /// How quiet hours apply to a send they can defer, as the evidence says it: the same for
    /// every such send, so written once.
    pub(super) deferred_text: Option<String>,
    /// The evidence's consent text for each category of the project's messages that needs no
    /// consent, written once rather than at every send.
    pub(super) consent_not_required: BTreeMap<&'a str, String>,
    /// [`Context::business_hours_never_quiet`], computed on first use.
    never_quiet: std::sync::OnceLock<bool>,
    /// [`Context::business_quiet_overlap`], computed on first use.
    overlap: std::sync::OnceLock<Option<(usize, u16)>>,
}

/// What the analyses add to the policy's quiet hours.
impl QuietHoursRule {
    /// How long a send that falls in quiet hours can be held: the period's clock length, plus
    /// the longest the clocks go back in one night in any zone of the time-zone database
    /// (`rules::LONGEST_CLOCK_BACK_SECS`): a 21:00..08:00 night lasts 12h when clocks go back an
    /// hour, 13h in the zone that goes back two.
    pub fn hold_secs(&self) -> u64 {
        self.length_secs().saturating_add(rules::LONGEST_CLOCK_BACK_SECS)
    }
}

impl<'a> Context<'a> {
    pub fn new(sources: &'a Sources, model: &'a Model) -> Context<'a> {
        let mut cx = Context {
            model,
            policies: &model.policies,
            segments: BTreeMap::new(),
            windows: model.channels.iter().filter_map(|(name, c)| c.window_secs.map(|w| (name.as_str(), w))).collect(),
            deferred_text: None,
            consent_not_required: BTreeMap::new(),
            never_quiet: std::sync::OnceLock::new(),
            overlap: std::sync::OnceLock::new(),
        };
        cx.segments = Declared::new(sources, model).segments;
        for message in model.messages.values() {
            let category = message.category.as_str();
            if !rules::CONSENT_REQUIRED.iter().any(|(c, _)| *c == category) {
                cx.consent_not_required
                    .entry(category)
                    .or_insert_with(|| format!("not required for {category} messages"));
            }
        }
        cx.deferred_text = cx.policies.quiet_hours.as_ref().map(|quiet| {
            format!(
                "deferred up to {} ({}, {})",
                format_duration(quiet.hold_secs()),
                quiet.describe(),
                if quiet.recipient() { "recipient's time" } else { "fixed zone" },
            )
        });
        cx
    }

    /// What kind of channel a name is for the legal rules, from its medium (`media::kind`): `sms`
    /// for every phone text (sms, mms, rcs), `email`, `messaging`, `push`; its name when it has
    /// no medium.
    pub fn channel_kind<'n>(&self, name: &'n str) -> &'n str {
        match self.medium_of(name) {
            Some(medium) => media::kind(medium),
            None => name,
        }
    }

    /// Channels with a messaging window, and its length, in name order.
    pub fn windowed_channels(&self) -> impl Iterator<Item = (&str, u64)> + '_ {
        self.windows.iter().copied()
    }

    /// A windowed channel's position in [`Context::windowed_channels`], and its window.
    pub fn window_of(&self, channel: &str) -> Option<(usize, u64)> {
        let index = self.windows.binary_search_by(|(name, _)| (*name).cmp(channel)).ok()?;
        self.windows.get(index).map(|(_, window)| (index, *window))
    }

    /// Whether quiet hours apply to a message, and then how long its send may be held.
    pub fn deferral_of(&self, message: Option<&crate::model::Message>) -> Option<u64> {
        let quiet = self.policies.quiet_hours.as_ref()?;
        rules::QUIET_HOURS_APPLY_TO.contains(&message?.category.as_str()).then(|| quiet.hold_secs())
    }

    /// Whether a moment in business hours is never in quiet hours. In one zone (the recipient's,
    /// or one fixed zone) the two ranges are compared minute by minute (times are whole minutes,
    /// so this is exact). In two fixed zones, for every difference between their UTC offsets that
    /// the time-zone database allows (`timezones::utc_offset_range`), in minute steps. Business
    /// hours in a fixed zone and quiet hours in the recipient's cannot be compared: the contact
    /// may be anywhere. When this holds, a send made inside business hours is never held.
    pub fn business_hours_never_quiet(&self) -> bool {
        if self.policies.business_hours.is_some()
            && self.policies.quiet_hours.is_some()
            && weakening::on(Weakening::BusinessHoursNeverQuiet)
        {
            return true;
        }
        // Once per project: every journey asks, and the comparison is over every minute of the
        // week and every offset between two zones.
        *self.never_quiet.get_or_init(|| self.compare_business_and_quiet_hours())
    }

    /// The first weekday (Monday = 0) and minute at which business hours and quiet hours, read
    /// on the same clock, are both on (J0408); once per project, not at every send.
    pub fn business_quiet_overlap(&self) -> Option<(usize, u16)> {
        *self.overlap.get_or_init(|| {
            let (business, quiet) = (self.policies.business_hours.as_ref()?, self.policies.quiet_hours.as_ref()?);
            (0..7usize).find_map(|day| {
                (0..1440u16).find(|m| business.contains_on(day, *m) && quiet.contains_on(day, *m)).map(|m| (day, m))
            })
        })
    }

    fn compare_business_and_quiet_hours(&self) -> bool {
        let (Some(business), Some(quiet)) = (&self.policies.business_hours, &self.policies.quiet_hours) else {
            return false;
        };
        // Minutes to add to a business-hours clock time to get the quiet-hours clock time.
        let shifts: std::ops::RangeInclusive<i32> = match (&business.zone, &quiet.zone) {
            (b, q) if b == q => 0..=0,
            (Some(b), Some(q)) => {
                let (Some((b_min, b_max)), Some((q_min, q_max))) =
                    (crate::timezones::utc_offset_range(b), crate::timezones::utc_offset_range(q))
                else {
                    return false;
                };
                // Seconds to minutes, rounded outwards so no offset is left out.
                (q_min - b_max).div_euclid(60)..=(q_max - b_min + 59).div_euclid(60)
            }
            _ => return false,
        };
        // Minute by minute over the week: quiet hours may differ by weekday, and a shift can carry
        // a business-hours minute into the next or the previous day.
        let open = (0..7usize).flat_map(|d| {
            (0..1440u16).filter(move |m| business.contains_on(d, *m)).map(move |m| (d as i64) * 1440 + i64::from(m))
        });
        !open.into_iter().any(|minute| shifts.clone().any(|shift| quiet.contains_in_week(minute + i64::from(shift))))
    }
}
