//! IPv4 headers.

use core::fmt;
use std::net::Ipv4Addr;

use crate::{read_u16, Error};

mod field {
    use crate::Field;

    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    pub const OPTIONS: usize = 20;
}

/// Length of the header without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// A read-only view of an IPv4 packet.
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

    /// Wraps a buffer that holds the whole header, options included.
    ///
    /// `Truncated` when the buffer ends inside the header, `Malformed` when the header
    /// length field is below 5 words. The total length is not checked: a capture may
    /// have cut the payload, and Ethernet may have padded it.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let packet = Packet { buffer };
        let len = packet.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Error::Truncated);
        }
        if packet.header_len() < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if len < packet.header_len() {
            return Err(Error::Truncated);
        }
        Ok(packet)
    }

    /// The version field, 4 for a real IPv4 packet.
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes, options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// The differentiated services code point.
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] >> 2
    }

    /// The explicit congestion notification bits.
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] & 0x03
    }

    /// The total length of the packet, header included, as the sender wrote it.
    #[inline]
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The identification field.
    #[inline]
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT)
    }

    /// The don't-fragment flag.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) & 0x4000 != 0
    }

    /// The more-fragments flag.
    #[inline]
    pub fn more_frags(&self) -> bool {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) & 0x2000 != 0
    }

    /// The fragment offset in bytes.
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLG_OFF) << 3
    }

    /// The time to live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The protocol number of the payload.
    #[inline]
    pub fn protocol(&self) -> u8 {
        self.buffer.as_ref()[field::PROTOCOL]
    }

    /// The header checksum.
    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        addr(&self.buffer.as_ref()[field::SRC_ADDR])
    }

    /// The destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        addr(&self.buffer.as_ref()[field::DST_ADDR])
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The options, between the fixed header and the payload.
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::OPTIONS..self.header_len()]
    }

    /// The captured payload: after the header, up to the total length, so that
    /// Ethernet padding is left out. Shorter when the capture was cut.
    // Always inlined: it is on `decode`'s per-packet path (see `decode`'s module doc).
    #[inline(always)]
    pub fn payload(&self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        // min/max rather than `clamp`, whose assertion kept it from being inlined.
        let end = usize::from(self.total_len())
            .min(data.len())
            .max(self.header_len());
        &data[self.header_len()..end]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "IPv4 src={} dst={} proto={} ttl={} len={} id={}",
            self.src_addr(),
            self.dst_addr(),
            self.protocol(),
            self.ttl(),
            self.total_len(),
            self.ident()
        )?;
        if self.more_frags() || self.frag_offset() > 0 {
            write!(f, " frag_off={}", self.frag_offset())?;
            if self.more_frags() {
                f.write_str(" mf")?;
            }
        }
        Ok(())
    }
}

#[inline]
fn addr(bytes: &[u8]) -> Ipv4Addr {
    Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real IGMPv2 membership report: an IPv4 header with a Router Alert option, then
    /// the 8-byte IGMP message (tcpdump's IGMP_V2.pcap, frame 2).
    static IGMP: [u8; 32] = [
        0x46, 0x00, 0x00, 0x20, 0x8c, 0x62, 0x00, 0x00, 0x01, 0x02, 0xe6, 0x92, 0xc0, 0xa8, 0x01,
        0x40, 0xef, 0xff, 0xff, 0xfa, 0x94, 0x04, 0x00, 0x00, 0x16, 0x00, 0xfa, 0x04, 0xef, 0xff,
        0xff, 0xfa,
    ];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&IGMP[..]).unwrap();
        assert_eq!(packet.version(), 4);
        assert_eq!(packet.header_len(), 24);
        assert_eq!(packet.dscp(), 0);
        assert_eq!(packet.ecn(), 0);
        assert_eq!(packet.total_len(), 32);
        assert_eq!(packet.ident(), 0x8c62);
        assert!(!packet.dont_frag());
        assert!(!packet.more_frags());
        assert_eq!(packet.frag_offset(), 0);
        assert_eq!(packet.ttl(), 1);
        assert_eq!(packet.protocol(), 2);
        assert_eq!(packet.checksum(), 0xe692);
        assert_eq!(packet.src_addr(), Ipv4Addr::new(192, 168, 1, 64));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(239, 255, 255, 250));
        assert_eq!(packet.options(), &[0x94, 0x04, 0x00, 0x00]);
        assert_eq!(packet.payload(), &IGMP[24..]);
        assert_eq!(
            packet.to_string(),
            "IPv4 src=192.168.1.64 dst=239.255.255.250 proto=2 ttl=1 len=32 id=35938"
        );
    }

    #[test]
    fn fragment_fields() {
        let mut header = IGMP;
        header[6..8].copy_from_slice(&0x6005u16.to_be_bytes());
        let packet = Packet::new_checked(&header[..]).unwrap();
        assert!(packet.more_frags() && packet.dont_frag());
        assert_eq!(packet.frag_offset(), 40);
        assert!(packet.to_string().ends_with(" id=35938 frag_off=40 mf"));
    }

    #[test]
    fn payload_leaves_out_padding_and_what_was_not_captured() {
        let mut padded = [0u8; 46];
        padded[..32].copy_from_slice(&IGMP);
        assert_eq!(
            Packet::new_checked(&padded[..]).unwrap().payload(),
            &IGMP[24..]
        );
        assert_eq!(
            Packet::new_checked(&IGMP[..28]).unwrap().payload(),
            &IGMP[24..28]
        );
        let mut short = IGMP;
        short[3] = 10; // total length below the header length
        assert_eq!(Packet::new_checked(&short[..]).unwrap().payload(), &[]);
    }

    #[test]
    fn checked_errors() {
        assert_eq!(Packet::new_checked(&IGMP[..19]), Err(Error::Truncated));
        assert_eq!(Packet::new_checked(&IGMP[..23]), Err(Error::Truncated));
        let mut bad = IGMP;
        bad[0] = 0x44;
        assert_eq!(Packet::new_checked(&bad[..]), Err(Error::Malformed));
    }
}
