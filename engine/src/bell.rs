//! A bell one thread rings and another waits on, with a timeout: how the intake wakes the timer
//! loop and the deliverer, without a busy loop and without missing a ring between two waits.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

#[derive(Default)]
pub struct Bell {
    rings: Mutex<u64>,
    changed: Condvar,
}

impl Bell {
    pub fn ring(&self) {
        if let Ok(mut rings) = self.rings.lock() {
            *rings = rings.wrapping_add(1);
        }
        self.changed.notify_all();
    }

    /// The number of rings so far, to wait from.
    pub fn rings(&self) -> u64 {
        self.rings.lock().map_or(0, |r| *r)
    }

    /// Waits until the bell rings after `seen` rings, or `timeout` passes.
    pub fn wait(&self, seen: u64, timeout: Duration) {
        if let Ok(rings) = self.rings.lock() {
            let _ = self.changed.wait_timeout_while(rings, timeout, |r| *r == seen);
        }
    }
}
