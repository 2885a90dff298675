//! The prefix of a contact's actions already taken, hashed (the bundle set's hash and each
//! send's idempotency key are the runtime's, `journey_runtime::keys`, shared with the Temporal
//! worker).

use journey_runtime::keys::hex;
use sha2::{Digest, Sha256};

pub use journey_runtime::keys::{bundle_set, send_key};

/// A running hash over a contact's action lines: the value after the first `n` lines is
/// stored, and a replay must reach it again with its own first `n` lines.
#[derive(Default)]
pub struct Prefix(Sha256);

impl Prefix {
    pub fn push(&mut self, line: &str) {
        self.0.update((line.len() as u64).to_be_bytes());
        self.0.update(line.as_bytes());
    }

    pub fn value(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}
