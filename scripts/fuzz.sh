#!/usr/bin/env bash
# A short run of every cargo-fuzz target (fuzz/fuzz_targets), seeded with the capture corpus.
# usage: scripts/fuzz.sh [SECONDS per target, default 20]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz@0.13.2
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the one stable toolchain here accept
# them (the machine cannot fetch a nightly).
export RUSTC_BOOTSTRAP=1
corpus=../shared/corpus/tcpdump-tests
for target in decode capture_reader batch_decode tds telnet; do
  seeds=fuzz/corpus/$target
  mkdir -p "$seeds"
  if [ "$target" = capture_reader ] && [ -d "$corpus" ]; then
    find "$corpus" -type f -size -64k -exec cp -n {} "$seeds/" \;
  fi
  cargo fuzz run --sanitizer none "$target" "$seeds" -- \
    -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=1024 -timeout=5 2>&1 | tail -n 3
done
