//! Every resource bound of the compiler, in one place.
//!
//! Each limit is reported by a diagnostic that names it; none truncates silently.

/// Largest source file accepted. Large enough for the 100,000-stage benchmark file (about 6 MB),
/// small enough that a stray 10 MB log file is refused before parsing.
pub const MAX_SOURCE_BYTES: usize = 8 * 1024 * 1024;

/// Deepest nesting of `{`, `(` and string interpolation. Keeps every recursive pass and every
/// bundle far inside the stack and serde_json's default depth of 128.
pub const MAX_NESTING: usize = 32;

/// Deepest recursion of tree building (lowering). The scanner's [`MAX_NESTING`] keeps braces,
/// parentheses and interpolations well inside it; this also bounds what the scanner does not
/// see, such as `set<set<...>>` types. Sized so that recursive passes stay far inside a 2 MiB
/// stack even in debug builds.
pub const MAX_TREE_DEPTH: usize = 64;

/// Longest identifier, in bytes.
pub const MAX_IDENT_BYTES: usize = 256;

/// Longest string literal, in bytes. Channel length rules are checked separately.
pub const MAX_STRING_BYTES: usize = 8 * 1024;

/// Longest duration accepted anywhere: 3650 days. Longer waits are almost always a typo, and the
/// bound keeps every sum of durations along a path far from overflowing `u64` seconds.
pub const MAX_DURATION_SECS: u64 = 3650 * 24 * 3600;

/// Work "did you mean" may do in one check, in edit-distance table cells (names.rs): about
/// 0.1 s on a laptop. A real project's typos cost a few thousand cells each; only names built to
/// defeat the filters (thousands of long names sharing most of their text) reach it, and then
/// lose their suggestions with a note, instead of making the check take minutes.
pub const SUGGESTION_BUDGET_CELLS: u64 = 50_000_000;

/// Most re-asks of one `ask` (`retries N`). The flow graph unrolls every re-ask into a node of
/// its own, so that each is checked as the send it is: the bound keeps that growth to a few nodes
/// per `ask`, and asking the same question more than six times in a row is no conversation.
pub const MAX_ASK_RETRIES: u32 = 5;

/// Most diagnostics reported for one file; the rest are counted in a final note.
pub const MAX_DIAGNOSTICS_PER_FILE: usize = 1000;

/// Most operands and prefix operators in one expression. Operator chains build a tree as deep
/// as they are long, and every later pass (and `Drop`) walks that tree recursively.
pub const MAX_EXPR_TERMS: usize = 256;

/// pest's cumulative call budget per parse (pest counts rule calls, not depth, and never refunds
/// them). The grammar is linear, so legitimate input costs a bounded number of calls per byte;
/// the budget is that cost for the largest accepted file with a wide margin, and stops
/// pathological backtracking with J0115 instead of running for minutes.
pub const PARSER_CALL_BUDGET: usize = 400_000_000;

/// Most `request consent` steps in one journey whose grants are traced for the compliance records
/// (`flow/grants.rs`, `consent_granted_by`). Its state is a bit per request at every node, so its
/// memory is nodes times requests: at this bound one 64-bit word a node, as the consent analysis
/// needs for its facts. Real journeys ask for consent a handful of times; above the bound the
/// records leave the field out (docs/bundle.md §10 says so) rather than cost quadratic memory.
pub const MAX_TRACED_CONSENT_REQUESTS: usize = 64;

/// Most nodes (steps that do something) in one journey's flow graph. Every analysis is a
/// worklist fixpoint whose work and memory grow with the graph (about 3 visits per edge per
/// analysis, and a state per node for each of them), so the size of one journey is what bounds
/// their cost. The largest benchmark, 100,000 stages (about 100,000 nodes, 5.3 MB), checks in
/// about 2 s and 320 MB as a whole process (docs/performance.md); two and a half times that keeps
/// every benchmark and any real journey (tens to hundreds of steps) well inside, while a file of
/// one-line steps, which the 8 MiB file limit alone would let reach about a million nodes, is
/// refused (J0509) before an analysis starts instead of taking tens of seconds and gigabytes.
pub const MAX_JOURNEY_NODES: usize = 250_000;

/// Most edges in one journey's flow graph (the entry edge included). The benchmarks have 1.1
/// to 1.5 edges per node (100,000 stages: about 110,000 edges); two per node at the node bound
/// leaves room for branchy journeys and still bounds the analyses, whose work is per edge. A
/// long `else if` chain or a wide `split` adds edges without nodes, so the two are bounded apart.
pub const MAX_JOURNEY_EDGES: usize = 500_000;

/// Most heap `journey check` may hold at once for one file, per byte of the file: 64 times its
/// size (512 MiB for a file at [`MAX_SOURCE_BYTES`]). Diagnostics past
/// [`MAX_DIAGNOSTICS_PER_FILE`] are counted, not built (`diagnostic::Collector`), so what grows
/// with the file is its text, tree and per-byte scan records, never the number of problems in
/// it. Measured by `compiler/tests/memory.rs` on the files that cost the most.
pub const MAX_HEAP_PER_SOURCE_BYTE: usize = 64;
