//! `journey simulate PATH --events FILE [--contacts FILE]`: compile the project in memory, run
//! its bundles on the reference runtime (`journey-runtime`) and print the actions
//! (docs/simulate.md).
//!
//! The bundles are the ones `journey build` would write, emitted in memory from the check's
//! report, then read back from their JSON by the runtime as any runtime would. A project whose
//! check fails still runs (what would happen is the point): standard error says so, and every
//! journey whose bundle can be emitted and read runs; a journey whose bundle cannot is named on
//! standard error and left out. All input is read and validated before any output: bad input
//! exits with 2 and `FILE:LINE: message`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::Path;

use journey_compiler::bundle::{self, Options};
use journey_compiler::Severity;
use journey_runtime::io::{parse_contacts, parse_events, Limits, Schema, LIMITS};
use journey_runtime::{Action, Bundle, Contact, Event};

use crate::args::{SimulateArgs, SimulateFormat};
use crate::check;
use crate::exit::Exit;

/// A finding of the compliance monitor (docs/simulate.md, "Monitor findings").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The finding as one JSON line, in the shape of docs/simulate.md.
    pub json: String,
}

/// The hook for the independent compliance monitor (crate `journey-monitor`, being written
/// separately): it gets the same bundles, contacts and events and the runtime's actions, and
/// returns its violations in time order. Until it lands there are none; nothing here pretends
/// to check.
pub fn monitor_findings(
    _bundles: &[Bundle],
    _contacts: &[Contact],
    _events: &[Event],
    _actions: &[Action],
) -> Vec<Finding> {
    Vec::new()
}

pub fn run(args: &SimulateArgs) -> Exit {
    let mut stderr = io::stderr().lock();
    let (bundles, check_errors, refused) = match compile(args) {
        Ok(compiled) => compiled,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Usage;
        }
    };
    if check_errors > 0 {
        let _ = writeln!(
            stderr,
            "warning: the check found {check_errors} error{}; simulating what could be built anyway (`journey check` shows them)",
            if check_errors == 1 { "" } else { "s" }
        );
    }
    for why in &refused {
        let _ = writeln!(stderr, "warning: not run: {why}");
    }
    if bundles.is_empty() {
        let _ = writeln!(stderr, "error: no journey could be built to run");
        return Exit::Usage;
    }
    let (contacts, events) = match inputs(args, &bundles, &LIMITS) {
        Ok(inputs) => inputs,
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Usage;
        }
    };
    let options = journey_runtime::Options { seed: args.seed };
    let actions = journey_runtime::run(&bundles, &contacts, &events, &options);
    let findings = monitor_findings(&bundles, &contacts, &events, &actions);
    let text = match args.format {
        SimulateFormat::Json => {
            let mut text = journey_runtime::action::to_json_lines(&actions);
            for finding in &findings {
                text.push_str(&finding.json);
                text.push('\n');
            }
            text
        }
        SimulateFormat::Text => journey_runtime::action::to_text(&actions),
    };
    let stdout = io::stdout();
    let mut out = stdout.lock();
    if let Err(error) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if error.kind() != io::ErrorKind::BrokenPipe {
            let _ = writeln!(stderr, "error: cannot write output: {error}");
            return Exit::Usage;
        }
    }
    if journey_runtime::action::any_refusal(&actions) || !findings.is_empty() {
        Exit::Problems
    } else {
        Exit::Ok
    }
}

/// The project's bundles, read by the runtime; the number of check errors; why journeys were
/// left out.
fn compile(args: &SimulateArgs) -> Result<(Vec<Bundle>, usize, Vec<String>), String> {
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut errors = 0;
    let outcome = check::check_projects(&args.paths, &args.exclude, |_, report| {
        errors += report.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        texts.extend(bundle::emit(report, Options::default()));
    });
    if let Some(error) = outcome.io_errors.first() {
        return Err(error.clone());
    }
    if outcome.table.next_id().0 == 0 {
        return Err("no .journey files to simulate".to_owned());
    }
    let mut bundles = Vec::new();
    let mut refused = Vec::new();
    let mut names = BTreeSet::new();
    for (journey, text) in texts {
        if !names.insert(journey.clone()) {
            return Err(format!("two projects define a journey named `{journey}`; run them separately"));
        }
        // The compiler's own reader first: it refuses what it would never write.
        if let Err(why) = bundle::validate(&text) {
            refused.push(format!("journey `{journey}`: its bundle is invalid: {why}"));
            continue;
        }
        match Bundle::parse(&text) {
            Ok(parsed) => bundles.push(parsed),
            Err(why) => refused.push(format!("the runtime refused the bundle: {why}")),
        }
    }
    Ok((bundles, errors, refused))
}

fn inputs(args: &SimulateArgs, bundles: &[Bundle], limits: &Limits) -> Result<(Vec<Contact>, Vec<Event>), String> {
    let schema = Schema::of(bundles)?;
    let contacts = match &args.contacts {
        Some(path) => {
            let name = shown(path);
            let text = read_limited(path, &name, limits.max_bytes)?;
            Some(parse_contacts(&name, &text, &schema, limits).map_err(|e| e.to_string())?)
        }
        None => None,
    };
    let known: Option<BTreeSet<String>> = contacts.as_ref().map(|c| c.iter().map(|c| c.id.clone()).collect());
    let name = shown(&args.events);
    let text = read_limited(&args.events, &name, limits.max_bytes)?;
    let events = parse_events(&name, &text, &schema, known.as_ref(), limits).map_err(|e| e.to_string())?;
    let contacts = contacts.unwrap_or_else(|| {
        // Every contact named in the events, with an empty profile and no consent.
        let ids: BTreeMap<&str, ()> = events.iter().map(|e| (e.contact.as_str(), ())).collect();
        ids.keys().map(|id| Contact { id: (*id).to_owned(), profile: BTreeMap::new(), consent: Vec::new() }).collect()
    });
    Ok((contacts, events))
}

fn shown(path: &Path) -> String {
    crate::discover::display_path(path)
}

/// Reads a whole input file as UTF-8, refusing one larger than `max` bytes without reading it
/// all.
pub fn read_limited(path: &Path, name: &str, max: usize) -> Result<String, String> {
    let file =
        File::open(path).map_err(|e| format!("cannot read `{name}`: {}", crate::discover::describe_io_error(&e)))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    file.take(limit).read_to_end(&mut bytes).map_err(|e| format!("cannot read `{name}`: {e}"))?;
    if bytes.len() > max {
        return Err(format!("{name}: is larger than the limit of {max} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| format!("{name}: is not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
}
