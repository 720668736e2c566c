//! Source networks: the autonomous system (number and organisation) of an address, from a
//! MaxMind-format ASN database (GeoLite2-ASN, DB-IP ASN, ip-location-db `asn-mmdb`) or
//! from ip-location-db's `asn` CSV ranges (`first,last,asn,organisation`, IPv4 or IPv6).
//!
//! A CSV is converted once: the parsed ranges are cached in a compact binary file named by
//! the CSV's BLAKE3 hash under the cache directory, so later runs load them in
//! milliseconds instead of parsing half a million lines again.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use maxminddb::Reader;
use serde::Deserialize;

use crate::{maxmind_reader, read_file, walk_v4, GeoError, Ipv4Map, Source};

mod cache;
mod csv;

/// An autonomous system: its number and the organisation's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsInfo<'a> {
    pub number: u32,
    pub name: &'a str,
}

/// An autonomous system as the database lists it, in 8 bytes that borrow nothing: what a
/// per-address cache keeps. [`AsnDb::info`] gives its number and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsEntry {
    number: u32,
    /// Index into the database's names.
    name: u32,
}

/// An ASN database, ready for look-ups.
pub struct AsnDb {
    v4: Ipv4Map<AsEntry>,
    /// IPv6 ranges from a CSV, sorted by first address.
    v6: Vec<(u128, u128, u32, u32)>,
    names: Vec<String>,
    /// IPv4 ranges the CSV listed (the map also holds the gaps between them).
    csv_v4_ranges: usize,
    /// For a MaxMind database: the tree, which answers IPv6 look-ups.
    reader: Option<Reader<Source>>,
    source: String,
}

impl fmt::Debug for AsnDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsnDb")
            .field("source", &self.source)
            .finish()
    }
}

/// GeoLite2-ASN's record layout, which DB-IP and ip-location-db share.
#[derive(Deserialize)]
struct AsnRecord<'a> {
    autonomous_system_number: Option<u32>,
    #[serde(borrow)]
    autonomous_system_organization: Option<&'a str>,
}

impl<'a> AsnRecord<'a> {
    /// The record's AS, if it names a number (an organisation may be missing).
    fn into_info(self) -> Option<AsInfo<'a>> {
        Some(AsInfo {
            number: self.autonomous_system_number?,
            name: self.autonomous_system_organization.unwrap_or(""),
        })
    }
}

impl AsnDb {
    /// Reads a MaxMind-format ASN database or an ip-location-db ASN CSV (told apart by
    /// content, not by name). A CSV is cached under `cache_dir` when one is given.
    pub fn open(path: &Path, cache_dir: Option<&Path>) -> Result<AsnDb, GeoError> {
        let bytes = read_file(path)?;
        if is_maxmind(&bytes) {
            Self::from_maxmind(path, bytes)
        } else {
            Self::from_csv(path, &bytes, cache_dir)
        }
    }

    /// The autonomous system of `addr`, when the database knows it.
    #[inline]
    pub fn lookup(&self, addr: IpAddr) -> Option<AsInfo<'_>> {
        match addr.to_canonical() {
            IpAddr::V4(v4) => self.entry_v4(v4).map(|entry| self.info(entry)),
            IpAddr::V6(v6) => match &self.reader {
                Some(reader) => maxmind_lookup(reader, IpAddr::V6(v6)),
                None => self.csv_v6(u128::from(v6)),
            },
        }
    }

    /// The entry of an IPv4 address, when the database knows it. IPv6 addresses have none
    /// (a MaxMind tree names their systems itself): [`lookup`](Self::lookup) them.
    #[inline]
    pub fn entry_v4(&self, addr: Ipv4Addr) -> Option<AsEntry> {
        self.v4.get(u32::from(addr))
    }

    /// The number and name of an entry of this database.
    pub fn info(&self, entry: AsEntry) -> AsInfo<'_> {
        AsInfo {
            number: entry.number,
            name: &self.names[entry.name as usize],
        }
    }

    /// What the database is, recorded with every ingest: `FILE (GeoLite2-ASN, built
    /// 2026-06-17)` or `FILE (ASN CSV, N IPv4 and M IPv6 ranges)`.
    pub fn describe(&self) -> String {
        match &self.reader {
            Some(reader) => {
                let m = reader.metadata();
                format!(
                    "{} ({}, built {})",
                    self.source,
                    m.database_type,
                    crate::date_of_epoch(m.build_epoch)
                )
            }
            None => format!(
                "{} (ASN CSV, {} IPv4 and {} IPv6 ranges)",
                self.source,
                self.csv_v4_ranges,
                self.v6.len()
            ),
        }
    }

    fn csv_v6(&self, addr: u128) -> Option<AsInfo<'_>> {
        let i = self.v6.partition_point(|r| r.0 <= addr).checked_sub(1)?;
        let (_, last, number, name) = self.v6[i];
        (addr <= last).then(|| self.info(AsEntry { number, name }))
    }

    fn from_maxmind(path: &Path, bytes: Vec<u8>) -> Result<AsnDb, GeoError> {
        let reader = maxmind_reader(path, bytes)?;
        let source = path.display().to_string();
        let mut names = Names::default();
        let ranges = walk_v4(&reader, &source, |found| {
            let as_info = found.decode::<AsnRecord>()?.and_then(AsnRecord::into_info);
            Ok(as_info.map(|a| AsEntry {
                number: a.number,
                name: names.id(a.name),
            }))
        })?;
        Ok(AsnDb {
            v4: Ipv4Map::from_sorted(ranges)
                .expect("a MaxMind tree walk yields sorted, disjoint networks"),
            v6: Vec::new(),
            names: names.into_vec(),
            csv_v4_ranges: 0,
            reader: Some(reader),
            source,
        })
    }

    fn from_csv(path: &Path, bytes: &[u8], cache_dir: Option<&Path>) -> Result<AsnDb, GeoError> {
        let source = path.display().to_string();
        let cache = cache_dir.map(|dir| {
            let hash = blake3::hash(bytes).to_hex();
            dir.join(format!("asn-{}.bin", &hash[..32]))
        });
        if let Some(parsed) = cache.as_deref().and_then(cache::load) {
            return Ok(parsed.into_db(source));
        }
        let parsed = csv::parse(path, bytes)?;
        if let Some(cache) = &cache {
            if let Err(e) = cache::store(cache, &parsed) {
                tracing::warn!(
                    "cannot cache the converted ASN ranges at {}: {e}",
                    cache.display()
                );
            }
        }
        Ok(parsed.into_db(source))
    }
}

/// The ranges and names read from a CSV (or its cache).
#[derive(Debug, Default, PartialEq)]
struct Parsed {
    v4: Vec<(u32, u32, u32, u32)>,
    v6: Vec<(u128, u128, u32, u32)>,
    names: Vec<String>,
}

impl Parsed {
    fn into_db(self, source: String) -> AsnDb {
        let csv_v4_ranges = self.v4.len();
        let v4 = self
            .v4
            .iter()
            .map(|&(first, last, number, name)| (first..=last, AsEntry { number, name }));
        AsnDb {
            v4: Ipv4Map::from_sorted(v4).expect("parse and load check order and overlap"),
            v6: self.v6,
            names: self.names,
            csv_v4_ranges,
            reader: None,
            source,
        }
    }
}

/// Interns organisation names: a database has a hundred thousand names for millions of
/// networks.
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32>,
    list: Vec<String>,
}

impl Names {
    fn id(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.ids.get(name) {
            return id;
        }
        let id = self.list.len() as u32;
        self.ids.insert(name.to_owned(), id);
        self.list.push(name.to_owned());
        id
    }

    fn into_vec(self) -> Vec<String> {
        self.list
    }
}

fn is_maxmind(bytes: &[u8]) -> bool {
    const MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";
    let tail = &bytes[bytes.len().saturating_sub(128 * 1024)..];
    tail.windows(MARKER.len()).any(|w| w == MARKER)
}

/// The AS of `addr` in a MaxMind tree, its name borrowed from the database.
fn maxmind_lookup(reader: &Reader<Source>, addr: IpAddr) -> Option<AsInfo<'_>> {
    reader
        .lookup(addr)
        .ok()?
        .decode::<AsnRecord>()
        .ok()??
        .into_info()
}
