//! MaxMind's record layouts (`{"country": {"iso_code": ...}}`, GeoLite2-ASN's
//! `autonomous_system_*`) and an IPv4-only tree, on small databases written here, so the
//! test needs no licensed GeoLite2 file; and the ASN CSV with its converted cache.

use std::net::{IpAddr, Ipv4Addr};

use hirundo_geo::{AsInfo, AsnDb, GeoDb};

/// The MaxMind DB data types this test needs.
enum V {
    Str(&'static str),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(&'static str, V)>),
    Array(Vec<V>),
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    assert!(size < 285, "long values are not needed here");
    // Sizes of 29 and more: 29 in the control byte, the rest in one byte after the type.
    let short = size.min(29) as u8;
    if kind <= 7 {
        out.push(kind << 5 | short);
    } else {
        // Extended types: type 0 in the control byte, then the type minus 7.
        out.extend([short, kind - 7]);
    }
    if size >= 29 {
        out.push((size - 29) as u8);
    }
}

fn encode(value: &V, out: &mut Vec<u8>) {
    let uint = |out: &mut Vec<u8>, kind, n: u64| {
        let bytes = n.to_be_bytes();
        let zeros = bytes.iter().take_while(|&&b| b == 0).count();
        control(out, kind, 8 - zeros);
        out.extend(&bytes[zeros..]);
    };
    match value {
        V::Str(s) => {
            control(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        V::U16(n) => uint(out, 5, u64::from(*n)),
        V::U32(n) => uint(out, 6, u64::from(*n)),
        V::U64(n) => uint(out, 9, *n),
        V::Map(entries) => {
            control(out, 7, entries.len());
            for (key, value) in entries {
                encode(&V::Str(key), out);
                encode(value, out);
            }
        }
        V::Array(items) => {
            control(out, 11, items.len());
            items.iter().for_each(|item| encode(item, out));
        }
    }
}

#[derive(Clone, Copy)]
enum Child {
    Empty,
    Node(usize),
    Data(usize),
}

/// An IPv4 database with 24-bit records mapping each network to a record by index.
fn build_mmdb(networks: &[(Ipv4Addr, u32, usize)], records: &[V]) -> Vec<u8> {
    let mut data = Vec::new();
    let offsets: Vec<usize> = records
        .iter()
        .map(|record| {
            let offset = data.len();
            encode(record, &mut data);
            offset
        })
        .collect();

    let mut nodes = vec![[Child::Empty; 2]];
    for &(addr, prefix, record) in networks {
        let (addr, mut node) = (u32::from(addr), 0);
        for i in 0..prefix {
            let bit = (addr >> (31 - i) & 1) as usize;
            if i + 1 == prefix {
                nodes[node][bit] = Child::Data(record);
            } else if let Child::Node(next) = nodes[node][bit] {
                node = next;
            } else {
                nodes.push([Child::Empty; 2]);
                nodes[node][bit] = Child::Node(nodes.len() - 1);
                node = nodes.len() - 1;
            }
        }
    }

    let node_count = nodes.len();
    let mut out = Vec::new();
    for child in nodes.iter().flatten() {
        let value = match *child {
            Child::Empty => node_count,
            Child::Node(n) => n,
            Child::Data(r) => node_count + 16 + offsets[r],
        };
        out.extend(&(value as u32).to_be_bytes()[1..]);
    }
    out.extend([0; 16]);
    out.extend(data);
    out.extend(b"\xab\xcd\xefMaxMind.com");
    let metadata = V::Map(vec![
        ("binary_format_major_version", V::U16(2)),
        ("binary_format_minor_version", V::U16(0)),
        ("build_epoch", V::U64(1_700_000_000)),
        ("database_type", V::Str("Test-Country")),
        (
            "description",
            V::Map(vec![("en", V::Str("hirundo-geo test"))]),
        ),
        ("ip_version", V::U16(4)),
        ("languages", V::Array(vec![V::Str("en")])),
        ("node_count", V::U32(node_count as u32)),
        ("record_size", V::U16(24)),
    ]);
    encode(&metadata, &mut out);
    out
}

fn iso(code: &'static str) -> V {
    V::Map(vec![("iso_code", V::Str(code))])
}

fn test_db() -> (tempfile::TempDir, GeoDb) {
    let records = [
        // GeoLite2-City style, with fields to skip on both sides of the country.
        V::Map(vec![
            (
                "city",
                V::Map(vec![("names", V::Map(vec![("en", V::Str("Osaka"))]))]),
            ),
            (
                "country",
                V::Map(vec![
                    ("geoname_id", V::U32(1_861_060)),
                    ("iso_code", V::Str("JP")),
                    ("names", V::Map(vec![("en", V::Str("Japan"))])),
                ]),
            ),
            ("continent", V::Map(vec![("code", V::Str("AS"))])),
        ]),
        V::Map(vec![("country_code", V::Str("DE"))]), // ip-location-db style
        V::Map(vec![("registered_country", iso("US"))]), // no `country`: no answer
        V::Map(vec![("country", iso("jp"))]),         // not a valid code: no answer
        V::Map(vec![("country", iso("FR"))]),
    ];
    let networks = [
        (Ipv4Addr::new(1, 0, 0, 0), 8, 0),
        (Ipv4Addr::new(2, 0, 0, 0), 8, 1),
        (Ipv4Addr::new(3, 0, 0, 0), 9, 1),
        (Ipv4Addr::new(3, 128, 0, 0), 9, 2),
        (Ipv4Addr::new(4, 0, 0, 0), 8, 3),
        (Ipv4Addr::new(5, 0, 0, 0), 24, 4),
        (Ipv4Addr::new(6, 0, 0, 0), 8, 0),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("test-country.mmdb");
    std::fs::write(&path, build_mmdb(&networks, &records)).expect("write test database");
    let db = GeoDb::open(&path).expect("open test database");
    (dir, db)
}

fn country(db: &GeoDb, addr: &str) -> Option<String> {
    db.country(addr.parse::<IpAddr>().expect("test address"))
        .map(|c| c.to_string())
}

#[test]
fn both_record_layouts_are_read() {
    let (_dir, db) = test_db();
    assert_eq!(country(&db, "1.2.3.4").as_deref(), Some("JP"));
    assert_eq!(country(&db, "2.2.3.4").as_deref(), Some("DE"));
    assert_eq!(country(&db, "3.127.255.255").as_deref(), Some("DE"));
    assert_eq!(country(&db, "3.128.0.0"), None);
    assert_eq!(country(&db, "4.0.0.1"), None);
    assert_eq!(country(&db, "5.0.0.255").as_deref(), Some("FR"));
    assert_eq!(country(&db, "5.0.1.0"), None);
    assert_eq!(country(&db, "6.1.1.1").as_deref(), Some("JP"));
    assert_eq!(country(&db, "::ffff:1.2.3.4").as_deref(), Some("JP"));
    // An IPv4-only database cannot answer for IPv6.
    assert_eq!(country(&db, "2001:db8::1"), None);
    let info = db.info();
    assert_eq!(
        (info.database_type.as_str(), info.build_epoch),
        ("Test-Country", 1_700_000_000)
    );
}

#[test]
fn ranges_of_an_ipv4_database() {
    let (_dir, db) = test_db();
    let ranges = db.country_ranges_v4().expect("ranges");
    let ip = |a, b, c, d| u32::from(Ipv4Addr::new(a, b, c, d));
    let expected = [
        ("DE", vec![ip(2, 0, 0, 0)..=ip(3, 127, 255, 255)]),
        ("FR", vec![ip(5, 0, 0, 0)..=ip(5, 0, 0, 255)]),
        (
            "JP",
            vec![
                ip(1, 0, 0, 0)..=ip(1, 255, 255, 255),
                ip(6, 0, 0, 0)..=ip(6, 255, 255, 255),
            ],
        ),
    ];
    let got: Vec<_> = ranges
        .iter()
        .map(|(c, r)| (c.as_str(), r.clone()))
        .collect();
    assert_eq!(got, expected);
}

fn asn(number: u32, name: &'static str) -> V {
    V::Map(vec![
        ("autonomous_system_number", V::U32(number)),
        ("autonomous_system_organization", V::Str(name)),
    ])
}

fn as_info(db: &AsnDb, addr: &str) -> Option<(u32, String)> {
    db.lookup(addr.parse().expect("test address"))
        .map(|AsInfo { number, name }| (number, name.to_owned()))
}

#[test]
fn asn_database_in_maxmind_format() {
    let records = [asn(13335, "Cloudflare, Inc."), asn(2500, "WIDE Project")];
    let networks = [
        (Ipv4Addr::new(1, 0, 0, 0), 24, 0),
        (Ipv4Addr::new(1, 0, 1, 0), 24, 1),
        (Ipv4Addr::new(9, 0, 0, 0), 8, 0),
    ];
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("asn.mmdb");
    std::fs::write(&path, build_mmdb(&networks, &records)).expect("write test database");
    let db = AsnDb::open(&path, None).expect("open ASN database");
    let cloudflare = Some((13335, "Cloudflare, Inc.".to_owned()));
    assert_eq!(as_info(&db, "1.0.0.7"), cloudflare);
    assert_eq!(
        as_info(&db, "1.0.1.255"),
        Some((2500, "WIDE Project".into()))
    );
    assert_eq!(as_info(&db, "1.0.2.0"), None);
    assert_eq!(as_info(&db, "9.9.9.9"), cloudflare);
    assert_eq!(as_info(&db, "::ffff:9.9.9.9"), cloudflare);
    let entries: Vec<Option<u32>> = ["1.0.0.7", "1.0.2.0", "9.9.9.9"]
        .iter()
        .map(|a| db.entry_v4(a.parse().unwrap()).map(|e| db.info(e).number))
        .collect();
    assert_eq!(entries, [Some(13335), None, Some(13335)]);
    assert!(
        db.describe().contains("Test-Country, built 2023-11-14"),
        "{}",
        db.describe()
    );
}

#[test]
fn asn_csv_is_converted_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("asn-ipv4.csv");
    std::fs::write(
        &csv,
        "1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n\
         1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n\
         2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n",
    )
    .expect("write CSV");
    let cache = dir.path().join("cache");
    let check = |db: &AsnDb| {
        assert_eq!(
            as_info(db, "1.0.0.1"),
            Some((13335, "Cloudflare, Inc.".into()))
        );
        assert_eq!(
            as_info(db, "1.0.7.255"),
            Some((38803, "Gtelecom Pty Ltd".into()))
        );
        assert_eq!(as_info(db, "1.0.8.0"), None);
        assert_eq!(
            as_info(db, "2001:200::1"),
            Some((2500, "WIDE Project".into()))
        );
        assert_eq!(as_info(db, "2001:201::"), None);
    };
    let first = AsnDb::open(&csv, Some(&cache)).expect("convert CSV");
    check(&first);
    let cached: Vec<_> = std::fs::read_dir(&cache).expect("cache dir").collect();
    assert_eq!(cached.len(), 1, "one converted file");
    // The second open reads the converted file; a damaged one is converted again.
    check(&AsnDb::open(&csv, Some(&cache)).expect("cached"));
    let cached = cached[0].as_ref().unwrap().path();
    std::fs::write(&cached, b"HIRUNDO-ASN-1\n garbage").unwrap();
    check(&AsnDb::open(&csv, Some(&cache)).expect("rebuilt after damage"));
    assert!(
        std::fs::metadata(&cached).unwrap().len() > 30,
        "cache rewritten"
    );
    assert!(
        first
            .describe()
            .contains("ASN CSV, 2 IPv4 and 1 IPv6 ranges"),
        "{}",
        first.describe()
    );

    std::fs::write(&csv, "1.0.0.0,1.0.0.255,13335\n").unwrap();
    let err = AsnDb::open(&csv, Some(&cache)).unwrap_err().to_string();
    assert!(
        err.ends_with(
            "asn-ipv4.csv: line 1: expected 4 fields (first,last,asn,organisation), found 3"
        ),
        "{err}"
    );
}
