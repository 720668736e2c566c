//! ICMP (for IPv4) headers.

use core::fmt;

use crate::{read_u16, Error};

mod field {
    use crate::Field;

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    pub const PAYLOAD: usize = 8;
}

/// Length of the header: type, code, checksum and the 4 type-specific bytes that every
/// ICMP message has.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Message types a darknet sees most.
pub mod msg_type {
    /// Echo reply: backscatter of a spoofed ping.
    pub const ECHO_REPLY: u8 = 0;
    /// Destination unreachable.
    pub const DST_UNREACHABLE: u8 = 3;
    /// Echo request: a ping sweep.
    pub const ECHO_REQUEST: u8 = 8;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 11;
}

/// A read-only view of an ICMP message.
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

    /// Wraps a buffer that holds the 8-byte header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    /// The message type; see [`msg_type`].
    #[inline]
    pub fn msg_type(&self) -> u8 {
        self.buffer.as_ref()[field::TYPE]
    }

    /// The message code.
    #[inline]
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum.
    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The identifier of an echo request or reply.
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT)
    }

    /// The sequence number of an echo request or reply.
    #[inline]
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQNO)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the header (for errors, the start of the offending packet).
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "ICMPv4 type={} code={}",
            self.msg_type(),
            self.msg_code()
        )?;
        if matches!(
            self.msg_type(),
            msg_type::ECHO_REQUEST | msg_type::ECHO_REPLY
        ) {
            write!(f, " id={} seq={}", self.echo_ident(), self.echo_seq_no())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real echo request from Solaris `ping` (tcpdump's e1000g.pcap, frame 1).
    static ECHO: [u8; 64] = [
        0x08, 0x00, 0x32, 0xe2, 0x1a, 0xf5, 0x00, 0x00, 0xed, 0x76, 0x0d, 0x4b, 0xb9, 0x63, 0x0b,
        0x00, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
        0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
        0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33,
        0x34, 0x35, 0x36, 0x37,
    ];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!(packet.msg_type(), msg_type::ECHO_REQUEST);
        assert_eq!(packet.msg_code(), 0);
        assert_eq!(packet.checksum(), 0x32e2);
        assert_eq!(packet.echo_ident(), 0x1af5);
        assert_eq!(packet.echo_seq_no(), 0);
        assert_eq!(packet.payload(), &ECHO[8..]);
        assert_eq!(packet.to_string(), "ICMPv4 type=8 code=0 id=6901 seq=0");
    }

    #[test]
    fn error_message_display() {
        let unreachable = [3, 3, 0, 0, 0, 0, 0, 0];
        let packet = Packet::new_checked(&unreachable[..]).unwrap();
        assert_eq!(packet.to_string(), "ICMPv4 type=3 code=3");
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Packet::new_checked(&ECHO[..7]), Err(Error::Truncated));
    }
}
