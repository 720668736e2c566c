#!/usr/bin/env bash
# Installs what hirundo's build, tests and benchmarks need on a fresh Debian machine.
# Idempotent: quick when everything is already there.
set -euo pipefail
apt_packages=(mold tshark tcpdump wireshark-common tcpreplay nfdump zstd gzip util-linux time mmdb-bin
  zmap masscan nmap hping3 dnsmasq-base iproute2 openssl)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo_ apt-get update -qq
  $sudo_ apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install -q duckdb==1.5.6
