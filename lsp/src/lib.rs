//! The journey language server (`journey lsp`).
//!
//! A thin protocol shell over a fat engine: [`engine`] computes every feature from analysed
//! files and byte offsets with no LSP type in sight; [`position`] is the one place where offsets
//! become client positions; the rest speaks the protocol (tower-lsp-server) and keeps the
//! server alive whatever happens in a handler:
//!
//! - `framing`: size limits on the wire, before the transport buffers anything;
//! - `catch_panic`: a panic in any handler answers that request with an internal error;
//! - `store`: one text per open document, the highest version wins;
//! - `workers`: analysis threads with an explicit stack size, off the reader;
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
    Backend, Options, TEST_COMMANDS_ENV, TEST_PANIC_COMMAND, TEST_PANIC_IN_HANDLER_COMMAND, TEST_STATS_COMMAND,
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

/// Serves the protocol on `input` and `output` until the client says `exit` or closes `input`:
/// the size guard, then the transport, then the service.
pub async fn serve<I, O>(input: I, output: O, options: Options)
where
    I: AsyncRead + Unpin + Send + 'static,
    O: AsyncWrite,
{
    let (service, socket) = service(options);
    // input -> size guard -> pipe -> transport. The guard runs as its own task, so a client that
    // sends an oversized frame never makes the transport buffer it.
    let (guarded, pipe) = tokio::io::duplex(1 << 20);
    let guard = tokio::spawn(framing::guard(input, pipe));
    Server::new(guarded, output, socket).serve(service).await;
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
