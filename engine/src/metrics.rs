//! The service's counters, written as Prometheus text (docs/deploy.md, "Metrics"). Counters
//! count since the process started, as Prometheus expects; the gauges (timers pending, sends
//! not yet delivered) are read from the database at each scrape.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

/// The upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Default)]
struct Counters {
    /// (journey, channel) → sends.
    sends: BTreeMap<(String, String), u64>,
    /// (journey, channel, rule) → refusals.
    refusals: BTreeMap<(String, String, String), u64>,
    events: u64,
    rejected: u64,
    late: u64,
    replays: u64,
    frozen: u64,
    delivered: u64,
    delivery_failures: u64,
    latency: [u64; BUCKETS.len()],
    latency_count: u64,
    latency_sum: f64,
}

#[derive(Default)]
pub struct Metrics(Mutex<Counters>);

/// What the database says at a scrape.
pub struct Gauges {
    pub timers_pending: i64,
    pub outbox_pending: i64,
}

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Counters)) {
        if let Ok(mut counters) = self.0.lock() {
            f(&mut counters);
        }
    }

    pub fn send(&self, journey: &str, channel: &str) {
        self.with(|c| *c.sends.entry((journey.to_owned(), channel.to_owned())).or_default() += 1);
    }

    pub fn refusal(&self, journey: &str, channel: &str, rule: &str) {
        self.with(|c| *c.refusals.entry((journey.to_owned(), channel.to_owned(), rule.to_owned())).or_default() += 1);
    }

    pub fn events(&self, n: u64) {
        self.with(|c| c.events += n);
    }

    pub fn rejected(&self) {
        self.with(|c| c.rejected += 1);
    }

    pub fn late(&self) {
        self.with(|c| c.late += 1);
    }

    pub fn replays(&self, n: u64) {
        self.with(|c| c.replays += n);
    }

    pub fn frozen(&self) {
        self.with(|c| c.frozen += 1);
    }

    pub fn delivered(&self) {
        self.with(|c| c.delivered += 1);
    }

    pub fn delivery_failure(&self) {
        self.with(|c| c.delivery_failures += 1);
    }

    /// One event's time from arrival to its actions being recorded.
    pub fn latency(&self, seconds: f64) {
        self.with(|c| {
            for (bound, count) in BUCKETS.iter().zip(c.latency.iter_mut()) {
                if seconds <= *bound {
                    *count += 1;
                }
            }
            c.latency_count += 1;
            c.latency_sum += seconds;
        });
    }

    pub fn render(&self, gauges: &Gauges) -> String {
        let mut out = String::new();
        let Ok(c) = self.0.lock() else { return out };
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        let _ = writeln!(out, "# HELP journey_sends_total Sends recorded, by journey and channel.");
        let _ = writeln!(out, "# TYPE journey_sends_total counter");
        for ((journey, channel), n) in &c.sends {
            let _ = writeln!(
                out,
                "journey_sends_total{{journey=\"{}\",channel=\"{}\"}} {n}",
                label(journey),
                label(channel)
            );
        }
        let _ =
            writeln!(out, "# HELP journey_refusals_total Sends refused at hand-over, by journey, channel and rule.");
        let _ = writeln!(out, "# TYPE journey_refusals_total counter");
        for ((journey, channel, rule), n) in &c.refusals {
            let _ = writeln!(
                out,
                "journey_refusals_total{{journey=\"{}\",channel=\"{}\",rule=\"{}\"}} {n}",
                label(journey),
                label(channel),
                label(rule)
            );
        }
        counter(&mut out, "journey_events_total", "Events and profile updates accepted.", c.events);
        counter(&mut out, "journey_input_rejected_total", "Input lines or requests refused as bad input.", c.rejected);
        counter(
            &mut out,
            "journey_events_late_total",
            "Events placed at the contact's current time because they arrived after it.",
            c.late,
        );
        counter(
            &mut out,
            "journey_replays_total",
            "Contact replays (one per contact per event batch or due time).",
            c.replays,
        );
        counter(
            &mut out,
            "journey_prefix_violations_total",
            "Replays that would have changed actions already taken: the contact was stopped, nothing emitted.",
            c.frozen,
        );
        counter(&mut out, "journey_deliveries_total", "Sends handed to the sink.", c.delivered);
        counter(
            &mut out,
            "journey_delivery_failures_total",
            "Failed attempts to hand a send to the sink (retried).",
            c.delivery_failures,
        );
        let _ = writeln!(out, "# HELP journey_timers_pending Contacts with a wait, hold or schedule due later.");
        let _ = writeln!(out, "# TYPE journey_timers_pending gauge\njourney_timers_pending {}", gauges.timers_pending);
        let _ = writeln!(out, "# HELP journey_outbox_pending Sends recorded and not yet delivered.");
        let _ = writeln!(out, "# TYPE journey_outbox_pending gauge\njourney_outbox_pending {}", gauges.outbox_pending);
        let name = "journey_event_to_action_seconds";
        let _ = writeln!(out, "# HELP {name} From an event's arrival to its actions recorded (committed).");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (bound, count) in BUCKETS.iter().zip(c.latency.iter()) {
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", c.latency_count);
        let _ = writeln!(out, "{name}_sum {}", c.latency_sum);
        let _ = writeln!(out, "{name}_count {}", c.latency_count);
        out
    }
}

/// A label value, escaped as the text format requires.
fn label(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
