//! The command line: every subcommand, flag and value, declared with clap's derive API.
//!
//! clap owns usage errors: an unknown flag or a missing argument prints clap's message and exits
//! with code 2, the same code as our own usage and I/O errors.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The Temporal frontend when none is named: `journey run --engine temporal`, `journey worker` and
/// `journey-temporal` (which reads these) agree on it, on the task queue and on where a worker's
/// `/healthz` and `/metrics` listen.
pub const DEFAULT_TEMPORAL: &str = "localhost:7233";
pub const DEFAULT_TASK_QUEUE: &str = "journey";
pub const DEFAULT_WORKER_LISTEN: &str = "127.0.0.1:8081";

#[derive(Debug, Parser)]
#[command(
    name = "journey",
    // The version and, when known, the commit it was built from (build.rs).
    version = env!("JOURNEY_VERSION"),
    about = "Check and explain .journey customer-journey files.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check files and directories (searched recursively for *.journey files).
    Check(CheckArgs),
    /// Check, then write one JSON flow bundle per journey into a directory (nothing on errors).
    Build(BuildArgs),
    /// Run the journeys on the reference runtime over contacts and events (docs/simulate.md).
    Simulate(SimulateArgs),
    /// Run the journeys for real: a service with an embedded store, fed over HTTP and standard
    /// input, sending to standard output or a webhook (docs/deploy.md).
    Run(RunArgs),
    /// Run a Temporal worker: every contact's journeys as a durable Temporal workflow, sends to a
    /// file or a webhook (the `journey-temporal` binary; docs/deploy-temporal.md).
    Worker(WorkerArgs),
    /// Draw each project's journeys: one self-contained HTML page (or DOT, or SVG) per project.
    Map(MapArgs),
    /// Rewrite files in the one canonical layout (`--check`: print what would change instead).
    Fmt(FmtArgs),
    /// Compare two versions of a project: structure, messages and every change in proved
    /// compliance (docs/diff.md).
    Diff(DiffArgs),
    /// Print the JSON Schema (draft 2020-12) of the bundles that `build` writes.
    Schema,
    /// Print the long explanation of a diagnostic code, e.g. `journey explain J0101`.
    Explain(ExplainArgs),
    /// Run the language server on standard input and output (for editors; see docs/editors.md).
    Lsp,
    /// Start a project: write `journey.toml` and a `main.journey` that checks clean.
    Init(InitArgs),
    /// Print a completion script for a shell, e.g. `journey completions bash`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), e.g. `journey manpage > journey.1`.
    Manpage,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or directories to check. Directories are searched recursively for *.journey files,
    /// leaving out what .gitignore files ignore, .git/ and node_modules/. `-` reads one file from
    /// standard input.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Skip files under this path (repeatable), e.g. `--exclude examples/broken`.
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// With `-`: the name to show for standard input, and the file it stands in for (its project
    /// and imports are read from the disk as for that file).
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,

    /// Also print what was checked: files, declarations, references, sends and rules.
    #[arg(long, short)]
    pub verbose: bool,

    /// Print the diagnostics and nothing else (no summary line); the exit code still tells.
    #[arg(long, short, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Apply the suggested fixes marked safe (they repair how something is written, never what
    /// it means), then report what is left.
    #[arg(long)]
    pub fix: bool,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Rich)]
    pub format: Format,

    /// When to colour `rich` output. `auto` colours only a terminal, and never when NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Treat a class of diagnostics as errors for the exit code (`--deny warnings`).
    #[arg(long, short = 'D', value_enum, value_name = "CLASS")]
    pub deny: Vec<Deny>,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Files or directories to format (directories are searched recursively for *.journey
    /// files); the current directory when none is given.
    #[arg(value_name = "PATH", default_value = ".")]
    pub paths: Vec<PathBuf>,

    /// Skip files under this path (repeatable), e.g. `--exclude tests/hostile`.
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// Write nothing: print the difference for every file that is not formatted, and exit with
    /// code 1 if there is one.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The code to explain, e.g. J0101 (case-insensitive).
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    pub code: Option<String>,

    /// List every code with its title.
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source excerpts with labels, for people at a terminal.
    Rich,
    /// One line per diagnostic: `path:line:col: error[J0101]: message`.
    Short,
    /// One JSON document (versioned; see docs/diagnostics.md).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands (`::error file=...::message`).
    Github,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Deny {
    /// Warnings make `journey check` exit with code 1.
    Warnings,
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Files or directories to build. Directories are searched recursively for *.journey files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The directory to write `<journey>.bundle.json` files into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// Skip files under this path (repeatable).
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = Format::Rich)]
    pub format: Format,

    /// When to colour `rich` output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// `--deny warnings`: warnings fail the build too.
    #[arg(long, short = 'D', value_enum, value_name = "WHAT")]
    pub deny: Vec<Deny>,
}

impl BuildArgs {
    /// The check that guards the build.
    pub fn as_check_args(&self) -> CheckArgs {
        CheckArgs {
            paths: self.paths.clone(),
            exclude: self.exclude.clone(),
            stdin_filename: None,
            verbose: false,
            quiet: false,
            fix: false,
            format: self.format,
            color: self.color,
            deny: self.deny.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct MapArgs {
    /// The projects to map: files or directories, as for `check`.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The file to write; when the paths hold several projects, a directory that gets one
    /// `<project>.html` (or `.dot`, `.svg`) per project.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,

    /// Skip files under this path (repeatable).
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// `html`: an interactive page that opens offline; `dot`: Graphviz text; `svg`: that text
    /// drawn by Graphviz's `dot` (which must be on PATH).
    #[arg(long, value_enum, default_value_t = MapFormat::Html)]
    pub format: MapFormat,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The project to run: files or directories, as for `check`. It must check clean.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Skip files under this path (repeatable).
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// The database (SQLite): contacts, events, progress and the outbox. Created if missing.
    /// Default: journey.db.
    #[arg(long, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// Where the HTTP API listens (`none`: no API; port 0: any free port, logged). Default:
    /// 127.0.0.1:8080.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,

    /// Do not read JSON Lines from standard input.
    #[arg(long)]
    pub no_stdin: bool,

    /// Send to this URL (HTTP POST per send, with retries and an `Idempotency-Key` header)
    /// instead of printing JSON Lines on standard output.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// Test clock: time runs N times faster (docs/deploy.md, "Clock"). Kept in the database.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub clock_scale: Option<u32>,

    /// Test clock: the instant a new database's virtual time starts at (RFC 3339, UTC, e.g.
    /// 2026-03-02T15:00:00Z); default now.
    #[arg(long, value_name = "TIME", requires = "clock_scale")]
    pub clock_epoch: Option<String>,

    /// Accept a database made with other bundles: new contacts start on these, known ones keep
    /// the set they started on (docs/deploy.md, "Bundle versions").
    #[arg(long)]
    pub upgrade: bool,

    /// Mixed into every split draw (docs/bundle.md §3.6); fixed for a database's life.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Where the journeys run: here, on the embedded engine, or on Temporal (the events are
    /// forwarded as signals by `journey-temporal send`, whose workers run them; docs/deploy-temporal.md).
    #[arg(long, value_enum, default_value_t = Engine::Embedded)]
    pub engine: Engine,

    /// With `--engine temporal`: the Temporal frontend. Default: localhost:7233.
    #[arg(long, value_name = "HOST:PORT")]
    pub temporal: Option<String>,

    /// With `--engine temporal`: the workers' task queue (the bundle set's version is appended).
    /// Default: journey.
    #[arg(long, value_name = "Q")]
    pub task_queue: Option<String>,

    /// With `--engine temporal`: the events to forward (JSON Lines, as `journey simulate
    /// --events`); standard input when not given.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,

    /// With `--engine temporal`: the contacts to forward first (as `journey simulate --contacts`).
    #[arg(long, value_name = "FILE")]
    pub contacts: Option<PathBuf>,
}

impl RunArgs {
    pub fn db(&self) -> PathBuf {
        self.db.clone().unwrap_or_else(|| PathBuf::from("journey.db"))
    }

    pub fn listen(&self) -> String {
        self.listen.clone().unwrap_or_else(|| "127.0.0.1:8080".to_owned())
    }

    pub fn temporal(&self) -> String {
        self.temporal.clone().unwrap_or_else(|| DEFAULT_TEMPORAL.to_owned())
    }

    pub fn task_queue(&self) -> String {
        self.task_queue.clone().unwrap_or_else(|| DEFAULT_TASK_QUEUE.to_owned())
    }

    /// The flags given that the chosen engine does not use: the embedded engine's own with
    /// `--engine temporal`, and the other way round. A flag that would be ignored is refused, so
    /// that nobody believes a setting took effect.
    pub fn flags_for_the_other_engine(&self) -> Vec<&'static str> {
        let given = |flag: &'static str, is: bool| is.then_some(flag);
        match self.engine {
            Engine::Temporal => [
                given("--db", self.db.is_some()),
                given("--listen", self.listen.is_some()),
                given("--no-stdin", self.no_stdin),
                given("--webhook", self.webhook.is_some()),
                given("--clock-scale", self.clock_scale.is_some()),
                given("--clock-epoch", self.clock_epoch.is_some()),
                given("--upgrade", self.upgrade),
            ]
            .into_iter()
            .flatten()
            .collect(),
            Engine::Embedded => [
                given("--temporal", self.temporal.is_some()),
                given("--task-queue", self.task_queue.is_some()),
                given("--events", self.events.is_some()),
                given("--contacts", self.contacts.is_some()),
            ]
            .into_iter()
            .flatten()
            .collect(),
        }
    }
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("sends").required(true).args(["sink", "webhook"])))]
pub struct WorkerArgs {
    /// The project to run: files or directories, as for `check`. It must check clean.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Skip files under this path (repeatable).
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// The Temporal frontend.
    #[arg(long, value_name = "HOST:PORT", default_value = DEFAULT_TEMPORAL)]
    pub temporal: String,

    /// The task queue; the bundle set's version is appended (`Q@0123456789ab`).
    #[arg(long, value_name = "Q", default_value = DEFAULT_TASK_QUEUE)]
    pub task_queue: String,

    /// Append sends to FILE as JSON Lines: each the action with `idempotency_key` first.
    #[arg(long, value_name = "FILE")]
    pub sink: Option<PathBuf>,

    /// POST each send (the same JSON) to URL (http://) with an `Idempotency-Key` header.
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,

    /// Where GET /healthz and GET /metrics (Prometheus) listen (`none`: nowhere; port 0: any
    /// free port, logged).
    #[arg(long, value_name = "ADDR", default_value = DEFAULT_WORKER_LISTEN)]
    pub listen: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Engine {
    /// The embedded engine: SQLite, HTTP API, standard input (docs/deploy.md).
    Embedded,
    /// Temporal, through the `journey-temporal` binary (crate `temporal/`).
    Temporal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MapFormat {
    Html,
    Dot,
    Svg,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The project to run: files or directories, as for `check`. Every journey runs.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// The events, JSON Lines in time order (docs/simulate.md).
    #[arg(long, value_name = "FILE", required_unless_present = "population", conflicts_with = "population")]
    pub events: Option<PathBuf>,

    /// The contacts, JSON Lines; without it every contact starts with an empty profile.
    #[arg(long, value_name = "FILE", conflicts_with = "population")]
    pub contacts: Option<PathBuf>,

    /// Simulate N made-up contacts from `--traffic` instead of files, and print a summary per
    /// journey (docs/simulate.md, "Population").
    #[arg(long, value_name = "N", requires = "traffic")]
    pub population: Option<usize>,

    /// The traffic description of `--population`: a JSON file (docs/simulate.md, "Population").
    #[arg(long, value_name = "FILE", requires = "population")]
    pub traffic: Option<PathBuf>,

    /// With `--population`: print how long each phase took, and contact-steps per second, on
    /// standard error.
    #[arg(long, requires = "population")]
    pub timings: bool,

    /// Skip files under this path (repeatable).
    #[arg(long, value_name = "PATH")]
    pub exclude: Vec<PathBuf>,

    /// Mixed into every split draw (docs/bundle.md §3.6), and the seed of `--population`.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// `json`: one action per line (with `--population`, one JSON report); `text`: for a person.
    #[arg(long, value_enum, default_value_t = SimulateFormat::Json)]
    pub format: SimulateFormat,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The directory to start the project in (created if missing).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// The project's name in `journey.toml`; the directory's name by default.
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimulateFormat {
    Json,
    Text,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// OLD NEW: two directories (or files) to compare; with `--git`: BASE [HEAD] [PATH], two
    /// revisions (HEAD omitted: the work tree) and the project's directory (default `.`).
    #[arg(required = true, value_name = "VERSION", num_args = 1..=3)]
    pub versions: Vec<String>,

    /// Compare git revisions instead of two paths.
    #[arg(long)]
    pub git: bool,

    /// `text` for a terminal, `markdown` for a pull-request comment, `json` (versioned).
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    pub format: DiffFormat,

    /// `--deny weaker`: exit with code 1 when some send's compliance got weaker.
    #[arg(long, short = 'D', value_enum, value_name = "WHAT")]
    pub deny: Vec<DiffDeny>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffDeny {
    /// A send's compliance got weaker (docs/diff.md).
    Weaker,
}
