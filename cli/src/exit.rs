//! The exit codes of `journey`, in one place (documented in docs/diagnostics.md).

use std::process::ExitCode;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: no errors (and no warnings under `--deny warnings`).
    Ok,
    /// 1: errors found, or warnings under `--deny warnings`.
    Problems,
    /// 2: usage or I/O error: bad flag, unknown code, unreadable path, nothing to check.
    Usage,
    /// 4: an analysis could not finish within its budget (J0413): nothing was proved, so the
    /// run fails closed, distinguishably from ordinary errors.
    Inconclusive,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Problems => 1,
            Exit::Usage => 2,
            Exit::Inconclusive => 4,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}
