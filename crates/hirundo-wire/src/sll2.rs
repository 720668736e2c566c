//! Linux cooked capture v2 (`LINKTYPE_LINUX_SLL2`, 276): v1 plus the interface index.

use core::fmt;

use crate::{read_u16, read_u32, Error};

mod field {
    use crate::Field;

    pub const PROTOCOL: Field = 0..2;
    pub const RESERVED: Field = 2..4;
    pub const IF_INDEX: Field = 4..8;
    pub const ARPHRD_TYPE: Field = 8..10;
    pub const PACKET_TYPE: usize = 10;
    pub const ADDR_LEN: usize = 11;
    pub const ADDR: Field = 12..20;
    pub const PAYLOAD: usize = 20;
}

/// Length of the cooked header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A read-only view of a Linux cooked v2 frame.
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

    /// Wraps a buffer that holds at least the 20-byte header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    /// The protocol: an EtherType for most interfaces.
    #[inline]
    pub fn protocol(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PROTOCOL)
    }

    /// Reserved, zero when written by libpcap.
    #[inline]
    pub fn reserved(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::RESERVED)
    }

    /// The index of the interface the packet was seen on.
    #[inline]
    pub fn if_index(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::IF_INDEX)
    }

    /// The ARPHRD_ type of the interface (1 Ethernet, 772 loopback, ...).
    #[inline]
    pub fn arphrd_type(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ARPHRD_TYPE)
    }

    /// Who the packet was for: 0 to us, 1 broadcast, 2 multicast, 3 another host, 4 sent by us.
    #[inline]
    pub fn packet_type(&self) -> u8 {
        self.buffer.as_ref()[field::PACKET_TYPE]
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The link-layer source address, as many bytes as the header says (at most 8).
    #[inline]
    pub fn addr(&self) -> &'a [u8] {
        let len = usize::from(self.buffer.as_ref()[field::ADDR_LEN]);
        let addr = &self.buffer.as_ref()[field::ADDR];
        &addr[..len.min(addr.len())]
    }

    /// Everything after the header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "SLL2 if={} type={} arphrd={} proto=0x{:04x}",
            self.if_index(),
            self.packet_type(),
            self.arphrd_type(),
            self.protocol()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header laid out as libpcap (>= 1.10) writes it for `tcpdump -i any`: IPv6
    /// received on interface 2, an Ethernet interface. (Written by hand: the tcpdump
    /// corpus has no SLL2 capture.)
    static HEADER: [u8; 21] = [
        0x86, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x06, 0x52, 0x54, 0x00,
        0x12, 0x35, 0x02, 0x00, 0x00, 0x60,
    ];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&HEADER[..]).unwrap();
        assert_eq!(packet.protocol(), 0x86dd);
        assert_eq!(packet.reserved(), 0);
        assert_eq!(packet.if_index(), 2);
        assert_eq!(packet.arphrd_type(), 1);
        assert_eq!(packet.packet_type(), 0);
        assert_eq!(packet.addr(), &[0x52, 0x54, 0x00, 0x12, 0x35, 0x02]);
        assert_eq!(packet.payload(), &[0x60]);
        assert_eq!(packet.to_string(), "SLL2 if=2 type=0 arphrd=1 proto=0x86dd");
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Packet::new_checked(&HEADER[..19]), Err(Error::Truncated));
    }
}
