#!/usr/bin/env bash
# Mutation testing of the checker's analyses, a fixed sample (docs/testing.md): the mutants that
# once survived the whole workspace's tests (the joins of Consent, Window, Frequency and
# InBusinessHours made no-ops, Consent::establishes always true). Each must be caught by a test
# that fails, not by a build or a command that fails: every caught mutant's log must show a
# failing test. The whole run over compiler/src/flow is `cargo mutants` (.cargo/mutants.toml).
#
#   bash tools/mutants-sample.sh            # installs cargo-mutants when missing
set -euo pipefail
cd "$(dirname "$0")/.."

if ! cargo mutants --version > /dev/null 2>&1; then
  # cargo-mutants builds and tests each mutant in turn; pinned for a reproducible run.
  cargo install cargo-mutants --version 27.1.0 --locked
fi

OUT=${MUTANTS_OUT:-${CARGO_TARGET_DIR:-target}/mutants-sample}
rm -rf "$OUT"
mkdir -p "$OUT"
SAMPLE="Consent>::join with \(\)|Consent::establishes -> bool with true|Frequency>::join with \(\)|InBusinessHours>::join with \(\)|Window<'_>>::join with \(\)"
EXPECTED=5
# `MUTANTS_SAMPLE=ci`: CI's fixed budget (about 5 minutes instead of 14), the two mutants that
# fixtures catch (tests/diagnostics.rs, tests/bundle.rs) rather than the differential test. The
# differential test then runs a few projects only: it is not what catches these two, and at its
# default 300 it would cost each mutant over two minutes. The whole sample is the default.
if [ "${MUTANTS_SAMPLE:-all}" = ci ]; then
  SAMPLE="Consent::establishes -> bool with true|Window<'_>>::join with \(\)"
  EXPECTED=2
  export JOURNEY_DIFF_CASES=20
fi
# `-- --` passes `--skip` to the test binaries: the weakened-checker tests test the tester, not
# the analyses, and take minutes.
status=0
# No baseline run: the unmutated tree's tests are the README's test command, which CI runs first,
# and the log check below rejects a mutant "caught" by anything but a failing test.
# On CI (a throwaway clone) the mutants are made in place, reusing the clone's build; elsewhere in a
# copy of the tree, so that an interrupted run never leaves a mutated file behind.
# There the dev profile is used too, whose build the README's test command has just made, rather
# than .cargo/mutants.toml's own profile, whose dependencies would be built once more.
# The selection is checked before minutes of builds: cargo-mutants 27.1.0 lets some mutants (field
# deletions in struct updates) through `--re`, so a new one in flow/ would silently join the sample.
selected=$(cargo mutants --list --re "$SAMPLE")
if [ "$(printf '%s\n' "$selected" | grep -c .)" -ne "$EXPECTED" ]; then
  echo "the sample should be $EXPECTED mutants; --re selects:"
  printf '%s\n' "$selected"
  exit 1
fi
IN_PLACE=()
if [ -n "${CI:-}" ]; then IN_PLACE=(--in-place --profile dev); fi
cargo mutants "${IN_PLACE[@]}" --no-shuffle --baseline skip --timeout 1500 -o "$OUT" --re "$SAMPLE" -- -- --skip _caught || status=$?

outcomes="$OUT/mutants.out"
caught=$(wc -l < "$outcomes/caught.txt")
echo "caught: $caught of $EXPECTED"
cat "$outcomes/caught.txt"
if [ -s "$outcomes/missed.txt" ] || [ -s "$outcomes/timeout.txt" ] || [ -s "$outcomes/unviable.txt" ]; then
  echo "mutants not caught:"
  cat "$outcomes/missed.txt" "$outcomes/timeout.txt" "$outcomes/unviable.txt"
  exit 1
fi
[ "$caught" -eq "$EXPECTED" ] || { echo "expected $EXPECTED caught mutants"; exit 1; }
for log in "$outcomes"/log/*.log; do
  grep -q "^test .* FAILED$\|test result: FAILED" "$log" || {
    echo "$log: counted as caught, but no test failed in it"
    exit 1
  }
done
exit "$status"
