#!/usr/bin/env bash
# Installs journey both ways the README says, with a fresh CARGO_HOME (nothing cached: the index
# and every crate are fetched anew, as on a new machine), and runs each installed `journey` on
# the examples. Two release builds: longer than CI's budget allows, so it is run by hand before a
# release (docs/testing.md). It installs what is committed: `--git file://$PWD` takes HEAD.
#
#   bash tools/install-check.sh
#
# Only cargo's home is fresh; the toolchain is rustup's. A build of the two installs shares one
# target directory, so the second reuses the dependencies the first compiled.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export CARGO_HOME="$scratch/cargo-home"
export CARGO_TARGET_DIR="$scratch/target"

check_with() {
  local journey="$1/bin/journey"
  "$journey" --version
  "$journey" check examples/ --exclude examples/broken
}

echo "== cargo install --locked --path cli"
cargo install --locked --path cli --root "$scratch/by-path"
check_with "$scratch/by-path"

echo "== cargo install --locked --git file://$PWD journey"
cargo install --locked --git "file://$PWD" journey --root "$scratch/by-git"
check_with "$scratch/by-git"
# Built from a git checkout, the version names the commit: HEAD's.
"$scratch/by-git/bin/journey" --version | grep -F "($(git rev-parse --short=12 HEAD))"

echo "install-check: both installs work"
