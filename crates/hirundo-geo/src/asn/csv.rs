//! ip-location-db's ASN CSV: `first,last,asn,organisation` per line, addresses as text
//! (IPv4 or IPv6), the organisation quoted when it holds a comma.

use std::net::IpAddr;
use std::path::Path;

use super::{Names, Parsed};
use crate::GeoError;

/// One range before sorting: first, last, AS number, name id, line.
type Row<A> = (A, A, u32, u32, u64);

pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Parsed, GeoError> {
    let error = |line: u64, reason: String| GeoError::Csv {
        path: path.to_owned(),
        line,
        reason,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut names = Names::default();
    let (mut v4, mut v6): (Vec<Row<u32>>, Vec<Row<u128>>) = (Vec::new(), Vec::new());
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(error(line, e.to_string())),
        }
        let fields: Vec<&str> = record.iter().collect();
        let [first, last, number, name] = fields[..] else {
            return Err(error(
                line,
                format!(
                    "expected 4 fields (first,last,asn,organisation), found {}",
                    fields.len()
                ),
            ));
        };
        let address = |text: &str| {
            text.trim()
                .parse::<IpAddr>()
                .map_err(|_| error(line, format!("{text:?} is not an IP address")))
        };
        let number: u32 = number
            .trim()
            .parse()
            .map_err(|_| error(line, format!("{number:?} is not an AS number")))?;
        let name = names.id(name.trim());
        match (address(first)?, address(last)?) {
            (IpAddr::V4(a), IpAddr::V4(b)) if a <= b => {
                v4.push((a.into(), b.into(), number, name, line))
            }
            (IpAddr::V6(a), IpAddr::V6(b)) if a <= b => {
                v6.push((a.into(), b.into(), number, name, line))
            }
            _ => {
                return Err(error(
                    line,
                    format!("{first}..{last} is not a range of one address family"),
                ))
            }
        }
    }
    Ok(Parsed {
        v4: disjoint(path, v4),
        v6: disjoint(path, v6),
        names: names.into_vec(),
    })
}

/// The ranges sorted by first address and made disjoint. Published files have a few
/// overlaps (ip-location-db 2.3.2026061719: line 399116 starts inside line 399115): the
/// later-starting range wins the shared addresses, the earlier one is cut short before it
/// (and dropped if nothing is left); each cut is logged once with its lines.
fn disjoint<A: Ord + Copy + Address>(path: &Path, mut rows: Vec<Row<A>>) -> Vec<(A, A, u32, u32)> {
    rows.sort_by_key(|r| r.0);
    let mut out: Vec<Row<A>> = Vec::with_capacity(rows.len());
    for row in rows {
        while let Some(prev) = out.last_mut() {
            if row.0 > prev.1 {
                break;
            }
            tracing::warn!(
                "{}: line {} overlaps line {}: line {} keeps {}..{}",
                path.display(),
                row.4,
                prev.4,
                row.4,
                row.0.ip(),
                row.1.ip()
            );
            match row.0.before() {
                Some(end) if end >= prev.0 => {
                    prev.1 = end;
                    break;
                }
                _ => {
                    out.pop();
                }
            }
        }
        out.push(row);
    }
    out.into_iter()
        .map(|(first, last, number, name, _)| (first, last, number, name))
        .collect()
}

/// An address as a number, IPv4 or IPv6.
trait Address: Sized {
    /// The address just before this one.
    fn before(self) -> Option<Self>;
    fn ip(self) -> IpAddr;
}

impl Address for u32 {
    fn before(self) -> Option<u32> {
        self.checked_sub(1)
    }

    fn ip(self) -> IpAddr {
        IpAddr::V4(self.into())
    }
}

impl Address for u128 {
    fn before(self) -> Option<u128> {
        self.checked_sub(1)
    }

    fn ip(self) -> IpAddr {
        IpAddr::V6(self.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Parsed, String> {
        parse(Path::new("asn.csv"), text.as_bytes()).map_err(|e| e.to_string())
    }

    #[test]
    fn reads_both_families_and_quoted_names() {
        let parsed = parse_text(
            "1.0.4.0,1.0.7.255,38803,Gtelecom Pty Ltd\n\
             1.0.0.0,1.0.0.255,13335,\"Cloudflare, Inc.\"\n\
             2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,2500,WIDE Project\n\
             1.0.8.0,1.0.8.255,13335,\"Cloudflare, Inc.\"\n",
        )
        .unwrap();
        assert_eq!(
            parsed.names,
            ["Gtelecom Pty Ltd", "Cloudflare, Inc.", "WIDE Project"]
        );
        assert_eq!(
            parsed.v4,
            [
                (0x0100_0000, 0x0100_00ff, 13335, 1),
                (0x0100_0400, 0x0100_07ff, 38803, 0),
                (0x0100_0800, 0x0100_08ff, 13335, 1)
            ]
        );
        assert_eq!(parsed.v6.len(), 1);
    }

    #[test]
    fn overlaps_go_to_the_later_range() {
        let parsed = parse_text(
            "1.0.0.0,1.0.0.255,1,a\n\
             1.0.1.0,1.0.1.9,1,a\n\
             1.0.0.9,1.0.0.20,2,b\n\
             1.0.0.9,1.0.0.10,3,c\n",
        )
        .unwrap();
        let ip = |s: &str| u32::from(s.parse::<std::net::Ipv4Addr>().unwrap());
        let got: Vec<(u32, u32, u32)> = parsed.v4.iter().map(|r| (r.0, r.1, r.2)).collect();
        assert_eq!(
            got,
            [
                (ip("1.0.0.0"), ip("1.0.0.8"), 1),
                (ip("1.0.0.9"), ip("1.0.0.10"), 3),
                (ip("1.0.1.0"), ip("1.0.1.9"), 1),
            ]
        );
    }

    #[test]
    fn errors_name_the_file_and_line() {
        let cases = [
            (
                "1.0.0.0,1.0.0.255,13335\n",
                "asn.csv: line 1: expected 4 fields",
            ),
            (
                "1.0.0.0,1.0.0.255,1,a\nx,1.0.1.0,2,b\n",
                "asn.csv: line 2: \"x\" is not an IP",
            ),
            (
                "1.0.0.0,1.0.0.255,AS1,a\n",
                "asn.csv: line 1: \"AS1\" is not an AS number",
            ),
            (
                "1.0.0.0,::1,1,a\n",
                "asn.csv: line 1: 1.0.0.0..::1 is not a range",
            ),
            (
                "1.0.0.9,1.0.0.1,1,a\n",
                "asn.csv: line 1: 1.0.0.9..1.0.0.1 is not a range",
            ),
        ];
        for (text, want) in cases {
            let got = parse_text(text).unwrap_err();
            assert!(got.starts_with(want), "{text:?}: {got}");
        }
    }
}
