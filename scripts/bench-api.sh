#!/usr/bin/env bash
# The dashboard's API calls against a large store: every call the overview, port, country,
# sensors and report views make, timed first (cold: the store's files may be read for the
# first time, reports built) and then as the median of RUNS more, with the server's peak RSS.
# The store is scripts/bench-report.sh's (the built-in scenario at SCALE: 6.2 gives about
# 102 million packets), built by it if missing.
#
# usage: scripts/bench-api.sh [SCALE, default 6.2]
# env:   BENCH_DIR (default /tmp/hirundo-bench), RUNS (default 5), PORT (default 8479),
#        HIRUNDO_BIN (default: target/release/hirundo, built)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-6.2}
dir=${BENCH_DIR:-/tmp/hirundo-bench}/report-$scale
runs=${RUNS:-5}
port=${PORT:-8479}
[ -e "$dir/ingested" ] || RUNS=0 bash scripts/bench-report.sh "$scale"
if [ -z "${HIRUNDO_BIN:-}" ]; then cargo build --release --locked -p hirundo >/dev/null; fi
bin=${HIRUNDO_BIN:-$PWD/target/release/hirundo}
"$bin" --db "$dir/db" serve --listen "127.0.0.1:$port" > "$dir/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
base=http://127.0.0.1:$port/api/v1
until curl -sf "$base/info" >/dev/null; do sleep 0.2; done
started=$(date +%s.%N)
# The cube loads at start; the first series call waits for it.
curl -sf "$base/series?by=total&n=1" >/dev/null
awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "cube ready after %.1f s\n", b - a}'
# The source cube (for reports) loads beside it; then the default views are analysed.
until grep -q "source cube loaded" "$dir/serve.log"; do sleep 0.2; done
awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "source cube ready after %.1f s\n", b - a}'
until grep -q "first analyses are ready" "$dir/serve.log"; do sleep 0.2; done
awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN {printf "default analyses ready after %.1f s\n", b - a}'
range="from=2026-09-01&to=2026-09-30&tz=Asia/Tokyo"
quarter="from=2026-07-01&to=2026-09-30&tz=Asia/Tokyo"
calls=(
  "info"
  "top?by=port&n=10&$range" "top?by=country&n=10&$range"
  "series?by=port&n=10&resolution=day&$range" "series?by=country&n=10&resolution=day&$range"
  "series?by=country&port=5555/tcp&n=5&resolution=day&$quarter"
  "series?by=total&port=5555/tcp&resolution=day&$quarter"
  "top?by=country&port=5555/tcp&n=10&$quarter" "top?by=tool&port=5555/tcp&n=10&$quarter"
  "series?by=port&country=NL&n=5&resolution=day&$quarter" "top?by=port&country=NL&n=10&$quarter"
  "series?by=total&resolution=hour&from=2026-09-24&to=2026-09-30&tz=Asia/Tokyo"
  "series?by=sensor&n=20&resolution=week&from=2026-04-01&to=2026-09-30"
  "sensors" "honeypot?$range"
  "events?$range" "victims?$range" "scanners?$range" "report?period=2026Q3&tz=Asia/Tokyo"
  "report?period=2026Q3" "report?period=2026-08&tz=Asia/Tokyo" "report?period=2026-W30&tz=UTC"
  "events?from=2026-05-01&to=2026-07-31&tz=Europe/Berlin"
)
printf '%-80s %10s %10s\n' call "first ms" "median ms"
for call in "${calls[@]}"; do
  times=()
  for _ in $(seq 0 "$runs"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "$base/$call")")
  done
  first=${times[0]}
  median=$(printf '%s\n' "${times[@]:1}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  awk -v c="$call" -v f="$first" -v m="$median" 'BEGIN {printf "%-80s %10.1f %10.1f\n", c, f * 1000, m * 1000}'
done
grep VmHWM "/proc/$server/status" | sed 's/^/server peak RSS: /'
