//! `journey-runtime`: the reference runtime of journey flow bundles.
//!
//! Pure, like the compiler: bundles (their JSON text), contacts and timestamped events in,
//! timestamped actions out. No clock, files, environment or network; time zones come from the
//! database compiled into the binary. It reads the bundle JSON as any runtime team would and
//! does not depend on the compiler, so it checks the compiler's claims independently.
//! docs/bundle.md §3-9 is what it implements; docs/simulate.md the shapes of its input and
//! output.
//!
//! The parts: [`bundle`] reads and checks a bundle (§9.1); [`value`] and [`expr`] are values and
//! expressions (§8); [`time`] instants, zones, quiet and business hours (§4); [`consent`],
//! [`window`] and [`frequency`] the per-contact stores the hand-over checks (§5, §4.3, §6);
//! [`rules`] which rule a refusal names; [`engine`] the scheduler; [`io`] the JSON Lines input;
//! [`action`] the output.

pub mod action;
pub mod bundle;
pub mod consent;
pub mod engine;
pub mod expr;
pub mod frequency;
pub mod io;
pub mod keys;
pub mod population;
pub mod rules;
pub mod step;
pub mod time;
pub mod traffic;
pub mod value;
pub mod window;

pub use action::{Action, What};
pub use bundle::Bundle;
pub use engine::{run, run_live, run_refs_into, run_steps, run_steps_into, Live, Options, Prepared};
pub use io::{Contact, Event, InputError, Limits, Schema, LIMITS};
