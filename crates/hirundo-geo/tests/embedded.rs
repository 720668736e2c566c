//! The embedded database: known answers (cross-checked with libmaxminddb's `mmdblookup`
//! on the same file), and the exactness of `country_ranges_v4` against `country`.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::Command;
use std::sync::LazyLock;
use std::time::Instant;

use hirundo_geo::{CountryCode, GeoDb, GeoError, EMBEDDED_VERSION};

type Ranges = BTreeMap<CountryCode, Vec<RangeInclusive<u32>>>;

static DB: LazyLock<GeoDb> = LazyLock::new(GeoDb::embedded);
static RANGES: LazyLock<Ranges> = LazyLock::new(|| {
    DB.country_ranges_v4()
        .expect("ranges of the embedded database")
});

fn mmdb_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/geoip/geo-whois-asn-country.mmdb")
}

fn cc(s: &str) -> CountryCode {
    s.parse().expect("test country code")
}

fn country(db: &GeoDb, addr: &str) -> Option<String> {
    db.country(addr.parse().expect("test address"))
        .map(|c| c.to_string())
}

/// splitmix64: a seeded, dependency-free source of test addresses.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn in_range(&mut self, r: &RangeInclusive<u32>) -> u32 {
        let width = u64::from(*r.end()) - u64::from(*r.start()) + 1;
        *r.start() + self.below(width) as u32
    }
}

fn lookup_v4(addr: u32) -> Option<CountryCode> {
    DB.country(IpAddr::V4(Ipv4Addr::from(addr)))
}

#[test]
fn well_known_addresses() {
    let db = &*DB;
    assert_eq!(country(db, "8.8.8.8").as_deref(), Some("US")); // Google DNS
    assert_eq!(country(db, "193.0.6.139").as_deref(), Some("NL")); // RIPE NCC
    assert_eq!(country(db, "1.1.1.1").as_deref(), Some("AU")); // APNIC's 1.1.1.0/24
    assert_eq!(country(db, "2001:4860:4860::8888").as_deref(), Some("US"));
    assert_eq!(country(db, "2a00:1450:4001::1").as_deref(), Some("IE"));
    // Not in this database's tree, but looked up as the IPv4 address it carries.
    assert_eq!(country(db, "::ffff:8.8.8.8").as_deref(), Some("US"));
}

#[test]
fn special_purpose_addresses() {
    let db = &*DB;
    for addr in [
        "0.0.0.1",
        "10.1.2.3",
        "100.64.0.1",
        "127.0.0.1",
        "169.254.1.1",
        "192.0.2.1",
        "198.18.0.1",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "2002:808:808::",
    ] {
        assert_eq!(country(db, addr), None, "{addr}");
    }
    // What this release of the data says (a known upstream error, see data/geoip/NOTICE).
    assert_eq!(country(db, "172.16.0.1").as_deref(), Some("AU"));
    assert_eq!(country(db, "192.168.1.1").as_deref(), Some("AU"));
}

#[test]
fn info_describes_the_embedded_database() {
    let info = DB.info();
    assert_eq!(info.database_type, "country ipvAll");
    assert_eq!(info.build_epoch, 1_781_725_900); // 2026-06-17 19:51:40 UTC
    assert_eq!(
        info.source,
        format!("embedded geo-whois-asn-country {EMBEDDED_VERSION}")
    );
}

#[test]
fn country_code_parses_two_uppercase_letters() {
    let nl = cc("NL");
    assert_eq!(
        (nl.as_str(), nl.to_string(), nl.as_bytes()),
        ("NL", "NL".into(), *b"NL")
    );
    for bad in ["", "N", "nl", "Nl", "NLD", "N1", "ÑL", " N"] {
        assert!(bad.parse::<CountryCode>().is_err(), "{bad:?}");
    }
}

#[test]
fn ranges_are_sorted_disjoint_and_merged() {
    let mut all: Vec<(u32, u32, CountryCode)> = Vec::new();
    for (&country, list) in RANGES.iter() {
        assert!(!list.is_empty());
        for pair in list.windows(2) {
            // Sorted, and a gap between two ranges of one country (else they'd be merged).
            assert!(
                u64::from(*pair[0].end()) + 1 < u64::from(*pair[1].start()),
                "{country}"
            );
        }
        all.extend(list.iter().map(|r| (*r.start(), *r.end(), country)));
    }
    all.sort();
    for pair in all.windows(2) {
        assert!(pair[0].1 < pair[1].0, "overlap: {pair:?}");
    }
    assert!(RANGES.len() > 200, "{} countries", RANGES.len());
    assert!(RANGES[&cc("US")]
        .iter()
        .any(|r| r.contains(&u32::from(Ipv4Addr::new(8, 8, 8, 8)))));
}

#[test]
fn every_range_looks_up_to_its_country() {
    let mut rng = Rng(0x6869_7275_6e64_6f00);
    for (&country, list) in RANGES.iter() {
        // Both ends of every range, the addresses just outside them, and random insides.
        for r in list {
            assert_eq!(
                lookup_v4(*r.start()),
                Some(country),
                "{}",
                Ipv4Addr::from(*r.start())
            );
            assert_eq!(
                lookup_v4(*r.end()),
                Some(country),
                "{}",
                Ipv4Addr::from(*r.end())
            );
            for outside in [r.start().checked_sub(1), r.end().checked_add(1)]
                .into_iter()
                .flatten()
            {
                assert_ne!(
                    lookup_v4(outside),
                    Some(country),
                    "{}",
                    Ipv4Addr::from(outside)
                );
            }
        }
        for _ in 0..50 {
            let r = &list[rng.below(list.len() as u64) as usize];
            let addr = rng.in_range(r);
            assert_eq!(lookup_v4(addr), Some(country), "{}", Ipv4Addr::from(addr));
        }
    }
}

#[test]
fn random_addresses_agree_with_ranges() {
    let mut sorted: Vec<(u32, u32, CountryCode)> = RANGES
        .iter()
        .flat_map(|(&c, list)| list.iter().map(move |r| (*r.start(), *r.end(), c)))
        .collect();
    sorted.sort();
    let in_ranges = |addr: u32| {
        let i = sorted.partition_point(|&(start, _, _)| start <= addr);
        i.checked_sub(1)
            .map(|i| sorted[i])
            .filter(|&(_, end, _)| addr <= end)
            .map(|(_, _, c)| c)
    };
    let mut rng = Rng(42);
    for _ in 0..200_000 {
        let addr = rng.next() as u32;
        assert_eq!(lookup_v4(addr), in_ranges(addr), "{}", Ipv4Addr::from(addr));
    }
}

#[test]
fn open_reads_the_same_file_from_disk() {
    let path = mmdb_path();
    let db = GeoDb::open(&path).expect("open the database file");
    assert_eq!(db.info().source, path.display().to_string());
    assert_eq!(db.info().build_epoch, DB.info().build_epoch);
    assert_eq!(country(&db, "193.0.6.139").as_deref(), Some("NL"));
}

#[test]
fn open_errors_name_the_file() {
    let missing = std::env::temp_dir().join("hirundo-geo-no-such-file.mmdb");
    let err = GeoDb::open(&missing).expect_err("missing file");
    assert!(matches!(err, GeoError::Read { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&*missing.display().to_string()),
        "{err}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let not_mmdb = dir.path().join("country.mmdb");
    std::fs::write(&not_mmdb, b"this is not a MaxMind database\n").expect("write");
    let err = GeoDb::open(&not_mmdb).expect_err("not an mmdb file");
    assert!(matches!(err, GeoError::Format { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&*not_mmdb.display().to_string()),
        "{err}"
    );
}

/// Cross-check against libmaxminddb (Debian's `mmdb-bin`), an independent reader, when
/// it is installed; the tests above do not depend on it.
#[test]
fn agrees_with_mmdblookup() {
    if Command::new("mmdblookup")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("mmdblookup not installed (apt-get install mmdb-bin): cross-check skipped");
        return;
    }
    let path = mmdb_path();
    let mut rng = Rng(7);
    let mut addrs: Vec<IpAddr> = (0..300)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
        .collect();
    // Random IPv6 addresses in 2000::/4, where allocations are.
    addrs.extend((0..50).map(|_| {
        let bits = (u128::from(rng.next()) << 64 | u128::from(rng.next())) >> 4;
        IpAddr::V6((bits | 2 << 124).into())
    }));
    let mut found = 0;
    for addr in addrs {
        let out = Command::new("mmdblookup")
            .arg("--file")
            .arg(&path)
            .args(["--ip", &addr.to_string(), "country_code"])
            .output()
            .expect("run mmdblookup");
        // Prints `"US" <utf8_string>` when found; nothing on stdout otherwise.
        let stdout = String::from_utf8_lossy(&out.stdout);
        let expected = stdout.split('"').nth(1).map(str::to_owned);
        found += usize::from(expected.is_some());
        assert_eq!(DB.country(addr).map(|c| c.to_string()), expected, "{addr}");
    }
    assert!(found > 100, "only {found} addresses found");
}

/// The /16-indexed map answers as the tree does: on random addresses and on both edges of
/// every range (and the addresses just outside them).
#[test]
fn country_map_agrees_with_the_tree() {
    let map = DB.country_map_v4().expect("map of the embedded database");
    let mut rng = Rng(7);
    for _ in 0..200_000 {
        let addr = rng.next() as u32;
        assert_eq!(map.get(addr), lookup_v4(addr), "{}", Ipv4Addr::from(addr));
    }
    for range in RANGES.values().flatten() {
        for addr in [
            range.start().wrapping_sub(1),
            *range.start(),
            *range.end(),
            range.end().wrapping_add(1),
        ] {
            assert_eq!(map.get(addr), lookup_v4(addr), "{}", Ipv4Addr::from(addr));
        }
    }
}

/// Not a check: `cargo test -p hirundo-geo [--release] -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing() {
    let start = Instant::now();
    let db = GeoDb::embedded();
    eprintln!("GeoDb::embedded: {:?}", start.elapsed());

    let start = Instant::now();
    let ranges = db.country_ranges_v4().expect("ranges");
    let count: usize = ranges.values().map(Vec::len).sum();
    let addresses: u64 = ranges
        .values()
        .flatten()
        .map(|r| u64::from(r.end() - r.start()) + 1)
        .sum();
    eprintln!(
        "country_ranges_v4: {:?}, {} countries, {count} ranges, {addresses} addresses",
        start.elapsed(),
        ranges.len()
    );

    let mut rng = Rng(1);
    let addrs: Vec<IpAddr> = (0..1_000_000)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
        .collect();
    let start = Instant::now();
    let hits = addrs.iter().filter(|&&a| db.country(a).is_some()).count();
    let per_op = |start: Instant| start.elapsed().as_nanos() as f64 / addrs.len() as f64;
    eprintln!(
        "country, random addresses: {:.0} ns/op ({hits} of {} found)",
        per_op(start),
        addrs.len()
    );

    let start = Instant::now();
    let map = db.country_map_v4().expect("map");
    eprintln!(
        "country_map_v4: {:?}, {} ranges",
        start.elapsed(),
        map.len()
    );
    let start = Instant::now();
    let map_hits = addrs
        .iter()
        .filter(|&&a| match a {
            IpAddr::V4(v4) => map.get(u32::from(v4)).is_some(),
            IpAddr::V6(_) => unreachable!(),
        })
        .count();
    eprintln!(
        "Ipv4Map::get, random addresses: {:.1} ns/op ({map_hits} found)",
        per_op(start)
    );

    // One address again and again: the tree walk and decode without cache misses.
    let start = Instant::now();
    let hits = addrs
        .iter()
        .filter(|_| {
            db.country(std::hint::black_box(IpAddr::V4(Ipv4Addr::new(
                193, 0, 6, 139,
            ))))
            .is_some()
        })
        .count();
    eprintln!(
        "country, one address: {:.0} ns/op ({hits} found)",
        per_op(start)
    );
}
