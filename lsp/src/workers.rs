//! A small pool of analysis threads with an explicit stack size.
//!
//! Analysis never runs on the thread that reads the client's messages:
//! the reader would stop answering while a large file is checked. The threads have their own,
//! explicit stack size, so deep (but bounded) recursion in the compiler never depends on what the
//! main thread happens to have. Every job runs inside `catch_unwind`: a panic becomes an error
//! value for the one request that caused it, and the thread keeps serving.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::oneshot;

/// Stack of each analysis thread. The compiler's recursion is bounded for 2 MiB (limits.rs); four
/// times that leaves room for debug builds and for the engine's own walks.
pub const STACK_SIZE: usize = 8 << 20;

type Job = Box<dyn FnOnce() + Send>;

/// A job panicked; the message is the panic's payload when it was a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked(pub String);

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

pub struct Workers {
    sender: Option<mpsc::Sender<Job>>,
}

impl Workers {
    /// Starts `threads` threads (at least one). If the system refuses threads, jobs run on the
    /// caller's thread instead, still inside `catch_unwind`.
    pub fn new(threads: usize) -> Workers {
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let mut started = 0;
        for n in 0..threads.max(1) {
            let receiver = Arc::clone(&receiver);
            let spawned = std::thread::Builder::new()
                .name(format!("journey-analysis-{n}"))
                .stack_size(STACK_SIZE)
                .spawn(move || worker_loop(&receiver));
            if spawned.is_ok() {
                started += 1;
            }
        }
        Workers { sender: (started > 0).then_some(sender) }
    }

    /// Runs `job` on a worker; the result, or the panic, arrives when it is done.
    pub async fn run<R, F>(&self, job: F) -> Result<R, Panicked>
    where
        R: Send + 'static,
        F: FnOnce() -> R + Send + 'static,
    {
        let (reply, result) = oneshot::channel();
        self.spawn_raw(Box::new(move || {
            let _ = reply.send(catch(job));
        }));
        result.await.unwrap_or_else(|_| Err(Panicked("the analysis thread stopped".to_owned())))
    }

    /// Runs `job` on a worker without waiting for it; a panic is caught and handed to `on_panic`.
    pub fn spawn<F>(&self, job: F, on_panic: impl FnOnce(Panicked) + Send + 'static)
    where
        F: FnOnce() + Send + 'static,
    {
        self.spawn_raw(Box::new(move || {
            if let Err(panic) = catch(job) {
                on_panic(panic);
            }
        }));
    }

    fn spawn_raw(&self, job: Job) {
        match &self.sender {
            Some(sender) => {
                if let Err(mpsc::SendError(job)) = sender.send(job) {
                    job();
                }
            }
            None => job(),
        }
    }
}

fn worker_loop(receiver: &Mutex<mpsc::Receiver<Job>>) {
    loop {
        // The lock is held only while waiting for the next job, never while running it.
        let job = receiver.lock().unwrap_or_else(PoisonError::into_inner).recv();
        match job {
            Ok(job) => job(),
            Err(mpsc::RecvError) => return,
        }
    }
}

/// Runs `job`, turning a panic into [`Panicked`] with the panic's message.
pub fn catch<R>(job: impl FnOnce() -> R) -> Result<R, Panicked> {
    catch_unwind(AssertUnwindSafe(job)).map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_owned());
        Panicked(message)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_next_job_still_runs() {
        let workers = Workers::new(1);
        let failed = workers.run(|| -> u32 { panic!("boom") }).await;
        assert_eq!(failed, Err(Panicked("boom".to_owned())));
        assert_eq!(workers.run(|| 41 + 1).await, Ok(42));
    }

    #[tokio::test]
    async fn jobs_run_on_threads_with_the_explicit_stack_size() {
        let workers = Workers::new(2);
        // Recursion that needs several MiB of stack: fine on the workers, whatever the test
        // thread has.
        fn depth(n: u64) -> u64 {
            let pad = std::hint::black_box([n; 64]);
            if n == 0 {
                pad[0]
            } else {
                depth(n - 1) + pad[1] - n + 1
            }
        }
        assert_eq!(workers.run(|| depth(5_000)).await, Ok(5_000));
        let name = workers.run(|| std::thread::current().name().map(str::to_owned)).await.unwrap();
        assert!(name.unwrap().starts_with("journey-analysis-"));
    }
}
