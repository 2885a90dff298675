//! Test-only switches, each of which weakens one compliance analysis the way a real bug would
//! (a join that keeps the first branch's facts, a hold left out, a table row not consulted).
//!
//! Why: a differential test that never fails proves nothing. `cli/tests/checker_against_monitor.rs`
//! turns each switch on in turn and shows that its differential test against the reference
//! runtime and the independent monitor then fails: the tester can tell a sound checker from an
//! unsound one, rule by rule (docs/simulate.md, "Differential testing").
//!
//! The switches exist only with the crate feature `weakening`, which nothing but the `journey`
//! crate's test dev-dependency turns on. Without it [`on`] is the constant `false` and the
//! compiler folds every weakened branch away; with it, a switch is per thread (the checker runs
//! on the caller's thread), so tests in one binary cannot weaken each other's checker.

use crate::flow::analyses::Elapsed;

/// One weakened analysis. Each names the J04 rule whose proof it breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weakening {
    /// J0401: consent that holds on one incoming branch survives the join (union, not
    /// intersection).
    ConsentJoinUnion,
    /// J0402: the window analysis keeps the shorter of two branches' times since the contact's
    /// last message.
    WindowJoinShortest,
    /// J0407: quiet-hour holds are left out of the window bound.
    HoldsIgnored,
    /// J0403: a tag carries any category.
    TagAllowsAnyCategory,
    /// J0404: HUMAN_AGENT is accepted outside a handoff's answered arm.
    HumanAgentAnywhere,
    /// J0405: the withdrawal dates of the legacy tags are not consulted.
    WithdrawnTagsAllowed,
    /// J0406: quiet hours are not compared with the jurisdiction's law.
    QuietHoursNotComparedWithLaw,
    /// J0408 and the hold analysis: every `if within business_hours` arm counts as never quiet,
    /// so its sends are taken to be never held.
    BusinessHoursNeverQuiet,
    /// J0409: the frequency analysis keeps the first branch's sends at a join.
    FrequencyJoinFirst,
    /// J0410: a marketing text needs no opt-out instruction.
    OptOutWordingNotRequired,
    /// J0411: a marketing email needs no unsubscribe link or postal address.
    UnsubscribeWordingNotRequired,
    /// J0414: consent requests are not counted.
    ConsentRequestsNotCounted,
}

impl Weakening {
    /// Every switch, in declaration order.
    pub const ALL: [Weakening; 12] = [
        Weakening::ConsentJoinUnion,
        Weakening::WindowJoinShortest,
        Weakening::HoldsIgnored,
        Weakening::TagAllowsAnyCategory,
        Weakening::HumanAgentAnywhere,
        Weakening::WithdrawnTagsAllowed,
        Weakening::QuietHoursNotComparedWithLaw,
        Weakening::BusinessHoursNeverQuiet,
        Weakening::FrequencyJoinFirst,
        Weakening::OptOutWordingNotRequired,
        Weakening::UnsubscribeWordingNotRequired,
        Weakening::ConsentRequestsNotCounted,
    ];

    /// The diagnostic code whose proof the switch breaks.
    pub fn code(self) -> &'static str {
        match self {
            Weakening::ConsentJoinUnion => "J0401",
            Weakening::WindowJoinShortest => "J0402",
            Weakening::HoldsIgnored => "J0407",
            Weakening::TagAllowsAnyCategory => "J0403",
            Weakening::HumanAgentAnywhere => "J0404",
            Weakening::WithdrawnTagsAllowed => "J0405",
            Weakening::QuietHoursNotComparedWithLaw => "J0406",
            Weakening::BusinessHoursNeverQuiet => "J0408",
            Weakening::FrequencyJoinFirst => "J0409",
            Weakening::OptOutWordingNotRequired => "J0410",
            Weakening::UnsubscribeWordingNotRequired => "J0411",
            Weakening::ConsentRequestsNotCounted => "J0414",
        }
    }
}

/// `condition`, unless `weakening` is on: a check the switch turns off. Written here, not in the
/// analyses, so that mutation testing of `flow/` (docs/testing.md) sees no operator of a switch.
#[inline(always)]
pub(crate) fn unless(weakening: Weakening, condition: bool) -> bool {
    condition && !on(weakening)
}

/// Whether `weakening` is off.
#[inline(always)]
pub(crate) fn off(weakening: Weakening) -> bool {
    !on(weakening)
}

/// The weakened consent join: a fact on either branch survives (union for intersection).
pub(crate) fn union(into: &mut [u64], other: &[u64]) {
    for (mine, theirs) in into.iter_mut().zip(other) {
        *mine |= theirs;
    }
}

/// The weakened window join: where both branches reach, the shorter bound wins.
pub(crate) fn shorter(mine: Elapsed, other: Elapsed, joined: Elapsed) -> Elapsed {
    if !(mine.reached && other.reached) {
        return joined;
    }
    let max = match (mine.max, other.max) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (one, None) | (None, one) => one,
    };
    Elapsed { max, held: joined.held.min(max.unwrap_or(0)), ..joined }
}

#[cfg(feature = "weakening")]
thread_local! {
    static ACTIVE: std::cell::Cell<Option<Weakening>> = const { std::cell::Cell::new(None) };
}

/// Runs `f` with `weakening` on for the current thread (and off again afterwards, even when `f`
/// panics).
#[cfg(feature = "weakening")]
pub fn with<R>(weakening: Weakening, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<Weakening>);
    impl Drop for Reset {
        fn drop(&mut self) {
            ACTIVE.with(|a| a.set(self.0));
        }
    }
    let _reset = Reset(ACTIVE.with(|a| a.replace(Some(weakening))));
    f()
}

/// Whether `weakening` is on for the current thread.
#[cfg(feature = "weakening")]
pub(crate) fn on(weakening: Weakening) -> bool {
    ACTIVE.with(|a| a.get() == Some(weakening))
}

/// Whether `weakening` is on: never, in a build without the `weakening` feature.
#[cfg(not(feature = "weakening"))]
#[inline(always)]
pub(crate) const fn on(_weakening: Weakening) -> bool {
    false
}
