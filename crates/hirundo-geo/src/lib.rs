//! Source-address geolocation: which country an IP address belongs to, read from a
//! MaxMind-format (`.mmdb`) database.
//!
//! [`GeoDb::embedded`] is a country database built into the binary (ip-location-db's
//! `geo-whois-asn-country`, from RIR whois and ASN data; see `data/geoip/NOTICE`), so
//! geolocation works on a fresh machine with nothing to download. [`GeoDb::open`] reads
//! any MaxMind country or city database instead (GeoLite2, GeoIP2, DB-IP, ...).
//!
//! ```
//! use hirundo_geo::GeoDb;
//!
//! let db = GeoDb::embedded();
//! let country = db.country("193.0.6.139".parse().unwrap()).unwrap();
//! assert_eq!(country.as_str(), "NL");
//!
//! // Every IPv4 address of every country, as merged inclusive ranges: all addresses in
//! // them look up to that country, so a simulator can draw sources from them.
//! let ranges = db.country_ranges_v4().unwrap();
//! assert!(ranges[&"NL".parse().unwrap()].iter().any(|r| r.contains(&0xC100_068B)));
//! ```

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use ipnetwork::{IpNetwork, Ipv4Network};
use maxminddb::{LookupResult, MaxMindDbError, Reader, WithinOptions};
use serde::Deserialize;

mod asn;
mod ranges;
pub use asn::{AsEntry, AsInfo, AsnDb};
pub use ranges::Ipv4Map;

/// Version of the npm package `@ip-location-db/geo-whois-asn-country-mmdb` that the
/// embedded database was copied from.
pub const EMBEDDED_VERSION: &str = "2.3.2026061719";

static EMBEDDED: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/geoip/geo-whois-asn-country.mmdb"
));

/// Why a database could not be opened or read; each names the database.
#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    /// The file could not be read.
    #[error("cannot read GeoIP database {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not in MaxMind DB format.
    #[error("{} is not a MaxMind database: {source}", path.display())]
    Format {
        path: PathBuf,
        source: MaxMindDbError,
    },
    /// A line of an ASN CSV is not `first,last,asn,organisation`.
    #[error("{}: line {line}: {reason}", path.display())]
    Csv {
        path: PathBuf,
        line: u64,
        reason: String,
    },
    /// The database opened but its search tree or a record is damaged.
    #[error("corrupt GeoIP database {db}: {source}")]
    Corrupt { db: String, source: MaxMindDbError },
}

/// An ISO 3166-1 alpha-2 country code, such as `NL`: two ASCII uppercase letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    /// The code as text, e.g. `"NL"`.
    pub fn as_str(&self) -> &str {
        // Only FromStr builds a CountryCode, and it admits ASCII letters only.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }

    /// The code as two ASCII bytes, e.g. `*b"NL"`.
    pub fn as_bytes(&self) -> [u8; 2] {
        self.0
    }

    /// The code of two bytes, if they are two ASCII uppercase letters.
    pub fn from_bytes(bytes: [u8; 2]) -> Option<CountryCode> {
        bytes
            .iter()
            .all(u8::is_ascii_uppercase)
            .then_some(CountryCode(bytes))
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not two ASCII uppercase letters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a country code (two ASCII uppercase letters)")]
pub struct BadCountryCode(pub String);

impl FromStr for CountryCode {
    type Err = BadCountryCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match *s.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(CountryCode([a, b])),
            _ => Err(BadCountryCode(s.to_owned())),
        }
    }
}

impl fmt::Display for DbInfo {
    /// `embedded geo-whois-asn-country 2.3.2026061719 (country ipvAll, built 2026-06-17)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, built {})",
            self.source,
            self.database_type,
            date_of_epoch(self.build_epoch)
        )
    }
}

/// `YYYY-MM-DD` of a time in seconds since the Unix epoch.
fn date_of_epoch(epoch: u64) -> String {
    let (y, m, d) = civil_from_days((epoch / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date of a day number since 1970-01-01 (Howard Hinnant's
/// algorithm): enough to print a build date without a date-time dependency.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// What a [`GeoDb`] was built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbInfo {
    /// The database's own `database_type`, e.g. `"country ipvAll"`, `"GeoLite2-Country"`.
    pub database_type: String,
    /// Build time, seconds since the Unix epoch.
    pub build_epoch: u64,
    /// `"embedded geo-whois-asn-country <version>"` or the path of the file.
    pub source: String,
}

/// The two record layouts in use: ip-location-db stores `{"country_code": "JP"}`,
/// MaxMind and DB-IP store `{"country": {"iso_code": "JP", ...}, ...}`. Borrowed
/// strings keep a lookup free of allocation; other fields are skipped undecoded.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country_code: Option<&'a str>,
    #[serde(borrow)]
    country: Option<Country<'a>>,
}

#[derive(Deserialize)]
struct Country<'a> {
    #[serde(borrow)]
    iso_code: Option<&'a str>,
}

type Source = Cow<'static, [u8]>;

/// A country database, in memory, ready for look-ups.
pub struct GeoDb {
    reader: Reader<Source>,
    source: String,
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoDb")
            .field("source", &self.source)
            .finish()
    }
}

impl GeoDb {
    /// The database built into the binary.
    ///
    /// Each call parses it afresh rather than sharing one parsed copy: the bytes are
    /// borrowed, not copied, and parsing only reads the metadata at the end of the file
    /// (a few microseconds), so callers keep one `GeoDb` and need no global state.
    pub fn embedded() -> GeoDb {
        let reader = Reader::from_source(Cow::Borrowed(EMBEDDED))
            .expect("the embedded database is a valid MaxMind DB (checked by the tests)");
        GeoDb {
            reader,
            source: format!("embedded geo-whois-asn-country {EMBEDDED_VERSION}"),
        }
    }

    /// Reads a MaxMind-format country or city database (GeoLite2/GeoIP2 Country or
    /// City, DB-IP, ip-location-db, ...) into memory.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        Ok(GeoDb {
            reader: maxmind_reader(path, read_file(path)?)?,
            source: path.display().to_string(),
        })
    }

    /// The country of `addr`, or `None` when the database has no record for it, the
    /// record has no valid country code, or the database cannot answer (an IPv6
    /// address in an IPv4-only database, a corrupt record).
    ///
    /// IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4, because
    /// not every database links that prefix to its IPv4 data (this one does not).
    pub fn country(&self, addr: IpAddr) -> Option<CountryCode> {
        let found = self.reader.lookup(addr.to_canonical()).ok()?;
        record_country(&found).ok().flatten()
    }

    /// The database's type, build time and where it came from.
    pub fn info(&self) -> DbInfo {
        let metadata = self.reader.metadata();
        DbInfo {
            database_type: metadata.database_type.clone(),
            build_epoch: metadata.build_epoch,
            source: self.source.clone(),
        }
    }

    /// Every IPv4 address that has a country, grouped by country as sorted, merged,
    /// inclusive ranges of addresses. Exact: [`country`](Self::country) returns that
    /// country for every address in a country's ranges, and `None` for every address
    /// in none of them.
    pub fn country_ranges_v4(
        &self,
    ) -> Result<BTreeMap<CountryCode, Vec<RangeInclusive<u32>>>, GeoError> {
        let mut ranges: BTreeMap<CountryCode, Vec<RangeInclusive<u32>>> = BTreeMap::new();
        for (range, country) in walk_v4(&self.reader, &self.source, record_country)? {
            let list = ranges.entry(country).or_default();
            match list.last_mut() {
                Some(prev) if u64::from(*prev.end()) + 1 == u64::from(*range.start()) => {
                    *prev = *prev.start()..=*range.end();
                }
                _ => list.push(range),
            }
        }
        Ok(ranges)
    }

    /// The IPv4 half of the database as an [`Ipv4Map`]: the same answers as
    /// [`country`](Self::country) for IPv4 addresses, in a few nanoseconds instead of a
    /// tree walk. Building it walks the whole database once (about a second).
    pub fn country_map_v4(&self) -> Result<Ipv4Map<CountryCode>, GeoError> {
        let ranges = walk_v4(&self.reader, &self.source, record_country)?;
        Ok(Ipv4Map::from_sorted(ranges)
            .expect("a MaxMind tree walk yields sorted, disjoint networks"))
    }
}

/// The bytes of a database file.
fn read_file(path: &Path) -> Result<Vec<u8>, GeoError> {
    std::fs::read(path).map_err(|source| GeoError::Read {
        path: path.to_owned(),
        source,
    })
}

/// A MaxMind database over `bytes` read from `path`.
fn maxmind_reader(path: &Path, bytes: Vec<u8>) -> Result<Reader<Source>, GeoError> {
    Reader::from_source(Cow::Owned(bytes)).map_err(|source| GeoError::Format {
        path: path.to_owned(),
        source,
    })
}

/// Every IPv4 network of a MaxMind database whose record `decode` gives a value, in address
/// order, as inclusive ranges. Each distinct record is decoded once (a database has a few
/// hundred or thousand records for a million networks).
fn walk_v4<V: Clone>(
    reader: &Reader<Source>,
    db: &str,
    mut decode: impl FnMut(&LookupResult<'_, Source>) -> Result<Option<V>, MaxMindDbError>,
) -> Result<Vec<(RangeInclusive<u32>, V)>, GeoError> {
    let corrupt = |source| GeoError::Corrupt {
        db: db.to_owned(),
        source,
    };
    // The IPv4 view is the subtree that IPv4 look-ups walk; the default options skip
    // its IPv6 aliases (::ffff:0:0/96, 2002::/16), so each address comes once.
    let all_v4 = IpNetwork::V4(
        Ipv4Network::new_checked(Ipv4Addr::UNSPECIFIED, 0).expect("0.0.0.0/0 is a valid network"),
    );
    let networks = reader
        .within(all_v4, WithinOptions::default())
        .map_err(corrupt)?;
    let mut decoded: HashMap<usize, Option<V>> = HashMap::new();
    let mut ranges = Vec::new();
    for found in networks {
        let found = found.map_err(corrupt)?;
        let Some(offset) = found.offset() else {
            continue;
        };
        let value = match decoded.entry(offset) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(new) => new.insert(decode(&found).map_err(corrupt)?).clone(),
        };
        let Some(value) = value else { continue };
        let range = match found.network().map_err(corrupt)? {
            IpNetwork::V4(net) => u32::from(net.network())..=u32::from(net.broadcast()),
            // An IPv6 database whose IPv4 prefix (::/96) lies inside one record: every
            // IPv4 address gets that record.
            IpNetwork::V6(_) => 0..=u32::MAX,
        };
        ranges.push((range, value));
    }
    Ok(ranges)
}

fn record_country(found: &LookupResult<'_, Source>) -> Result<Option<CountryCode>, MaxMindDbError> {
    let Some(record) = found.decode::<Record>()? else {
        return Ok(None);
    };
    let code = record
        .country_code
        .or(record.country.and_then(|c| c.iso_code));
    Ok(code.and_then(|code| code.parse().ok()))
}
