//! Synthetic `.journey` workloads for benchmarks: the generator of docs/performance.md in our
//! syntax, so that performance is measured on the same abstract journey the peers were measured on.
//!
//! Stage `i` of `N` (0-based), with branches every 10 stages in the baseline:
//!
//! - `i == N-1`: terminal stage, `exit` (or `goto s0` for a ring, `goto nowhere` for
//!   invalid-at-end, `send` without a message for syntax-error-at-end);
//! - `i % 10 == 9`: branch, `if consent(CH, marketing) { goto s{i+1} }` / `else { goto s{min(i+5, N-1)} }`
//!   with `CH = [email, sms, whatsapp][i % 3]` (rejoins five stages later);
//! - `i % 5 == 4`: `wait 1d` then `goto s{i+1}`;
//! - otherwise: `send m{i % 3}` then `goto s{i+1}`.
//!
//! Every stage is four lines (`stage sI {`, two statements, `}`), the terminal one three, so a
//! 10,000-stage file is about 40,000 lines. The header declares a profile, an inbound event, a
//! policy (quiet hours, at most 2 marketing messages per 7 days) and the messages: `m0` (email),
//! `m1` (SMS) and `m2` (WhatsApp template) are utility messages, so the chain of sends needs no
//! marketing consent and hits no frequency cap (the audience has the WhatsApp opt-in that `m2`, a
//! template outside the window, needs: WA-OPTIN); `p0` (email) and `p1` (SMS) are marketing messages
//! with their unsubscribe and opt-out wording, sent by the diamond ladder under a consent check.
//! Every valid variant passes the whole checker (names, content, consent, windows, frequency).
//!
//! Output is deterministic: the same variant always produces the same bytes.

use std::fmt::Write as _;

/// Baseline sizes of §7.2 (with 20k and 100k for the size-scaling and robustness goals G3a, G6).
pub const BASELINE_SIZES: [usize; 6] = [10, 100, 1_000, 10_000, 20_000, 100_000];
/// Branch densities at N = 10k: a branch stage every 10, 4 and 2 stages (10 %, 25 %, 50 %).
pub const BRANCH_EVERY: [usize; 3] = [10, 4, 2];
/// Diamond ladder lengths: k sequential branch/rejoin diamonds, 2^k paths.
pub const DIAMOND_KS: [usize; 4] = [10, 20, 40, 60];
/// Target length of the LSP file (§4: about 2,500 stages of our syntax).
pub const LSP_LINES: usize = 10_000;

const CHANNELS: [&str; 3] = ["email", "sms", "whatsapp"];

/// The declarations before the journey: everything the stages refer to.
const HEADER: &str = r#"import "std/channels"

profile {
  first_name:      text?
  email:           email?
  phone:           phone?
  timezone:        timezone
  postal_address:  text
  unsubscribe_url: url
}

event started inbound messenger {}

message m0 on email as utility {
  subject "Your order"
  text "Hello {first_name ?? "there"}, your order is on its way"
}

message m1 on sms as utility {
  text "Hi {first_name ?? "there"}, your order is on its way. Reply STOP to opt out"
}

message m2 on whatsapp as utility {
  template "order_update" lang "en_US" { name = first_name }
}

message p0 on email as marketing {
  subject "New offers"
  text "Hello {first_name ?? "there"}, new offers are in. Unsubscribe: {unsubscribe_url} - {postal_address}"
}

message p1 on sms as marketing {
  text "Hi {first_name ?? "there"}, new offers are in. Reply STOP to opt out"
}

policy {
  quiet_hours 21:00..08:00 recipient
  frequency marketing at most 2 per 7d
}

journey big {
  entry on started
  reentry never
  audience consent(whatsapp, utility)
"#;

/// What the last stage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Last {
    /// `exit`: the valid baseline.
    Exit,
    /// `goto s0`: a loop back to the start (re-entry journey), for the fixpoint goal G3c.
    Ring,
    /// `goto nowhere`: a dangling target (§7.2's invalid-at-end), one unknown-stage error at the
    /// very end of the file, so a checker must get through everything before it.
    Dangling,
    /// `send` without a message: one syntax error at the very end of the file. Before names were
    /// resolved this was the only way to make the last stage invalid; it stays to time the error
    /// path of the parser alone.
    SyntaxError,
}

/// One workload of §7.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `n` stages, a branch every 10 stages.
    Baseline { n: usize },
    /// `n` stages, a branch every `every` stages (`every` = 10, 4, 2 for 10 %, 25 %, 50 %).
    BranchDensity { n: usize, every: usize },
    /// `k` stages in a chain, each a diamond `if consent(..) { send .. } else { send .. }` that
    /// rejoins before the stage's `wait 4d` and `goto`: 2^k paths through k + 1 stages.
    DiamondLadder { k: usize },
    /// The baseline with the last stage jumping back to `s0`.
    Ring { n: usize },
    /// The baseline whose last stage jumps to a stage that does not exist (`goto nowhere`), the
    /// dangling target of §7.2: valid syntax, exactly one error (unknown stage).
    InvalidAtEnd { n: usize },
    /// The baseline whose last stage is `send` without a message: exactly one syntax error.
    SyntaxErrorAtEnd { n: usize },
    /// The baseline sized to about [`LSP_LINES`] lines, for editor latency.
    Lsp,
}

impl Variant {
    /// The source text of this variant.
    pub fn generate(self) -> String {
        match self {
            Variant::Baseline { n } => chain(n, 10, Last::Exit),
            Variant::BranchDensity { n, every } => chain(n, every, Last::Exit),
            Variant::DiamondLadder { k } => diamond_ladder(k),
            Variant::Ring { n } => chain(n, 10, Last::Ring),
            Variant::InvalidAtEnd { n } => chain(n, 10, Last::Dangling),
            Variant::SyntaxErrorAtEnd { n } => chain(n, 10, Last::SyntaxError),
            Variant::Lsp => chain(lsp_stages(), 10, Last::Exit),
        }
    }

    /// Whether the generated file is meant to check without errors.
    pub fn is_valid(self) -> bool {
        !matches!(self, Variant::InvalidAtEnd { .. } | Variant::SyntaxErrorAtEnd { .. })
    }

    /// A short stable name, for benchmark ids and file names (`baseline-10000`, `density-10000-every-4`).
    pub fn name(self) -> String {
        match self {
            Variant::Baseline { n } => format!("baseline-{n}"),
            Variant::BranchDensity { n, every } => format!("density-{n}-every-{every}"),
            Variant::DiamondLadder { k } => format!("diamond-{k}"),
            Variant::Ring { n } => format!("ring-{n}"),
            Variant::InvalidAtEnd { n } => format!("invalid-{n}"),
            Variant::SyntaxErrorAtEnd { n } => format!("syntax-error-{n}"),
            Variant::Lsp => "lsp".to_owned(),
        }
    }

    /// Parses command-line words: `baseline N`, `density N EVERY`, `diamond K`, `ring N`,
    /// `invalid N`, `syntax-error N`, `lsp`.
    pub fn from_args<S: AsRef<str>>(args: &[S]) -> Result<Variant, String> {
        let words: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let number = |word: &str, what: &str| -> Result<usize, String> {
            let value: usize =
                word.replace('_', "").parse().map_err(|_| format!("{what} must be a number, got `{word}`"))?;
            if value == 0 {
                return Err(format!("{what} must be at least 1"));
            }
            Ok(value)
        };
        match words.as_slice() {
            ["baseline", n] => Ok(Variant::Baseline { n: number(n, "N")? }),
            ["density", n, every] => Ok(Variant::BranchDensity { n: number(n, "N")?, every: number(every, "EVERY")? }),
            ["diamond", k] => Ok(Variant::DiamondLadder { k: number(k, "K")? }),
            ["ring", n] => Ok(Variant::Ring { n: number(n, "N")? }),
            ["invalid", n] => Ok(Variant::InvalidAtEnd { n: number(n, "N")? }),
            ["syntax-error", n] => Ok(Variant::SyntaxErrorAtEnd { n: number(n, "N")? }),
            ["lsp"] => Ok(Variant::Lsp),
            _ => Err(USAGE.to_owned()),
        }
    }
}

/// Usage of the `journey-gen` binary.
pub const USAGE: &str = "\
usage: journey-gen VARIANT > file.journey

variants:
  baseline N         N stages, a branch every 10 stages (docs/performance.md)
  density N EVERY    N stages, a branch every EVERY stages (10, 4, 2 = 10 %, 25 %, 50 %)
  diamond K          K sequential if/else diamonds in a stage chain (2^K paths)
  ring N             baseline whose last stage jumps back to s0
  invalid N          baseline whose last stage jumps to an unknown stage (`goto nowhere`)
  syntax-error N     baseline with one syntax error in the last stage (`send` without a message)
  lsp                baseline of about 10,000 lines (about 2,500 stages)";

/// The baseline of `n` stages.
pub fn baseline(n: usize) -> String {
    Variant::Baseline { n }.generate()
}

/// Number of stages that makes the LSP file about [`LSP_LINES`] lines long.
fn lsp_stages() -> usize {
    // Lines: comment + header + 4 per stage, one fewer for the terminal stage, + the closing `}`.
    let fixed = 1 + HEADER.lines().count() + 1 - 1;
    LSP_LINES.saturating_sub(fixed) / 4
}

fn start(capacity_stages: usize, what: &str) -> String {
    let mut out = String::with_capacity(HEADER.len() + 64 + capacity_stages * 64);
    let _ = writeln!(out, "// Generated by journey-gen ({what}); see tools/gen.");
    out.push_str(HEADER);
    out
}

/// The §7.2 chain with a branch every `every` stages.
fn chain(n: usize, every: usize, last: Last) -> String {
    let n = n.max(1);
    let every = every.max(1);
    let what = match last {
        Last::Exit => format!("{n} stages, a branch every {every}"),
        Last::Ring => format!("{n} stages in a ring"),
        Last::Dangling => format!("{n} stages, an unknown stage at the end"),
        Last::SyntaxError => format!("{n} stages, a syntax error at the end"),
    };
    let mut out = start(n, &what);
    for i in 0..n {
        let _ = writeln!(out, "  stage s{i} {{");
        if i == n - 1 {
            match last {
                Last::Exit => out.push_str("    exit\n"),
                Last::Ring => out.push_str("    goto s0\n"),
                Last::Dangling => out.push_str("    goto nowhere\n"),
                Last::SyntaxError => out.push_str("    send\n"),
            }
        } else if i % every == every - 1 {
            let channel = channel(i);
            let skip = (i + 5).min(n - 1);
            let _ = writeln!(out, "    if consent({channel}, marketing) {{ goto s{} }}", i + 1);
            let _ = writeln!(out, "    else {{ goto s{skip} }}");
        } else if i % 5 == 4 {
            let _ = writeln!(out, "    wait 1d\n    goto s{}", i + 1);
        } else {
            let _ = writeln!(out, "    send m{}\n    goto s{}", i % 3, i + 1);
        }
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// `k` diamonds, one per stage: the then-branch sends the marketing message of the channel whose
/// consent it checked (email or SMS), the else-branch the WhatsApp utility template; both rejoin
/// before `wait 4d`, which keeps any path within the policy's 2 marketing messages per 7 days.
fn diamond_ladder(k: usize) -> String {
    let mut out = start(k + 1, &format!("a ladder of {k} diamonds"));
    for j in 0..k {
        let message = j % 2;
        let channel = CHANNELS.get(message).copied().unwrap_or("email");
        let _ = writeln!(out, "  stage s{j} {{");
        let _ = writeln!(out, "    if consent({channel}, marketing) {{ send p{message} }} else {{ send m2 }}");
        let _ = writeln!(out, "    wait 4d\n    goto s{}", j + 1);
        out.push_str("  }\n");
    }
    let _ = writeln!(out, "  stage s{k} {{\n    exit\n  }}\n}}");
    out
}

fn channel(i: usize) -> &'static str {
    CHANNELS.get(i % 3).copied().unwrap_or("email")
}

#[cfg(test)]
mod tests {
    use super::*;
    use journey_compiler::{check_file, check_project, parse, FileId};
    use journey_test_support::memory_project;

    /// A project of one in-memory file, checked as `journey check` would (names, types, content).
    fn project_diagnostics(text: &str) -> Vec<journey_compiler::Diagnostic> {
        let (memory, entries) = memory_project([("big.journey", text)]);
        check_project(&entries, &memory).diagnostics
    }

    fn assert_clean(variant: Variant) {
        let text = variant.generate();
        let parsed = parse(FileId(0), &text);
        assert!(
            parsed.diagnostics.is_empty(),
            "{} has diagnostics: {:#?}",
            variant.name(),
            parsed.diagnostics.iter().take(3).collect::<Vec<_>>()
        );
        assert!(!parsed.ast.items.is_empty(), "{} parsed to no items", variant.name());
    }

    #[test]
    fn every_baseline_size_parses_without_diagnostics() {
        for n in BASELINE_SIZES {
            assert_clean(Variant::Baseline { n });
        }
        assert_clean(Variant::Baseline { n: 1 });
        assert_clean(Variant::Baseline { n: 2 });
    }

    #[test]
    fn every_branch_density_parses_without_diagnostics() {
        for every in BRANCH_EVERY {
            assert_clean(Variant::BranchDensity { n: 10_000, every });
        }
        assert_clean(Variant::BranchDensity { n: 50, every: 1 });
    }

    #[test]
    fn every_diamond_ladder_parses_without_diagnostics() {
        for k in DIAMOND_KS {
            assert_clean(Variant::DiamondLadder { k });
        }
        assert_clean(Variant::DiamondLadder { k: 0 });
    }

    #[test]
    fn rings_and_the_lsp_file_parse_without_diagnostics() {
        assert_clean(Variant::Ring { n: 10_000 });
        assert_clean(Variant::Ring { n: 1 });
        assert_clean(Variant::Lsp);
        assert!(Variant::Lsp.is_valid());
    }

    #[test]
    fn every_valid_variant_checks_clean_as_a_project() {
        // Names, types and channel content too, not only syntax; at sizes that stay quick in an
        // unoptimised build (the benches check the large ones before timing them).
        let mut variants = vec![Variant::Baseline { n: 1 }, Variant::Baseline { n: 1_000 }, Variant::Ring { n: 1_000 }];
        variants.extend(BRANCH_EVERY.map(|every| Variant::BranchDensity { n: 1_000, every }));
        variants.extend(DIAMOND_KS.map(|k| Variant::DiamondLadder { k }));
        for variant in variants {
            let diagnostics = project_diagnostics(&variant.generate());
            assert!(
                diagnostics.is_empty(),
                "{}: {:#?}",
                variant.name(),
                diagnostics.iter().take(3).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn invalid_variants_have_exactly_one_error_in_the_last_stage() {
        let in_last_stage = |text: &str, diagnostic: &journey_compiler::Diagnostic| {
            diagnostic.primary.span.start as usize >= text.rfind("  stage ").unwrap()
        };
        for n in [1, 10, 1_000] {
            // `goto nowhere`: parses, and names report the one unknown stage.
            let variant = Variant::InvalidAtEnd { n };
            assert!(!variant.is_valid());
            let text = variant.generate();
            assert_eq!(parse(FileId(0), &text).diagnostics.len(), 0, "{n}");
            let diagnostics = project_diagnostics(&text);
            assert_eq!(diagnostics.len(), 1, "{n}: {diagnostics:#?}");
            assert!(in_last_stage(&text, &diagnostics[0]), "{n}: {diagnostics:#?}");
            assert!(diagnostics[0].message.contains("nowhere"), "{n}: {diagnostics:#?}");

            // `send` without a message: one syntax error, and nothing else after it.
            let variant = Variant::SyntaxErrorAtEnd { n };
            assert!(!variant.is_valid());
            let text = variant.generate();
            let checked = check_file(FileId(0), text.as_bytes());
            assert_eq!(checked.diagnostics.len(), 1, "{n}: {:#?}", checked.diagnostics);
            assert!(in_last_stage(&text, &checked.diagnostics[0]), "{n}: error is not in the last stage");
            assert_eq!(project_diagnostics(&text).len(), 1, "{n}");
        }
        let text = Variant::SyntaxErrorAtEnd { n: 10_000 }.generate();
        assert_eq!(check_file(FileId(0), text.as_bytes()).diagnostics.len(), 1);
    }

    #[test]
    fn stages_follow_the_rules_of_section_7_2() {
        let text = baseline(20);
        let stage = |i: usize| {
            let start = text.find(&format!("  stage s{i} {{\n")).unwrap();
            let end = start + text[start..].find("\n  }").unwrap();
            text[start..end].lines().skip(1).map(str::trim).collect::<Vec<_>>()
        };
        assert_eq!(stage(0), ["send m0", "goto s1"]);
        assert_eq!(stage(2), ["send m2", "goto s3"]);
        assert_eq!(stage(4), ["wait 1d", "goto s5"]);
        assert_eq!(stage(9), ["if consent(email, marketing) { goto s10 }", "else { goto s14 }"]);
        assert_eq!(stage(14), ["wait 1d", "goto s15"]);
        assert_eq!(stage(19), ["exit"]);
        // The last branch before the end skips to the terminal stage at most.
        let text = baseline(12);
        assert!(text.contains("if consent(email, marketing) { goto s10 }\n    else { goto s11 }"));
        // 10 stages of 4 lines, the terminal one 3; sources are identical run to run.
        assert_eq!(baseline(1_000), baseline(1_000));
        let lines = |n: usize| baseline(n).lines().count();
        assert_eq!(lines(1_000) - lines(10), 990 * 4);
    }

    #[test]
    fn ten_thousand_stages_are_forty_thousand_lines_and_the_lsp_file_ten_thousand() {
        let big = baseline(10_000);
        let lines = big.lines().count();
        assert!((40_000..40_100).contains(&lines), "{lines}");
        let lsp = Variant::Lsp.generate().lines().count();
        assert!((LSP_LINES - 4..=LSP_LINES).contains(&lsp), "{lsp}");
    }

    #[test]
    fn ring_and_invalid_ends_differ_from_the_baseline_only_in_the_comment_and_the_last_stage() {
        let base = baseline(100);
        for (variant, last) in [
            (Variant::Ring { n: 100 }, "goto s0"),
            (Variant::InvalidAtEnd { n: 100 }, "goto nowhere"),
            (Variant::SyntaxErrorAtEnd { n: 100 }, "send"),
        ] {
            let text = variant.generate();
            let differ: Vec<(&str, &str)> = base.lines().zip(text.lines()).filter(|(a, b)| a != b).collect();
            assert_eq!(base.lines().count(), text.lines().count());
            assert_eq!(differ.len(), 2, "{differ:?}");
            assert!(differ[0].1.starts_with("// Generated by journey-gen"));
            assert_eq!(differ[1], ("    exit", format!("    {last}").as_str()));
        }
    }

    #[test]
    fn command_line_words_select_variants() {
        assert_eq!(Variant::from_args(&["baseline", "10000"]), Ok(Variant::Baseline { n: 10_000 }));
        assert_eq!(Variant::from_args(&["baseline", "10_000"]), Ok(Variant::Baseline { n: 10_000 }));
        assert_eq!(Variant::from_args(&["density", "10000", "4"]), Ok(Variant::BranchDensity { n: 10_000, every: 4 }));
        assert_eq!(Variant::from_args(&["diamond", "60"]), Ok(Variant::DiamondLadder { k: 60 }));
        assert_eq!(Variant::from_args(&["ring", "5"]), Ok(Variant::Ring { n: 5 }));
        assert_eq!(Variant::from_args(&["invalid", "5"]), Ok(Variant::InvalidAtEnd { n: 5 }));
        assert_eq!(Variant::from_args(&["syntax-error", "5"]), Ok(Variant::SyntaxErrorAtEnd { n: 5 }));
        assert_eq!(Variant::from_args(&["lsp"]), Ok(Variant::Lsp));
        assert!(Variant::from_args(&["baseline", "x"]).unwrap_err().contains("must be a number"));
        assert!(Variant::from_args(&["baseline", "0"]).unwrap_err().contains("at least 1"));
        assert!(Variant::from_args::<&str>(&[]).unwrap_err().starts_with("usage"));
        assert_eq!(Variant::DiamondLadder { k: 60 }.name(), "diamond-60");
    }
}
