#!/usr/bin/env bash
# Throughput of population simulation (docs/performance.md, "Simulate"): builds release and runs
# `journey simulate examples --population N --traffic examples/traffic.json --timings` pinned to
# one core, printing the phase timings (generation, runtime, monitor) and the runtime's
# contact-steps per second, then the wall time of the whole command.
#
#   bash bench/simulate.sh               # 100,000 contacts, seed 1
#   N=10000 SEED=2 bash bench/simulate.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-100000}
SEED=${SEED:-1}
cargo build --release -q -p journey
BIN=${CARGO_TARGET_DIR:-target}/release/journey
PIN=()
if command -v taskset > /dev/null; then PIN=(taskset -c 0); fi
start=$(date +%s%N)
"${PIN[@]}" "$BIN" simulate examples --exclude examples/broken --population "$N" --seed "$SEED" \
  --traffic examples/traffic.json --timings > /dev/null || [ $? -eq 1 ]
end=$(date +%s%N)
echo "wall: $(( (end - start) / 1000000 )) ms for $N contacts (one core)"
