#!/usr/bin/env bash
# Whole-process benchmark of `journey check` on the generated workloads (docs/performance.md)
#
# Builds release, generates the files with `journey-gen` into a temporary directory, and measures
# per file the median wall time of `journey check FILE` (hyperfine when available, else a timing
# loop) and the peak RSS (GNU time). Prints a Markdown table and the growth exponent 1k -> 10k.
#
#   bash bench/run.sh                 # everything (1-2 minutes on 2 cores after the build)
#   RUNS=20 bash bench/run.sh         # at least this many runs per file (default 10, minimum 3)
#   SIZES="10 1000 10000" bash bench/run.sh --baseline-only
#   KEEP=/tmp/bench bash bench/run.sh # keep the generated files and raw timings there
#
# Works on a fresh machine: hyperfine and GNU time are installed with apt-get when missing and
# apt-get is usable (root; NO_INSTALL=1 never installs); without them it falls back to a
# `date +%s%N` loop (NO_HYPERFINE=1 forces it) and reports RSS as n/a. Timings on a shared machine
# are noisy: run it idle.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10}
SIZES=${SIZES:-"10 100 1000 10000 20000 100000"}
BASELINE_ONLY=0
for arg in "$@"; do
  case "$arg" in
    --baseline-only) BASELINE_ONLY=1 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [ "$RUNS" -lt 3 ]; then RUNS=3; fi

log() { echo "$@" >&2; }

# --- tools ------------------------------------------------------------------------------------
can_apt() { [ "${NO_INSTALL:-0}" != 1 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; }
apt_install() {
  # Try without an update first (fast when the lists are fresh), then with one.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
}
if [ "${NO_HYPERFINE:-0}" != 1 ] && ! command -v hyperfine >/dev/null 2>&1 && can_apt; then
  log "installing hyperfine with apt-get..."
  apt_install hyperfine || log "could not install hyperfine; using a timing loop"
fi
GNU_TIME=${GNU_TIME:-/usr/bin/time}
if ! [ -x "$GNU_TIME" ] && can_apt; then
  log "installing GNU time with apt-get..."
  apt_install time || true
fi
HAVE_HYPERFINE=0; [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1 && HAVE_HYPERFINE=1
HAVE_TIME=0; [ -x "$GNU_TIME" ] && "$GNU_TIME" -v true >/dev/null 2>&1 && HAVE_TIME=1

# --- build and generate -------------------------------------------------------------------------
log "building release..."
cargo build --release --locked -q -p journey -p journey-gen
JOURNEY=$PWD/target/release/journey
GEN=$PWD/target/release/journey-gen

if [ -n "${KEEP:-}" ]; then
  WORK=$KEEP; mkdir -p "$WORK"
else
  WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi

# name|journey-gen arguments|expected exit status of `journey check`
CASES=()
for n in $SIZES; do CASES+=("baseline-$n|baseline $n|0"); done
if [ "$BASELINE_ONLY" = 0 ]; then
  for every in 10 4 2; do CASES+=("density-10000-every-$every|density 10000 $every|0"); done
  for k in 10 20 40 60; do CASES+=("diamond-$k|diamond $k|0"); done
  CASES+=("ring-10000|ring 10000|0" "invalid-10000|invalid 10000|1" "syntax-error-10000|syntax-error 10000|1" "lsp|lsp|0")
fi

log "generating ${#CASES[@]} files into $WORK..."
for case in "${CASES[@]}"; do
  IFS='|' read -r name args expect <<<"$case"
  # shellcheck disable=SC2086 # args are words on purpose
  "$GEN" $args >"$WORK/$name.journey"
  # Sanity gate (§7.2): valid files check clean, the invalid ones fail.
  status=0; "$JOURNEY" check --format short "$WORK/$name.journey" >"$WORK/$name.out" 2>&1 || status=$?
  if [ "$status" != "$expect" ]; then
    log "sanity gate failed: journey check $name exited $status, expected $expect:"
    head -20 "$WORK/$name.out" >&2
    exit 1
  fi
done

# --- measure ------------------------------------------------------------------------------------
# Prints the median wall time in seconds of `journey check FILE` over $RUNS runs.
median_time() {
  local file=$1 csv=$2
  if [ "$HAVE_HYPERFINE" = 1 ]; then
    # At least $RUNS runs, more while within hyperfine's default 3 s budget: small files, where
    # one preempted run on a shared machine shifts the median most, get hundreds of runs.
    hyperfine -N -i --style none -w 2 -m "$RUNS" --export-csv "$csv" \
      "$JOURNEY check --format short $file" >/dev/null 2>&1
    # columns: command,mean,stddev,median,user,system,min,max
    awk -F, 'NR == 2 { print $4 }' "$csv"
  else
    local i start end
    : >"$csv"
    "$JOURNEY" check --format short "$file" >/dev/null 2>&1 || true
    for ((i = 0; i < RUNS; i++)); do
      start=$(date +%s%N)
      "$JOURNEY" check --format short "$file" >/dev/null 2>&1 || true
      end=$(date +%s%N)
      echo $(((end - start))) >>"$csv"
    done
    sort -n "$csv" | awk '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.9f\n", m / 1e9 }'
  fi
}

# Prints the peak RSS in KiB of one `journey check FILE` (the largest of three runs), or n/a.
peak_rss() {
  local file=$1 max=0 kb i
  if [ "$HAVE_TIME" = 0 ]; then echo n/a; return; fi
  for i in 1 2 3; do
    "$GNU_TIME" -v -o "$WORK/time.txt" "$JOURNEY" check --format short "$file" >/dev/null 2>&1 || true
    kb=$(awk -F: '/Maximum resident set size/ { gsub(/[ \t]/, "", $2); print $2 }' "$WORK/time.txt")
    [ -n "$kb" ] && [ "$kb" -gt "$max" ] && max=$kb
  done
  echo "$max"
}

if [ "$HAVE_HYPERFINE" = 1 ]; then TIMER="hyperfine $(hyperfine --version | awk '{ print $2 }') -N, 2 warm-up runs, median of at least $RUNS runs (as many as fit in 3 s)"
else TIMER="date +%s%N loop, 1 warm-up run, median of $RUNS"; fi

declare -A TIME
ROWS=()
for case in "${CASES[@]}"; do
  IFS='|' read -r name _ _ <<<"$case"
  file=$WORK/$name.journey
  log "timing $name..."
  t=$(median_time "$file" "$WORK/$name.csv")
  rss=$(peak_rss "$file")
  TIME[$name]=$t
  bytes=$(wc -c <"$file" | tr -d ' ')
  lines=$(wc -l <"$file" | tr -d ' ')
  ROWS+=("$name $bytes $lines $t $rss")
done

# --- report -------------------------------------------------------------------------------------
echo "## journey check, whole process ($(date -u +%Y-%m-%d), $(nproc) cores, commit $(git describe --always --dirty 2>/dev/null || echo unknown))"
echo
if [ "$HAVE_TIME" = 1 ]; then RSS_HOW="GNU time, the largest of 3 runs (MB = 2^20 bytes)"; else RSS_HOW="n/a (no GNU time)"; fi
echo "Timer: $TIMER. Peak RSS: $RSS_HOW."
echo "MB/s = source bytes (10^6) / median wall time of the whole process, startup included."
echo
echo "| file | bytes | lines | median time | MB/s | peak RSS | RSS per 1k lines |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for row in "${ROWS[@]}"; do
  # shellcheck disable=SC2086
  set -- $row
  awk -v name="$1" -v bytes="$2" -v lines="$3" -v t="$4" -v rss="$5" 'BEGIN {
    if (rss == "n/a") { r = "n/a"; per = "n/a" }
    else { r = sprintf("%.1f MB", rss / 1024); per = sprintf("%.2f MB", rss / 1024 / (lines / 1000)) }
    if (lines < 1000 && per != "n/a") per = "-"  # startup memory dominates: not a per-line figure
    printf "| %s | %d | %d | %.2f ms | %.1f | %s | %s |\n", name, bytes, lines, t * 1000, bytes / t / 1e6, r, per
  }'
done
echo
t1k=${TIME[baseline-1000]:-}; t10k=${TIME[baseline-10000]:-}; t20k=${TIME[baseline-20000]:-}; t10=${TIME[baseline-10]:-}
if [ -n "$t1k" ] && [ -n "$t10k" ]; then
  awk -v a="$t1k" -v b="$t10k" 'BEGIN { printf "Growth exponent 1k -> 10k: log(t10k / t1k) / log(10) = %.2f\n", log(b / a) / log(10) }'
  if [ -n "$t10" ]; then
    awk -v s="$t10" -v a="$t1k" -v b="$t10k" 'BEGIN {
      if (a > s && b > s) printf "Growth exponent 1k -> 10k without startup (docs/performance.md, t(10) subtracted): %.2f\n", log((b - s) / (a - s)) / log(10) }'
  fi
fi
if [ -n "$t10k" ] && [ -n "$t20k" ]; then
  awk -v a="$t10k" -v b="$t20k" 'BEGIN { printf "t(20k) / t(10k) = %.2f\n", b / a }'
fi
d10=${TIME[density-10000-every-10]:-}; d2=${TIME[density-10000-every-2]:-}
if [ -n "$d10" ] && [ -n "$d2" ]; then
  awk -v a="$d10" -v b="$d2" 'BEGIN { printf "Branch density 10 %% -> 50 %% at 10k stages: t(every 2) / t(every 10) = %.2f\n", b / a }'
fi
