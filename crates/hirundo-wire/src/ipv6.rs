//! IPv6 headers and the walk over extension headers to the upper-layer header.

use core::fmt;
use std::net::Ipv6Addr;

use crate::{read_u16, read_u32, Error};

mod field {
    use crate::Field;

    pub const VER_TC_FLOW: Field = 0..4;
    pub const LENGTH: Field = 4..6;
    pub const NXT_HDR: usize = 6;
    pub const HOP_LIMIT: usize = 7;
    pub const SRC_ADDR: Field = 8..24;
    pub const DST_ADDR: Field = 24..40;
    pub const PAYLOAD: usize = 40;

    // Every extension header starts with the next header and a length byte.
    pub const EXT_NXT_HDR: usize = 0;
    pub const EXT_LEN: usize = 1;
    // The fragment header has a fixed layout.
    pub const FRAG_OFF_M: Field = 2..4;
    pub const FRAG_IDENT: Field = 4..8;
    pub const FRAG_LEN: usize = 8;
}

/// Length of the fixed header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Extension header chains longer than this are treated as malformed: real senders use
/// a few, and the bound keeps hostile chains from costing time.
pub const MAX_EXTENSION_HEADERS: usize = 8;

/// Protocol numbers of the extension headers that are walked over.
pub mod next_header {
    /// Hop-by-hop options.
    pub const HOP_BY_HOP: u8 = 0;
    /// Routing header.
    pub const ROUTING: u8 = 43;
    /// Fragment header.
    pub const FRAGMENT: u8 = 44;
    /// Authentication header (its length is in 4-byte units).
    pub const AUTH: u8 = 51;
    /// Destination options.
    pub const DEST_OPTS: u8 = 60;
    /// Mobility header.
    pub const MOBILITY: u8 = 135;
}

/// A read-only view of an IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking its length; accessors may then panic.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// Wraps a buffer that holds the 40-byte fixed header. The payload length is not
    /// checked: a capture may have cut the payload, and Ethernet may have padded it.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    /// The version field, 6 for a real IPv6 packet.
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_TC_FLOW.start] >> 4
    }

    /// The traffic class.
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        (read_u32(self.buffer.as_ref(), field::VER_TC_FLOW) >> 20) as u8
    }

    /// The flow label (20 bits).
    #[inline]
    pub fn flow_label(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::VER_TC_FLOW) & 0x000f_ffff
    }

    /// The payload length (extension headers included) as the sender wrote it.
    #[inline]
    pub fn payload_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The protocol number of the first header after this one.
    #[inline]
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::NXT_HDR]
    }

    /// The hop limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// The source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::SRC_ADDR])
    }

    /// The destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv6Addr {
        addr(&self.buffer.as_ref()[field::DST_ADDR])
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The captured payload, up to the payload length so that Ethernet padding is left
    /// out. Shorter when the capture was cut.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        let end = (HEADER_LEN + usize::from(self.payload_len())).min(data.len());
        &data[field::PAYLOAD..end]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "IPv6 src={} dst={} nxt={} hlim={} len={}",
            self.src_addr(),
            self.dst_addr(),
            self.next_header(),
            self.hop_limit(),
            self.payload_len()
        )
    }
}

#[inline]
fn addr(bytes: &[u8]) -> Ipv6Addr {
    let mut octets = [0; 16];
    octets.copy_from_slice(bytes);
    Ipv6Addr::from(octets)
}

/// Is this protocol number an extension header that [`walk_extension_headers`] skips?
#[inline]
pub fn is_extension_header(protocol: u8) -> bool {
    use next_header::*;
    matches!(
        protocol,
        HOP_BY_HOP | ROUTING | FRAGMENT | AUTH | DEST_OPTS | MOBILITY
    )
}

/// A read-only view of one extension header of kind `kind` (a [`next_header`] value).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExtensionHeader<T: AsRef<[u8]>> {
    buffer: T,
    kind: u8,
}

impl<T: AsRef<[u8]>> ExtensionHeader<T> {
    /// Wraps a buffer without checking its length; accessors may then panic.
    #[inline]
    pub const fn new_unchecked(buffer: T, kind: u8) -> ExtensionHeader<T> {
        ExtensionHeader { buffer, kind }
    }

    /// Wraps a buffer that holds the whole header, as long as its length field says.
    #[inline]
    pub fn new_checked(buffer: T, kind: u8) -> Result<ExtensionHeader<T>, Error> {
        let header = ExtensionHeader { buffer, kind };
        let len = header.buffer.as_ref().len();
        if len <= field::EXT_LEN || len < header.header_len() {
            return Err(Error::Truncated);
        }
        Ok(header)
    }

    /// The kind this view was made for.
    #[inline]
    pub fn kind(&self) -> u8 {
        self.kind
    }

    /// The protocol number of the header after this one.
    #[inline]
    pub fn next_header(&self) -> u8 {
        self.buffer.as_ref()[field::EXT_NXT_HDR]
    }

    /// The length of this header in bytes.
    #[inline]
    pub fn header_len(&self) -> usize {
        match self.kind {
            next_header::FRAGMENT => field::FRAG_LEN,
            // AH counts 4-byte units, minus 2 (RFC 4302).
            next_header::AUTH => (usize::from(self.buffer.as_ref()[field::EXT_LEN]) + 2) * 4,
            // The rest count 8-byte units, not counting the first (RFC 8200).
            _ => (usize::from(self.buffer.as_ref()[field::EXT_LEN]) + 1) * 8,
        }
    }

    /// The fragment offset in bytes (fragment header only).
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FRAG_OFF_M) & 0xfff8
    }

    /// The more-fragments flag (fragment header only).
    #[inline]
    pub fn more_frags(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FRAG_OFF_M) & 0x0001 != 0
    }

    /// The identification (fragment header only).
    #[inline]
    pub fn ident(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::FRAG_IDENT)
    }
}

impl<T: AsRef<[u8]>> fmt::Display for ExtensionHeader<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "IPv6 ext {} nxt={} len={}",
            self.kind,
            self.next_header(),
            self.header_len()
        )?;
        if self.kind == next_header::FRAGMENT {
            write!(f, " id={} off={}", self.ident(), self.frag_offset())?;
            if self.more_frags() {
                f.write_str(" mf")?;
            }
        }
        Ok(())
    }
}

/// What a fragment header said.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FragmentInfo {
    /// The identification.
    pub ident: u32,
    /// The fragment offset in bytes.
    pub offset: u16,
    /// The more-fragments flag.
    pub more: bool,
}

/// Where the extension header chain ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderChain {
    /// The protocol number after the last header walked over (the transport protocol
    /// unless `cut`, or unless a non-first fragment stopped the walk).
    pub protocol: u8,
    /// Bytes of extension headers walked over, from the start of the payload.
    pub len: usize,
    /// The fragment header, if there was one. A non-first fragment stops the walk at it.
    pub fragment: Option<FragmentInfo>,
    /// The capture ended inside the extension header `protocol`.
    pub cut: bool,
}

/// Walks the extension headers from `first` (the fixed header's next header) to the
/// upper-layer header. `payload` is the captured payload, `payload_len` the payload
/// length field. `Malformed` when a header runs past the payload length or the chain
/// is longer than [`MAX_EXTENSION_HEADERS`].
pub fn walk_extension_headers(
    first: u8,
    payload: &[u8],
    payload_len: usize,
) -> Result<HeaderChain, Error> {
    let mut chain = HeaderChain {
        protocol: first,
        len: 0,
        fragment: None,
        cut: false,
    };
    for _ in 0..MAX_EXTENSION_HEADERS {
        if !is_extension_header(chain.protocol) {
            return Ok(chain);
        }
        let rest = payload.get(chain.len..).unwrap_or_default();
        let header = match ExtensionHeader::new_checked(rest, chain.protocol) {
            Ok(header) => header,
            Err(_) => return cut_or_malformed(chain, rest, payload_len),
        };
        let end = chain.len + header.header_len();
        if end > payload_len {
            return Err(Error::Malformed);
        }
        chain.protocol = header.next_header();
        chain.len = end;
        if header.kind() == next_header::FRAGMENT {
            let fragment = FragmentInfo {
                ident: header.ident(),
                offset: header.frag_offset(),
                more: header.more_frags(),
            };
            chain.fragment = Some(fragment);
            // What follows a later fragment is the middle of the original packet.
            if fragment.offset > 0 {
                return Ok(chain);
            }
        }
    }
    if is_extension_header(chain.protocol) {
        return Err(Error::Malformed);
    }
    Ok(chain)
}

/// The header at `chain.len` is not all in `rest`: the capture cut it if the payload
/// length leaves room for it, otherwise the packet is malformed. (A packet captured whole
/// holds its full payload length, so only a cut capture can get past the check.)
fn cut_or_malformed(
    mut chain: HeaderChain,
    rest: &[u8],
    payload_len: usize,
) -> Result<HeaderChain, Error> {
    let room = payload_len.saturating_sub(chain.len);
    let needed = match rest.get(field::EXT_LEN) {
        Some(_) => ExtensionHeader::new_unchecked(rest, chain.protocol).header_len(),
        None => field::EXT_LEN + 1,
    };
    if room < needed {
        return Err(Error::Malformed);
    }
    chain.cut = true;
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real MLDv2 report: hop-by-hop options (router alert), then ICMPv6
    /// (tcpdump's icmpv6.pcap, frame 2).
    static MLD: [u8; 76] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x02, 0x15, 0x17, 0xff, 0xfe, 0xcc, 0xe5, 0x46, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00,
        0x00, 0x01, 0x00, 0x8f, 0x00, 0x1f, 0xc5, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00,
        0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d, 0xb8, 0x11, 0x22, 0x33,
        0x44,
    ];

    /// A real echo request sent through a type 0 routing header (tcpdump's
    /// ipv6-routing-header.pcap, frame 1).
    static ROUTED: [u8; 72] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x20, 0x2b, 0x04, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x44, 0x02, 0x12, 0x3f, 0xff, 0xfe, 0xae, 0x22, 0xf7, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x02, 0x40, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x3a, 0x02, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x02, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x04, 0x80, 0x00, 0xd3, 0xab, 0x00, 0x00, 0x00, 0x00,
    ];

    /// A real OSPFv3 hello under an authentication header (tcpdump's OSPFv3_with_AH.pcap,
    /// frame 1).
    static AUTH: [u8; 100] = [
        0x6e, 0x00, 0x00, 0x00, 0x00, 0x3c, 0x33, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x59, 0x04, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x13, 0x21, 0xd3, 0xa9, 0x5c, 0x5f, 0xfd, 0x4d, 0x18,
        0x46, 0x22, 0xb9, 0xf8, 0x03, 0x01, 0x00, 0x24, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00,
        0x01, 0xfb, 0x86, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x13, 0x00, 0x0a,
        0x00, 0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// A real binding refresh request: a mobility header with no next header
    /// (tcpdump's ipv6_mobility_1.pcap, frame 1).
    static MOBILITY: [u8; 48] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x87, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3b, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ];

    fn walk(packet: &[u8]) -> Result<HeaderChain, Error> {
        let packet = Packet::new_checked(packet).unwrap();
        walk_extension_headers(
            packet.next_header(),
            packet.payload(),
            packet.payload_len().into(),
        )
    }

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&MLD[..]).unwrap();
        assert_eq!(packet.version(), 6);
        assert_eq!(packet.traffic_class(), 0);
        assert_eq!(packet.flow_label(), 0);
        assert_eq!(packet.payload_len(), 36);
        assert_eq!(packet.next_header(), next_header::HOP_BY_HOP);
        assert_eq!(packet.hop_limit(), 1);
        assert_eq!(
            packet.src_addr(),
            "fe80::215:17ff:fecc:e546".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(packet.dst_addr(), "ff02::16".parse::<Ipv6Addr>().unwrap());
        assert_eq!(packet.payload(), &MLD[40..]);
        assert_eq!(
            packet.to_string(),
            "IPv6 src=fe80::215:17ff:fecc:e546 dst=ff02::16 nxt=0 hlim=1 len=36"
        );
        let packet = Packet::new_checked(&AUTH[..]).unwrap();
        assert_eq!((packet.traffic_class(), packet.flow_label()), (0xe0, 0));
    }

    #[test]
    fn payload_leaves_out_padding() {
        let mut padded = [0u8; 80];
        padded[..76].copy_from_slice(&MLD);
        assert_eq!(
            Packet::new_checked(&padded[..]).unwrap().payload(),
            &MLD[40..]
        );
        assert_eq!(
            Packet::new_checked(&MLD[..50]).unwrap().payload(),
            &MLD[40..50]
        );
    }

    #[test]
    fn hop_by_hop() {
        let hbh = ExtensionHeader::new_checked(&MLD[40..], next_header::HOP_BY_HOP).unwrap();
        assert_eq!(
            (hbh.kind(), hbh.next_header(), hbh.header_len()),
            (0, 58, 8)
        );
        assert_eq!(hbh.to_string(), "IPv6 ext 0 nxt=58 len=8");
        let chain = walk(&MLD).unwrap();
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 58,
                len: 8,
                fragment: None,
                cut: false
            }
        );
    }

    #[test]
    fn routing_auth_and_mobility() {
        let routing = ExtensionHeader::new_checked(&ROUTED[40..], next_header::ROUTING).unwrap();
        assert_eq!((routing.next_header(), routing.header_len()), (58, 24));
        let chain = walk(&ROUTED).unwrap();
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 58,
                len: 24,
                fragment: None,
                cut: false
            }
        );

        let auth = ExtensionHeader::new_checked(&AUTH[40..], next_header::AUTH).unwrap();
        assert_eq!((auth.next_header(), auth.header_len()), (89, 24));
        let chain = walk(&AUTH).unwrap();
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 89,
                len: 24,
                fragment: None,
                cut: false
            }
        );

        let chain = walk(&MOBILITY).unwrap();
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 59,
                len: 8,
                fragment: None,
                cut: false
            }
        );
    }

    #[test]
    fn walk_cut_by_capture() {
        // The capture ended after 5 bytes of the 8-byte hop-by-hop header ...
        let chain = walk_extension_headers(0, &MLD[40..45], 36).unwrap();
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 0,
                len: 0,
                fragment: None,
                cut: true
            }
        );
        // ... or before its length byte ...
        assert!(walk_extension_headers(0, &MLD[40..41], 36).unwrap().cut);
        // ... or inside the routing header after it.
        let chain = walk_extension_headers(43, &ROUTED[40..60], 32).unwrap();
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 43,
                len: 0,
                fragment: None,
                cut: true
            }
        );
    }

    #[test]
    fn walk_past_payload_length_is_malformed() {
        assert_eq!(
            walk_extension_headers(0, &MLD[40..], 6),
            Err(Error::Malformed)
        );
        assert_eq!(
            walk_extension_headers(0, &MLD[40..41], 1),
            Err(Error::Malformed)
        );
        assert_eq!(walk_extension_headers(0, &[], 0), Err(Error::Malformed));
        assert_eq!(
            walk_extension_headers(51, &AUTH[40..60], 20),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn fragment_header() {
        // Fragment header (offset 0, M, id 0xdeadbeef) -> AH with length 4 (24 bytes) -> UDP.
        let mut payload = vec![51, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef, 17, 4];
        payload.resize(8 + 24, 0);
        let chain = walk_extension_headers(44, &payload, payload.len()).unwrap();
        let fragment = FragmentInfo {
            ident: 0xdeadbeef,
            offset: 0,
            more: true,
        };
        assert_eq!(
            chain,
            HeaderChain {
                protocol: 17,
                len: 32,
                fragment: Some(fragment),
                cut: false
            }
        );
        let frag = ExtensionHeader::new_checked(&payload[..], 44).unwrap();
        assert_eq!(
            frag.to_string(),
            "IPv6 ext 44 nxt=51 len=8 id=3735928559 off=0 mf"
        );

        // A later fragment stops the walk at the fragment header.
        payload[2..4].copy_from_slice(&0x0100u16.to_be_bytes());
        let chain = walk_extension_headers(44, &payload, payload.len()).unwrap();
        assert_eq!((chain.protocol, chain.len), (51, 8));
        assert_eq!(
            chain.fragment.map(|f| (f.offset, f.more)),
            Some((256, false))
        );
    }

    #[test]
    fn long_chains() {
        // Eight destination options headers in a row are walked; nine are too many.
        let mut chain: Vec<u8> = (0..9).flat_map(|_| [60, 0, 0, 0, 0, 0, 0, 0]).collect();
        chain[64] = 6;
        let walked = walk_extension_headers(60, &chain[8..], 64).unwrap();
        assert_eq!((walked.protocol, walked.len), (6, 64));
        assert_eq!(
            walk_extension_headers(60, &chain, 72),
            Err(Error::Malformed)
        );
        assert!(is_extension_header(135) && !is_extension_header(6) && !is_extension_header(50));
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Packet::new_checked(&MLD[..39]), Err(Error::Truncated));
        assert_eq!(
            ExtensionHeader::new_checked(&MLD[40..47], 0),
            Err(Error::Truncated)
        );
        assert_eq!(
            ExtensionHeader::new_checked(&MLD[40..41], 0),
            Err(Error::Truncated)
        );
    }
}
