//! Ethernet/IPv4/TCP/UDP/ICMP encoding straight into the output buffer.
//!
//! The headers are written by hand rather than with etherparse's `PacketBuilder`: the
//! builder (owned headers and options per packet, written through `io::Write`) took
//! about 1 µs per Linux-style SYN on the development machine, several times this
//! crate's whole per-packet budget, while a darknet probe is a few dozen bytes whose
//! layout never changes. A frame is laid out first
//! (Ethernet, a reserved IPv4 header, the transport header and payload) and then
//! [`seal`]ed, which fills in the lengths and checksums once everything is known.

/// IP protocol numbers.
pub(crate) const ICMP: u8 = 1;
pub(crate) const TCP: u8 = 6;
pub(crate) const UDP: u8 = 17;

/// TCP flag bits.
pub(crate) const SYN: u8 = 0x02;
pub(crate) const RST: u8 = 0x04;
pub(crate) const ACK: u8 = 0x10;

/// Ethernet II header from a fixed upstream router MAC to a fixed sensor MAC (both
/// locally administered) carrying IPv4.
const ETHERNET: [u8; 14] = [
    0x02, 0x68, 0x69, 0x72, 0x75, 0x6e, // sensor
    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, // router
    0x08, 0x00,
];
const ETHERNET_LEN: usize = ETHERNET.len();
pub(crate) const IPV4_LEN: usize = 20;

/// Shortest Ethernet frame without FCS: NICs pad shorter frames, so real captures of
/// 54-byte SYNs show 60 bytes, and decoders must honour the IPv4 total length.
const MIN_FRAME: usize = 60;

/// The IPv4 header fields that vary between packets.
#[derive(Clone, Copy)]
pub(crate) struct Ipv4 {
    pub src: u32,
    pub dst: u32,
    pub id: u16,
    pub dont_fragment: bool,
    pub ttl: u8,
    pub proto: u8,
}

/// The TCP header fields that vary between packets.
pub(crate) struct Tcp<'a> {
    pub sport: u16,
    pub dport: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub window: u16,
    /// Already padded to a multiple of four bytes.
    pub options: &'a [u8],
}

/// Appends one Ethernet frame carrying `ip`, whose transport header and payload
/// `transport` appends, and returns the frame's length.
pub(crate) fn frame(buf: &mut Vec<u8>, ip: &Ipv4, transport: impl FnOnce(&mut Vec<u8>)) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&ETHERNET);
    buf.extend_from_slice(&[0; IPV4_LEN]);
    transport(buf);
    seal(&mut buf[start + ETHERNET_LEN..], ip);
    if buf.len() - start < MIN_FRAME {
        buf.resize(start + MIN_FRAME, 0);
    }
    buf.len() - start
}

/// Appends an ARP request ("who has `target`? tell `sender`"), the most common non-IP frame
/// on a sensor's link; returns the frame length.
pub(crate) fn arp_request(buf: &mut Vec<u8>, sender: u32, target: u32) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&[0xff; 6]);
    buf.extend_from_slice(&ETHERNET[6..12]);
    buf.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    buf.extend_from_slice(&ETHERNET[6..12]);
    buf.extend_from_slice(&sender.to_be_bytes());
    buf.extend_from_slice(&[0; 6]);
    buf.extend_from_slice(&target.to_be_bytes());
    buf.resize(start + MIN_FRAME, 0);
    MIN_FRAME
}

/// Appends an IPv4 frame whose header is impossible: its total length is shorter than the
/// header itself, as in the damaged frames every archive holds; returns the frame length.
pub(crate) fn malformed_ipv4(buf: &mut Vec<u8>, ip: &Ipv4) -> usize {
    let start = buf.len();
    buf.extend_from_slice(&ETHERNET);
    buf.extend_from_slice(&ipv4_header(ip, 12));
    buf.resize(start + MIN_FRAME, 0);
    MIN_FRAME
}

/// Fills in the IPv4 header and the transport checksum of a laid-out datagram.
fn seal(datagram: &mut [u8], ip: &Ipv4) {
    let total_len = u16::try_from(datagram.len()).expect("synthetic datagrams are small");
    datagram[..IPV4_LEN].copy_from_slice(&ipv4_header(ip, total_len));
    let segment = &mut datagram[IPV4_LEN..];
    let segment_len = u64::from(total_len) - IPV4_LEN as u64;
    let pseudo = words(ip.src) + words(ip.dst) + u64::from(ip.proto) + segment_len;
    match ip.proto {
        TCP => put_checksum(segment, 16, pseudo),
        // A zero UDP checksum means "none", so a computed zero is sent as all ones.
        UDP => {
            put_checksum(segment, 6, pseudo);
            if segment[6..8] == [0, 0] {
                segment[6..8].copy_from_slice(&[0xff, 0xff]);
            }
        }
        // ICMP's checksum has no pseudo-header.
        _ => put_checksum(segment, 2, 0),
    }
}

/// An IPv4 header without options; `total_len` counts the header too.
pub(crate) fn ipv4_header(ip: &Ipv4, total_len: u16) -> [u8; IPV4_LEN] {
    let [l0, l1] = total_len.to_be_bytes();
    let [i0, i1] = ip.id.to_be_bytes();
    let [s0, s1, s2, s3] = ip.src.to_be_bytes();
    let [d0, d1, d2, d3] = ip.dst.to_be_bytes();
    let flags = if ip.dont_fragment { 0x40 } else { 0 };
    let mut header = [
        0x45, 0, l0, l1, i0, i1, flags, 0, ip.ttl, ip.proto, 0, 0, s0, s1, s2, s3, d0, d1, d2, d3,
    ];
    put_checksum(&mut header, 10, 0);
    header
}

/// Appends a TCP header (checksum left for [`seal`]).
pub(crate) fn put_tcp(buf: &mut Vec<u8>, tcp: &Tcp) {
    let data_offset = ((20 + tcp.options.len()) / 4) as u8;
    buf.extend_from_slice(&tcp.sport.to_be_bytes());
    buf.extend_from_slice(&tcp.dport.to_be_bytes());
    buf.extend_from_slice(&tcp.seq.to_be_bytes());
    buf.extend_from_slice(&tcp.ack.to_be_bytes());
    buf.extend_from_slice(&[data_offset << 4, tcp.flags]);
    buf.extend_from_slice(&tcp.window.to_be_bytes());
    buf.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    buf.extend_from_slice(tcp.options);
}

/// Appends a UDP header and payload (checksum left for [`seal`]).
pub(crate) fn put_udp(buf: &mut Vec<u8>, sport: u16, dport: u16, payload: &[u8]) {
    let len = u16::try_from(8 + payload.len()).expect("synthetic payloads are small");
    buf.extend_from_slice(&sport.to_be_bytes());
    buf.extend_from_slice(&dport.to_be_bytes());
    buf.extend_from_slice(&len.to_be_bytes());
    buf.extend_from_slice(&[0, 0]);
    buf.extend_from_slice(payload);
}

/// Appends an ICMP header; the caller appends the body (checksum left for [`seal`]).
pub(crate) fn put_icmp(buf: &mut Vec<u8>, icmp_type: u8, code: u8, rest: [u8; 4]) {
    buf.extend_from_slice(&[icmp_type, code, 0, 0]);
    buf.extend_from_slice(&rest);
}

/// Writes the Internet checksum of `data` (plus `pseudo`) at `at`, whose two bytes must
/// be zero.
fn put_checksum(data: &mut [u8], at: usize, pseudo: u64) {
    let checksum = fold(pseudo + sum_words(data));
    data[at..at + 2].copy_from_slice(&checksum.to_be_bytes());
}

/// Both 16-bit halves of an address, as the pseudo-header adds them.
fn words(addr: u32) -> u64 {
    u64::from(addr >> 16) + u64::from(addr & 0xffff)
}

/// One's-complement sum of `data` as big-endian 16-bit words, unfolded. Summing
/// 32-bit words into 64 bits and folding later gives the same result (RFC 1071's
/// deferred carries) in half the steps.
fn sum_words(data: &[u8]) -> u64 {
    let mut quads = data.chunks_exact(4);
    let mut sum: u64 = quads
        .by_ref()
        .map(|q| u64::from(u32::from_be_bytes([q[0], q[1], q[2], q[3]])))
        .sum();
    let mut rest = quads.remainder();
    if let [a, b, tail @ ..] = rest {
        sum += u64::from(u16::from_be_bytes([*a, *b]));
        rest = tail;
    }
    if let [last] = rest {
        sum += u64::from(*last) << 8;
    }
    sum
}

/// Folds the carries back in and complements.
fn fold(mut sum: u64) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of RFC 1071 section 3: the sum of these words is 0xddf2.
    #[test]
    fn checksum_matches_rfc_1071() {
        let mut data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7, 0, 0];
        put_checksum(&mut data, 8, 0);
        assert_eq!(u16::from_be_bytes([data[8], data[9]]), !0xddf2);
    }

    #[test]
    fn odd_lengths_pad_with_zero() {
        for len in 0..=7 {
            let data = &[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde][..len];
            let words: u64 = data
                .chunks(2)
                .map(|w| u64::from(w[0]) << 8 | u64::from(*w.get(1).unwrap_or(&0)))
                .sum();
            assert_eq!(fold(sum_words(data)), fold(words), "{len} bytes");
        }
    }

    #[test]
    fn short_frames_are_padded_to_the_ethernet_minimum() {
        let ip = Ipv4 {
            src: 1,
            dst: 2,
            id: 3,
            dont_fragment: false,
            ttl: 64,
            proto: ICMP,
        };
        let mut buf = Vec::new();
        let len = frame(&mut buf, &ip, |b| put_icmp(b, 8, 0, [0; 4]));
        assert_eq!((len, buf.len()), (MIN_FRAME, MIN_FRAME));
        // The IPv4 total length still says 28: the rest is padding.
        assert_eq!(&buf[16..18], &[0, 28]);
    }
}
