//! `journey simulate PATH --events FILE [--contacts FILE]` (or `--population N --traffic FILE`,
//! in `population`): compile the project in memory, run
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

mod population;

/// The raw inputs, kept for the monitor, which reads them itself.
struct Texts {
    bundles: Vec<String>,
    contacts: Option<String>,
    events: String,
}

/// The independent compliance monitor (crate `journey-monitor`) over the same bundles, contacts
/// and events and the runtime's actions: it parses every one of them from its JSON text itself,
/// as it would any runtime's output, and shares no code with the runtime or the checker's
/// analyses. Its violations, in time order.
fn monitor_findings(texts: &Texts, actions: &[Action]) -> Result<Vec<journey_monitor::Finding>, String> {
    let bundles: Vec<serde_json::Value> = texts
        .bundles
        .iter()
        .map(|text| serde_json::from_str(text).map_err(|e| format!("the monitor cannot read a bundle: {e}")))
        .collect::<Result<_, _>>()?;
    let contacts = match &texts.contacts {
        Some(text) => journey_monitor::parse_contacts(text).map_err(|e| format!("the monitor: contacts: {e:?}"))?,
        None => Vec::new(),
    };
    let events = journey_monitor::parse_events(&texts.events).map_err(|e| format!("the monitor: events: {e:?}"))?;
    let actions = journey_monitor::parse_actions(&journey_runtime::action::to_json_lines(actions))
        .map_err(|e| format!("the monitor cannot read the runtime's actions: {e:?}"))?;
    journey_monitor::monitor_json(&bundles, &contacts, &events, &actions)
        .map_err(|e| format!("the monitor cannot read a bundle: {e:?}"))
}

pub fn run(args: &SimulateArgs) -> Exit {
    let mut stderr = io::stderr().lock();
    let (bundles, bundle_texts, check_errors, refused) = match compile(args) {
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
    if let Some(size) = args.population {
        drop(stderr);
        return population::run(args, size, &bundles, &bundle_texts);
    }
    let (contacts, events, texts) = match inputs(args, &bundles, &LIMITS) {
        Ok((contacts, events, contacts_text, events_text)) => {
            (contacts, events, Texts { bundles: bundle_texts, contacts: contacts_text, events: events_text })
        }
        Err(message) => {
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Usage;
        }
    };
    let options = journey_runtime::Options { seed: args.seed, live: None };
    let actions = journey_runtime::run(&bundles, &contacts, &events, &options);
    let findings = match monitor_findings(&texts, &actions) {
        Ok(findings) => findings,
        Err(message) => {
            // Input the runtime accepted and the monitor cannot read is a disagreement between
            // the two readers: say so rather than report a clean run nobody checked.
            let _ = writeln!(stderr, "error: {message}");
            return Exit::Usage;
        }
    };
    let text = match args.format {
        SimulateFormat::Json => {
            let mut text = journey_runtime::action::to_json_lines(&actions);
            text.push_str(&journey_monitor::to_jsonl(&findings));
            text
        }
        SimulateFormat::Text => {
            let mut text = journey_runtime::action::to_text(&actions);
            for f in &findings {
                text.push_str(&format!(
                    "VIOLATION {} {} {} {} {}: {} ({})\n",
                    f.at.0,
                    f.contact,
                    f.journey,
                    f.node.as_deref().unwrap_or("-"),
                    f.rule,
                    f.reason,
                    f.message
                ));
            }
            text
        }
    };
    if let Err(exit) = write_output(&text, &mut stderr) {
        return exit;
    }
    if journey_runtime::action::any_refusal(&actions) || !findings.is_empty() {
        Exit::Problems
    } else {
        Exit::Ok
    }
}

/// The project's bundles, read by the runtime; the number of check errors; why journeys were
/// left out.
pub(crate) type Compiled = (Vec<Bundle>, Vec<String>, usize, Vec<String>);

fn compile(args: &SimulateArgs) -> Result<Compiled, String> {
    compile_projects(&args.paths, &args.exclude)
}

/// The bundles of the projects at `paths`, as `journey build` would write them, read back by
/// the runtime (`journey run` runs the same).
pub(crate) fn compile_projects(
    paths: &[std::path::PathBuf],
    exclude: &[std::path::PathBuf],
) -> Result<Compiled, String> {
    let mut texts: Vec<(String, String)> = Vec::new();
    let outcome = check::check_projects(paths, exclude, |_, report| {
        texts.extend(bundle::emit(report, Options::default()));
    });
    // Counted over the whole outcome, the projects' `journey.toml` checks included: a manifest
    // that is not valid (J0117) leaves its settings, the default jurisdictions, unapplied.
    let errors = outcome.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if let Some(error) = outcome.io_errors.first() {
        return Err(error.clone());
    }
    if outcome.table.next_id().0 == 0 {
        return Err("no .journey files to simulate".to_owned());
    }
    let mut bundles = Vec::new();
    let mut bundle_texts = Vec::new();
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
            Ok(parsed) => {
                bundles.push(parsed);
                bundle_texts.push(text);
            }
            Err(why) => refused.push(format!("the runtime refused the bundle: {why}")),
        }
    }
    Ok((bundles, bundle_texts, errors, refused))
}

type Inputs = (Vec<Contact>, Vec<Event>, Option<String>, String);

fn inputs(args: &SimulateArgs, bundles: &[Bundle], limits: &Limits) -> Result<Inputs, String> {
    let schema = Schema::of(bundles)?;
    let mut contacts_text = None;
    let contacts = match &args.contacts {
        Some(path) => {
            let name = shown(path);
            let text = read_limited(path, &name, limits.max_bytes)?;
            let parsed = parse_contacts(&name, &text, &schema, limits).map_err(|e| e.to_string())?;
            contacts_text = Some(text);
            Some(parsed)
        }
        None => None,
    };
    let known: Option<BTreeSet<String>> = contacts.as_ref().map(|c| c.iter().map(|c| c.id.clone()).collect());
    let Some(events_path) = &args.events else {
        return Err("--events FILE is missing (or give --population N --traffic FILE)".to_owned());
    };
    let name = shown(events_path);
    let text = read_limited(events_path, &name, limits.max_bytes)?;
    let events = parse_events(&name, &text, &schema, known.as_ref(), limits).map_err(|e| e.to_string())?;
    let contacts = contacts.unwrap_or_else(|| {
        // Every contact named in the events, with an empty profile and no consent.
        let ids: BTreeMap<&str, ()> = events.iter().map(|e| (e.contact.as_str(), ())).collect();
        ids.keys().map(|id| Contact { id: (*id).to_owned(), profile: BTreeMap::new(), consent: Vec::new() }).collect()
    });
    Ok((contacts, events, contacts_text, text))
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

/// Writes a run's whole output to standard output. A reader that closes the pipe early
/// (`journey simulate ... | head`) is not an error: the exit code still says how the run went.
pub(crate) fn write_output(text: &str, stderr: &mut impl Write) -> Result<(), Exit> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            let _ = writeln!(stderr, "error: cannot write output: {error}");
            Err(Exit::Usage)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use journey_runtime::step::journey_order;

    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// The bundles of a project, as `journey simulate` reads them.
    fn bundles_of(project: &Path) -> Vec<Bundle> {
        let mut texts = Vec::new();
        // `examples/broken` holds what the checker refuses; it is no journey to run.
        check::check_projects(&[project.to_path_buf()], &[root().join("examples/broken")], |_, report| {
            texts.extend(bundle::emit(report, Options::default()));
        });
        texts.iter().map(|(_, text)| Bundle::parse(text).unwrap()).collect()
    }

    /// Every conformance case and example with its events: (project, contacts, events).
    fn cases() -> Vec<(PathBuf, PathBuf, PathBuf)> {
        let mut cases = Vec::new();
        let conformance = root().join("tests/conformance");
        for entry in std::fs::read_dir(&conformance).unwrap() {
            let case = entry.unwrap().path();
            cases.push((case.clone(), case.join("contacts.jsonl"), case.join("events.jsonl")));
        }
        let examples = root().join("examples");
        for entry in std::fs::read_dir(&examples).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if let Some(journey) = name.strip_suffix(".events.jsonl") {
                cases.push((examples.join(format!("{journey}.journey")), examples.join("contacts.jsonl"), path));
            }
        }
        cases.sort();
        assert!(cases.len() > 20, "{cases:?}");
        cases
    }

    /// A population's generated input is checked as a file's lines are, without being read
    /// back from its text: read back from the text, as files, it must be the same input and
    /// give the same actions.
    #[test]
    fn generated_input_is_what_its_text_read_as_files_gives() {
        let bundles = bundles_of(&root().join("examples"));
        let schema = Schema::of(&bundles).unwrap();
        let text = std::fs::read_to_string(root().join("examples/traffic.json")).unwrap();
        let traffic = journey_runtime::traffic::parse("traffic.json", &text, &schema).unwrap();
        let (chunk, contacts, events) =
            journey_runtime::population::chunk_input(&bundles, &traffic, 5, 10_000, 2000..2600).unwrap();
        let read_contacts = parse_contacts("c", &chunk.contacts, &schema, &LIMITS).unwrap();
        let read_events = parse_events("e", &chunk.events, &schema, None, &LIMITS).unwrap();
        assert!(events.len() > 1000, "{}", events.len());
        assert_eq!(format!("{contacts:?}"), format!("{read_contacts:?}"));
        assert_eq!(format!("{events:?}"), format!("{read_events:?}"));
        let options = journey_runtime::Options { seed: 5, live: None };
        let generated = journey_runtime::run(&bundles, &contacts, &events, &options);
        let read = journey_runtime::run(&bundles, &read_contacts, &read_events, &options);
        assert_eq!(journey_runtime::action::to_json_lines(&generated), journey_runtime::action::to_json_lines(&read));
    }

    /// A population run writes its actions from the runtime's steps, without building `Action`s:
    /// the bytes must be those `to_json_lines` writes for the actions of a file run.
    #[test]
    fn steps_written_as_json_are_the_bytes_serde_writes_for_their_actions() {
        for (project, contacts, events) in cases() {
            let bundles = bundles_of(&project);
            let schema = Schema::of(&bundles).unwrap();
            let contacts = parse_contacts("c", &std::fs::read_to_string(&contacts).unwrap(), &schema, &LIMITS).unwrap();
            let events = parse_events("e", &std::fs::read_to_string(&events).unwrap(), &schema, None, &LIMITS).unwrap();
            let options = journey_runtime::Options { seed: 3, live: None };
            let actions = journey_runtime::run(&bundles, &contacts, &events, &options);
            let ran = journey_runtime::run_steps(&bundles, &contacts, &events, &options);
            let names = journey_order(&bundles);
            let mut written = String::new();
            for step in &ran.steps {
                let contact = ran.contacts[step.contact as usize];
                step.write_json(contact, &names[step.journey as usize].journey, &mut written);
            }
            assert!(!actions.is_empty(), "{project:?}");
            assert_eq!(written, journey_runtime::action::to_json_lines(&actions), "{project:?}");
        }
    }
}
