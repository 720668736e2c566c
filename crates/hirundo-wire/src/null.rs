//! BSD loopback encapsulation: `LINKTYPE_NULL` (0) and `LINKTYPE_LOOP` (108).
//!
//! A 4-byte address family precedes the packet. `LINKTYPE_NULL` stores it in the byte
//! order of the machine that wrote the capture, `LINKTYPE_LOOP` in network order; since
//! every family value is below 65536, the byte order can be told from the value itself.

use core::fmt;

use crate::Error;

mod field {
    use crate::Field;

    pub const FAMILY: Field = 0..4;
    pub const PAYLOAD: usize = 4;
}

/// Length of the family header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Address family values that carry IP.
pub mod family {
    /// AF_INET on every BSD.
    pub const IPV4: u32 = 2;
    /// AF_INET6 on NetBSD, OpenBSD and BSD/OS.
    pub const IPV6_BSD: u32 = 24;
    /// AF_INET6 on FreeBSD and DragonFly.
    pub const IPV6_FREEBSD: u32 = 28;
    /// AF_INET6 on Darwin (macOS, iOS).
    pub const IPV6_DARWIN: u32 = 30;
}

/// Is this family value one of the AF_INET6 values?
#[inline]
pub fn is_ipv6_family(value: u32) -> bool {
    matches!(
        value,
        family::IPV6_BSD | family::IPV6_FREEBSD | family::IPV6_DARWIN
    )
}

/// A read-only view of a null/loopback frame.
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

    /// Wraps a buffer that holds at least the 4-byte family.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Frame<T>, Error> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(Frame { buffer })
    }

    /// The address family, read in whichever byte order the writer used.
    #[inline]
    pub fn family(&self) -> u32 {
        let bytes = &self.buffer.as_ref()[field::FAMILY];
        let value = u32::from_le_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
        // Families are small numbers: high bits set means the writer was big-endian.
        if value > 0xffff {
            value.swap_bytes()
        } else {
            value
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Frame<&'a T> {
    /// Everything after the family.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Frame<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Null af={}", self.family())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn little_endian_writer() {
        // The start of tcpdump's dns-badcookie.pcap (AF_INET) and icmpv6-RFC2894-RR.pcap
        // (FreeBSD's AF_INET6, 28), both written on little-endian machines.
        let frame = Frame::new_checked(&[0x02, 0x00, 0x00, 0x00, 0x45][..]).unwrap();
        assert_eq!(frame.family(), family::IPV4);
        assert_eq!(frame.payload(), &[0x45]);
        assert_eq!(frame.to_string(), "Null af=2");
        let frame = Frame::new_checked(&[0x1c, 0x00, 0x00, 0x00, 0x60][..]).unwrap();
        assert_eq!(frame.family(), family::IPV6_FREEBSD);
        assert!(is_ipv6_family(frame.family()));
    }

    #[test]
    fn big_endian_writer_and_loop() {
        let frame = Frame::new_checked(&[0x00, 0x00, 0x00, 0x02][..]).unwrap();
        assert_eq!(frame.family(), family::IPV4);
        assert!(!is_ipv6_family(frame.family()));
        assert_eq!(frame.payload(), &[]);
    }

    #[test]
    fn every_ipv6_family() {
        for value in [24, 28, 30] {
            assert!(is_ipv6_family(value));
            let frame = Frame::new_unchecked(value.to_be_bytes());
            assert_eq!(frame.family(), value);
        }
    }

    #[test]
    fn short_buffer() {
        assert_eq!(Frame::new_checked(&[2, 0, 0][..]), Err(Error::Truncated));
    }
}
