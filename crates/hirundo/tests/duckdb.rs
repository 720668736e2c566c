//! The store's files are an interface: DuckDB (from PyPI) reads them with the right types and
//! the same rows as `hirundo query`.

mod common;

use common::*;

const DUCKDB_SCRIPT: &str = r#"
import duckdb, json, sys
db = sys.argv[1]
con = duckdb.connect()
rel = con.sql(f"SELECT * FROM read_parquet('{db}/packets/*/*.parquet', hive_partitioning = true)")
types = {c: str(t) for c, t in zip(rel.columns, rel.types)}
count, bad_days, first = con.sql(f"""
  SELECT count(*), count(*) FILTER (WHERE CAST(ts AT TIME ZONE 'UTC' AS DATE) <> day),
         strftime(min(ts) AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%f')
  FROM read_parquet('{db}/packets/*/*.parquet', hive_partitioning = true)""").fetchone()
print(json.dumps({"types": types, "count": count, "bad_days": bad_days, "first": first}))
"#;

#[test]
fn duckdb_reads_the_packets_with_utc_timestamps_and_unsigned_ports() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    for f in ["print-flags.pcap", "mptcp-v1.pcap", "quic_handshake.pcap"] {
        hirundo_ok(&db, &["ingest", corpus(f).to_str().unwrap()]);
    }
    let out = tool("python3", &["-c", DUCKDB_SCRIPT, db.to_str().unwrap()]);
    let seen: serde_json::Value = serde_json::from_str(&out).expect("script prints JSON");
    let ours = query(&db, "SELECT count(*) AS n, min(ts) AS first FROM packets");
    assert_eq!(seen["count"].as_u64(), ours[0]["n"].as_u64());
    assert_eq!(
        seen["bad_days"], 0,
        "every row lies in its day=YYYY-MM-DD partition"
    );
    let types = &seen["types"];
    assert_eq!(types["ts"], "TIMESTAMP WITH TIME ZONE", "{types}");
    assert_eq!(types["dst_port"], "USMALLINT");
    assert_eq!(types["tcp_seq"], "UINTEGER");
    assert_eq!(types["src"], "VARCHAR");
    assert_eq!(types["truncated"], "BOOLEAN");
    assert_eq!(types["day"], "DATE");
    // Both engines agree on the first timestamp, to the microsecond DuckDB keeps.
    let ours_first = ours[0]["first"].as_str().unwrap();
    let theirs_first = seen["first"].as_str().unwrap();
    assert!(
        ours_first.starts_with(theirs_first),
        "{ours_first} vs {theirs_first}"
    );
}
