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
//! let mut enricher = Enricher::new(hirundo_geo::GeoDb::embedded());
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

use hirundo_geo::{CountryCode, DbInfo, GeoDb};
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

/// Classifies packets; keeps a cache of country look-ups.
pub struct Enricher {
    countries: geo::CountryCache,
}

impl Enricher {
    pub fn new(db: GeoDb) -> Self {
        Enricher {
            countries: geo::CountryCache::new(db),
        }
    }

    /// The country database in use (recorded with every ingest).
    pub fn geo_info(&self) -> DbInfo {
        self.countries.info()
    }

    #[inline]
    pub fn classify(&mut self, packet: &PacketRepr) -> Labels {
        let kind = kind::classify(packet);
        let service_port = if kind == TrafficKind::Backscatter {
            packet.src_port
        } else {
            packet.dst_port
        };
        Labels {
            country: self.countries.country(packet.src),
            service: service_port.and_then(|port| services::name(packet.protocol, port)),
            kind,
            tool: if kind == TrafficKind::TcpSynProbe {
                tools::fingerprint(packet)
            } else {
                None
            },
        }
    }
}
