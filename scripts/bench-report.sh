#!/usr/bin/env bash
# The quarterly report over a large store, beside DuckDB doing the same aggregations over the
# same Parquet files, in the same run. Builds the store once (the built-in scenario at
# SCALE: 6.2 gives about 102 million packets over its two quarters), then times
# `hirundo report --period 2026Q3 --tz Asia/Tokyo` and scripts/report-peer-duckdb.py.
#
# usage: scripts/bench-report.sh [SCALE, default 6.2]
# env:   BENCH_DIR (default /tmp/hirundo-bench), RUNS (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${1:-6.2}
dir=${BENCH_DIR:-/tmp/hirundo-bench}/report-$scale
runs=${RUNS:-3}
mkdir -p "$dir"
cargo build --release --locked -p hirundo >/dev/null
bin=$PWD/target/release/hirundo
db=$dir/db
if [ ! -e "$dir/ingested" ]; then
  rm -rf "$db" "$dir/captures"
  "$bin" simulate --out "$dir/captures" --scale "$scale"
  /usr/bin/time -f "ingest: %e s, peak RSS %M KB" \
    "$bin" --db "$db" ingest --sensor-from-dir "$dir/captures" "$dir/captures"
  rm -rf "$dir/captures" # the store is what is measured; the captures only fill the disk
  touch "$dir/ingested"
fi
"$bin" --db "$db" query "SELECT count(*) AS packets FROM packets" 2>/dev/null
"$bin" --db "$db" query "SELECT (SELECT count(*) FROM traffic) AS traffic_rows, (SELECT count(*) FROM sources) AS sources_rows, (SELECT count(*) FROM backscatter) AS backscatter_rows" 2>/dev/null
du -sh "$db"/packets "$db"/traffic "$db"/sources "$db"/backscatter 2>/dev/null || true
printf 'cidr,name\n162.142.125.0/24,Censys\n167.94.138.0/24,Censys\n167.94.145.0/24,Censys\n167.94.146.0/24,Censys\n184.105.139.64/26,Shadowserver\n184.105.247.192/26,Shadowserver\n74.82.47.0/26,Shadowserver\n' > "$dir/scanners.csv"
cat "$db"/traffic/*/*.parquet "$db"/sources/*/*.parquet > /dev/null # page cache warm
for run in $(seq "$runs"); do
  /usr/bin/time -f "hirundo report (run $run): %e s, peak RSS %M KB" \
    "$bin" --db "$db" report --period 2026Q3 --tz Asia/Tokyo --home JP \
    --scanners "$dir/scanners.csv" > "$dir/report.json" 2> "$dir/report.log"
  tail -1 "$dir/report.log"
done
for run in $(seq "$runs"); do
  python3 scripts/report-peer-duckdb.py "$db" --from 2026-07-01 --to 2026-09-30 \
    --prev-from 2026-04-01 --prev-to 2026-06-30 --tz Asia/Tokyo --threads 2 \
    --focus 5555/tcp --scanners "$dir/scanners.csv" > "$dir/duckdb-$run.json" 2> "$dir/duckdb.log"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(f\"duckdb (run $run): {r['total_seconds']:.2f} s, peak RSS {r['peak_rss_mb']:.0f} MB\")" "$dir/duckdb-$run.json"
done
