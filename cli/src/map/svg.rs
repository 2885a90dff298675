//! `journey map --format svg`: the DOT text of `dot.rs`, laid out and drawn by Graphviz's `dot`
//! (`dot -Tsvg`), which must be on PATH.
//!
//! Why Graphviz and not a Rust crate: the one pure-Rust DOT layout crate, `layout-rs`, documents
//! that it lacks nested graphs, and the map's journeys and stages are nested clusters; writing a
//! layout ourselves is what the issue asks us not to do. Graphviz is the reference
//! implementation of DOT, packaged everywhere (Debian: `graphviz`), and the SVG is for docs, where
//! it is available. Without it, `--format dot` plus any DOT renderer gives the same picture.

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

/// The SVG Graphviz draws from `dot_text`, or why there is none.
pub fn render(dot_text: &str) -> Result<String, String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| match error.kind() {
            io::ErrorKind::NotFound => {
                "`--format svg` needs Graphviz's `dot` on PATH (Debian: `apt-get install graphviz`); \
                 `--format dot` writes the DOT text for any Graphviz renderer"
                    .to_owned()
            }
            _ => format!("cannot run Graphviz's `dot`: {error}"),
        })?;
    let (Some(mut stdin), Some(mut stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        let _ = child.kill();
        return Err("cannot talk to Graphviz's `dot`".to_owned());
    };
    // Written from its own thread while this one reads, so neither side waits on a full pipe.
    let (written, svg, errors) = std::thread::scope(|scope| {
        let writer = scope.spawn(move || stdin.write_all(dot_text.as_bytes()));
        let errors = scope.spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut svg = Vec::new();
        let read = stdout.read_to_end(&mut svg);
        let written = writer.join().unwrap_or_else(|_| Err(io::Error::other("the writer thread failed")));
        let errors = errors.join().unwrap_or_default();
        (written.and(read.map(|_| ())), svg, errors)
    });
    let status = child.wait().map_err(|error| format!("cannot wait for Graphviz's `dot`: {error}"))?;
    if !status.success() || written.is_err() {
        let why = errors.lines().next().unwrap_or("no message").to_owned();
        return Err(format!("Graphviz's `dot` failed ({status}): {why}"));
    }
    String::from_utf8(svg).map_err(|_| "Graphviz's `dot` wrote an SVG that is not UTF-8".to_owned())
}
