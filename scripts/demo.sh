#!/usr/bin/env bash
# The main job of README.md on a fresh machine: build hirundo and run `hirundo demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cargo build --release --locked -p hirundo
exec target/release/hirundo demo "$@"
