//! The protocol shell: `LanguageServer` methods in a few lines each.
//!
//! Document notifications update the [`Store`] synchronously, before any `.await`, and schedule
//! an analysis on the [`Workers`]. Requests take a snapshot of the documents, run the engine on a
//! worker inside `catch_unwind` and convert the result there; a panic answers that one request
//! with an internal error. Diagnostics go out through one publisher task, in order, each with
//! the version it was computed for, and only while that version is still the document's.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::mpsc;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert::{self, View};
use journey_compiler::Tier;

use crate::engine::{self, Analysis, Files};
use crate::position::{Encoding, PositionMap};
use crate::project::{Loader, Place};
use crate::store::{Change, Job, Store};
use crate::workers::{Panicked, Workers};

/// The command that panics on purpose, offered only when [`Options::test_commands`] is set.
pub const TEST_PANIC_COMMAND: &str = "journey.test.panic";
/// Like [`TEST_PANIC_COMMAND`], but panics in the async handler itself rather than in the engine
/// call, to exercise the outer panic boundary ([`crate::catch_panic`]).
pub const TEST_PANIC_IN_HANDLER_COMMAND: &str = "journey.test.panicInHandler";
/// Answers what the document store holds (documents, texts, bytes, analyses), for the tests that
/// check memory does not grow across edits.
pub const TEST_STATS_COMMAND: &str = "journey.test.stats";
/// With the test commands enabled, a document whose text contains this (in a comment) is
/// checked slowly: every analysis of it waits until [`TEST_RELEASE_SLOW_CHECKS_COMMAND`] (or 30
/// s), for the tests that a slow check never delays requests on other documents.
pub const TEST_SLOW_CHECK_MARKER: &str = "journey.test.slowCheck";
/// Lets the slow checks of [`TEST_SLOW_CHECK_MARKER`] finish.
pub const TEST_RELEASE_SLOW_CHECKS_COMMAND: &str = "journey.test.releaseSlowChecks";
/// The environment variable that enables the test commands in `journey lsp`.
pub const TEST_COMMANDS_ENV: &str = "JOURNEY_LSP_TEST_COMMANDS";

/// Most workspace symbols returned for one query.
const MAX_WORKSPACE_SYMBOLS: usize = 1_000;

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Offer the commands that panic on purpose (tests only).
    pub test_commands: bool,
}

impl Options {
    pub fn from_env() -> Options {
        Options { test_commands: std::env::var_os(TEST_COMMANDS_ENV).is_some_and(|value| value == "1") }
    }
}

/// What the publisher task sends to the client.
#[derive(Debug)]
enum Outgoing {
    Diagnostics {
        uri: Uri,
        version: i32,
        diagnostics: Vec<Diagnostic>,
    },
    /// A closed document: its diagnostics are removed.
    Clear {
        uri: Uri,
    },
    Message {
        kind: MessageType,
        text: String,
    },
}

/// The test hooks of the analyses (inactive unless [`Options::test_commands`]).
struct Hooks {
    enabled: bool,
    released: Mutex<bool>,
    changed: Condvar,
}

impl Hooks {
    /// Holds an analysis of a document marked [`TEST_SLOW_CHECK_MARKER`] until released.
    fn before_analysis(&self, text: &str) {
        if !self.enabled || !text.contains(TEST_SLOW_CHECK_MARKER) {
            return;
        }
        let released = self.released.lock().unwrap_or_else(PoisonError::into_inner);
        let timeout = std::time::Duration::from_secs(30);
        let _ = self.changed.wait_timeout_while(released, timeout, |released| !*released);
    }

    fn release(&self) {
        *self.released.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.changed.notify_all();
    }
}

/// Which analyses of the other open documents a request uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Others {
    /// The newest finished one of each, even if the document changed since; documents never
    /// analysed yet are left out. Never waits for another document's check, so a slow document
    /// cannot delay requests on the others.
    Latest,
    /// The analysis of each one's current text, analysed on the spot if needed: for rename,
    /// whose edits must match the text the editor holds.
    Current,
}

/// State shared by the handlers, the analysis jobs and the publisher.
struct Shared {
    store: Mutex<Store>,
    /// The background checks (diagnostics).
    workers: Workers,
    /// The requests' jobs, on threads of their own: a request never queues behind a check, which
    /// on a large document can take seconds.
    requests: Workers,
    hooks: Arc<Hooks>,
    encoding: Mutex<Encoding>,
    outbox: mpsc::UnboundedSender<Outgoing>,
}

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        // A panic never happens while the lock is held (the store's methods do not panic), but
        // if one did, the store's data is still a consistent map of documents.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn encoding(&self) -> Encoding {
        *self.encoding.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn send(&self, outgoing: Outgoing) {
        // The receiver lives as long as the server; after shutdown there is no one to tell.
        let _ = self.outbox.send(outgoing);
    }

    fn message(&self, kind: MessageType, text: impl Into<String>) {
        self.send(Outgoing::Message { kind, text: text.into() });
    }
}

pub struct Backend {
    client: Client,
    shared: Arc<Shared>,
    outbox: Mutex<Option<mpsc::UnboundedReceiver<Outgoing>>>,
    options: Options,
    /// The client can watch files for us (`workspace/didChangeWatchedFiles` with dynamic
    /// registration): set in `initialize`, used in `initialized`.
    watch_files: std::sync::atomic::AtomicBool,
}

impl Backend {
    pub fn new(client: Client, options: Options) -> Backend {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
        let (outbox, receiver) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            store: Mutex::new(Store::default()),
            workers: Workers::new(threads),
            requests: Workers::new(threads.max(2)),
            hooks: Arc::new(Hooks {
                enabled: options.test_commands,
                released: Mutex::new(false),
                changed: Condvar::new(),
            }),
            encoding: Mutex::new(Encoding::Utf16),
            outbox,
        });
        Backend {
            client,
            shared,
            outbox: Mutex::new(Some(receiver)),
            options,
            watch_files: std::sync::atomic::AtomicBool::new(false),
        }
    }

    pub fn client(&self) -> Client {
        self.client.clone()
    }

    /// What the document store holds (for tests of memory use).
    pub fn store_stats(&self) -> crate::store::Stats {
        self.shared.store().stats()
    }

    /// The version and text the server holds for a document.
    pub fn document(&self, uri: &Uri) -> Option<(i32, String)> {
        self.shared.store().get(uri).map(|document| (document.version, document.text.to_string()))
    }

    /// Starts an analysis job for `uri` unless one is under way (which will see the new text).
    fn schedule(&self, uri: &Uri) {
        schedule(&self.shared, uri);
    }

    /// Runs `job` on a worker with the current analysis of `uri` and of the other open
    /// documents. `Ok(None)` when the document is not open; an internal error when the job
    /// panicked (the server and its documents are unaffected).
    async fn with_files<R, F>(&self, uri: &Uri, job: F) -> Result<Option<R>>
    where
        R: Send + 'static,
        F: FnOnce(Files<'_>, &View<'_>) -> Option<R> + Send + 'static,
    {
        self.with_files_using(uri, Others::Latest, job).await
    }

    /// [`Backend::with_files`] with a choice of what the other documents' analyses may be.
    async fn with_files_using<R, F>(&self, uri: &Uri, others: Others, job: F) -> Result<Option<R>>
    where
        R: Send + 'static,
        F: FnOnce(Files<'_>, &View<'_>) -> Option<R> + Send + 'static,
    {
        let hooks = Arc::clone(&self.shared.hooks);
        let Some(snapshot) = Snapshot::take(&self.shared.store(), uri, others, hooks) else { return Ok(None) };
        let encoding = self.shared.encoding();
        let result = self.shared.requests.run(move || snapshot.run(encoding, job)).await;
        result.map_err(|panic| internal_error(&panic))
    }

    /// Registers the custom methods of the server on a service builder (none at the moment;
    /// malformed and oversized frames are answered by `framing` before they reach the service).
    pub fn custom_methods(
        builder: tower_lsp_server::LspServiceBuilder<Backend>,
    ) -> tower_lsp_server::LspServiceBuilder<Backend> {
        builder
    }
}

fn internal_error(panic: &Panicked) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: format!("request handler panicked: {panic} (this is a bug in journey; the server keeps running)")
            .into(),
        data: None,
    }
}

/// A document's analysis input and, if done, its analysis; the same for the other open documents.
/// Only the request's own document is analysed on the spot when its analysis is not current (the
/// answer must match the editor's text); the others, with [`Others::Latest`], come as they are.
struct Snapshot {
    current: (Uri, Job, Option<Arc<Analysis>>),
    others: Vec<(Uri, Job, Option<Arc<Analysis>>)>,
    hooks: Arc<Hooks>,
}

impl Snapshot {
    fn take(store: &Store, uri: &Uri, others: Others, hooks: Arc<Hooks>) -> Option<Snapshot> {
        let entry = |uri: &Uri| {
            let job = store.job(uri)?;
            let analysis = store.get(uri).and_then(|document| document.current_analysis().cloned());
            Some((uri.clone(), job, analysis))
        };
        let current = entry(uri)?;
        let others = store
            .iter()
            .filter(|(other, _)| *other != uri)
            .filter_map(|(other, document)| match others {
                Others::Current => entry(other),
                Others::Latest => {
                    let analysis = document.latest_analysis().cloned()?;
                    Some((other.clone(), store.job(other)?, Some(analysis)))
                }
            })
            .collect();
        Some(Snapshot { current, others, hooks })
    }

    /// Runs on a request thread: analyses what is not analysed yet, then `job`.
    fn run<R>(self, encoding: Encoding, job: impl FnOnce(Files<'_>, &View<'_>) -> Option<R>) -> Option<R> {
        let place = Arc::clone(&self.current.1.place);
        let hooks = self.hooks;
        let analysed = |(uri, job, analysis): (Uri, Job, Option<Arc<Analysis>>)| {
            let analysis = analysis.unwrap_or_else(|| Arc::new(analyse(&job, &hooks)));
            (uri, analysis)
        };
        let (uri, current) = analysed(self.current);
        let mut others: Vec<(Uri, Arc<Analysis>, Arc<Place>)> = self
            .others
            .into_iter()
            .map(|other| {
                let place = Arc::clone(&other.1.place);
                let (uri, analysis) = analysed(other);
                (uri, analysis, place)
            })
            .collect();
        others.sort_by(|a, b| a.0.cmp(&b.0));
        let other_analyses: Vec<Arc<Analysis>> = others.iter().map(|(_, analysis, _)| Arc::clone(analysis)).collect();
        let mut files = vec![(&uri, &*current, &*place)];
        files.extend(others.iter().map(|(uri, analysis, place)| (uri, &**analysis, &**place)));
        let view = View { encoding, files, place: &place };
        job(Files { current: &current, others: &other_analyses }, &view)
    }
}

/// The first tier: the document's project (every file under its `journey.toml`, or the
/// document and its imports; open documents first, then the disk inside the project root)
/// checked for syntax, names, types and channel content. Fast enough for every keystroke of a
/// large file.
fn analyse(job: &Job, hooks: &Hooks) -> Analysis {
    analyse_to(job, hooks, Tier::Names)
}

/// The second tier: everything `journey check` does, the compliance analyses included.
fn analyse_completely(job: &Job, hooks: &Hooks) -> Analysis {
    analyse_to(job, hooks, Tier::All)
}

fn analyse_to(job: &Job, hooks: &Hooks, tier: Tier) -> Analysis {
    hooks.before_analysis(&job.text);
    let loader = Loader { place: &job.place, text: &job.text, open: &job.open };
    let entries = job.place.entries();
    Analysis::check(job.file, job.version, &job.text, &job.place.path, &entries, &loader, tier)
}

/// Starts the first-tier job of `uri` unless one is under way (it picks up the newest text).
fn schedule(shared: &Arc<Shared>, uri: &Uri) {
    if !shared.store().claim_analysis(uri) {
        return;
    }
    let job_shared = Arc::clone(shared);
    let job_uri = uri.clone();
    shared.workers.spawn(move || analysis_job(&job_shared, &job_uri), on_job_panic(shared, uri));
}

/// What to do when a job's thread panics outside the analysis itself: free the document for
/// new jobs and tell the client.
fn on_job_panic(shared: &Arc<Shared>, uri: &Uri) -> impl FnOnce(Panicked) + Send + 'static {
    let shared = Arc::clone(shared);
    let uri = uri.clone();
    move |panic| {
        shared.store().release(&uri);
        shared.message(MessageType::ERROR, format!("journey: analysis job failed: {panic}"));
    }
}

/// Diagnostics in two tiers, each published as soon as it is ready. The first tier (syntax,
/// names, types, content) runs for every new text; when the document is quiet (no newer text
/// waiting), the second tier adds the compliance analyses, which can take far longer on a large
/// journey, and publishes the complete set for the same version. A newer text never waits for a
/// second tier: that runs as a job of its own, and its result is dropped if superseded.
fn analysis_job(shared: &Arc<Shared>, uri: &Uri) {
    loop {
        // Bound first, so the store's lock is released before the analysis (a `while let`
        // would hold it for the whole loop body).
        let next = shared.store().next_job(uri);
        let Some(job) = next else { break };
        run_tier(shared, uri, &job, false);
    }
    if shared.store().claim_completion(uri) {
        let job_shared = Arc::clone(shared);
        let job_uri = uri.clone();
        let complete = move || loop {
            let next = job_shared.store().next_completion(&job_uri);
            let Some(job) = next else { break };
            run_tier(&job_shared, &job_uri, &job, true);
        };
        shared.workers.spawn(complete, on_job_panic(shared, uri));
    }
}

/// Analyses one job (first or second tier) and publishes its diagnostics if they are current.
fn run_tier(shared: &Shared, uri: &Uri, job: &Job, complete: bool) {
    let analysed = crate::workers::catch(|| {
        let analysis =
            Arc::new(if complete { analyse_completely(job, &shared.hooks) } else { analyse(job, &shared.hooks) });
        let diagnostics = convert::diagnostics(uri, &analysis, &job.place, shared.encoding());
        (analysis, diagnostics)
    });
    match analysed {
        Ok((analysis, diagnostics)) => {
            if shared.store().finish(uri, job.inputs, analysis) {
                shared.send(Outgoing::Diagnostics { uri: uri.clone(), version: job.version, diagnostics });
            }
        }
        Err(panic) => {
            shared.store().fail(uri, job.inputs, complete);
            shared.message(
                MessageType::ERROR,
                format!("journey: checking {} failed with an internal error: {panic}", uri.as_str()),
            );
        }
    }
}

/// Sends diagnostics and messages to the client in the order they were produced, dropping
/// diagnostics whose version is no longer the document's.
async fn publisher(client: Client, shared: Arc<Shared>, mut outbox: mpsc::UnboundedReceiver<Outgoing>) {
    while let Some(outgoing) = outbox.recv().await {
        match outgoing {
            Outgoing::Diagnostics { uri, version, diagnostics } => {
                let current = shared.store().get(&uri).map(|document| document.version);
                if current == Some(version) {
                    client.publish_diagnostics(uri, diagnostics, Some(version)).await;
                }
            }
            Outgoing::Clear { uri } => client.publish_diagnostics(uri, Vec::new(), None).await,
            Outgoing::Message { kind, text } => client.log_message(kind, text).await,
        }
    }
}

/// The text of a `didChange`: full-text changes replace it; a ranged change (which a client
/// should not send, since the server asks for full sync) is applied to the text so far.
fn apply_changes(base: &str, changes: Vec<TextDocumentContentChangeEvent>, encoding: Encoding) -> String {
    let mut text: Option<String> = None;
    for change in changes {
        match change.range {
            None => text = Some(change.text),
            Some(range) => {
                let mut edited = text.take().unwrap_or_else(|| base.to_owned());
                let index = journey_compiler::LineIndex::new(&edited);
                let span = PositionMap::new(&edited, &index, encoding, false).span(range);
                edited.replace_range(span.range(), &change.text);
                text = Some(edited);
            }
        }
    }
    text.unwrap_or_else(|| base.to_owned())
}

fn position_params(params: &TextDocumentPositionParams) -> (Uri, Position) {
    (params.text_document.uri.clone(), params.position)
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params.capabilities.general.as_ref().and_then(|general| general.position_encodings.as_deref());
        let encoding = Encoding::negotiate(offered);
        let can_watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.did_change_watched_files.as_ref())
            .and_then(|watched| watched.dynamic_registration)
            .unwrap_or(false);
        self.watch_files.store(can_watch, std::sync::atomic::Ordering::Relaxed);
        *self.shared.encoding.lock().unwrap_or_else(PoisonError::into_inner) = encoding;

        if let Some(outbox) = self.outbox.lock().unwrap_or_else(PoisonError::into_inner).take() {
            tokio::spawn(publisher(self.client.clone(), Arc::clone(&self.shared), outbox));
        }

        let commands = if self.options.test_commands {
            [TEST_PANIC_COMMAND, TEST_PANIC_IN_HANDLER_COMMAND, TEST_STATS_COMMAND, TEST_RELEASE_SLOW_CHECKS_COMMAND]
                .map(str::to_owned)
                .to_vec()
        } else {
            Vec::new()
        };
        Ok(InitializeResult {
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding.kind()),
                text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::FULL),
                    ..TextDocumentSyncOptions::default()
                })),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec![".".to_owned()]),
                    ..CompletionOptions::default()
                }),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Right(RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                document_symbol_provider: Some(OneOf::Left(true)),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, convert::fix_all_kind()]),
                    ..CodeActionOptions::default()
                })),
                semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
                    SemanticTokensOptions {
                        legend: convert::token_legend(),
                        full: Some(SemanticTokensFullOptions::Bool(true)),
                        range: None,
                        work_done_progress_options: WorkDoneProgressOptions::default(),
                    },
                )),
                inlay_hint_provider: Some(OneOf::Left(true)),
                document_formatting_provider: Some(OneOf::Left(true)),
                execute_command_provider: (!commands.is_empty())
                    .then(|| ExecuteCommandOptions { commands, ..ExecuteCommandOptions::default() }),
                ..ServerCapabilities::default()
            },
            server_info: Some(ServerInfo {
                name: "journey".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if !self.watch_files.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        // Project files and manifests edited outside the editor (a `git checkout`, a generator)
        // change the diagnostics of open documents that import them.
        let watchers = ["**/*.journey", "**/journey.toml"]
            .map(|glob| FileSystemWatcher { glob_pattern: GlobPattern::String(glob.to_owned()), kind: None })
            .to_vec();
        let options = DidChangeWatchedFilesRegistrationOptions { watchers };
        let registration = Registration {
            id: "journey-watched-files".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: serde_json::to_value(options).ok(),
        };
        // A client that never answers must not hold this handler forever.
        let answer = tokio::time::timeout(
            std::time::Duration::from_secs(10),
            self.client.register_capability(vec![registration]),
        )
        .await;
        match answer {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                self.shared.message(MessageType::LOG, format!("journey: the client did not watch files: {error}"));
            }
            Err(_) => {
                self.shared.message(MessageType::LOG, "journey: the client did not answer the file-watch registration")
            }
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let place = Place::of(&document.uri);
        let opened = self.shared.store().open(document.uri.clone(), document.version, document.text, place);
        if opened {
            self.schedule(&document.uri);
            // The project's other documents now see this buffer instead of the file on disk.
            let affected = self.shared.store().invalidate_project_of(&document.uri);
            for other in affected {
                self.schedule(&other);
            }
        } else {
            self.shared.message(
                MessageType::WARNING,
                format!(
                    "journey: more than {} documents are open; {} is not checked",
                    crate::store::MAX_OPEN_DOCUMENTS,
                    document.uri.as_str()
                ),
            );
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let encoding = self.shared.encoding();
        let change = {
            let mut store = self.shared.store();
            let base = store.get(&uri).map(|document| Arc::clone(&document.text));
            match base {
                Some(base) => {
                    let text = apply_changes(&base, params.content_changes, encoding);
                    store.change(&uri, version, text)
                }
                None => Change::NotOpen,
            }
        };
        match change {
            Change::Applied => {
                self.schedule(&uri);
                // Documents of the same project may import this one: check them again.
                let affected = self.shared.store().invalidate_project_of(&uri);
                for other in affected {
                    self.schedule(&other);
                }
            }
            Change::Stale { current } => self.shared.message(
                MessageType::LOG,
                format!("journey: ignored version {version} of {}: version {current} is newer", uri.as_str()),
            ),
            Change::NotOpen => {}
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        // A file of a project changed on disk (saved by another program, created, deleted): the
        // open documents of that project are checked again.
        let mut affected: Vec<Uri> = Vec::new();
        for change in params.changes {
            let Some(path) = change.uri.to_file_path() else { continue };
            // The project root is canonical; so must the changed path be (a deleted file's
            // directory still exists).
            let path = path.canonicalize().ok().or_else(|| {
                let parent = path.parent()?.canonicalize().ok()?;
                Some(parent.join(path.file_name()?))
            });
            let Some(path) = path else { continue };
            affected.extend(self.shared.store().invalidate_holding(&path));
        }
        affected.sort();
        affected.dedup();
        for uri in affected {
            self.schedule(&uri);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        // The project's other documents now see the file on disk instead of the buffer.
        let affected = self.shared.store().invalidate_project_of(&uri);
        if self.shared.store().close(&uri) {
            self.shared.send(Outgoing::Clear { uri });
        }
        for other in affected {
            self.schedule(&other);
        }
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let (uri, position) = position_params(&params.text_document_position_params);
        self.with_files(&uri, move |files, view| {
            let positions = view.positions(files.current);
            let info = engine::hover::hover(files, positions.offset(position))?;
            Some(convert::hover(info, &positions))
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let (uri, position) = position_params(&params.text_document_position);
        self.with_files(&uri, move |files, view| {
            let positions = view.positions(files.current);
            let completions = engine::completion::complete(files, positions.offset(position));
            Some(CompletionResponse::Array(convert::completion(completions, &positions)))
        })
        .await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let (uri, position) = position_params(&params.text_document_position_params);
        self.with_files(&uri, move |files, view| {
            let offset = view.positions(files.current).offset(position);
            let locations = view.locations(&engine::navigate::definition(files, offset));
            match locations.len() {
                0 => None,
                1 => locations.into_iter().next().map(GotoDefinitionResponse::Scalar),
                _ => Some(GotoDefinitionResponse::Array(locations)),
            }
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let (uri, position) = position_params(&params.text_document_position);
        let include_declaration = params.context.include_declaration;
        self.with_files(&uri, move |files, view| {
            let offset = view.positions(files.current).offset(position);
            Some(view.locations(&engine::navigate::references(files, offset, include_declaration)))
        })
        .await
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        let (uri, position) = position_params(&params);
        let answer = self
            .with_files_using(&uri, Others::Current, move |files, view| {
                let positions = view.positions(files.current);
                Some(
                    engine::navigate::prepare_rename(files, positions.offset(position))
                        .map(|span| positions.range(span)),
                )
            })
            .await?;
        match answer {
            None => Ok(None),
            Some(Ok(range)) => Ok(Some(PrepareRenameResponse::Range(range))),
            Some(Err(refused)) => Err(Error::invalid_params(refused.to_string())),
        }
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let (uri, position) = position_params(&params.text_document_position);
        let new_name = params.new_name;
        let answer = self
            .with_files_using(&uri, Others::Current, move |files, view| {
                let offset = view.positions(files.current).offset(position);
                Some(engine::navigate::rename(files, offset, &new_name).map(|spans| view.edit(&spans, &new_name)))
            })
            .await?;
        match answer {
            None => Ok(None),
            Some(Ok(edit)) => Ok(Some(edit)),
            Some(Err(refused)) => Err(Error::invalid_params(refused.to_string())),
        }
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.with_files(&params.text_document.uri, |files, view| {
            let positions = view.positions(files.current);
            let outline = engine::outline::outline(files.current);
            Some(DocumentSymbolResponse::Nested(convert::document_symbols(outline, &positions)))
        })
        .await
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<WorkspaceSymbolResponse>> {
        // Any open document will do as the "current" one: workspace symbols look at all of them.
        // One whose analysis is current is preferred, so a document still being checked (which
        // would be analysed on the spot) does not delay the answer.
        let first = {
            let store = self.shared.store();
            let analysed = store.iter().filter(|(_, document)| document.current_analysis().is_some());
            analysed.map(|(uri, _)| uri.clone()).min().or_else(|| store.iter().map(|(uri, _)| uri.clone()).min())
        };
        let Some(uri) = first else { return Ok(Some(WorkspaceSymbolResponse::Nested(Vec::new()))) };
        let query = params.query;
        self.with_files(&uri, move |files, view| {
            let symbols = engine::outline::workspace_symbols(files, &query, MAX_WORKSPACE_SYMBOLS);
            Some(WorkspaceSymbolResponse::Nested(convert::workspace_symbols(symbols, view)))
        })
        .await
    }

    async fn semantic_tokens_full(&self, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        self.with_files(&params.text_document.uri, |files, view| {
            let positions = view.positions(files.current);
            let tokens = engine::annotations::semantic_tokens(files.current);
            Some(SemanticTokensResult::Tokens(convert::semantic_tokens(&tokens, &positions)))
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let range = params.range;
        self.with_files(&params.text_document.uri, move |files, view| {
            let positions = view.positions(files.current);
            let span = positions.span(range);
            let hints = engine::annotations::inlay_hints(files.current, span.start(), span.end());
            Some(convert::inlay_hints(hints, &positions))
        })
        .await
    }

    /// The whole document in the canonical layout (`journey fmt`): one edit, none when it is
    /// formatted already, and `null` (with the reason in the log) when it has a syntax error.
    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        let buffer = self.shared.store().get(&uri).map(|document| Arc::clone(&document.text));
        let Some(buffer) = buffer else { return Ok(None) };
        let encoding = self.shared.encoding();
        let formatting = self.shared.requests.run(move || {
            let formatting = engine::format::format_buffer(&buffer);
            match formatting {
                engine::format::Formatting::Replaced(text) => {
                    Ok(vec![convert::whole_document_edit(&buffer, text, encoding)])
                }
                engine::format::Formatting::Unchanged => Ok(Vec::new()),
                engine::format::Formatting::Refused(why) => Err(why),
            }
        });
        match formatting.await.map_err(|panic| internal_error(&panic))? {
            Ok(edits) => Ok(Some(edits)),
            Err(why) => {
                self.shared.message(MessageType::INFO, format!("journey: {} is not formatted: {why}", uri.as_str()));
                Ok(None)
            }
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let range = params.range;
        let only = params.context.only;
        let action_uri = uri.clone();
        self.with_files(&uri, move |files, view| {
            let span = view.positions(files.current).span(range);
            Some(convert::code_actions(&action_uri, files.current, view.place, span, view.encoding, only.as_deref()))
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        match params.command.as_str() {
            TEST_PANIC_COMMAND if self.options.test_commands => {
                let result = self.shared.requests.run(|| -> Option<LSPAny> { test_panic() }).await;
                result.map_err(|panic| internal_error(&panic))
            }
            TEST_PANIC_IN_HANDLER_COMMAND if self.options.test_commands => test_panic(),
            TEST_RELEASE_SLOW_CHECKS_COMMAND if self.options.test_commands => {
                self.shared.hooks.release();
                Ok(None)
            }
            TEST_STATS_COMMAND if self.options.test_commands => {
                let stats = self.store_stats();
                Ok(Some(serde_json::json!({
                    "documents": stats.documents,
                    "texts": stats.texts,
                    "textBytes": stats.text_bytes,
                    "analyses": stats.analyses,
                })))
            }
            other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
        }
    }
}

/// The deliberate panic of the test commands.
#[allow(clippy::panic)] // the point of the test commands, reachable only with `Options::test_commands`
fn test_panic<T>() -> T {
    panic!("journey.test.panic was called")
}
