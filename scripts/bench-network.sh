#!/usr/bin/env bash
# Sensor and collector throughput, each beside a peer in the same run (needs root).
#
# 1. Capture: `hirundo bench send` (then tcpreplay --topspeed) sends a synthetic darknet
#    capture ROUNDS times from a "scanner" network namespace over a veth pair into a "sensor"
#    namespace, where `hirundo sensor` captures it on one core (its collector is away, so it
#    decodes, batches, compresses and spools: the whole sensor path but the upload). Then
#    tcpdump (-w /dev/null, same filter, same ring size, same core) receives the same load.
#    Reported: the send rate, packets captured, kernel drops, CPU time and peak memory.
# 2. Collector: two sensors first spool a capture file each (`--read`, collector away), so
#    that their decoding and compression are done before the clock starts; then both deliver
#    their spools to one collector at once. records/s is the records stored over the time
#    from the first send to the last acknowledgement. Peer: `hirundo ingest` of the same two
#    files into an empty store.
#
# usage: scripts/bench-network.sh [PACKETS, default 3000000]
# env:   BENCH_DIR (default /tmp/hirundo-bench/network), RING_MIB (default 256),
#        HIRUNDO_BIN (a built binary; default: build the release one),
#        PARTS (default "capture collector"), ROUNDS (capture: times the file is sent,
#        default 3), COLLECTOR_ARGS and SENSOR_ARGS (collector: extra options)
set -euo pipefail
cd "$(dirname "$0")/.."
packets=${1:-3000000}
dir=${BENCH_DIR:-/tmp/hirundo-bench/network}
ring=${RING_MIB:-256}
bin=${HIRUNDO_BIN:-}
parts=${PARTS:-capture collector}
rounds=${ROUNDS:-3}
if [ -z "$bin" ]; then
  cargo build --release --locked -p hirundo >/dev/null
  bin=$PWD/target/release/hirundo
fi
mkdir -p "$dir"
cd "$dir"
scan=hb-scan-$$ sense=hb-sensor-$$
cleanup() {
  for ns in "$scan" "$sense"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}
trap cleanup EXIT

[ -s a.pcap ] || "$bin" bench synth --packets "$packets" --seed 1 --out a.pcap >/dev/null
[ -s b.pcap ] || "$bin" bench synth --packets "$packets" --seed 2 --out b.pcap >/dev/null
rm -rf spool spool-a spool-b db ingest-db pki && mkdir -p pki
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=bench CA" -keyout pki/ca.key -out pki/ca.pem 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=127.0.0.1 \
  -keyout pki/c.key -out pki/c.csr 2>/dev/null
printf 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\n' > pki/ext
openssl x509 -req -in pki/c.csr -CA pki/ca.pem -CAkey pki/ca.key -CAcreateserial -days 1 \
  -extfile pki/ext -out pki/c.pem 2>/dev/null
rm -f pki/*.token
: > pki/sensors
for s in bench a b; do "$bin" sensor-token "$s" --token-file "pki/$s.token" >> pki/sensors; done

if [[ " $parts " == *" capture "* ]]; then
echo "== capture: $packets packets x $rounds over veth; generator on CPU 0, capture on CPU 1; ring $ring MiB"
ip netns add "$scan"; ip netns add "$sense"
ip link add scan0 netns "$scan" type veth peer name dark0 netns "$sense"
for ns in "$scan" "$sense"; do ip -n "$ns" link set lo up; done
ip -n "$scan" link set scan0 up; ip -n "$sense" link set dark0 up
metric() { ip netns exec "$sense" curl -s "http://127.0.0.1:9102/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
generate() { # GENERATOR: hirundo or tcpreplay
  case $1 in
    hirundo) ip netns exec "$scan" taskset -c 0 "$bin" bench send --iface scan0 --rounds "$rounds" a.pcap ;;
    tcpreplay) ip netns exec "$scan" taskset -c 0 tcpreplay --topspeed --preload-pcap --loop "$rounds" \
      -i scan0 a.pcap 2>&1 | grep -E "Rated|Failed" ;;
  esac
}
for generator in hirundo tcpreplay; do
  rm -rf spool
  ip netns exec "$sense" taskset -c 1 /usr/bin/time -f "sensor: %U s user, %S s sys, peak RSS %M KB" \
    "$bin" sensor --iface dark0 --darknet 203.0.113.0/24 --name bench \
    --collector https://127.0.0.1:1 --token-file pki/bench.token --ca pki/ca.pem \
    --spool spool --spool-max-bytes 100000000000 --metrics 127.0.0.1:9102 --ring-mib "$ring" \
    --log-every-s 60 2> sensor.log &
  until grep -qs capturing sensor.log; do sleep 0.1; done
  echo "-- sensor, sent by $generator"
  generate "$generator"
  sleep 2
  echo "sensor captured $(metric hirundo_sensor_captured_packets_total), kernel dropped $(metric hirundo_sensor_kernel_dropped_packets_total), spooled $(metric hirundo_sensor_spooled_records_total) records in $(du -sm spool | cut -f1) MB"
  pkill -TERM -f "^$bin sensor --iface dark0" || true
  wait || true
  grep "sensor:" sensor.log || true
done
echo "-- tcpdump -w /dev/null, same filter and ring, sent by hirundo"
ip netns exec "$sense" taskset -c 1 /usr/bin/time -f "tcpdump: %U s user, %S s sys, peak RSS %M KB" \
  tcpdump -i dark0 -n -p -B $((ring * 1024)) -w /dev/null dst net 203.0.113.0/24 2> tcpdump.log &
until grep -qs listening tcpdump.log; do sleep 0.1; done
generate hirundo
sleep 2
pkill -INT -f "^tcpdump -i dark0" || true
wait || true
grep -E "captured|dropped by kernel|tcpdump:" tcpdump.log
fi

if [[ " $parts " == *" collector "* ]]; then
echo "== collector: two sensors delivering a spool of $packets records each at once"
# A capture file with a header and no packets: a sensor reading it only delivers its spool.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0' > empty.pcap
sensor() { # NAME FILE COLLECTOR_URL [a command to run it under]
  local name=$1 file=$2 url=$3
  shift 3
  "$@" "$bin" sensor --read "$file" --darknet 203.0.113.0/24 --name "$name" --collector "$url" \
    --token-file "pki/$name.token" --ca pki/ca.pem --spool "spool-$name" \
    --spool-max-bytes 100000000000 --log-every-s 60 ${SENSOR_ARGS:-}
}
rm -rf spool-a spool-b
for s in a b; do
  RUST_LOG=info sensor "$s" "$s.pcap" https://127.0.0.1:1 2> "spool-$s.log" &
done
until [ "$(grep -ls "delivering the spool" spool-a.log spool-b.log | wc -l)" = 2 ]; do sleep 0.2; done
pkill -TERM -f "^$bin sensor --read [ab].pcap" || true
wait || true
echo "spooled: $(du -sm spool-a spool-b | awk '{n += $1} END {print n}') MB"
/usr/bin/time -f "collector: %U s user, %S s sys, peak RSS %M KB" -o time-collector \
  "$bin" --db db collector --listen 127.0.0.1:18443 --tls-cert pki/c.pem --tls-key pki/c.key \
  --sensors pki/sensors --metrics 127.0.0.1:19101 ${COLLECTOR_ARGS:-} 2> collector.log &
collector=$!
until grep -qs "collector listening" collector.log; do sleep 0.1; done
start=$(date +%s.%N)
senders=()
for s in a b; do
  sensor "$s" empty.pcap https://127.0.0.1:18443 \
    /usr/bin/time -f "sensor $s: %U s user, %S s sys" -o "time-$s" 2> "sensor-$s.log" &
  senders+=($!)
done
# A replaying sensor exits once the collector acknowledged (durably stored) its last batch.
wait "${senders[@]}"
end=$(date +%s.%N)
cat time-a time-b
stored=$(curl -s http://127.0.0.1:19101/metrics | awk '$1 ~ /^hirundo_collector_records_total/ {n += $2} END {print n + 0}')
commits=$(curl -s http://127.0.0.1:19101/metrics | awk '$1 == "hirundo_collector_commits_total" {print $2}')
echo "collector stored $stored records in $(echo "$end - $start" | bc) s: $(echo "$stored / ($end - $start)" | bc) records/s, $commits commits"
pkill -TERM -f "^$bin --db db collector" || true
wait "$collector" || true
cat time-collector
rm -rf spool-a spool-b
/usr/bin/time -f "peer, hirundo ingest of the same two files: %e s wall, %U s user, peak RSS %M KB" \
  "$bin" --db ingest-db ingest a.pcap b.pcap 2>&1 | tail -1
fi
