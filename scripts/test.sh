#!/usr/bin/env bash
# The test command of README.md (and of CI): installs what the tests need, then runs every
# test of the workspace, then a short fuzz run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo test --workspace --locked
bash scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
