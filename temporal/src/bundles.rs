//! The bundle set a worker runs and a client addresses: compiled in memory from a project, the
//! way `journey simulate` does (cli/src/simulate.rs), and named by a hash of its bundles' JSON so
//! that a run started on one version is never continued on another (docs/deploy-temporal.md,
//! "Versions").

use std::collections::BTreeSet;
use std::path::PathBuf;

use journey_compiler::bundle::{self, Options};
use journey_compiler::Severity;
use journey_runtime::io::Schema;
use journey_runtime::Bundle;

/// A project's bundles, read by the runtime, with what names them.
#[derive(Debug)]
pub struct BundleSet {
    pub bundles: Vec<Bundle>,
    /// The bundles' JSON texts, in the order of `bundles`: what the hash is of.
    pub texts: Vec<String>,
    pub schema: Schema,
    /// The set's version ([`journey_runtime::keys::bundle_set`], the hash `journey run` gives the same set):
    /// what a workflow records at its start.
    pub hash: String,
    /// Whether a journey has a scheduled entry: a contact with nothing due must then still wake
    /// to look for the next firing (the step function looks `NEXT_SCHEDULED_S` ahead).
    pub scheduled: bool,
}

impl BundleSet {
    /// The version's short form, in task-queue names (the first 12 hex digits).
    pub fn short_hash(&self) -> &str {
        self.hash.get(..12).unwrap_or(&self.hash)
    }
}

/// Compiles the projects at `paths`, less the files under `exclude`. Refuses a project with check errors or a bundle the
/// runtime cannot read: a deployed engine runs only what `journey check` accepts.
pub fn load(paths: &[PathBuf], exclude: &[PathBuf]) -> Result<BundleSet, String> {
    let mut texts: Vec<(String, String)> = Vec::new();
    let outcome = journey::check::check_projects(paths, exclude, |_, report| {
        texts.extend(bundle::emit(report, Options::default()));
    });
    // Over the whole outcome, the projects' `journey.toml` checks included: a manifest that is
    // not valid (J0117) leaves its settings (the default jurisdictions) unapplied.
    let errors = outcome.diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    if let Some(error) = outcome.io_errors.first() {
        return Err(error.clone());
    }
    if errors > 0 {
        return Err(format!("the project has {errors} check error(s); run `journey check` and fix them first"));
    }
    if texts.is_empty() {
        return Err("no journeys to run".to_owned());
    }
    texts.sort();
    let mut names = BTreeSet::new();
    let mut bundles = Vec::new();
    for (journey, text) in &texts {
        if !names.insert(journey.clone()) {
            return Err(format!("two projects define a journey named `{journey}`; run them separately"));
        }
        bundle::validate(text).map_err(|why| format!("journey `{journey}`: its bundle is invalid: {why}"))?;
        bundles.push(
            Bundle::parse(text).map_err(|why| format!("journey `{journey}`: the runtime refused its bundle: {why}"))?,
        );
    }
    let hash = journey_runtime::keys::bundle_set(&texts.iter().map(|(_, text)| text.as_str()).collect::<Vec<_>>());
    let schema = Schema::of(&bundles)?;
    let scheduled = bundles.iter().any(|b| b.schedule.is_some());
    let texts = texts.into_iter().map(|(_, text)| text).collect();
    Ok(BundleSet { bundles, texts, schema, hash, scheduled })
}
