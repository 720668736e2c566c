#!/usr/bin/env bash
# Ingest (with and without enrichment) and decode throughput of hirundo beside its peers, on the same synthetic capture, in
# the same run. Prints a table: wall seconds, packets/s, peak RSS.
#
# usage: scripts/bench.sh [PACKETS, default 10000000] [TSHARK_PACKETS, default 1000000]
# env:   BENCH_DIR (default /tmp/hirundo-bench), RUNS (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000000}
n_tshark=${2:-1000000}
dir=${BENCH_DIR:-/tmp/hirundo-bench}
runs=${RUNS:-3}
mkdir -p "$dir"
cargo build --release --locked -p hirundo >/dev/null
bin=$PWD/target/release/hirundo
big=$dir/synth-$n.pcap
small=$dir/synth-$n_tshark.pcap
[ -s "$big" ] || "$bin" bench synth --packets "$n" --out "$big"
[ -s "$small" ] || "$bin" bench synth --packets "$n_tshark" --out "$small"
cat "$big" "$small" > /dev/null # page cache warm

results=$dir/results.tsv
printf "what\tpackets\twall_s\tpackets_per_s\tmax_rss_mb\n" > "$results"
measure() { # name packets command...
  local name=$1 packets=$2; shift 2
  local best=""
  for _ in $(seq "$runs"); do
    rm -rf "$dir/db" "$dir/nfcapd"; mkdir -p "$dir/nfcapd"
    /usr/bin/time -f "%e %M" -o "$dir/time" "$@" > /dev/null 2> "$dir/stderr" || { cat "$dir/stderr"; exit 1; }
    read -r wall rss < "$dir/time"
    if [ -z "$best" ] || awk -v a="$wall" -v b="${best%% *}" 'BEGIN{exit !(a<b)}'; then best="$wall $rss"; fi
  done
  read -r wall rss <<< "$best"
  awk -v n="$name" -v p="$packets" -v w="$wall" -v r="$rss" \
    'BEGIN { printf "%s\t%d\t%.2f\t%.0f\t%.0f\n", n, p, w, p / w, r / 1024 }' >> "$results"
}
measure "hirundo ingest --no-enrich (decode+store, 2 threads)" "$n" "$bin" --db "$dir/db" ingest --no-enrich "$big"
measure "hirundo ingest (decode+enrich+store, 2 threads)" "$n" "$bin" --db "$dir/db" ingest "$big"
measure "hirundo bench decode (read, then read+decode; 1 core)" "$n" "$bin" bench decode "$big"
measure "tcpdump -nn -r" "$n" tcpdump -nn -r "$big"
measure "nfpcapd -r (flows to nfcapd files)" "$n" nfpcapd -r "$big" -w "$dir/nfcapd"
measure "tshark -T fields -e ip.src -e tcp.dstport" "$n_tshark" tshark -r "$small" -T fields -e ip.src -e tcp.dstport
"$bin" bench decode "$big" > "$dir/decode.json"
column -t -s $'\t' "$results"
echo "single-core rates (bench decode): $(cat "$dir/decode.json")"
