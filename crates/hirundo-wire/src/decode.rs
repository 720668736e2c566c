//! From one captured frame to one row: the link layer, IPv4/IPv6 and the transport header.
//!
//! The layers only find and check the headers; `row` then reads every field from the
//! packet into the returned row, so each field is read in one place. The IPv4 path
//! (`ip_layer`, `ipv4_packet`, `transport_layer`, `tcp_header`, `row`) is
//! `#[inline(always)]`: the row is then written once, in place, which measured 1.5x
//! faster than with calls between the layers.

use core::fmt;
use std::net::IpAddr;

use crate::ethernet::{self, ethertype};
use crate::tcp::TcpOptionsSummary;
use crate::{icmp, ipv4, ipv6, null, sll, sll2, tcp, udp, Error};

/// How the frames of a capture start: the link layers hirundo decodes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkType {
    /// Ethernet II or 802.3, with any VLAN tags (LINKTYPE_ETHERNET, 1).
    Ethernet,
    /// Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 113).
    LinuxSll,
    /// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 276).
    LinuxSll2,
    /// IPv4 or IPv6, told apart by the version (LINKTYPE_RAW, 101; DLT_RAW 12 and 14).
    RawIp,
    /// IPv4 only (LINKTYPE_IPV4, 228).
    Ipv4,
    /// IPv6 only (LINKTYPE_IPV6, 229).
    Ipv6,
    /// BSD loopback, family in the writer's byte order (LINKTYPE_NULL, 0).
    Null,
    /// OpenBSD loopback, family in network order (LINKTYPE_LOOP, 108).
    Loop,
}

impl LinkType {
    /// From a pcap/pcapng LINKTYPE_ number: 1, 113, 276, 101 (also 12 and 14), 228, 229, 0, 108.
    ///
    /// The FCS-length bits that pcap keeps in the top of the field are ignored: a frame
    /// check sequence at the end of the frame is left out with the Ethernet padding.
    pub fn from_linktype(linktype: u32) -> Option<LinkType> {
        match linktype & 0x03ff_ffff {
            1 => Some(LinkType::Ethernet),
            113 => Some(LinkType::LinuxSll),
            276 => Some(LinkType::LinuxSll2),
            101 | 12 | 14 => Some(LinkType::RawIp),
            228 => Some(LinkType::Ipv4),
            229 => Some(LinkType::Ipv6),
            0 => Some(LinkType::Null),
            108 => Some(LinkType::Loop),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LinkType::Ethernet => "ethernet",
            LinkType::LinuxSll => "sll",
            LinkType::LinuxSll2 => "sll2",
            LinkType::RawIp => "raw",
            LinkType::Ipv4 => "ipv4",
            LinkType::Ipv6 => "ipv6",
            LinkType::Null => "null",
            LinkType::Loop => "loop",
        }
    }
}

impl fmt::Display for LinkType {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The parsed meaning of one IP packet: what goes to storage (one row).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacketRepr {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// 4 or 6.
    pub ip_version: u8,
    /// Transport protocol number, after any IPv6 extension headers.
    pub protocol: u8,
    /// TTL or hop limit.
    pub ttl: u8,
    /// IPv4 identification; IPv6 fragment-header identification if there is one.
    pub ip_id: Option<u32>,
    /// IPv4 total length; IPv6 40 + payload length.
    pub ip_len: u32,
    /// Whether and which fragment this is.
    pub fragment: Fragment,
    /// TCP/UDP source port.
    pub src_port: Option<u16>,
    /// TCP/UDP destination port.
    pub dst_port: Option<u16>,
    /// ICMP or ICMPv6 type.
    pub icmp_type: Option<u8>,
    /// ICMP or ICMPv6 code.
    pub icmp_code: Option<u8>,
    /// The 9 TCP flag bits, AE (0x100) down to FIN; see [`crate::tcp::flags`].
    pub tcp_flags: Option<u16>,
    /// TCP sequence number.
    pub tcp_seq: Option<u32>,
    /// TCP acknowledgment number (as sent, whether or not ACK is set).
    pub tcp_ack: Option<u32>,
    /// TCP window.
    pub tcp_window: Option<u16>,
    /// None when there is no TCP header; `Some` with no kinds when it has no options.
    pub tcp_options: Option<TcpOptionsSummary>,
    /// Transport payload length according to the IP length fields.
    pub payload_len: u32,
    /// FNV-1a 32 of the first <= 32 captured payload bytes; None if none were captured.
    pub payload_hash: Option<u32>,
    /// The capture (snaplen) cut the packet before the end of the transport header.
    pub truncated: bool,
}

/// Whether a packet is a fragment, and which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Fragment {
    /// A whole packet.
    #[default]
    None,
    /// The first fragment (more-fragments set, offset 0): decoded like a whole packet.
    First,
    /// A later fragment (offset > 0): no transport header to decode.
    Later,
}

impl Fragment {
    /// From a fragment offset and the more-fragments flag.
    #[inline]
    fn new(offset: u16, more: bool) -> Fragment {
        match (offset, more) {
            (0, false) => Fragment::None,
            (0, true) => Fragment::First,
            _ => Fragment::Later,
        }
    }
}

/// What one frame turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    /// An IP packet.
    Packet(PacketRepr),
    /// A frame that carries something other than IP.
    NonIp(NonIpKind),
    /// A frame whose headers are cut short or contradict themselves.
    Malformed(Malformed),
}

/// What a non-IP frame carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NonIpKind {
    /// The link layer it came on.
    pub link: LinkType,
    /// EtherType, SLL protocol or address family; 0 for an 802.3 (LLC) frame.
    pub protocol: u32,
}

impl fmt::Display for NonIpKind {
    /// `ethernet/0x0806`, `ethernet/llc`, `sll/0x0004`, `null/af7`.
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match (self.link, self.protocol) {
            (LinkType::Ethernet, 0) => write!(f, "{}/llc", self.link),
            (LinkType::Null | LinkType::Loop, af) => write!(f, "{}/af{af}", self.link),
            (link, protocol) => write!(f, "{link}/0x{protocol:04x}"),
        }
    }
}

/// Why a frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Malformed {
    /// The frame ends inside the link-layer header or a VLAN tag.
    TruncatedLinkHeader,
    /// The IP version is not 4 or 6, or not the one the link layer announced.
    BadIpVersion,
    /// The IPv4 header length field is below 5 words.
    Ipv4HeaderTooShort,
    /// The IPv4 total length is below the header length.
    Ipv4TotalLengthTooShort,
    /// The frame ends inside the IP header.
    TruncatedIpHeader,
    /// The IP length fields claim more bytes than the frame had on the wire.
    TruncatedIpPayload,
    /// An IPv6 extension header runs past the payload, or the chain is too long.
    BadIpv6ExtensionHeader,
    /// The IP payload is shorter than the transport header.
    TruncatedTransportHeader,
    /// The TCP data offset is below 5 words.
    BadTcpDataOffset,
}

impl Malformed {
    /// Every reason, for counters that list them all.
    pub const ALL: [Malformed; 9] = [
        Malformed::TruncatedLinkHeader,
        Malformed::BadIpVersion,
        Malformed::Ipv4HeaderTooShort,
        Malformed::Ipv4TotalLengthTooShort,
        Malformed::TruncatedIpHeader,
        Malformed::TruncatedIpPayload,
        Malformed::BadIpv6ExtensionHeader,
        Malformed::TruncatedTransportHeader,
        Malformed::BadTcpDataOffset,
    ];

    /// The reason in snake_case, as stored and reported.
    pub fn as_str(&self) -> &'static str {
        match self {
            Malformed::TruncatedLinkHeader => "truncated_link_header",
            Malformed::BadIpVersion => "bad_ip_version",
            Malformed::Ipv4HeaderTooShort => "ipv4_header_too_short",
            Malformed::Ipv4TotalLengthTooShort => "ipv4_total_length_too_short",
            Malformed::TruncatedIpHeader => "truncated_ip_header",
            Malformed::TruncatedIpPayload => "truncated_ip_payload",
            Malformed::BadIpv6ExtensionHeader => "bad_ipv6_extension_header",
            Malformed::TruncatedTransportHeader => "truncated_transport_header",
            Malformed::BadTcpDataOffset => "bad_tcp_data_offset",
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decode one captured frame. `orig_len` is the frame's length on the wire: when
/// data.len() < orig_len the capture was cut by snaplen, and a transport header cut short is
/// reported in the row (`truncated`, transport fields None) rather than as malformed. When the
/// frame was captured whole, an IP packet shorter than its own header/length fields is Malformed.
/// A frame whose IP header itself is incomplete is always Malformed(TruncatedIpHeader).
/// Never panics on any input.
///
/// "Transport fields" here means those of the fixed header (ports, flags, sequence
/// numbers, ICMP type): when the capture keeps the fixed TCP header but cuts its options,
/// the row has the fixed fields, `tcp_options` summarises the options captured, and
/// `truncated` is set. The IP length fields are checked against the length on the wire, so
/// a cut capture of a packet that claims more than the wire carried is Malformed too.
pub fn decode(link: LinkType, data: &[u8], orig_len: u32) -> Decoded {
    // A writer that stored an original length below the captured one is wrong about it.
    let wire_len = data.len().max(orig_len as usize);
    let (network, offset) = match link_layer(link, data) {
        Ok(found) => found,
        Err(decoded) => return decoded,
    };
    match ip_layer(network, &data[offset..], wire_len - offset) {
        Ok(repr) => Decoded::Packet(repr),
        Err(reason) => Decoded::Malformed(reason),
    }
}

/// Which IP version the link layer announced.
#[derive(Clone, Copy)]
enum Network {
    Ipv4,
    Ipv6,
    /// Raw IP: the version nibble decides.
    Either,
}

/// Finds the IP packet in a frame: which version to expect and where it starts.
#[inline]
fn link_layer(link: LinkType, data: &[u8]) -> Result<(Network, usize), Decoded> {
    let truncated = |_: Error| Decoded::Malformed(Malformed::TruncatedLinkHeader);
    let (protocol, payload) = match link {
        LinkType::RawIp => return Ok((Network::Either, 0)),
        LinkType::Ipv4 => return Ok((Network::Ipv4, 0)),
        LinkType::Ipv6 => return Ok((Network::Ipv6, 0)),
        LinkType::Null | LinkType::Loop => return null_layer(link, data),
        LinkType::Ethernet => {
            let frame = ethernet::Frame::new_checked(data).map_err(truncated)?;
            (frame.ethertype(), frame.payload())
        }
        LinkType::LinuxSll => {
            let packet = sll::Packet::new_checked(data).map_err(truncated)?;
            (packet.protocol(), packet.payload())
        }
        LinkType::LinuxSll2 => {
            let packet = sll2::Packet::new_checked(data).map_err(truncated)?;
            (packet.protocol(), packet.payload())
        }
    };
    // libpcap puts VLAN tags back into cooked captures too.
    let (protocol, payload) = ethernet::strip_vlan_tags(protocol, payload).map_err(truncated)?;
    let offset = data.len() - payload.len();
    match protocol {
        ethertype::IPV4 => Ok((Network::Ipv4, offset)),
        ethertype::IPV6 => Ok((Network::Ipv6, offset)),
        // On Ethernet a value this small is an 802.3 length: the payload is LLC.
        p if link == LinkType::Ethernet && p < ethertype::MIN => Err(non_ip(link, 0)),
        p => Err(non_ip(link, u32::from(p))),
    }
}

fn null_layer(link: LinkType, data: &[u8]) -> Result<(Network, usize), Decoded> {
    let frame = null::Frame::new_checked(data)
        .map_err(|_| Decoded::Malformed(Malformed::TruncatedLinkHeader))?;
    match frame.family() {
        null::family::IPV4 => Ok((Network::Ipv4, null::HEADER_LEN)),
        family if null::is_ipv6_family(family) => Ok((Network::Ipv6, null::HEADER_LEN)),
        family => Err(non_ip(link, family)),
    }
}

fn non_ip(link: LinkType, protocol: u32) -> Decoded {
    Decoded::NonIp(NonIpKind { link, protocol })
}

/// Decodes the IP packet at the start of `bytes`; `wire_len` is how many bytes from there
/// on were on the wire.
#[inline(always)]
fn ip_layer(network: Network, bytes: &[u8], wire_len: usize) -> Result<PacketRepr, Malformed> {
    let version = bytes.first().ok_or(Malformed::TruncatedIpHeader)? >> 4;
    match (network, version) {
        (Network::Ipv4 | Network::Either, 4) => ipv4_packet(bytes, wire_len),
        (Network::Ipv6 | Network::Either, 6) => ipv6_packet(bytes, wire_len),
        _ => Err(Malformed::BadIpVersion),
    }
}

#[inline(always)]
fn ipv4_packet(bytes: &[u8], wire_len: usize) -> Result<PacketRepr, Malformed> {
    let packet = ipv4::Packet::new_checked(bytes).map_err(|error| match error {
        Error::Truncated => Malformed::TruncatedIpHeader,
        Error::Malformed => Malformed::Ipv4HeaderTooShort,
    })?;
    let header_len = packet.header_len();
    let total_len = usize::from(packet.total_len());
    if total_len < header_len {
        return Err(Malformed::Ipv4TotalLengthTooShort);
    }
    if total_len > wire_len {
        return Err(Malformed::TruncatedIpPayload);
    }
    let fragment = Fragment::new(packet.frag_offset(), packet.more_frags());
    let protocol = packet.protocol();
    let segment = transport_layer(protocol, fragment, packet.payload(), total_len - header_len)?;
    let ip = Ip {
        version: 4,
        src: IpAddr::V4(packet.src_addr()),
        dst: IpAddr::V4(packet.dst_addr()),
        protocol,
        ttl: packet.ttl(),
        ident: Some(u32::from(packet.ident())),
        len: total_len,
        fragment,
    };
    Ok(row(ip, segment))
}

fn ipv6_packet(bytes: &[u8], wire_len: usize) -> Result<PacketRepr, Malformed> {
    let packet = ipv6::Packet::new_checked(bytes).map_err(|_| Malformed::TruncatedIpHeader)?;
    let payload_len = usize::from(packet.payload_len());
    if ipv6::HEADER_LEN + payload_len > wire_len {
        return Err(Malformed::TruncatedIpPayload);
    }
    let payload = packet.payload();
    let chain = ipv6::walk_extension_headers(packet.next_header(), payload, payload_len)
        .map_err(|_| Malformed::BadIpv6ExtensionHeader)?;
    let fragment = chain
        .fragment
        .map_or(Fragment::None, |f| Fragment::new(f.offset, f.more));
    let upper_len = payload_len - chain.len;
    let segment = if chain.cut {
        // The capture ended inside an extension header: the transport header is gone.
        Segment::missing(upper_len, true)
    } else {
        transport_layer(chain.protocol, fragment, &payload[chain.len..], upper_len)?
    };
    let ip = Ip {
        version: 6,
        src: IpAddr::V6(packet.src_addr()),
        dst: IpAddr::V6(packet.dst_addr()),
        protocol: chain.protocol,
        ttl: packet.hop_limit(),
        ident: chain.fragment.map(|f| f.ident),
        len: ipv6::HEADER_LEN + payload_len,
        fragment,
    };
    Ok(row(ip, segment))
}

/// The IP layer's part of a row.
struct Ip {
    version: u8,
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    ttl: u8,
    ident: Option<u32>,
    len: usize,
    fragment: Fragment,
}

/// The transport header found after the IP header, checked but not yet read.
#[derive(Clone, Copy)]
enum Transport<'a> {
    /// Nothing to read: another protocol, a later fragment, or a header not all there.
    None,
    Tcp(tcp::Packet<&'a [u8]>),
    Udp(udp::Packet<&'a [u8]>),
    /// ICMP or ICMPv6: both start with type and code.
    Icmp(icmp::Packet<&'a [u8]>),
}

/// What follows the IP header(s).
struct Segment<'a> {
    transport: Transport<'a>,
    /// The captured payload after the transport header.
    payload: &'a [u8],
    /// The payload length according to the IP length fields.
    payload_len: usize,
    /// The capture cut the transport header.
    truncated: bool,
}

impl Segment<'_> {
    /// No transport header to read; `payload_len` bytes after where it would have ended.
    fn missing(payload_len: usize, truncated: bool) -> Self {
        Segment {
            transport: Transport::None,
            payload: &[],
            payload_len,
            truncated,
        }
    }
}

const ICMP: u8 = 1;
const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMPV6: u8 = 58;

/// Finds the transport header in `segment`, the captured part of the IP payload;
/// `wire_len` is the IP payload's length according to the IP header.
#[inline(always)]
fn transport_layer(
    protocol: u8,
    fragment: Fragment,
    segment: &[u8],
    wire_len: usize,
) -> Result<Segment<'_>, Malformed> {
    let needed = match protocol {
        // What follows a later fragment is the middle of the original payload.
        _ if fragment == Fragment::Later => 0,
        TCP => tcp::HEADER_LEN,
        UDP => udp::HEADER_LEN,
        ICMP | ICMPV6 => icmp::HEADER_LEN,
        _ => 0,
    };
    if segment.len() < needed {
        return missing_header(fragment, segment, wire_len, needed);
    }
    let (transport, header_len, truncated) = match protocol {
        _ if needed == 0 => (Transport::None, 0, false),
        TCP => tcp_header(fragment, segment, wire_len)?,
        UDP => (
            Transport::Udp(udp::Packet::new_unchecked(segment)),
            needed,
            false,
        ),
        _ => (
            Transport::Icmp(icmp::Packet::new_unchecked(segment)),
            needed,
            false,
        ),
    };
    Ok(Segment {
        transport,
        // A TCP header cut by the capture leaves no payload bytes.
        payload: segment.get(header_len..).unwrap_or_default(),
        payload_len: wire_len - header_len,
        truncated,
    })
}

/// The fixed transport header is not all there. That is the capture's doing when the IP
/// length leaves room for it, and the packet's own fault when it does not; a first
/// fragment may legally stop short of it (the rest is in the next fragment).
#[cold]
fn missing_header(
    fragment: Fragment,
    segment: &[u8],
    wire_len: usize,
    needed: usize,
) -> Result<Segment<'_>, Malformed> {
    if wire_len < needed && fragment != Fragment::First {
        return Err(Malformed::TruncatedTransportHeader);
    }
    Ok(Segment::missing(
        wire_len.saturating_sub(needed),
        segment.len() < wire_len,
    ))
}

/// Checks the TCP header in a segment that holds at least its fixed part. Returns the
/// view, the header length (within `wire_len`) and whether the capture cut the options.
#[inline(always)]
fn tcp_header(
    fragment: Fragment,
    segment: &[u8],
    wire_len: usize,
) -> Result<(Transport<'_>, usize, bool), Malformed> {
    let packet = tcp::Packet::new_unchecked(segment);
    let header_len = packet.header_len();
    if header_len < tcp::HEADER_LEN {
        return Err(Malformed::BadTcpDataOffset);
    }
    if header_len > wire_len && fragment != Fragment::First {
        return Err(Malformed::TruncatedTransportHeader);
    }
    // Only a first fragment gets here with a header longer than the IP payload.
    let header_len = header_len.min(wire_len);
    Ok((
        Transport::Tcp(packet),
        header_len,
        segment.len() < header_len,
    ))
}

/// Puts a row together, reading the transport fields from the packet.
#[inline(always)]
fn row(ip: Ip, segment: Segment) -> PacketRepr {
    let tcp = match segment.transport {
        Transport::Tcp(packet) => Some(packet),
        _ => None,
    };
    let icmp = match segment.transport {
        Transport::Icmp(packet) => Some(packet),
        _ => None,
    };
    let ports = match segment.transport {
        Transport::Tcp(packet) => Some((packet.src_port(), packet.dst_port())),
        Transport::Udp(packet) => Some((packet.src_port(), packet.dst_port())),
        _ => None,
    };
    // The two loops first, so that the other fields go from packet to row with
    // nothing in between.
    let tcp_options = tcp.map(|packet| TcpOptionsSummary::parse(packet.options()));
    let payload_hash = payload_hash(segment.payload);
    PacketRepr {
        src: ip.src,
        dst: ip.dst,
        ip_version: ip.version,
        protocol: ip.protocol,
        ttl: ip.ttl,
        ip_id: ip.ident,
        // Both IP length fields are 16 bits wide: these cannot overflow.
        ip_len: ip.len as u32,
        fragment: ip.fragment,
        src_port: ports.map(|(src, _)| src),
        dst_port: ports.map(|(_, dst)| dst),
        icmp_type: icmp.map(|packet| packet.msg_type()),
        icmp_code: icmp.map(|packet| packet.msg_code()),
        tcp_flags: tcp.map(|packet| packet.flags()),
        tcp_seq: tcp.map(|packet| packet.seq_number()),
        tcp_ack: tcp.map(|packet| packet.ack_number()),
        tcp_window: tcp.map(|packet| packet.window_len()),
        tcp_options,
        payload_len: segment.payload_len as u32,
        payload_hash,
        truncated: segment.truncated,
    }
}

/// How many payload bytes the hash covers: enough to tell probe payloads apart.
const HASHED_PAYLOAD: usize = 32;

/// FNV-1a 32 of the first [`HASHED_PAYLOAD`] bytes; None for no bytes.
#[inline]
fn payload_hash(payload: &[u8]) -> Option<u32> {
    if payload.is_empty() {
        return None;
    }
    let hash = payload[..payload.len().min(HASHED_PAYLOAD)]
        .iter()
        .fold(0x811c_9dc5_u32, |hash, &byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// Ethernet, IPv4, TCP SYN with MSS, SACK permitted, timestamps and window scale
    /// (tcpdump's bgp-4byte-asn.pcap, frame 3).
    static SYN: [u8; 74] = [
        0xe2, 0xc3, 0xb4, 0x8e, 0x87, 0x60, 0x02, 0x01, 0x00, 0x01, 0x00, 0x00, 0x08, 0x00, 0x45,
        0xc0, 0x00, 0x3c, 0x1c, 0xe8, 0x40, 0x00, 0x01, 0x06, 0x56, 0x12, 0x01, 0x00, 0x02, 0x02,
        0x01, 0x00, 0x02, 0x01, 0xa6, 0xf5, 0x00, 0xb3, 0x8a, 0xfa, 0x6c, 0x32, 0x00, 0x00, 0x00,
        0x00, 0xa0, 0x02, 0x72, 0x10, 0x98, 0x71, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02,
        0x08, 0x0a, 0x27, 0xca, 0x70, 0xda, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x09,
    ];

    /// Ethernet, IPv4, UDP: a DNS query (tcpdump's dns_udp.pcap, frame 1).
    static DNS: [u8; 98] = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x66, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x08, 0x00, 0x45,
        0x00, 0x00, 0x54, 0x59, 0xcd, 0x00, 0x00, 0x40, 0x11, 0x94, 0xae, 0xc0, 0xa8, 0x01, 0x0b,
        0xd1, 0x57, 0xf9, 0x12, 0xab, 0xbe, 0x00, 0x35, 0x00, 0x40, 0x78, 0x24, 0x59, 0x34, 0x01,
        0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77, 0x77, 0x77, 0x07, 0x74,
        0x63, 0x70, 0x64, 0x75, 0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01,
        0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08,
        0x42, 0xf5, 0xd0, 0x09, 0x96, 0xf9, 0x0b, 0x13,
    ];

    /// Ethernet, 802.1Q VLAN 23, IPv4, TCP PSH/ACK carrying BGP (tcpdump's bgp-evpn.pcap,
    /// frame 1).
    static VLAN_BGP: [u8; 141] = [
        0x02, 0x06, 0x0a, 0x0e, 0xff, 0xf4, 0x02, 0x06, 0x0a, 0x0e, 0xff, 0xf3, 0x81, 0x00, 0xc0,
        0x17, 0x08, 0x00, 0x45, 0xc0, 0x00, 0x7b, 0xfa, 0xf7, 0x00, 0x00, 0xff, 0x06, 0xb5, 0xbb,
        0x02, 0x02, 0x02, 0x02, 0x03, 0x03, 0x03, 0x03, 0x00, 0xb3, 0xde, 0x9c, 0x13, 0xf2, 0x9c,
        0xcb, 0xf7, 0x28, 0xdc, 0x73, 0x80, 0x18, 0x40, 0x00, 0x3c, 0x01, 0x00, 0x00, 0x01, 0x01,
        0x08, 0x0a, 0x80, 0x90, 0xf8, 0xb6, 0x80, 0x90, 0xf8, 0xb5, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x47, 0x01, 0x04,
        0xfd, 0xe8, 0x00, 0x5a, 0x02, 0x02, 0x02, 0x02, 0x2a, 0x02, 0x06, 0x01, 0x04, 0x00, 0x01,
        0x00, 0x80, 0x02, 0x06, 0x01, 0x04, 0x00, 0x19, 0x00, 0x46, 0x02, 0x02, 0x80, 0x00, 0x02,
        0x02, 0x02, 0x00, 0x02, 0x04, 0x40, 0x02, 0x40, 0x78, 0x02, 0x06, 0x41, 0x04, 0x00, 0x00,
        0xfd, 0xe8, 0x02, 0x02, 0x47, 0x00,
    ];

    /// Ethernet, IPv4, IGMP: 28 bytes of IP padded to the 60-byte minimum (tcpdump's
    /// IGMP_V2.pcap, frame 1).
    static IGMP_PADDED: [u8; 60] = [
        0x01, 0x00, 0x5e, 0x00, 0x00, 0x01, 0x00, 0x1b, 0x11, 0x10, 0x26, 0x11, 0x08, 0x00, 0x45,
        0x00, 0x00, 0x1c, 0x65, 0x51, 0x00, 0x00, 0x01, 0x02, 0xb2, 0xe3, 0xc0, 0xa8, 0x01, 0x02,
        0xe0, 0x00, 0x00, 0x01, 0x11, 0x64, 0xee, 0x9b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// Linux cooked v1, IPv4, UDP: a RADIUS request on loopback (tcpdump's
    /// RADIUS-RFC5176-2.pcap, frame 1).
    static SLL_RADIUS: [u8; 99] = [
        0x00, 0x00, 0x03, 0x04, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
        0x00, 0x45, 0x00, 0x00, 0x53, 0xa3, 0x3d, 0x00, 0x00, 0x40, 0x11, 0xd9, 0x5a, 0x7f, 0x00,
        0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xa8, 0x74, 0x07, 0x14, 0x00, 0x3f, 0xfe, 0x52, 0x01,
        0xc8, 0x00, 0x37, 0xbc, 0x6e, 0x70, 0x22, 0x44, 0x5e, 0x35, 0x98, 0x35, 0x69, 0x2c, 0x8c,
        0x12, 0x1c, 0x19, 0x85, 0x01, 0x05, 0x62, 0x6f, 0x62, 0x02, 0x12, 0x12, 0xf4, 0x1b, 0xff,
        0x81, 0x0d, 0xbe, 0x22, 0x94, 0xa8, 0xee, 0xdc, 0x62, 0xc5, 0x7d, 0x03, 0x65, 0x06, 0x00,
        0x00, 0x00, 0xc9, 0x65, 0x06, 0x00, 0x00, 0x00, 0xd1,
    ];

    /// Linux cooked v1, IPv6, UDP: a Babel hello on a GRE interface (tcpdump's babel.pcap,
    /// frame 1).
    static SLL_BABEL: [u8; 76] = [
        0x00, 0x00, 0x03, 0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x86,
        0xdd, 0x60, 0x00, 0x00, 0x00, 0x00, 0x14, 0x11, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x68, 0xd3, 0x12, 0x35, 0xd0, 0x68, 0x1f, 0x9e, 0xff, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x1a, 0x29, 0x1a, 0x29,
        0x00, 0x14, 0x0d, 0x90, 0x2a, 0x02, 0x00, 0x08, 0x04, 0x06, 0x00, 0x00, 0x1f, 0x6a, 0x07,
        0xd0,
    ];

    /// BSD null (AF_INET, little-endian), IPv4, UDP: a DNS query (tcpdump's
    /// dns-badcookie.pcap, frame 1).
    static NULL_DNS: [u8; 72] = [
        0x02, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x44, 0x00, 0x0f, 0x00, 0x00, 0x40, 0x11, 0x00,
        0x00, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0xd6, 0xaa, 0x00, 0x35, 0x00, 0x30,
        0xfe, 0x43, 0xf6, 0xab, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c,
        0x00, 0x0a, 0x00, 0x08, 0x36, 0xbf, 0x11, 0x1f, 0xef, 0x2e, 0x01, 0x09,
    ];

    /// BSD null (AF_INET6 = 28, little-endian), IPv6, ICMPv6 router renumbering
    /// (tcpdump's icmpv6-RFC2894-RR.pcap, frame 1).
    static NULL_ICMPV6: [u8; 116] = [
        0x1c, 0x00, 0x00, 0x00, 0x60, 0x00, 0x00, 0x00, 0x00, 0x48, 0x3a, 0x40, 0x20, 0x01, 0x0d,
        0xb8, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x27, 0xff, 0xfe, 0xf4, 0x4d, 0xcf, 0x20, 0x01,
        0x0d, 0xb8, 0x00, 0x01, 0x00, 0x00, 0x0a, 0x00, 0x27, 0xff, 0xfe, 0xf4, 0x4d, 0xcf, 0x8a,
        0x00, 0xdf, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x07, 0x00, 0x30, 0x00, 0x80, 0x00, 0x00, 0xfe, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x10, 0x00, 0x00, 0x00, 0x27,
        0x8d, 0x00, 0x00, 0x09, 0x3a, 0x80, 0x00, 0x00, 0x00, 0x00, 0x3f, 0xfe, 0x05, 0x01, 0xff,
        0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// Raw IPv4, UDP: a DNS query (tcpdump's LINKTYPE_RAW_ipv4.pcap, frame 1).
    static RAW_DNS: [u8; 57] = [
        0x45, 0x00, 0x00, 0x39, 0x00, 0x01, 0x00, 0x00, 0x40, 0x11, 0xa6, 0x95, 0xc0, 0xa8, 0x01,
        0x64, 0x09, 0x09, 0x09, 0x09, 0x30, 0x39, 0x00, 0x35, 0x00, 0x25, 0x19, 0x76, 0x12, 0x34,
        0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x65, 0x78, 0x61, 0x6d,
        0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
    ];

    /// Raw IPv6, UDP: a DNS query, filed as LINKTYPE_IPV4 (tcpdump's
    /// LINKTYPE_IPV4_invalid.pcap, frame 1).
    static RAW_IPV6_DNS: [u8; 77] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x25, 0x11, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x26, 0x20, 0x00, 0xfe, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x30, 0x39, 0x00, 0x35, 0x00,
        0x25, 0x98, 0xb3, 0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01,
        0x00, 0x01,
    ];

    /// IPv4, ICMP echo request (tcpdump's e1000g.pcap, frame 1, without its ipnet header).
    static IPV4_ECHO: [u8; 84] = [
        0x45, 0x00, 0x00, 0x54, 0xe5, 0x8e, 0x00, 0x00, 0xf9, 0x01, 0xfc, 0xd5, 0x81, 0x92, 0x6a,
        0x37, 0x0a, 0x05, 0xe9, 0x75, 0x08, 0x00, 0x32, 0xe2, 0x1a, 0xf5, 0x00, 0x00, 0xed, 0x76,
        0x0d, 0x4b, 0xb9, 0x63, 0x0b, 0x00, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10,
        0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
        0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e,
        0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    ];

    /// Ethernet, IPv6, authentication header, OSPFv3 (tcpdump's OSPFv3_with_AH.pcap,
    /// frame 1).
    static AH_OSPF: [u8; 114] = [
        0x33, 0x33, 0x00, 0x00, 0x00, 0x05, 0xc2, 0x00, 0x68, 0xb3, 0x00, 0x01, 0x86, 0xdd, 0x6e,
        0x00, 0x00, 0x00, 0x00, 0x3c, 0x33, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x59, 0x04, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00, 0x00, 0x13, 0x21, 0xd3, 0xa9, 0x5c, 0x5f, 0xfd, 0x4d, 0x18, 0x46,
        0x22, 0xb9, 0xf8, 0x03, 0x01, 0x00, 0x24, 0x01, 0x01, 0x01, 0x01, 0x00, 0x00, 0x00, 0x01,
        0xfb, 0x86, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x01, 0x00, 0x00, 0x13, 0x00, 0x0a, 0x00,
        0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// Ethernet, IPv6, routing header, ICMPv6 echo request (tcpdump's
    /// ipv6-routing-header.pcap, frame 1).
    static ROUTED_ECHO: [u8; 86] = [
        0x00, 0x13, 0xc4, 0xc7, 0x84, 0xf0, 0x00, 0x12, 0x3f, 0xae, 0x22, 0xf7, 0x86, 0xdd, 0x60,
        0x00, 0x00, 0x00, 0x00, 0x20, 0x2b, 0x04, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x44,
        0x02, 0x12, 0x3f, 0xff, 0xfe, 0xae, 0x22, 0xf7, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x40, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x3a, 0x02, 0x00, 0x01, 0x00, 0x00,
        0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x10, 0x00, 0x02, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x04, 0x80, 0x00, 0xd3, 0xab, 0x00, 0x00, 0x00, 0x00,
    ];

    /// Raw IPv6 (LINKTYPE_IPV6), mobility header, no next header (tcpdump's
    /// ipv6_mobility_1.pcap, frame 1).
    static MOBILITY: [u8; 48] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x87, 0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x3b, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00,
    ];

    /// Ethernet, ARP request (tcpdump's bgp-4byte-asn.pcap, frame 1).
    static ARP: [u8; 42] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01, 0x00, 0x01, 0x00, 0x00, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x00,
        0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x02, 0x01,
    ];

    /// Ethernet 802.3, LLC, spanning tree (tcpdump's 802.1D_spanning_tree.pcap, frame 1).
    static STP: [u8; 60] = [
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0xea, 0xb8, 0x85, 0x00, 0x26, 0x42,
        0x42, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x19, 0x06, 0xea, 0xb8, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x19, 0x06, 0xea, 0xb8, 0x80, 0x80, 0x05, 0x00,
        0x00, 0x14, 0x00, 0x02, 0x00, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    /// A fuzzed frame cut by snaplen: 64 of 262144 bytes captured, the TCP header cut
    /// inside its options (tcpdump's heapoverflow-tcp_print.pcap, frame 1).
    static FUZZED_CUT: [u8; 64] = [
        0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x08, 0x00, 0x45,
        0x30, 0x30, 0x30, 0x30, 0x30, 0x40, 0x00, 0x30, 0x06, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
        0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30,
        0x30, 0xfd, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x30, 0x28, 0x30, 0x30, 0x30, 0x30,
        0x30, 0x30, 0x30, 0x30,
    ];

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    fn v6(text: &str) -> IpAddr {
        IpAddr::V6(text.parse::<Ipv6Addr>().unwrap())
    }

    /// Decodes a frame captured whole and expects an IP packet.
    fn row(link: LinkType, frame: &[u8]) -> PacketRepr {
        match decode(link, frame, frame.len() as u32) {
            Decoded::Packet(repr) => repr,
            other => panic!("expected a packet, got {other:?}"),
        }
    }

    fn malformed(link: LinkType, frame: &[u8], orig_len: usize) -> Malformed {
        match decode(link, frame, orig_len as u32) {
            Decoded::Malformed(reason) => reason,
            other => panic!("expected malformed, got {other:?}"),
        }
    }

    fn non_ip_kind(link: LinkType, frame: &[u8]) -> String {
        match decode(link, frame, frame.len() as u32) {
            Decoded::NonIp(kind) => kind.to_string(),
            other => panic!("expected non-IP, got {other:?}"),
        }
    }

    /// A row with the IP fields given and every transport field empty.
    fn base(
        version: u8,
        src: IpAddr,
        dst: IpAddr,
        protocol: u8,
        ttl: u8,
        ip_len: usize,
    ) -> PacketRepr {
        PacketRepr {
            src,
            dst,
            ip_version: version,
            protocol,
            ttl,
            ip_id: None,
            ip_len: ip_len as u32,
            fragment: Fragment::None,
            src_port: None,
            dst_port: None,
            icmp_type: None,
            icmp_code: None,
            tcp_flags: None,
            tcp_seq: None,
            tcp_ack: None,
            tcp_window: None,
            tcp_options: None,
            payload_len: 0,
            payload_hash: None,
            truncated: false,
        }
    }

    fn options(kinds: &[u8], mss: Option<u16>, wscale: Option<u8>) -> Option<TcpOptionsSummary> {
        let mut summary = TcpOptionsSummary {
            len: kinds.len() as u8,
            mss,
            wscale,
            ..Default::default()
        };
        summary.kinds[..kinds.len()].copy_from_slice(kinds);
        Some(summary)
    }

    fn syn_row() -> PacketRepr {
        PacketRepr {
            ip_id: Some(0x1ce8),
            src_port: Some(42741),
            dst_port: Some(179),
            tcp_flags: Some(tcp::flags::SYN),
            tcp_seq: Some(2331667506),
            tcp_ack: Some(0),
            tcp_window: Some(29200),
            tcp_options: options(&[2, 4, 8, 1, 3], Some(1460), Some(9)),
            ..base(4, v4(1, 0, 2, 2), v4(1, 0, 2, 1), TCP, 1, 60)
        }
    }

    fn dns_row() -> PacketRepr {
        PacketRepr {
            ip_id: Some(0x59cd),
            src_port: Some(43966),
            dst_port: Some(53),
            payload_len: 56,
            payload_hash: Some(0xdb8b37f7),
            ..base(4, v4(192, 168, 1, 11), v4(209, 87, 249, 18), UDP, 64, 84)
        }
    }

    #[test]
    fn ethernet_tcp_syn() {
        assert_eq!(row(LinkType::Ethernet, &SYN), syn_row());
    }

    #[test]
    fn ethernet_udp() {
        assert_eq!(row(LinkType::Ethernet, &DNS), dns_row());
    }

    #[test]
    fn vlan_tagged_tcp() {
        let expected = PacketRepr {
            ip_id: Some(0xfaf7),
            src_port: Some(179),
            dst_port: Some(56988),
            tcp_flags: Some(tcp::flags::PSH | tcp::flags::ACK),
            tcp_seq: Some(334666955),
            tcp_ack: Some(4146650227),
            tcp_window: Some(16384),
            tcp_options: options(&[1, 1, 8], None, None),
            payload_len: 71,
            payload_hash: Some(0x6316891f),
            ..base(4, v4(2, 2, 2, 2), v4(3, 3, 3, 3), TCP, 255, 123)
        };
        assert_eq!(row(LinkType::Ethernet, &VLAN_BGP), expected);
    }

    #[test]
    fn stacked_vlan_tags() {
        // The same packet under an 802.1ad tag and a legacy 0x9100 tag as well.
        let mut frame = VLAN_BGP[..12].to_vec();
        frame.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64, 0x91, 0x00, 0x00, 0x0a]);
        frame.extend_from_slice(&VLAN_BGP[12..]);
        assert_eq!(
            row(LinkType::Ethernet, &frame),
            row(LinkType::Ethernet, &VLAN_BGP)
        );
        let cut_in_tag = &frame[..20];
        assert_eq!(
            malformed(LinkType::Ethernet, cut_in_tag, frame.len()),
            Malformed::TruncatedLinkHeader
        );
    }

    #[test]
    fn ethernet_padding_is_left_out() {
        let expected = PacketRepr {
            ip_id: Some(0x6551),
            payload_len: 8,
            payload_hash: Some(0x783b955b),
            ..base(4, v4(192, 168, 1, 2), v4(224, 0, 0, 1), 2, 1, 28)
        };
        assert_eq!(IGMP_PADDED.len(), 60);
        assert_eq!(row(LinkType::Ethernet, &IGMP_PADDED), expected);
    }

    #[test]
    fn linux_cooked_v1() {
        let expected = PacketRepr {
            ip_id: Some(0xa33d),
            src_port: Some(43124),
            dst_port: Some(1812),
            payload_len: 55,
            payload_hash: Some(0x08111c74),
            ..base(4, v4(127, 0, 0, 1), v4(127, 0, 0, 1), UDP, 64, 83)
        };
        assert_eq!(row(LinkType::LinuxSll, &SLL_RADIUS), expected);
        let expected = PacketRepr {
            src_port: Some(6697),
            dst_port: Some(6697),
            payload_len: 12,
            payload_hash: Some(0xcfb9bfa1),
            ..base(
                6,
                v6("fe80::68d3:1235:d068:1f9e"),
                v6("ff02::1:6"),
                UDP,
                1,
                60,
            )
        };
        assert_eq!(row(LinkType::LinuxSll, &SLL_BABEL), expected);
    }

    #[test]
    fn linux_cooked_v2() {
        // The v1 frame's header rewritten in the v2 layout: protocol, reserved,
        // interface index 1, ARPHRD 772, packet type 0, address length 0, address.
        let mut frame = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0x03, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        frame.extend_from_slice(&SLL_RADIUS[16..]);
        assert_eq!(
            row(LinkType::LinuxSll2, &frame),
            row(LinkType::LinuxSll, &SLL_RADIUS)
        );
        frame[..2].copy_from_slice(&[0x88, 0xcc]);
        assert_eq!(non_ip_kind(LinkType::LinuxSll2, &frame), "sll2/0x88cc");
    }

    #[test]
    fn null_and_loop() {
        let expected = PacketRepr {
            ip_id: Some(0x000f),
            src_port: Some(54954),
            dst_port: Some(53),
            payload_len: 40,
            payload_hash: Some(0x719a3d95),
            ..base(4, v4(127, 0, 0, 1), v4(127, 0, 0, 1), UDP, 64, 68)
        };
        assert_eq!(row(LinkType::Null, &NULL_DNS), expected);
        // LINKTYPE_LOOP writes the family in network order.
        let mut looped = NULL_DNS;
        looped[..4].copy_from_slice(&[0, 0, 0, 2]);
        assert_eq!(row(LinkType::Loop, &looped), expected);
        assert_eq!(row(LinkType::Null, &looped), expected);

        let addr = v6("2001:db8:1:0:a00:27ff:fef4:4dcf");
        let expected = PacketRepr {
            icmp_type: Some(138),
            icmp_code: Some(0),
            payload_len: 64,
            payload_hash: Some(0x218e1517),
            ..base(6, addr, addr, ICMPV6, 64, 112)
        };
        assert_eq!(row(LinkType::Null, &NULL_ICMPV6), expected);
        let mut other = NULL_ICMPV6;
        for family in [24, 30] {
            other[..4].copy_from_slice(&u32::to_be_bytes(family));
            assert_eq!(row(LinkType::Loop, &other), expected);
        }
    }

    #[test]
    fn raw_ip() {
        let expected = PacketRepr {
            ip_id: Some(1),
            src_port: Some(12345),
            dst_port: Some(53),
            payload_len: 29,
            payload_hash: Some(0x32504f96),
            ..base(4, v4(192, 168, 1, 100), v4(9, 9, 9, 9), UDP, 64, 57)
        };
        assert_eq!(row(LinkType::RawIp, &RAW_DNS), expected);
        assert_eq!(row(LinkType::Ipv4, &RAW_DNS), expected);
        // The same query over IPv6 hashes the same.
        let expected = PacketRepr {
            src_port: Some(12345),
            dst_port: Some(53),
            payload_len: 29,
            payload_hash: Some(0x32504f96),
            ..base(6, v6("2001:db8::1"), v6("2620:fe::9"), UDP, 64, 77)
        };
        assert_eq!(row(LinkType::RawIp, &RAW_IPV6_DNS), expected);
        assert_eq!(row(LinkType::Ipv6, &RAW_IPV6_DNS), expected);
    }

    #[test]
    fn icmp_echo() {
        let expected = PacketRepr {
            ip_id: Some(0xe58e),
            icmp_type: Some(8),
            icmp_code: Some(0),
            payload_len: 56,
            payload_hash: Some(0xc38b7e25),
            ..base(4, v4(129, 146, 106, 55), v4(10, 5, 233, 117), ICMP, 249, 84)
        };
        assert_eq!(row(LinkType::Ipv4, &IPV4_ECHO), expected);
    }

    #[test]
    fn ipv6_extension_headers() {
        let expected = PacketRepr {
            payload_len: 36,
            payload_hash: Some(0x6f617b4a),
            ..base(6, v6("fe80::1"), v6("ff02::5"), 89, 1, 100)
        };
        assert_eq!(row(LinkType::Ethernet, &AH_OSPF), expected);
        let expected = PacketRepr {
            icmp_type: Some(128),
            icmp_code: Some(0),
            ..base(
                6,
                v6("2200::244:212:3fff:feae:22f7"),
                v6("2200::240:2:0:0:4"),
                ICMPV6,
                4,
                72,
            )
        };
        assert_eq!(row(LinkType::Ethernet, &ROUTED_ECHO), expected);
        let expected = base(6, v6("2001:db8::1"), v6("2001:db8::2"), 59, 64, 48);
        assert_eq!(row(LinkType::Ipv6, &MOBILITY), expected);
    }

    #[test]
    fn non_ip_frames() {
        assert_eq!(non_ip_kind(LinkType::Ethernet, &ARP), "ethernet/0x0806");
        assert_eq!(non_ip_kind(LinkType::Ethernet, &STP), "ethernet/llc");
        let mut tagged_arp = ARP[..12].to_vec();
        tagged_arp.extend_from_slice(&[0x81, 0x00, 0x00, 0x05]);
        tagged_arp.extend_from_slice(&ARP[12..]);
        assert_eq!(
            non_ip_kind(LinkType::Ethernet, &tagged_arp),
            "ethernet/0x0806"
        );
        let mut sll = SLL_RADIUS;
        sll[14..16].copy_from_slice(&[0x00, 0x04]);
        assert_eq!(non_ip_kind(LinkType::LinuxSll, &sll), "sll/0x0004");
        let mut null = NULL_DNS;
        null[0] = 7;
        assert_eq!(non_ip_kind(LinkType::Null, &null), "null/af7");
        assert_eq!(
            non_ip_kind(LinkType::Loop, &[0, 0, 0, 0x18 + 1]),
            "loop/af25"
        );
        let kind = NonIpKind {
            link: LinkType::Ethernet,
            protocol: 0x0806,
        };
        assert_eq!(decode(LinkType::Ethernet, &ARP, 42), Decoded::NonIp(kind));
    }

    #[test]
    fn snaplen_cut_inside_tcp_options() {
        // 68 bytes, the old tcpdump default: the SYN's options are cut after 14 bytes,
        // inside the timestamps.
        let expected = PacketRepr {
            tcp_options: options(&[2, 4], Some(1460), None),
            truncated: true,
            ..syn_row()
        };
        assert_eq!(
            decode(LinkType::Ethernet, &SYN[..68], 74),
            Decoded::Packet(expected)
        );
        // Cut right after the fixed header: ports and flags, no options.
        let expected = PacketRepr {
            tcp_options: options(&[], None, None),
            truncated: true,
            ..syn_row()
        };
        assert_eq!(
            decode(LinkType::Ethernet, &SYN[..54], 74),
            Decoded::Packet(expected)
        );
    }

    #[test]
    fn snaplen_cut_inside_fixed_transport_header() {
        let ip_only = PacketRepr {
            ip_id: Some(0x1ce8),
            truncated: true,
            payload_len: 20,
            ..base(4, v4(1, 0, 2, 2), v4(1, 0, 2, 1), TCP, 1, 60)
        };
        for cut in 34..54 {
            assert_eq!(
                decode(LinkType::Ethernet, &SYN[..cut], 74),
                Decoded::Packet(ip_only.clone())
            );
        }
        let udp_cut = PacketRepr {
            src_port: None,
            dst_port: None,
            payload_len: 56,
            payload_hash: None,
            truncated: true,
            ..dns_row()
        };
        assert_eq!(
            decode(LinkType::Ethernet, &DNS[..40], 98),
            Decoded::Packet(udp_cut)
        );
    }

    #[test]
    fn snaplen_cut_payload_is_not_truncation() {
        // The transport header is whole: the row is complete, the hash covers what is there.
        let Decoded::Packet(cut) = decode(LinkType::Ethernet, &DNS[..50], 98) else {
            panic!()
        };
        assert!(!cut.truncated);
        assert_eq!((cut.payload_len, cut.src_port), (56, Some(43966)));
        assert_eq!(cut.payload_hash, payload_hash(&DNS[42..50]));
    }

    #[test]
    fn snaplen_cut_real_frame() {
        let expected = PacketRepr {
            ip_id: Some(0x3030),
            src_port: Some(0x3030),
            dst_port: Some(0x3030),
            tcp_flags: Some(0x130),
            tcp_seq: Some(0x30303030),
            tcp_ack: Some(0x30303030),
            tcp_window: Some(0x3030),
            tcp_options: options(&[], None, None),
            payload_len: 0x3030 - 20 - 60,
            truncated: true,
            ..base(4, v4(48, 48, 48, 48), v4(48, 48, 48, 48), TCP, 48, 0x3030)
        };
        let link = LinkType::from_linktype(0x3000_0001).unwrap();
        assert_eq!(decode(link, &FUZZED_CUT, 262144), Decoded::Packet(expected));
    }

    #[test]
    fn snaplen_cut_inside_ipv6_extension_header() {
        let expected = PacketRepr {
            truncated: true,
            payload_len: 32,
            ..base(
                6,
                v6("2200::244:212:3fff:feae:22f7"),
                v6("2200::240:2:0:0:4"),
                43,
                4,
                72,
            )
        };
        assert_eq!(
            decode(LinkType::Ethernet, &ROUTED_ECHO[..64], 86),
            Decoded::Packet(expected)
        );
    }

    #[test]
    fn ipv4_fragments() {
        // More fragments, offset 0: decoded like a whole packet.
        let mut first = DNS;
        first[20] = 0x20;
        let expected = PacketRepr {
            fragment: Fragment::First,
            ..dns_row()
        };
        assert_eq!(row(LinkType::Ethernet, &first), expected);
        // Offset 1480 bytes: the payload is the middle of the datagram.
        let mut later = DNS;
        later[20..22].copy_from_slice(&(1480u16 / 8).to_be_bytes());
        let expected = PacketRepr {
            fragment: Fragment::Later,
            src_port: None,
            dst_port: None,
            payload_len: 64,
            payload_hash: payload_hash(&DNS[34..]),
            ..dns_row()
        };
        assert_eq!(row(LinkType::Ethernet, &later), expected);
    }

    #[test]
    fn tiny_first_fragment() {
        // A first fragment that holds 8 of the TCP header's 40 bytes: no transport fields,
        // but nothing wrong with the packet.
        let mut frame = SYN[..42].to_vec();
        frame[16..18].copy_from_slice(&28u16.to_be_bytes());
        frame[20] = 0x20;
        let expected = PacketRepr {
            ip_id: Some(0x1ce8),
            fragment: Fragment::First,
            ..base(4, v4(1, 0, 2, 2), v4(1, 0, 2, 1), TCP, 1, 28)
        };
        assert_eq!(row(LinkType::Ethernet, &frame), expected);
        // Holding the fixed header but not all options: the fields it has, no payload.
        let mut frame = SYN[..58].to_vec();
        frame[16..18].copy_from_slice(&44u16.to_be_bytes());
        frame[20] = 0x20;
        let expected = PacketRepr {
            fragment: Fragment::First,
            ip_len: 44,
            tcp_options: options(&[2], Some(1460), None),
            ..syn_row()
        };
        assert_eq!(row(LinkType::Ethernet, &frame), expected);
    }

    /// The SLL_BABEL IPv6 packet with a fragment header put in front of its UDP header.
    fn ipv6_fragment(offset: u16, more: bool) -> Vec<u8> {
        let ip = &SLL_BABEL[16..];
        let mut packet = ip[..40].to_vec();
        packet[4..6].copy_from_slice(&(20u16 + 8).to_be_bytes());
        packet[6] = 44;
        let off_m = offset | u16::from(more);
        packet.extend_from_slice(&[17, 0]);
        packet.extend_from_slice(&off_m.to_be_bytes());
        packet.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        packet.extend_from_slice(&ip[40..]);
        packet
    }

    #[test]
    fn ipv6_fragments() {
        let whole = row(LinkType::LinuxSll, &SLL_BABEL);
        let first = PacketRepr {
            ip_id: Some(0x1234_5678),
            ip_len: 68,
            fragment: Fragment::First,
            ..whole.clone()
        };
        assert_eq!(row(LinkType::RawIp, &ipv6_fragment(0, true)), first);
        // An atomic fragment (offset 0, no more) is a whole packet with an identification.
        let atomic = PacketRepr {
            fragment: Fragment::None,
            ..first.clone()
        };
        assert_eq!(row(LinkType::RawIp, &ipv6_fragment(0, false)), atomic);
        let later = PacketRepr {
            fragment: Fragment::Later,
            src_port: None,
            dst_port: None,
            payload_len: 20,
            payload_hash: payload_hash(&SLL_BABEL[56..]),
            ..first
        };
        assert_eq!(row(LinkType::RawIp, &ipv6_fragment(1232, false)), later);
    }

    #[test]
    fn malformed_link_headers() {
        let reason = Malformed::TruncatedLinkHeader;
        assert_eq!(malformed(LinkType::Ethernet, &SYN[..13], 74), reason);
        assert_eq!(malformed(LinkType::Ethernet, &VLAN_BGP[..17], 17), reason);
        assert_eq!(malformed(LinkType::LinuxSll, &SLL_RADIUS[..15], 99), reason);
        assert_eq!(
            malformed(LinkType::LinuxSll2, &SLL_RADIUS[..19], 19),
            reason
        );
        assert_eq!(malformed(LinkType::Null, &NULL_DNS[..3], 72), reason);
        assert_eq!(malformed(LinkType::Loop, &[], 0), reason);
    }

    #[test]
    fn malformed_ip_version() {
        let reason = Malformed::BadIpVersion;
        assert_eq!(malformed(LinkType::Ipv4, &RAW_IPV6_DNS, 77), reason);
        assert_eq!(malformed(LinkType::Ipv6, &RAW_DNS, 57), reason);
        let mut frame = DNS;
        frame[14] = 0x65;
        assert_eq!(malformed(LinkType::Ethernet, &frame, 98), reason);
        frame[14] = 0x55;
        assert_eq!(malformed(LinkType::Ethernet, &frame, 98), reason);
        let mut null = NULL_ICMPV6;
        null[0] = 2;
        assert_eq!(malformed(LinkType::Null, &null, 116), reason);
        assert_eq!(malformed(LinkType::RawIp, &[0x00; 20], 20), reason);
    }

    #[test]
    fn malformed_ipv4_lengths() {
        let mut frame = DNS;
        frame[14] = 0x44;
        assert_eq!(
            malformed(LinkType::Ethernet, &frame, 98),
            Malformed::Ipv4HeaderTooShort
        );
        let mut frame = DNS;
        frame[16..18].copy_from_slice(&19u16.to_be_bytes());
        assert_eq!(
            malformed(LinkType::Ethernet, &frame, 98),
            Malformed::Ipv4TotalLengthTooShort
        );
        // Total length 0, as TCP segmentation offload leaves it.
        frame[16..18].copy_from_slice(&0u16.to_be_bytes());
        assert_eq!(
            malformed(LinkType::Ethernet, &frame, 98),
            Malformed::Ipv4TotalLengthTooShort
        );
    }

    #[test]
    fn malformed_truncated_ip_header() {
        let reason = Malformed::TruncatedIpHeader;
        // Even when the capture was cut: the row needs the whole IP header.
        assert_eq!(malformed(LinkType::Ethernet, &DNS[..33], 98), reason);
        assert_eq!(malformed(LinkType::Ethernet, &DNS[..14], 98), reason);
        assert_eq!(malformed(LinkType::RawIp, &[], 0), reason);
        assert_eq!(
            malformed(LinkType::Ethernet, &ROUTED_ECHO[..53], 86),
            reason
        );
        // Options announced but not there.
        let mut frame = DNS[..36].to_vec();
        frame[14] = 0x46;
        frame[16..18].copy_from_slice(&22u16.to_be_bytes());
        assert_eq!(malformed(LinkType::Ethernet, &frame, 36), reason);
    }

    #[test]
    fn malformed_truncated_ip_payload() {
        let reason = Malformed::TruncatedIpPayload;
        // Captured whole, yet the IP length claims more.
        assert_eq!(malformed(LinkType::Ethernet, &DNS[..97], 97), reason);
        assert_eq!(
            malformed(LinkType::Ethernet, &ROUTED_ECHO[..85], 85),
            reason
        );
        // Cut by the capture, and the IP length claims more than the wire carried.
        assert_eq!(malformed(LinkType::Ethernet, &DNS[..60], 97), reason);
        // A writer's original length below the captured length is not believed.
        assert_eq!(malformed(LinkType::Ethernet, &DNS[..97], 50), reason);
        assert_eq!(
            decode(LinkType::Ethernet, &DNS, 50),
            Decoded::Packet(dns_row())
        );
    }

    #[test]
    fn malformed_ipv6_extension_headers() {
        let reason = Malformed::BadIpv6ExtensionHeader;
        // The routing header claims 200 bytes of a 32-byte payload.
        let mut frame = ROUTED_ECHO;
        frame[55] = 24;
        assert_eq!(malformed(LinkType::Ethernet, &frame, 86), reason);
        // Nine destination options headers.
        let mut packet = MOBILITY[..40].to_vec();
        packet[4..6].copy_from_slice(&72u16.to_be_bytes());
        packet[6] = 60;
        for _ in 0..9 {
            packet.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
        }
        assert_eq!(malformed(LinkType::Ipv6, &packet, packet.len()), reason);
    }

    #[test]
    fn malformed_transport_headers() {
        let reason = Malformed::TruncatedTransportHeader;
        // IPv4 total length leaving 10 bytes for a TCP header, captured whole.
        let mut frame = SYN[..44].to_vec();
        frame[16..18].copy_from_slice(&30u16.to_be_bytes());
        assert_eq!(malformed(LinkType::Ethernet, &frame, 44), reason);
        // ... and 4 bytes for UDP, and for ICMP.
        let mut frame = RAW_DNS[..24].to_vec();
        frame[2..4].copy_from_slice(&24u16.to_be_bytes());
        assert_eq!(malformed(LinkType::RawIp, &frame, 24), reason);
        frame[9] = ICMP;
        assert_eq!(malformed(LinkType::RawIp, &frame, 24), reason);
        // A TCP data offset past the IP payload.
        let mut frame = SYN;
        frame[46] = 0xf0;
        assert_eq!(malformed(LinkType::Ethernet, &frame, 74), reason);
        // The same in a cut capture: the IP length says the header cannot fit.
        assert_eq!(malformed(LinkType::Ethernet, &frame[..60], 74), reason);
        // ICMPv6 with 4 bytes.
        let mut packet = MOBILITY[..44].to_vec();
        packet[4..6].copy_from_slice(&4u16.to_be_bytes());
        packet[6] = ICMPV6;
        assert_eq!(malformed(LinkType::Ipv6, &packet, 44), reason);
    }

    #[test]
    fn malformed_tcp_data_offset() {
        let mut frame = SYN;
        frame[46] = 0x40;
        assert_eq!(
            malformed(LinkType::Ethernet, &frame, 74),
            Malformed::BadTcpDataOffset
        );
        frame[46] = 0x00;
        assert_eq!(
            malformed(LinkType::Ethernet, &frame[..60], 74),
            Malformed::BadTcpDataOffset
        );
    }

    #[test]
    fn malformed_names() {
        let names: Vec<&str> = Malformed::ALL.iter().map(Malformed::as_str).collect();
        assert_eq!(
            names,
            [
                "truncated_link_header",
                "bad_ip_version",
                "ipv4_header_too_short",
                "ipv4_total_length_too_short",
                "truncated_ip_header",
                "truncated_ip_payload",
                "bad_ipv6_extension_header",
                "truncated_transport_header",
                "bad_tcp_data_offset",
            ]
        );
        assert_eq!(Malformed::BadIpVersion.to_string(), "bad_ip_version");
    }

    #[test]
    fn linktype_numbers() {
        let cases = [
            (1, LinkType::Ethernet),
            (113, LinkType::LinuxSll),
            (276, LinkType::LinuxSll2),
            (101, LinkType::RawIp),
            (12, LinkType::RawIp),
            (14, LinkType::RawIp),
            (228, LinkType::Ipv4),
            (229, LinkType::Ipv6),
            (0, LinkType::Null),
            (108, LinkType::Loop),
            // Ethernet with the FCS-length bits set.
            (0x3000_0001, LinkType::Ethernet),
            (0x0400_0001, LinkType::Ethernet),
        ];
        for (number, link) in cases {
            assert_eq!(LinkType::from_linktype(number), Some(link), "{number}");
        }
        for unknown in [105, 127, 195, 231, 0x0001_0001] {
            assert_eq!(LinkType::from_linktype(unknown), None, "{unknown}");
        }
        assert_eq!(LinkType::LinuxSll2.to_string(), "sll2");
    }

    #[test]
    fn payload_hash_is_fnv1a_of_32_bytes() {
        // Published FNV-1a 32 test vectors.
        assert_eq!(payload_hash(b"a"), Some(0xe40c292c));
        assert_eq!(payload_hash(b"foobar"), Some(0xbf9cf968));
        assert_eq!(payload_hash(b""), None);
        let long = [0x5au8; 100];
        assert_eq!(payload_hash(&long), payload_hash(&long[..32]));
        assert_ne!(payload_hash(&long[..31]), payload_hash(&long[..32]));
    }
}
