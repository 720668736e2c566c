//! What an analyst classifies darknet packets by, decided once at ingest so that the store
//! keeps what was true when a packet arrived: the source's country ([`geo`]), the service
//! of the port ([`services`]), the kind of traffic ([`kind`]) and the tool that sent a
//! probe ([`tools`]).
//!
//! ```
//! use hirundo_enrich::{Enricher, TrafficKind};
//! use hirundo_wire::{decode, Decoded, LinkType};
//!
//! // A Mirai-style SYN to 203.0.113.9:23 (sequence number = destination address) from 8.8.8.8.
//! let mut frame = vec![0u8; 14];
//! frame[12] = 0x08;
//! frame.extend_from_slice(&[0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 8, 8, 8, 8, 203, 0, 113, 9]);
//! frame.extend_from_slice(&[0x9c, 0x40, 0, 23, 203, 0, 113, 9, 0, 0, 0, 0, 0x50, 0x02, 0x16, 0xd0, 0, 0, 0, 0]);
//! let Decoded::Packet(packet) = decode(LinkType::Ethernet, &frame, frame.len() as u32) else { panic!() };
//!
//! let enricher = Enricher::new(hirundo_geo::GeoDb::embedded()).unwrap();
//! let labels = enricher.classify(&packet);
//! assert_eq!(labels.kind, TrafficKind::TcpSynProbe);
//! assert_eq!(labels.tool, Some("mirai"));
//! assert_eq!(labels.service, Some("telnet"));
//! assert_eq!(labels.country.map(|c| c.to_string()), Some("US".into()));
//! ```

pub mod geo;
pub mod kind;
pub mod services;
pub mod tools;

use hirundo_geo::{AsEntry, AsInfo, AsnDb, CountryCode, DbInfo, GeoDb, GeoError};
use std::net::IpAddr;

use hirundo_wire::PacketRepr;

pub use kind::TrafficKind;
pub use services::Service;

/// The labels of one packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Labels {
    /// The source address's country, when the database knows it.
    pub country: Option<CountryCode>,
    /// The IANA service name of the port the traffic is about: the destination port of a
    /// probe, the source port (the attacked service) of backscatter.
    pub service: Option<&'static str>,
    pub kind: TrafficKind,
    /// The tool whose fingerprint a TCP SYN probe carries.
    pub tool: Option<&'static str>,
}

/// A source's labels that stay the same for all its packets (see
/// [`Enricher::source_labels`]): what ingest caches per source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SourceLabels {
    pub country: Option<CountryCode>,
    network: CachedNetwork,
}

/// A source's autonomous system, as a cache can hold it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum CachedNetwork {
    /// No ASN database, or it has no system for the address.
    #[default]
    Unknown,
    Entry(AsEntry),
    /// An IPv6 source (rare in darknets), looked up per packet: a MaxMind tree names its
    /// system itself, with no entry to keep.
    LookUp,
}

/// Classifies packets. Shared by reference: ingest labels a batch's packets on all cores.
pub struct Enricher {
    countries: geo::Countries,
    asn: Option<AsnDb>,
}

impl Enricher {
    /// Fails when the database's tree is damaged (it is walked once to build the IPv4 map).
    pub fn new(db: GeoDb) -> Result<Self, GeoError> {
        Ok(Enricher {
            countries: geo::Countries::new(db)?,
            asn: None,
        })
    }

    /// Also labels sources with their autonomous system.
    pub fn with_asn(self, asn: AsnDb) -> Self {
        Enricher {
            asn: Some(asn),
            ..self
        }
    }

    /// The ASN database in use, if any (recorded with every ingest).
    pub fn asn_info(&self) -> Option<String> {
        self.asn.as_ref().map(AsnDb::describe)
    }

    /// Whether sources are labelled with their autonomous system.
    pub fn has_asn(&self) -> bool {
        self.asn.is_some()
    }

    /// What a per-address cache keeps of a source: its country and, for an IPv4 address
    /// with an ASN database, its autonomous system's entry ([`network`](Self::network)).
    pub fn source_labels(&self, addr: IpAddr) -> SourceLabels {
        let network = match (&self.asn, addr.to_canonical()) {
            (None, _) => CachedNetwork::Unknown,
            (Some(db), IpAddr::V4(v4)) => db
                .entry_v4(v4)
                .map_or(CachedNetwork::Unknown, CachedNetwork::Entry),
            (Some(_), IpAddr::V6(_)) => CachedNetwork::LookUp,
        };
        SourceLabels {
            country: self.country(addr),
            network,
        }
    }

    /// The autonomous system of a source from its cached labels, `addr` giving its address
    /// only when it must be looked up (IPv6); None without an ASN database.
    #[inline]
    pub fn network(
        &self,
        labels: SourceLabels,
        addr: impl FnOnce() -> IpAddr,
    ) -> Option<AsInfo<'_>> {
        let db = self.asn.as_ref()?;
        match labels.network {
            CachedNetwork::Unknown => None,
            CachedNetwork::Entry(entry) => Some(db.info(entry)),
            CachedNetwork::LookUp => db.lookup(addr()),
        }
    }

    /// The country database in use (recorded with every ingest).
    pub fn geo_info(&self) -> DbInfo {
        self.countries.info()
    }

    /// All labels of a packet.
    #[inline]
    pub fn classify(&self, packet: &PacketRepr) -> Labels {
        let HeaderLabels {
            kind,
            service,
            tool,
        } = HeaderLabels::of(packet);
        Labels {
            country: self.country(packet.src),
            service: service.map(Service::name),
            kind,
            tool: tool.map(tools::name),
        }
    }

    /// The country of an address.
    #[inline]
    pub fn country(&self, addr: IpAddr) -> Option<CountryCode> {
        self.countries.country(addr)
    }
}

/// The labels that a packet's own headers decide (all but its source's), in six bytes: what
/// ingest computes for every row of a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderLabels {
    pub kind: TrafficKind,
    pub service: Option<Service>,
    /// The index in [`tools::FINGERPRINTS`] of the tool that sent it ([`tools::name`]).
    pub tool: Option<u8>,
}

const _: () = assert!(std::mem::size_of::<HeaderLabels>() == 6);

impl HeaderLabels {
    #[inline]
    pub fn of(packet: &PacketRepr) -> Self {
        let kind = kind::classify(packet);
        HeaderLabels {
            kind,
            service: service(packet, kind),
            tool: tool(packet, kind),
        }
    }
}

/// The IANA service of the port a packet of `kind` is about: the destination port of a
/// probe, the source port (the attacked service) of backscatter.
#[inline]
fn service(packet: &PacketRepr, kind: TrafficKind) -> Option<Service> {
    let port = if kind == TrafficKind::Backscatter {
        packet.src_port
    } else {
        packet.dst_port
    };
    port.and_then(|port| services::lookup(packet.protocol, port))
}

/// The tool whose fingerprint a packet of `kind` carries (TCP SYN probes only), as its
/// index in [`tools::FINGERPRINTS`] ([`tools::name`] names it).
#[inline]
fn tool(packet: &PacketRepr, kind: TrafficKind) -> Option<u8> {
    if kind == TrafficKind::TcpSynProbe {
        tools::fingerprint(packet)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What ingest caches of a source gives the same network as a look-up: from the entry
    /// for IPv4 (IPv4-mapped IPv6 included), from the database for IPv6.
    #[test]
    fn source_labels_name_the_network_of_ipv4_and_ipv6_sources() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("asn.csv");
        std::fs::write(
            &csv,
            "8.8.8.0,8.8.8.255,15169,Google LLC\n\
             2001:4860::,2001:4860:ffff:ffff:ffff:ffff:ffff:ffff,15169,Google LLC\n",
        )
        .unwrap();
        let asn = AsnDb::open(&csv, None).unwrap();
        let enricher = Enricher::new(GeoDb::embedded()).unwrap().with_asn(asn);
        let cases = [
            ("8.8.8.8", Some(15169)),
            ("::ffff:8.8.8.8", Some(15169)),
            ("2001:4860::8888", Some(15169)),
            ("1.1.1.1", None),
            ("2001:db8::1", None),
        ];
        for (addr, want) in cases {
            let addr: IpAddr = addr.parse().unwrap();
            let labels = enricher.source_labels(addr);
            let network = enricher.network(labels, || addr);
            assert_eq!(network.map(|n| n.number), want, "{addr}");
            assert_eq!(network, enricher.asn.as_ref().unwrap().lookup(addr));
            assert_eq!(labels.country, enricher.country(addr), "{addr}");
        }
        let plain = Enricher::new(GeoDb::embedded()).unwrap();
        let addr: IpAddr = "8.8.8.8".parse().unwrap();
        assert_eq!(plain.network(plain.source_labels(addr), || addr), None);
    }
}
