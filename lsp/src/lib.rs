//! The journey language server (`journey lsp`).
//!
//! A thin protocol shell over a fat engine: [`engine`] computes every feature from analysed
//! files and byte offsets with no LSP type in sight; [`position`] is the one place where offsets
//! become client positions; the rest speaks the protocol (tower-lsp-server) and keeps the
//! server alive whatever happens in a handler:
//!
//! - `framing`: every frame checked before the transport sees it (malformed ones answered with
//!   the JSON-RPC error, size limits enforced), and one writer for the output;
//! - `catch_panic`: a panic in any handler answers that request with an internal error;
//! - `store`: one text per open document, the highest version wins;
//! - `workers`: analysis threads with an explicit stack size, off the reader (one pool for the
//!   background checks, one for requests, so a request never queues behind a slow check);
//! - `backend`: the `LanguageServer` methods, a few lines each;
//! - `convert`: engine results to protocol types.
//!
//! Standard output is the wire: nothing in this crate may print to it.
#![deny(clippy::print_stdout, clippy::print_stderr)]

mod backend;
mod catch_panic;
mod convert;
pub mod engine;
pub mod framing;
pub mod position;
mod project;
mod store;
mod workers;

pub use backend::{
    Backend, Options, TEST_COMMANDS_ENV, TEST_PANIC_COMMAND, TEST_PANIC_IN_HANDLER_COMMAND,
    TEST_RELEASE_SLOW_CHECKS_COMMAND, TEST_SLOW_CHECK_MARKER, TEST_STATS_COMMAND,
};
pub use catch_panic::CatchPanic;
pub use store::{Stats, MAX_OPEN_DOCUMENTS};
pub use tower_lsp_server::ls_types;

use tokio::io::{AsyncRead, AsyncWrite};
use tower_lsp_server::{ClientSocket, LspService, Server};

/// The server as a service: the backend, its custom methods, and the panic boundary around them.
pub fn service(options: Options) -> (CatchPanic<LspService<Backend>>, ClientSocket) {
    let builder = LspService::build(|client| Backend::new(client, options));
    let (service, socket) = Backend::custom_methods(builder).finish();
    let client = service.inner().client();
    (CatchPanic::new(service, client), socket)
}

/// How many requests the transport runs at once. Its default of 4 would let four slow requests
/// (say, on a document whose check takes seconds) hold every slot while a hover on another
/// document waits to be read; requests only wait on the workers, so more of them cost little.
const CONCURRENT_REQUESTS: usize = 32;

/// Serves the protocol on `input` and `output` until the client says `exit` or closes `input`:
/// input -> framing guard -> transport -> service, and transport -> output writer -> output.
pub async fn serve<I, O>(input: I, output: O, options: Options)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite,
{
    let (service, socket) = service(options);
    // The guard runs as its own task, so a client that sends an oversized frame never makes the
    // transport buffer it. What the transport writes goes through a pipe to the output writer,
    // which also writes the guard's error answers, between frames (see `framing`).
    let (to_transport, transport_input) = tokio::io::duplex(1 << 20);
    let (transport_output, from_transport) = tokio::io::duplex(1 << 20);
    let (replies, replies_receiver) = framing::replies();
    let guard = tokio::spawn(framing::guard(input, to_transport, replies));
    let server = async move {
        Server::new(transport_input, transport_output, socket)
            .concurrency_level(CONCURRENT_REQUESTS)
            .serve(service)
            .await;
        // `serve` has dropped its end of the output pipe: the writer finishes what is left.
    };
    let writer = framing::write_output(from_transport, output, replies_receiver);
    // An output error (the client went away) ends the writer; nothing is left to tell.
    let ((), _) = tokio::join!(server, writer);
    guard.abort();
}

/// Serves the protocol on standard input and output (`journey lsp`). Returns the process exit
/// code.
pub fn run_stdio() -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(_) => return 1,
    };
    runtime.block_on(serve(tokio::io::stdin(), tokio::io::stdout(), Options::from_env()));
    // Reading stdin blocks a runtime thread that only returns when the client closes the
    // stream; after `exit` the server must not wait for that.
    runtime.shutdown_background();
    0
}
