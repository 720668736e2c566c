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

use hirundo_geo::{AsInfo, AsnDb, CountryCode, DbInfo, GeoDb, GeoError};
use std::net::IpAddr;

use hirundo_wire::PacketRepr;

pub use kind::TrafficKind;

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

    /// The autonomous systems of many addresses, in order; None without an ASN database.
    pub fn autonomous_systems(&self, addrs: &[IpAddr]) -> Option<Vec<Option<AsInfo<'_>>>> {
        self.asn.as_ref().map(|db| db.lookup_all(addrs))
    }

    /// The country database in use (recorded with every ingest).
    pub fn geo_info(&self) -> DbInfo {
        self.countries.info()
    }

    /// All labels of a packet.
    #[inline]
    pub fn classify(&self, packet: &PacketRepr) -> Labels {
        let kind = kind::classify(packet);
        Labels {
            country: self.country(packet.src),
            service: service(packet, kind),
            kind,
            tool: tool(packet, kind),
        }
    }

    /// The country of an address.
    #[inline]
    pub fn country(&self, addr: IpAddr) -> Option<CountryCode> {
        self.countries.country(addr)
    }

    /// The countries of many addresses, in order: faster than one by one.
    pub fn countries(&self, addrs: &[IpAddr]) -> Vec<Option<CountryCode>> {
        self.countries.countries(addrs)
    }
}

/// The IANA service name of the port a packet of `kind` is about: the destination port of
/// a probe, the source port (the attacked service) of backscatter.
#[inline]
pub fn service(packet: &PacketRepr, kind: TrafficKind) -> Option<&'static str> {
    let port = if kind == TrafficKind::Backscatter {
        packet.src_port
    } else {
        packet.dst_port
    };
    port.and_then(|port| services::name(packet.protocol, port))
}

/// The tool whose fingerprint a packet of `kind` carries (TCP SYN probes only).
#[inline]
pub fn tool(packet: &PacketRepr, kind: TrafficKind) -> Option<&'static str> {
    if kind == TrafficKind::TcpSynProbe {
        tools::fingerprint(packet)
    } else {
        None
    }
}
