//! Decoding of captured frames into one row per IP packet.
//!
//! A network telescope records every unsolicited packet that reaches unused address
//! space. This crate turns one captured frame (Ethernet with VLAN tags, Linux cooked
//! capture v1/v2, BSD null/loopback or raw IP) into a [`PacketRepr`]: addresses,
//! ports, TCP flags and options, ICMP type, lengths and a short payload hash, which is
//! what the store keeps. Frames that carry no IP are [`Decoded::NonIp`]; frames whose
//! headers contradict themselves are [`Decoded::Malformed`] with a [`Malformed`]
//! reason, so they can be counted rather than lost.
//!
//! [`decode()`] never panics and never allocates. The protocol modules
//! ([`ethernet`], [`ipv4`], [`tcp`], ...) hold zero-copy views in the style of
//! smoltcp's `wire` module for callers that need a field the row does not carry.
//!
//! ```
//! use hirundo_wire::{decode, Decoded, LinkType};
//!
//! // A raw IPv4 packet: UDP 192.0.2.1:40000 -> 198.51.100.7:53, 4 bytes of payload.
//! let packet = [
//!     0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
//!     192, 0, 2, 1, 198, 51, 100, 7,
//!     0x9c, 0x40, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00,
//!     b'p', b'i', b'n', b'g',
//! ];
//! let Decoded::Packet(row) = decode(LinkType::RawIp, &packet, packet.len() as u32) else {
//!     panic!("not a packet");
//! };
//! assert_eq!(row.dst.to_string(), "198.51.100.7");
//! assert_eq!((row.protocol, row.dst_port), (17, Some(53)));
//! assert_eq!((row.payload_len, row.truncated), (4, false));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod decode;
pub mod ethernet;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod null;
pub mod sll;
pub mod sll2;
pub mod tcp;
pub mod udp;

pub use decode::{decode, Decoded, Fragment, LinkType, Malformed, NonIpKind, PacketRepr};
pub use tcp::TcpOptionsSummary;

/// Why a view could not be made over a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum Error {
    /// The buffer ends before the header does.
    #[error("buffer is shorter than the header")]
    Truncated,
    /// A header field is out of range (a length below the fixed header, say).
    #[error("header field out of range")]
    Malformed,
}

/// A header field as a byte range, as used in each module's `mod field`.
type Field = core::ops::Range<usize>;

/// Reads a big-endian u16 from a field that the caller knows is in the buffer.
#[inline]
fn read_u16(data: &[u8], field: Field) -> u16 {
    let bytes = &data[field];
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// Reads a big-endian u32 from a field that the caller knows is in the buffer.
#[inline]
fn read_u32(data: &[u8], field: Field) -> u32 {
    let bytes = &data[field];
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}
