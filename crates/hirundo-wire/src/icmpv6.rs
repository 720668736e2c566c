//! ICMPv6 headers.

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
/// ICMPv6 message has.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Message types a darknet sees most.
pub mod msg_type {
    /// Destination unreachable.
    pub const DST_UNREACHABLE: u8 = 1;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 3;
    /// Echo request: a ping sweep.
    pub const ECHO_REQUEST: u8 = 128;
    /// Echo reply: backscatter of a spoofed ping.
    pub const ECHO_REPLY: u8 = 129;
    /// Neighbor solicitation.
    pub const NEIGHBOR_SOLICIT: u8 = 135;
}

/// A read-only view of an ICMPv6 message.
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
            "ICMPv6 type={} code={}",
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

    /// A real echo request (tcpdump's ipv6-routing-header.pcap, frame 1).
    static ECHO: [u8; 8] = [0x80, 0x00, 0xd3, 0xab, 0x00, 0x00, 0x00, 0x00];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&ECHO[..]).unwrap();
        assert_eq!(packet.msg_type(), msg_type::ECHO_REQUEST);
        assert_eq!(packet.msg_code(), 0);
        assert_eq!(packet.checksum(), 0xd3ab);
        assert_eq!(packet.echo_ident(), 0);
        assert_eq!(packet.echo_seq_no(), 0);
        assert_eq!(packet.payload(), &[]);
        assert_eq!(packet.to_string(), "ICMPv6 type=128 code=0 id=0 seq=0");
    }

    #[test]
    fn error_message_display() {
        let unreachable = [1, 4, 0, 0, 0, 0, 0, 0];
        let packet = Packet::new_checked(&unreachable[..]).unwrap();
        assert_eq!(packet.to_string(), "ICMPv6 type=1 code=4");
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Packet::new_checked(&ECHO[..7]), Err(Error::Truncated));
    }
}
