//! `journey explain J0101` and `journey explain --list`.

use std::io::{self, Write};

use journey_compiler::Code;

use crate::args::ExplainArgs;
use crate::exit::Exit;

pub fn run(args: &ExplainArgs) -> Exit {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match (&args.code, args.list) {
        (Some(text), _) => match Code::parse(text) {
            Some(code) => explain(code, &mut out).map(|()| Exit::Ok),
            None => {
                let _ = writeln!(
                    io::stderr().lock(),
                    "error: unknown diagnostic code `{}`; known codes are {} (`journey explain --list` shows them all)",
                    crate::files::escape_controls(text),
                    code_ranges()
                );
                Ok(Exit::Usage)
            }
        },
        (None, _) => list(&mut out).map(|()| Exit::Ok),
    };
    match result.and_then(|exit| out.flush().map(|()| exit)) {
        Ok(exit) => exit,
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(error) => {
            let _ = writeln!(io::stderr().lock(), "error: cannot write output: {error}");
            Exit::Usage
        }
    }
}

fn explain(code: Code, out: &mut dyn Write) -> io::Result<()> {
    let text = code.explanation();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(())
}

fn list(out: &mut dyn Write) -> io::Result<()> {
    for code in Code::ALL {
        writeln!(out, "{code}  {:<7}  {}", code.default_severity().as_str(), code.title())?;
    }
    Ok(())
}

/// The codes as ranges of consecutive numbers within each group: `J0101-J0116, J0201-J0203`.
pub fn code_ranges() -> String {
    let mut ranges: Vec<(Code, Code)> = Vec::new();
    for &code in Code::ALL {
        match ranges.last_mut() {
            Some((_, last)) if follows(*last, code) => *last = code,
            _ => ranges.push((code, code)),
        }
    }
    ranges
        .iter()
        .map(|(first, last)| if first == last { first.to_string() } else { format!("{first}-{last}") })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `next` is the code right after `last` in the same group (`J0115` then `J0116`).
fn follows(last: Code, next: Code) -> bool {
    let number = |code: Code| code.as_str().get(1..).and_then(|digits| digits.parse::<u32>().ok());
    match (number(last), number(next)) {
        (Some(a), Some(b)) => b == a + 1 && a / 100 == b / 100,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_ranges_start_and_end_with_catalogue_codes() {
        let ranges = code_ranges();
        assert!(ranges.starts_with(Code::ALL[0].as_str()));
        assert!(ranges.ends_with(Code::ALL[Code::ALL.len() - 1].as_str()));
    }
}
