//! UDP headers.

use core::fmt;

use crate::{read_u16, Error};

mod field {
    use crate::Field;

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
    pub const PAYLOAD: usize = 8;
}

/// Length of the header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A read-only view of a UDP datagram.
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

    /// Wraps a buffer that holds the 8-byte header. The length field is not checked:
    /// the IP length is what the decoder trusts.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    /// The source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SRC_PORT)
    }

    /// The destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::DST_PORT)
    }

    /// The length field: header plus payload, as the sender wrote it.
    #[inline]
    pub fn length(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH)
    }

    /// The checksum (0 when the sender computed none).
    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
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
            "UDP src={} dst={} len={}",
            self.src_port(),
            self.dst_port(),
            self.length()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real DNS query for `www.tcpdump.org A` with an EDNS cookie (tcpdump's
    /// dns_udp.pcap, frame 1).
    static DNS: [u8; 64] = [
        0xab, 0xbe, 0x00, 0x35, 0x00, 0x40, 0x78, 0x24, 0x59, 0x34, 0x01, 0x20, 0x00, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77, 0x77, 0x77, 0x07, 0x74, 0x63, 0x70, 0x64, 0x75,
        0x6d, 0x70, 0x03, 0x6f, 0x72, 0x67, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x10,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0x42, 0xf5, 0xd0, 0x09,
        0x96, 0xf9, 0x0b, 0x13,
    ];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&DNS[..]).unwrap();
        assert_eq!(packet.src_port(), 43966);
        assert_eq!(packet.dst_port(), 53);
        assert_eq!(packet.length(), 64);
        assert_eq!(packet.checksum(), 0x7824);
        assert_eq!(packet.payload(), &DNS[8..]);
        assert_eq!(packet.to_string(), "UDP src=43966 dst=53 len=64");
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Packet::new_checked(&DNS[..7]), Err(Error::Truncated));
    }
}
