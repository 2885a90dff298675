//! The outer panic boundary: a `Service` around `LspService` that turns a panic anywhere in a
//! handler into an internal-error answer for that request.
//!
//! tower-lsp-server polls handler futures inside `Server::serve` with no `catch_unwind`, so one
//! panic would end the process and lose every open document. Handlers
//! already run the engine inside `catch_unwind` on the workers; this layer is the second net,
//! for a panic in the protocol code around it. A panic in a notification is logged to the
//! client; the server keeps serving (document notifications only replace texts in the store,
//! so there is no half-done state to protect).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use tower::Service;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Request, Response};
use tower_lsp_server::ls_types::MessageType;
use tower_lsp_server::{Client, ExitedError};

use crate::workers::{catch, Panicked};

pub struct CatchPanic<S> {
    inner: S,
    client: Client,
}

impl<S> CatchPanic<S> {
    pub fn new(inner: S, client: Client) -> CatchPanic<S> {
        CatchPanic { inner, client }
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S> Service<Request> for CatchPanic<S>
where
    S: Service<Request, Response = Option<Response>, Error = ExitedError>,
    S::Future: Send + 'static,
{
    type Response = Option<Response>;
    type Error = ExitedError;
    type Future = BoxFuture<Result<Option<Response>, ExitedError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ExitedError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let id = request.id().cloned();
        let method = request.method().to_owned();
        let client = self.client.clone();
        let future = catch(|| self.inner.call(request));
        Box::pin(async move {
            let outcome = match future {
                Ok(future) => CatchUnwind(Box::pin(future)).await,
                Err(panic) => Err(panic),
            };
            match outcome {
                Ok(result) => result,
                Err(panic) => {
                    client
                        .log_message(
                            MessageType::ERROR,
                            format!("journey: the `{method}` handler panicked: {panic} (this is a bug in journey)"),
                        )
                        .await;
                    Ok(id.map(|id| Response::from_error(id, panic_error(&method, &panic))))
                }
            }
        })
    }
}

fn panic_error(method: &str, panic: &Panicked) -> Error {
    Error {
        code: ErrorCode::InternalError,
        message: format!(
            "the `{method}` handler panicked: {panic} (this is a bug in journey; the server keeps running)"
        )
        .into(),
        data: None,
    }
}

/// Polls a future inside `catch_unwind`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Panicked>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match catch(|| inner.poll(cx)) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
