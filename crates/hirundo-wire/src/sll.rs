//! Linux cooked capture v1 (`LINKTYPE_LINUX_SLL`, 113): what `tcpdump -i any` writes.

use core::fmt;

use crate::{read_u16, Error};

mod field {
    use crate::Field;

    pub const PACKET_TYPE: Field = 0..2;
    pub const ARPHRD_TYPE: Field = 2..4;
    pub const ADDR_LEN: Field = 4..6;
    pub const ADDR: Field = 6..14;
    pub const PROTOCOL: Field = 14..16;
    pub const PAYLOAD: usize = 16;
}

/// Length of the cooked header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A read-only view of a Linux cooked v1 frame.
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

    /// Wraps a buffer that holds at least the 16-byte header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    /// Who the packet was for: 0 to us, 1 broadcast, 2 multicast, 3 another host, 4 sent by us.
    #[inline]
    pub fn packet_type(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PACKET_TYPE)
    }

    /// The ARPHRD_ type of the interface (1 Ethernet, 772 loopback, ...).
    #[inline]
    pub fn arphrd_type(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ARPHRD_TYPE)
    }

    /// The protocol: an EtherType for most interfaces.
    #[inline]
    pub fn protocol(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PROTOCOL)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The link-layer source address, as many bytes as the header says (at most 8).
    #[inline]
    pub fn addr(&self) -> &'a [u8] {
        let len = usize::from(read_u16(self.buffer.as_ref(), field::ADDR_LEN));
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
            "SLL type={} arphrd={} proto=0x{:04x}",
            self.packet_type(),
            self.arphrd_type(),
            self.protocol()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The start of a real `tcpdump -i any` frame: IPv4 to this host on the loopback
    /// interface (ARPHRD 772), no link address (tcpdump's RADIUS-RFC5176-2.pcap, frame 1).
    static LOOPBACK: [u8; 17] = [
        0x00, 0x00, 0x03, 0x04, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08,
        0x00, 0x45,
    ];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&LOOPBACK[..]).unwrap();
        assert_eq!(packet.packet_type(), 0);
        assert_eq!(packet.arphrd_type(), 772);
        assert_eq!(packet.addr(), &[0; 6]);
        assert_eq!(packet.protocol(), 0x0800);
        assert_eq!(packet.payload(), &[0x45]);
        assert_eq!(packet.to_string(), "SLL type=0 arphrd=772 proto=0x0800");
    }

    #[test]
    fn address_length_is_capped() {
        let mut header = LOOPBACK;
        header[5] = 200;
        assert_eq!(Packet::new_checked(&header[..]).unwrap().addr().len(), 8);
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Packet::new_checked(&LOOPBACK[..15]), Err(Error::Truncated));
    }
}
