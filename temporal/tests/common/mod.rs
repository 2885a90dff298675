//! What the tests on a Temporal development server share: finding the `temporal` CLI and
//! starting a server of its own on a free port.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use journey_temporal::forward;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The `temporal` CLI, if it is on PATH.
pub fn temporal_cli() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join("temporal")).find(|p| p.is_file())
}

/// A development server this test started; killed when dropped.
pub struct DevServer(Child);

impl Drop for DevServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn start_server(cli: &Path) -> (DevServer, String) {
    let port = free_port();
    let child = Command::new(cli)
        .args(["server", "start-dev", "--headless", "--ip", "127.0.0.1", "--log-level", "error"])
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let server = DevServer(child);
    let address = format!("127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(client) = journey_temporal::connect(&address).await {
            // The frontend answers before the namespace is ready: wait for a query to be
            // answered (a missing workflow is an answer).
            let probe = forward::status(&client, "probe", "nobody").await;
            if probe.as_ref().is_err_and(|e| e.contains("not found")) {
                break;
            }
        }
        assert!(Instant::now() < deadline, "the Temporal development server did not start on {address}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    (server, address)
}
