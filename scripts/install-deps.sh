#!/usr/bin/env bash
# Installs what hirundo's build, tests and benchmarks need on a fresh Debian machine.
# Idempotent: quick when everything is already there.
set -euo pipefail
apt_packages=(mold tshark tcpdump wireshark-common tcpreplay nfdump zstd gzip util-linux time mmdb-bin
  zmap masscan nmap hping3 dnsmasq-base iproute2 openssl chromium fonts-ipafont-gothic
  libpcap-dev curl freetds-bin inetutils-telnet expect)
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
python3 -c 'import duckdb' 2>/dev/null || python3 -m pip install -q -r "$(dirname "$0")/requirements-bench.txt"
# Real MSSQL clients for the honeypot tests (python-tds with pyOpenSSL for TLS, pymssql).
python3 -c 'import pytds, pymssql, OpenSSL, schemathesis' 2>/dev/null || python3 -m pip install -q -r "$(dirname "$0")/requirements-test.txt"
# npm trees pinned by a lock file, installed only when the tree does not match the lock:
# playwright-core for the headless-browser checks (tests/browser: the HTML report and the
# dashboard, in Debian's chromium), and ECharts, which the build of hirundo-serve compiles
# into the binary for the dashboard.
npm_ci_once() {
  local dir="$1"
  if ! cmp -s "$dir/package-lock.json" "$dir/node_modules/.hirundo-lock" 2>/dev/null; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
    cp "$dir/package-lock.json" "$dir/node_modules/.hirundo-lock"
  fi
}
root="$(cd "$(dirname "$0")/.." && pwd)"
npm_ci_once "$root/tests/browser"
npm_ci_once "$root/crates/hirundo-serve/web"
