#!/usr/bin/env bash
# Whole-process benchmark of `journey check` on a synthetic project of many files that import
# each other (200 files in under 200 ms, release build).
#
# Generates the project into a temporary directory: a `journey.toml` at the root and N files
# `gG/fI.journey` (20 per directory). File 0 imports `std/events` and declares the profile and a
# policy; file i > 0 imports file i-1 and file i/2 (`./` in the same directory, `../gG/` across),
# and declares 3 events, 3 segments and 3 messages and one journey that uses segments, events and
# messages of the files it imports. Checks that the project is clean (exit 0, no diagnostics),
# then times `journey check DIR` (the whole project) and `journey check LAST_FILE` (one entry
# that pulls in every other file through imports).
#
#   bash bench/project.sh                 # 200 files, 10 runs at least
#   FILES=1000 RUNS=20 bash bench/project.sh
#   KEEP=/tmp/project bash bench/project.sh   # keep the generated project there
#   JOURNEY=path/to/journey bash bench/project.sh   # time that binary, without building
#
# hyperfine is installed with apt-get when missing and apt-get is usable (root; NO_INSTALL=1
# never installs); without it a `date +%s%N` loop of RUNS runs gives the median (NO_HYPERFINE=1
# forces the loop).
set -euo pipefail
cd "$(dirname "$0")/.."

FILES=${FILES:-200}
RUNS=${RUNS:-10}
TARGET_MS=${TARGET_MS:-200}
for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "project.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done
if [ "$FILES" -lt 2 ]; then FILES=2; fi
if [ "$RUNS" -lt 3 ]; then RUNS=3; fi

log() { echo "$@" >&2; }

# --- tools ------------------------------------------------------------------------------------
can_apt() { [ "${NO_INSTALL:-0}" != 1 ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; }
if [ "${NO_HYPERFINE:-0}" != 1 ] && ! command -v hyperfine >/dev/null 2>&1 && can_apt; then
  log "installing hyperfine with apt-get..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine >/dev/null 2>&1; } \
    || log "could not install hyperfine; using a timing loop"
fi
HAVE_HYPERFINE=0; [ "${NO_HYPERFINE:-0}" != 1 ] && command -v hyperfine >/dev/null 2>&1 && HAVE_HYPERFINE=1

# --- build --------------------------------------------------------------------------------------
if [ -z "${JOURNEY:-}" ]; then
  log "building release..."
  cargo build --release --locked -q -p journey
  JOURNEY=$PWD/target/release/journey
fi

if [ -n "${KEEP:-}" ]; then
  WORK=$KEEP; rm -rf "$WORK"; mkdir -p "$WORK"
else
  WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
fi
ROOT=$WORK/project

# --- generate -----------------------------------------------------------------------------------
dir_of() { echo "g$(($1 / 20))"; }
path_of() { echo "$(dir_of "$1")/f$1.journey"; }
# The import string for file $2 as seen from file $1.
import_of() {
  if [ "$(dir_of "$1")" = "$(dir_of "$2")" ]; then echo "./f$2.journey"; else echo "../$(path_of "$2")"; fi
}

# File 0: the shared declarations every other file builds on.
file_zero() {
  cat <<'EOF'
import "std/events"

profile {
  first_name: text?
  lifetime_value: money
  orders: int
  interests: set<text>
}

policy {
  quiet_hours 21:00..08:00 recipient
}

event e0_a { order_id: text, total: money }
event e0_b { order_id: text, total: money }
event e0_c { order_id: text, total: money }

segment s0_a = lifetime_value >= 100 USD
segment s0_b = "running" in interests
segment s0_c = orders > 1 and not s0_a

message m0_a on messenger as service {
  text "Hi {first_name ?? "there"}! Want to hear about new arrivals?"
  reply "Yes please" -> yes
  reply "No thanks" -> no
}

message m0_b on sms as service {
  text "Thanks for order {event.order_id}! Reply HELP for help."
}

message m0_c on sms as marketing {
  text "New running shoes are in: 10% off this week. Reply STOP to opt out"
}

journey j0 {
  audience s0_a or s0_b
  entry on messenger_message

  stage greet {
    ask m0_a timeout 23h {
      yes => exit
      no => exit
      timeout => exit
    }
  }
}
EOF
}

# File $1 (> 0): imports files $1-1 and $1/2, declares its own names and uses theirs.
file_i() {
  local i=$1 prev=$(($1 - 1)) half=$(($1 / 2))
  echo "import \"$(import_of "$i" "$prev")\""
  if [ "$half" != "$prev" ]; then echo "import \"$(import_of "$i" "$half")\""; fi
  cat <<EOF

event e${i}_a { order_id: text, total: money }
event e${i}_b { order_id: text, total: money }
event e${i}_c { order_id: text, total: money }

segment s${i}_a = lifetime_value >= $((100 + i)) USD and s${prev}_b
segment s${i}_b = "running" in interests or s${half}_a
segment s${i}_c = orders > $((i % 7)) and not s${i}_a

message m${i}_a on messenger as service {
  text "Hi {first_name ?? "there"}! Shall we show you picks number $i?"
  reply "Yes please" -> yes
  reply "No thanks" -> no
}

message m${i}_b on sms as service {
  text "Thanks for order {event.order_id}! Reply HELP for help."
}

message m${i}_c on sms as marketing {
  text "Picks number $i are in: 10% off this week. Reply STOP to opt out"
}

journey j${i} {
  audience s${half}_a or s${prev}_b or s${i}_c
  entry on messenger_message
  exit on e${half}_c

  stage greet {
    ask m${i}_a timeout 23h {
      yes => goto follow
      no => exit
      timeout => exit
    }
  }

  stage follow {
    wait for e${prev}_a within 3d {
      e${prev}_a => {
        send m${half}_b
        if consent(sms, marketing) { send m${prev}_c }
        exit
      }
      timeout => exit
    }
  }
}
EOF
}

log "generating $FILES files into $ROOT..."
mkdir -p "$ROOT"
echo "# synthetic project generated by bench/project.sh" >"$ROOT/journey.toml"
for ((i = 0; i < FILES; i++)); do
  mkdir -p "$ROOT/$(dir_of "$i")"
  if [ "$i" = 0 ]; then file_zero; else file_i "$i"; fi >"$ROOT/$(path_of "$i")"
done
LAST=$(path_of $((FILES - 1)))
bytes=$(cat "$ROOT"/g*/*.journey | wc -c | tr -d ' ')
lines=$(cat "$ROOT"/g*/*.journey | wc -l | tr -d ' ')

# --- sanity gate: the project must check clean ----------------------------------------------------
for target in . "$LAST"; do
  status=0
  (cd "$ROOT" && "$JOURNEY" check --verbose --format short "$target") >"$WORK/check.out" 2>&1 || status=$?
  if [ "$status" != 0 ] || grep -q 'error\[\|warning\[' "$WORK/check.out"; then
    log "sanity gate failed: journey check $target exited $status:"
    head -30 "$WORK/check.out" >&2
    exit 1
  fi
  log "journey check $target: $(grep -m1 '^checked' "$WORK/check.out")"
done

# --- measure ------------------------------------------------------------------------------------
# Prints "median-wall-seconds cpu-seconds" for `journey check TARGET` run in the project root. The
# CPU time (user + system, mean over the runs; hyperfine only, else n/a) is what a busy shared
# machine inflates least: compare it with the wall time to see how much waiting for a core cost.
measure() {
  local target=$1 csv=$WORK/times.csv
  if [ "$HAVE_HYPERFINE" = 1 ]; then
    (cd "$ROOT" && hyperfine -N --style none -w 2 -m "$RUNS" --export-csv "$csv" \
      "$JOURNEY check --format short $target" >/dev/null 2>&1)
    # columns: command,mean,stddev,median,user,system,min,max
    awk -F, 'NR == 2 { print $4, $5 + $6 }' "$csv"
  else
    local i start end
    : >"$csv"
    (cd "$ROOT" && "$JOURNEY" check --format short "$target" >/dev/null 2>&1)
    for ((i = 0; i < RUNS; i++)); do
      start=$(date +%s%N)
      (cd "$ROOT" && "$JOURNEY" check --format short "$target" >/dev/null 2>&1)
      end=$(date +%s%N)
      echo $((end - start)) >>"$csv"
    done
    sort -n "$csv" | awk '{ t[NR] = $1 } END { m = (NR % 2) ? t[(NR + 1) / 2] : (t[NR / 2] + t[NR / 2 + 1]) / 2; printf "%.9f n/a\n", m / 1e9 }'
  fi
}

if [ "$HAVE_HYPERFINE" = 1 ]; then TIMER="hyperfine $(hyperfine --version | awk '{ print $2 }') -N, 2 warm-up runs, median of at least $RUNS runs"
else TIMER="date +%s%N loop, 1 warm-up run, median of $RUNS runs"; fi

load_before=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo n/a)
log "timing journey check . ..."
read -r t_all cpu_all < <(measure .)
log "timing journey check $LAST ..."
read -r t_last cpu_last < <(measure "$LAST")
load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo n/a)

# --- report -------------------------------------------------------------------------------------
echo "## journey check on a $FILES-file project ($(date -u +%Y-%m-%d), $(nproc) cores, commit $(git describe --always --dirty 2>/dev/null || echo unknown))"
echo
echo "$FILES files, $bytes bytes, $lines lines; each file imports the one before it and the one at half its index."
echo "Timer: $TIMER. Load average (1 min) before and after timing: $load_before, $load_after."
echo
echo "| command (in the project root) | median wall time | CPU (user + system) | target |"
echo "|---|---:|---:|---:|"
row() {
  awk -v what="$1" -v t="$2" -v cpu="$3" -v target="$TARGET_MS" 'BEGIN {
    c = (cpu == "n/a") ? "n/a" : sprintf("%.1f ms", cpu * 1000)
    printf "| `journey check %s` | %.1f ms (%s) | %s | %d ms |\n", what, t * 1000, (t * 1000 < target ? "ok" : "OVER"), c, target
  }'
}
row . "$t_all" "$cpu_all"
row "$LAST" "$t_last" "$cpu_last"
