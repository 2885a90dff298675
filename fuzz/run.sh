#!/usr/bin/env bash
# Seeds the corpus of a fuzz target and runs it for a fixed time (docs/fuzzing.md).
#
#   fuzz/run.sh [TARGET] [SECONDS]      # default: parse_check for 60 seconds
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The machine has a stable toolchain only:
# RUSTC_BOOTSTRAP=1 lets it accept the nightly flags cargo-fuzz passes (-Zsanitizer=address...).
# The corpus is built here at run time from examples/, tests/hostile/ and tests/fixtures/ and is
# never committed; libFuzzer adds what it finds to it, so later runs start from there.
set -euo pipefail
cd "$(dirname "$0")"
target="${1:-parse_check}"
seconds="${2:-60}"
root=..
corpus="corpus/$target"
mkdir -p "$corpus" "artifacts/$target"

seed() { # seed NAME FILE...: the files as one input, later files after `%% NAME` separators
  local name="$1"; shift
  local out="$corpus/seed-$name"
  cat "$1" > "$out"
  shift
  for file in "$@"; do
    printf '\n%%%% %s\n' "$(basename "$file")" >> "$out"
    cat "$file" >> "$out"
  done
}

# Every .journey file alone (single-file checks, parse errors, hostile bytes), up to 1 MiB.
while IFS= read -r -d '' file; do
  name="${file#$root/}"
  cp "$file" "$corpus/seed-${name//\//_}"
done < <(find "$root/examples" "$root/tests/hostile" "$root/tests/fixtures" -type f -name '*.journey' -size -1024k -print0)

# The example projects as multi-file inputs, so imports resolve and the analyses run.
for file in "$root"/examples/*.journey; do
  case "$(basename "$file")" in common.journey|segments.journey) continue ;; esac
  seed "project-$(basename "$file")" "$file" "$root/examples/common.journey" "$root/examples/segments.journey"
done
for dir in "$root"/examples/broken/*/; do
  mapfile -t files < <(find "$dir" -name '*.journey' | sort -r)
  [ "${#files[@]}" -gt 0 ] && seed "broken-$(basename "$dir")" "${files[@]}"
done

echo "corpus: $(find "$corpus" -type f | wc -l) inputs in fuzz/$corpus"
RUSTC_BOOTSTRAP=1 exec cargo fuzz run "$target" "$corpus" -- \
  -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
