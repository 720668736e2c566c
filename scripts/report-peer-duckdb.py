#!/usr/bin/env python3
"""DuckDB peer for the report benchmark.

Computes, straight from a hirundo store's Parquet files, the aggregations that a quarterly
report needs, and times each of them, so that `hirundo report` can be compared with a
general-purpose engine reading the same files.

    python3 scripts/report-peer-duckdb.py DB_DIR --from 2026-07-01 --to 2026-09-30 \
        --prev-from 2026-04-01 --prev-to 2026-06-30 --tz Asia/Tokyo \
        [--threads 2] [--focus 5555/tcp] [--scanners FILE] [--results FILE]

Reads DB_DIR/packets/day=*/*.parquet (hive-style UTC-day directories; the hidden
`.*.parquet.pending` files of an unfinished ingest do not match the glob). Periods are local
calendar days in --tz, both ends included: [from 00:00, to + 1 day 00:00) local time,
converted to UTC instants by DuckDB's ICU time zones, so days in DST zones are 23 or 25 h.

Steps (each timed with time.perf_counter):
  totals        packets and exact count(DISTINCT src) of the period
  ports         packets per (protocol, dst_port), period and previous period, with ranks
  countries     packets per src_country, both periods, with ranks
  daily         packets per local day per (protocol, dst_port) for the top 50 ports and
                per src_country for the top 50 countries, over both periods
  daily_sources exact distinct sources per local day, both periods
  focus         one port (--focus, default the top port): packets per country for the
                period and per local day per country
  tools         packets per tool in the period, and per (tool, port) for the top 10 ports
  scanners      per src_country, packets from sources inside a research-scanner CIDR
                (--scanners CSV `cidr,name[,url]`, IPv4 rows used; skipped without it)
  backscatter   backscatter packets of the period per src, split into attacks by a quiet
                gap of > 300 s, keeping attacks of >= 25 packets lasting >= 60 s

stderr: a human summary. stdout: one JSON object
  {"steps": {"totals": secs, ...}, "total_seconds": x, "peak_rss_mb": y, "rows": n, ...}
where rows is the number of rows in the Parquet files read (from their footers) and
rows_in_periods the packets of both periods. --results FILE writes every step's result rows
as JSON, for comparison with hirundo's own report.
"""

import argparse
import csv
import datetime as dt
import glob as globmod
import ipaddress
import json
import os
import resource
import sys
import time

import duckdb

GAP_SECONDS = 300
MIN_ATTACK_PACKETS = 25
MIN_ATTACK_SECONDS = 60
PROTO_NAMES = {6: "tcp", 17: "udp", 1: "icmp", 58: "icmpv6"}
PROTO_NUMBERS = {v: k for k, v in PROTO_NAMES.items()}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("db", metavar="DB_DIR")
    p.add_argument("--from", dest="from_", required=True, type=dt.date.fromisoformat)
    p.add_argument("--to", required=True, type=dt.date.fromisoformat)
    p.add_argument("--prev-from", required=True, type=dt.date.fromisoformat)
    p.add_argument("--prev-to", required=True, type=dt.date.fromisoformat)
    p.add_argument("--tz", default="UTC")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--focus", help="PORT/PROTO, e.g. 5555/tcp (default: the top port)")
    p.add_argument("--scanners", help="CSV with header cidr,name[,url]")
    p.add_argument("--results", help="write every step's result rows to this JSON file")
    a = p.parse_args(argv)
    if a.to < a.from_ or a.prev_to < a.prev_from:
        p.error("a period ends before it starts")
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if a.focus:
        try:
            port, proto = a.focus.lower().split("/")
            a.focus = (PROTO_NUMBERS[proto], int(port))
        except (ValueError, KeyError):
            p.error(f"--focus wants PORT/tcp or PORT/udp, not {a.focus!r}")
    return a


def load_scanners(path):
    """IPv4 ranges of the CSV as (lo, hi, bits, name); other rows (IPv6, DNS suffixes,
    comments) are skipped."""
    rows = []
    with open(path, newline="") as f:
        lines = (line for line in f if line.strip() and not line.lstrip().startswith("#"))
        for rec in csv.DictReader(lines):
            cidr = (rec.get("cidr") or "").strip()
            try:
                net = ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                continue
            if net.version != 4:
                continue
            rows.append((int(net.network_address), int(net.broadcast_address), net.prefixlen,
                         (rec.get("name") or "").strip()))
    return rows


def port_label(proto, port):
    return f"{port}/{PROTO_NAMES.get(proto, proto)}"


def main(argv):
    a = parse_args(argv)
    glob = os.path.join(a.db, "packets", "day=*", "*.parquet")
    if not globmod.glob(glob):
        print(f"report-peer-duckdb: no Parquet files under {a.db}/packets/day=*/", file=sys.stderr)
        return 2
    con = duckdb.connect()
    con.execute("SET autoinstall_known_extensions = false")
    con.execute(f"SET threads TO {a.threads}")
    con.execute("SET TimeZone = 'UTC'")

    # Period bounds as UTC instants (local midnight in --tz, DST aware), kept as text so that
    # the Python side needs no time-zone package (DuckDB would want pytz for TIMESTAMPTZ).
    def bounds(first, last):
        return con.execute(
            """SELECT strftime(timezone('UTC', timezone($tz, $lo::TIMESTAMP)), '%Y-%m-%d %H:%M:%S+00'),
                      strftime(timezone('UTC', timezone($tz, $hi::TIMESTAMP)), '%Y-%m-%d %H:%M:%S+00')""",
            {"tz": a.tz, "lo": first.isoformat(), "hi": (last + dt.timedelta(days=1)).isoformat()},
        ).fetchone()

    cur_lo, cur_hi = bounds(a.from_, a.to)
    prev_lo, prev_hi = bounds(a.prev_from, a.prev_to)
    # UTC-day partitions that can hold rows of the periods (the hive `day` column prunes files).
    day_lo = min(cur_lo, prev_lo)[:10]
    day_hi = max(cur_hi, prev_hi)[:10]

    con.execute(f"""
        CREATE VIEW packets AS
        SELECT * FROM read_parquet('{glob.replace("'", "''")}', hive_partitioning = true)
        WHERE day BETWEEN DATE '{day_lo}' AND DATE '{day_hi}'
    """)
    # Both periods, labelled; `cur` alone is the period.
    con.execute("""
        CREATE MACRO in_cur(t) AS t >= getvariable('cur_lo') AND t < getvariable('cur_hi');
        CREATE MACRO in_prev(t) AS t >= getvariable('prev_lo') AND t < getvariable('prev_hi');
        CREATE MACRO local_day(t) AS timezone(getvariable('tz'), t)::DATE;
        CREATE MACRO ip4(s) AS
            TRY_CAST(split_part(s, '.', 1) AS UBIGINT) * 16777216
          + TRY_CAST(split_part(s, '.', 2) AS UBIGINT) * 65536
          + TRY_CAST(split_part(s, '.', 3) AS UBIGINT) * 256
          + TRY_CAST(split_part(s, '.', 4) AS UBIGINT);
    """)
    for name, value in (("cur_lo", cur_lo), ("cur_hi", cur_hi), ("prev_lo", prev_lo), ("prev_hi", prev_hi)):
        con.execute(f"SET VARIABLE {name} = $v::TIMESTAMPTZ", {"v": value})
    con.execute("SET VARIABLE tz = $v", {"v": a.tz})
    both = "(in_cur(ts) OR in_prev(ts))"
    period = "CASE WHEN in_cur(ts) THEN 'cur' ELSE 'prev' END"

    steps = {}
    results = {}
    log = lambda *x: print(*x, file=sys.stderr)

    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        steps[name] = time.perf_counter() - t0
        results[name] = out
        return out

    def rows(sql, params=None):
        cur = con.execute(sql, params or {})
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]

    total_t0 = time.perf_counter()

    # 1. totals
    def totals():
        return rows("SELECT count(*) AS packets, count(DISTINCT src) AS sources FROM packets WHERE in_cur(ts)")[0]

    t = timed("totals", totals)

    # 2. ports, both periods, ranked
    def ports():
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE port_counts AS
            SELECT *, rank() OVER (PARTITION BY period ORDER BY packets DESC) AS rank FROM (
                SELECT {period} AS period, protocol, dst_port, count(*) AS packets
                FROM packets WHERE {both} AND dst_port IS NOT NULL
                GROUP BY ALL)
        """)
        return rows("""
            SELECT c.protocol, c.dst_port, c.packets, c.rank, p.packets AS prev_packets, p.rank AS prev_rank
            FROM port_counts c LEFT JOIN port_counts p
              ON p.period = 'prev' AND p.protocol = c.protocol AND p.dst_port = c.dst_port
            WHERE c.period = 'cur' ORDER BY c.packets DESC, c.protocol, c.dst_port
        """)

    port_rows = timed("ports", ports)

    # 3. countries, both periods, ranked
    def countries():
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE country_counts AS
            SELECT *, rank() OVER (PARTITION BY period ORDER BY packets DESC) AS rank FROM (
                SELECT {period} AS period, src_country, count(*) AS packets
                FROM packets WHERE {both} GROUP BY ALL)
        """)
        return rows("""
            SELECT c.src_country, c.packets, c.rank, p.packets AS prev_packets, p.rank AS prev_rank
            FROM country_counts c LEFT JOIN country_counts p
              ON p.period = 'prev' AND p.src_country IS NOT DISTINCT FROM c.src_country
            WHERE c.period = 'cur' ORDER BY c.packets DESC, c.src_country
        """)

    country_rows = timed("countries", countries)

    # 4. daily series of the top 50 ports and top 50 countries, both periods
    def daily():
        con.execute("""
            CREATE OR REPLACE TEMP TABLE top_ports AS
            SELECT protocol, dst_port FROM port_counts WHERE period = 'cur'
            ORDER BY packets DESC, protocol, dst_port LIMIT 50;
            CREATE OR REPLACE TEMP TABLE top_countries AS
            SELECT src_country FROM country_counts WHERE period = 'cur' AND src_country IS NOT NULL
            ORDER BY packets DESC, src_country LIMIT 50;
        """)
        per_port = rows(f"""
            SELECT local_day(ts) AS day, protocol, dst_port, count(*) AS packets
            FROM packets SEMI JOIN top_ports USING (protocol, dst_port)
            WHERE {both} GROUP BY ALL ORDER BY ALL
        """)
        per_country = rows(f"""
            SELECT local_day(ts) AS day, src_country, count(*) AS packets
            FROM packets SEMI JOIN top_countries USING (src_country)
            WHERE {both} GROUP BY ALL ORDER BY ALL
        """)
        return {"per_port": per_port, "per_country": per_country}

    daily_rows = timed("daily", daily)

    # 5. exact distinct sources per local day, both periods
    def daily_sources():
        return rows(f"""
            SELECT local_day(ts) AS day, count(DISTINCT src) AS sources, count(*) AS packets
            FROM packets WHERE {both} GROUP BY ALL ORDER BY ALL
        """)

    ds_rows = timed("daily_sources", daily_sources)

    # 6. one port's countries, period total and per day
    focus = a.focus or ((port_rows[0]["protocol"], port_rows[0]["dst_port"]) if port_rows else (6, 0))

    def focus_port():
        params = {"proto": focus[0], "port": focus[1]}
        per_country = rows("""
            SELECT src_country, count(*) AS packets,
                   rank() OVER (ORDER BY count(*) DESC) AS rank
            FROM packets WHERE in_cur(ts) AND protocol = $proto AND dst_port = $port
            GROUP BY ALL ORDER BY packets DESC, src_country
        """, params)
        per_day = rows("""
            SELECT local_day(ts) AS day, src_country, count(*) AS packets
            FROM packets WHERE in_cur(ts) AND protocol = $proto AND dst_port = $port
            GROUP BY ALL ORDER BY ALL
        """, params)
        return {"port": port_label(*focus), "per_country": per_country, "per_day": per_day}

    focus_rows = timed("focus", focus_port)

    # 7. tool shares
    def tools():
        overall = rows("""
            SELECT tool, count(*) AS packets, count(*) / sum(count(*)) OVER () AS share
            FROM packets WHERE in_cur(ts) GROUP BY ALL ORDER BY packets DESC, tool
        """)
        per_port = rows("""
            WITH top10 AS (
                SELECT protocol, dst_port FROM port_counts WHERE period = 'cur'
                ORDER BY packets DESC, protocol, dst_port LIMIT 10)
            SELECT protocol, dst_port, tool, count(*) AS packets,
                   count(*) / sum(count(*)) OVER (PARTITION BY protocol, dst_port) AS share
            FROM packets SEMI JOIN top10 USING (protocol, dst_port)
            WHERE in_cur(ts) GROUP BY protocol, dst_port, tool ORDER BY protocol, dst_port, packets DESC, tool
        """)
        return {"overall": overall, "per_port": per_port}

    tool_rows = timed("tools", tools)

    # 8. research scanners per country
    scanner_rows = None
    if a.scanners:
        def scanners():
            ranges = load_scanners(a.scanners)
            con.execute("CREATE OR REPLACE TEMP TABLE scanners (lo UBIGINT, hi UBIGINT, bits INTEGER, name VARCHAR)")
            if ranges:
                con.executemany("INSERT INTO scanners VALUES (?, ?, ?, ?)", ranges)
            # Sources first (few), then the range join against the CIDR list, longest prefix wins.
            con.execute("""
                CREATE OR REPLACE TEMP TABLE scanner_sources AS
                WITH per_src AS (
                    SELECT src, src_country, count(*) AS packets
                    FROM packets WHERE in_cur(ts) AND ip_version = 4 GROUP BY ALL),
                matched AS (
                    SELECT p.src, p.src_country, p.packets, arg_max(s.name, s.bits) AS name
                    FROM per_src p JOIN scanners s ON ip4(p.src) BETWEEN s.lo AND s.hi
                    GROUP BY ALL)
                SELECT * FROM matched
            """)
            per_country = rows("""
                SELECT c.src_country, c.packets,
                       coalesce(sum(s.packets), 0)::BIGINT AS scanner_packets,
                       coalesce(sum(s.packets), 0) / c.packets AS share,
                       count(s.src) AS scanner_sources
                FROM country_counts c LEFT JOIN scanner_sources s
                  ON s.src_country IS NOT DISTINCT FROM c.src_country
                WHERE c.period = 'cur' GROUP BY c.src_country, c.packets ORDER BY scanner_packets DESC, c.packets DESC, c.src_country
            """)
            per_org = rows("""
                SELECT name, src_country, sum(packets)::BIGINT AS packets, count(*) AS sources
                FROM scanner_sources GROUP BY ALL ORDER BY packets DESC, name, src_country
            """)
            return {"ranges": len(ranges), "per_country": per_country, "per_org": per_org}

        scanner_rows = timed("scanners", scanners)

    # 9. backscatter attacks: per src (the victim), quiet gap > 300 s starts a new attack
    def backscatter():
        return rows(f"""
            WITH b AS (
                SELECT src, ts, src_country, src_port, protocol,
                       CASE WHEN lag(ts) OVER w IS NULL
                              OR ts - lag(ts) OVER w > INTERVAL {GAP_SECONDS} SECOND
                            THEN 1 ELSE 0 END AS starts
                FROM packets WHERE in_cur(ts) AND traffic_kind = 'backscatter'
                WINDOW w AS (PARTITION BY src ORDER BY ts)),
            g AS (
                SELECT *, sum(starts) OVER (PARTITION BY src ORDER BY ts ROWS UNBOUNDED PRECEDING) AS attack
                FROM b)
            SELECT src, attack, any_value(src_country) AS src_country,
                   strftime(timezone('UTC', min(ts)), '%Y-%m-%d %H:%M:%S.%f+00') AS first,
                   strftime(timezone('UTC', max(ts)), '%Y-%m-%d %H:%M:%S.%f+00') AS last,
                   epoch(max(ts)) - epoch(min(ts)) AS seconds,
                   count(*) AS packets,
                   mode(src_port) AS top_src_port
            FROM g GROUP BY src, attack
            HAVING count(*) >= {MIN_ATTACK_PACKETS} AND epoch(max(ts)) - epoch(min(ts)) >= {MIN_ATTACK_SECONDS}
            ORDER BY packets DESC, min(ts)
        """)

    bs_rows = timed("backscatter", backscatter)

    total_seconds = time.perf_counter() - total_t0
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    store_rows = con.execute(
        f"SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata('{glob.replace(chr(39), chr(39) * 2)}')"
    ).fetchone()[0]
    rows_in_periods = sum(r["packets"] for r in ds_rows)

    # Human summary.
    log(f"duckdb {duckdb.__version__}, threads {a.threads}, tz {a.tz}; store {a.db}: {store_rows} rows")
    log(f"period {a.from_}..{a.to} = [{cur_lo}, {cur_hi}); previous {a.prev_from}..{a.prev_to}")
    log(f"totals: {t['packets']} packets from {t['sources']} distinct sources")
    log("top ports (rank, port, packets, previous rank):")
    for r in port_rows[:20]:
        prev = r["prev_rank"] if r["prev_rank"] is not None else "-"
        log(f"  {r['rank']:>3}  {port_label(r['protocol'], r['dst_port']):>11}  {r['packets']:>10}  prev {prev}")
    log("top countries: " + ", ".join(
        f"{r['src_country']} {r['packets']} (prev {r['prev_rank'] if r['prev_rank'] is not None else '-'})"
        for r in country_rows[:10]))
    log(f"daily: {len(daily_rows['per_port'])} port-day rows, {len(daily_rows['per_country'])} country-day rows; "
        f"daily sources: {len(ds_rows)} days")
    log(f"focus {focus_rows['port']}: " + ", ".join(
        f"{r['src_country']} {r['packets']}" for r in focus_rows["per_country"][:8]))
    log("tools: " + ", ".join(f"{r['tool']} {r['share']:.1%}" for r in tool_rows["overall"]))
    if scanner_rows is not None:
        log(f"scanners ({scanner_rows['ranges']} IPv4 ranges): " + ", ".join(
            f"{r['src_country']} {r['scanner_packets']}/{r['packets']} ({r['share']:.0%})"
            for r in scanner_rows["per_country"] if r["scanner_packets"]))
    log(f"backscatter attacks: {len(bs_rows)}")
    for r in bs_rows[:10]:
        log(f"  {r['src']} ({r['src_country']}) {r['first']} .. {r['last']}: {r['packets']} packets, "
            f"{r['seconds']:.0f} s, port {r['top_src_port']}")
    log("times: " + ", ".join(f"{k} {v:.3f} s" for k, v in steps.items())
        + f"; total {total_seconds:.3f} s; peak RSS {peak_rss_mb:.0f} MB")

    if a.results:
        with open(a.results, "w") as f:
            json.dump(results, f, default=str, indent=1)

    print(json.dumps({
        "steps": {k: round(v, 6) for k, v in steps.items()},
        "total_seconds": round(total_seconds, 6),
        "peak_rss_mb": round(peak_rss_mb, 1),
        "rows": store_rows,
        "rows_in_periods": rows_in_periods,
        "threads": a.threads,
        "duckdb": duckdb.__version__,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
