//! Ethernet II frames, stacked 802.1Q / 802.1ad VLAN tags and 802.3 length-field frames.

use core::fmt;

use crate::{read_u16, Error};

mod field {
    use crate::Field;

    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    pub const ETHERTYPE: Field = 12..14;
    pub const PAYLOAD: usize = 14;

    // A VLAN tag sits where the EtherType was and ends with the next EtherType.
    pub const TAG_TCI: Field = 0..2;
    pub const TAG_ETHERTYPE: Field = 2..4;
    pub const TAG_PAYLOAD: usize = 4;
}

/// Length of an Ethernet II header.
pub const HEADER_LEN: usize = field::PAYLOAD;
/// Length of one VLAN tag.
pub const TAG_LEN: usize = field::TAG_PAYLOAD;

/// EtherType values this crate acts on.
pub mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service VLAN tag (QinQ outer tag).
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ outer tag still sent by some switches.
    pub const QINQ_LEGACY: u16 = 0x9100;
    /// Values below this are an 802.3 payload length, not an EtherType.
    pub const MIN: u16 = 0x0600;
}

/// Is this EtherType a VLAN tag that another EtherType follows?
#[inline]
pub fn is_vlan_tag(ethertype: u16) -> bool {
    matches!(
        ethertype,
        ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_LEGACY
    )
}

/// Skips any number of stacked VLAN tags: returns the EtherType after the last tag and
/// the bytes that follow it. `payload` is what follows the header that carried `ethertype`.
#[inline]
pub fn strip_vlan_tags(mut ethertype: u16, mut payload: &[u8]) -> Result<(u16, &[u8]), Error> {
    // Each tag consumes four bytes, so the loop ends with the buffer.
    while is_vlan_tag(ethertype) {
        let tag = VlanTag::new_checked(payload)?;
        ethertype = tag.ethertype();
        payload = &payload[TAG_LEN..];
    }
    Ok((ethertype, payload))
}

/// A read-only view of an Ethernet II (or 802.3) frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// Wraps a buffer without checking its length; accessors may then panic.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Frame<T> {
        Frame { buffer }
    }

    /// Wraps a buffer that holds at least the 14-byte header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Frame<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Frame { buffer })
    }

    /// The destination MAC address.
    #[inline]
    pub fn dst_addr(&self) -> [u8; 6] {
        mac(&self.buffer.as_ref()[field::DESTINATION])
    }

    /// The source MAC address.
    #[inline]
    pub fn src_addr(&self) -> [u8; 6] {
        mac(&self.buffer.as_ref()[field::SOURCE])
    }

    /// The EtherType, or for an 802.3 frame the payload length.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ETHERTYPE)
    }

    /// Is this an 802.3 frame (length field, LLC payload) rather than Ethernet II?
    #[inline]
    pub fn is_llc(&self) -> bool {
        self.ethertype() < ethertype::MIN
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Frame<&'a T> {
    /// Everything after the header (VLAN tags included).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Frame<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "Ethernet src={} dst={} ",
            Mac(self.src_addr()),
            Mac(self.dst_addr())
        )?;
        if self.is_llc() {
            write!(f, "802.3 len={}", self.ethertype())
        } else {
            write!(f, "type=0x{:04x}", self.ethertype())
        }
    }
}

/// A read-only view of one 802.1Q / 802.1ad tag (starting at its TCI).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VlanTag<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> VlanTag<T> {
    /// Wraps a buffer without checking its length; accessors may then panic.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> VlanTag<T> {
        VlanTag { buffer }
    }

    /// Wraps a buffer that holds at least the 4-byte tag.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<VlanTag<T>, Error> {
        if buffer.as_ref().len() < TAG_LEN {
            return Err(Error::Truncated);
        }
        Ok(VlanTag { buffer })
    }

    /// The priority code point (3 bits).
    #[inline]
    pub fn priority(&self) -> u8 {
        (read_u16(self.buffer.as_ref(), field::TAG_TCI) >> 13) as u8
    }

    /// The VLAN identifier (12 bits).
    #[inline]
    pub fn vlan_id(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::TAG_TCI) & 0x0fff
    }

    /// The EtherType of what follows the tag.
    #[inline]
    pub fn ethertype(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::TAG_ETHERTYPE)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> VlanTag<&'a T> {
    /// Everything after the tag.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::TAG_PAYLOAD..]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for VlanTag<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "VLAN id={} pcp={} type=0x{:04x}",
            self.vlan_id(),
            self.priority(),
            self.ethertype()
        )
    }
}

fn mac(bytes: &[u8]) -> [u8; 6] {
    [bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5]]
}

/// Prints a MAC address the usual way, `00:1b:21:aa:bb:cc`.
struct Mac([u8; 6]);

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        let [a, b, c, d, e, g] = self.0;
        write!(f, "{a:02x}:{b:02x}:{c:02x}:{d:02x}:{e:02x}:{g:02x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a real 802.1Q-tagged frame (VLAN 23, priority 6) carrying IPv4
    /// (tcpdump's bgp-evpn.pcap, frame 1).
    static TAGGED: [u8; 22] = [
        0x02, 0x06, 0x0a, 0x0e, 0xff, 0xf4, 0x02, 0x06, 0x0a, 0x0e, 0xff, 0xf3, 0x81, 0x00, 0xc0,
        0x17, 0x08, 0x00, 0x45, 0xc0, 0x00, 0x7b,
    ];

    /// The start of a real 802.3 frame: length 38, then an STP LLC header (42 42 03)
    /// (tcpdump's 802.1D_spanning_tree.pcap, frame 1).
    static LLC: [u8; 17] = [
        0x01, 0x80, 0xc2, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0xea, 0xb8, 0x85, 0x00, 0x26, 0x42,
        0x42, 0x03,
    ];

    #[test]
    fn ethernet_fields() {
        let frame = Frame::new_checked(&TAGGED[..]).unwrap();
        assert_eq!(frame.dst_addr(), [0x02, 0x06, 0x0a, 0x0e, 0xff, 0xf4]);
        assert_eq!(frame.src_addr(), [0x02, 0x06, 0x0a, 0x0e, 0xff, 0xf3]);
        assert_eq!(frame.ethertype(), ethertype::VLAN);
        assert!(!frame.is_llc());
        assert_eq!(frame.payload(), &TAGGED[14..]);
        assert_eq!(
            frame.to_string(),
            "Ethernet src=02:06:0a:0e:ff:f3 dst=02:06:0a:0e:ff:f4 type=0x8100"
        );
    }

    #[test]
    fn vlan_tag_fields() {
        let tag = VlanTag::new_checked(&TAGGED[14..]).unwrap();
        assert_eq!(tag.vlan_id(), 23);
        assert_eq!(tag.priority(), 6);
        assert_eq!(tag.ethertype(), ethertype::IPV4);
        assert_eq!(tag.payload(), &TAGGED[18..]);
        assert_eq!(tag.to_string(), "VLAN id=23 pcp=6 type=0x0800");
        let (inner, rest) = strip_vlan_tags(ethertype::VLAN, &TAGGED[14..]).unwrap();
        assert_eq!((inner, rest), (ethertype::IPV4, &TAGGED[18..]));
    }

    #[test]
    fn stacked_tags() {
        // 802.1ad outer tag (priority 5, VLAN 100), legacy 0x9100, then 802.1Q VLAN 7.
        let tags = [
            0xa0, 0x64, 0x91, 0x00, 0x00, 0x09, 0x81, 0x00, 0x00, 0x07, 0x86, 0xdd, 0x60,
        ];
        let outer = VlanTag::new_checked(&tags[..]).unwrap();
        assert_eq!((outer.priority(), outer.vlan_id()), (5, 100));
        assert_eq!(
            strip_vlan_tags(ethertype::QINQ, &tags),
            Ok((ethertype::IPV6, &tags[12..]))
        );
        assert_eq!(
            strip_vlan_tags(ethertype::QINQ, &tags[..11]),
            Err(Error::Truncated)
        );
        assert_eq!(
            strip_vlan_tags(ethertype::IPV4, &[]),
            Ok((ethertype::IPV4, &[][..]))
        );
        assert!(is_vlan_tag(0x8100) && is_vlan_tag(0x88a8) && is_vlan_tag(0x9100));
        assert!(!is_vlan_tag(0x0800));
    }

    #[test]
    fn llc_frame() {
        let frame = Frame::new_checked(&LLC[..]).unwrap();
        assert!(frame.is_llc());
        assert_eq!(frame.ethertype(), 38);
        assert_eq!(frame.payload(), &[0x42, 0x42, 0x03]);
        assert_eq!(
            frame.to_string(),
            "Ethernet src=00:19:06:ea:b8:85 dst=01:80:c2:00:00:00 802.3 len=38"
        );
    }

    #[test]
    fn short_buffers() {
        assert_eq!(Frame::new_checked(&TAGGED[..13]), Err(Error::Truncated));
        assert_eq!(VlanTag::new_checked(&TAGGED[14..17]), Err(Error::Truncated));
    }
}
