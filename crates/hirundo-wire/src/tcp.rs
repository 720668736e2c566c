//! TCP headers and a summary of their options.

use core::fmt;

use crate::{read_u16, read_u32, Error};

mod field {
    use crate::Field;

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    pub const FLAGS: Field = 12..14;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    pub const OPTIONS: usize = 20;

    pub const OPT_END: u8 = 0;
    pub const OPT_NOP: u8 = 1;
    pub const OPT_MSS: u8 = 2;
    pub const OPT_WS: u8 = 3;
}

/// Length of the header without options.
pub const HEADER_LEN: usize = field::OPTIONS;

/// The flag bits of [`Packet::flags`].
pub mod flags {
    /// FIN: no more data from the sender.
    pub const FIN: u16 = 0x001;
    /// SYN: synchronise sequence numbers.
    pub const SYN: u16 = 0x002;
    /// RST: reset the connection.
    pub const RST: u16 = 0x004;
    /// PSH: push.
    pub const PSH: u16 = 0x008;
    /// ACK: the acknowledgment number is valid.
    pub const ACK: u16 = 0x010;
    /// URG: the urgent pointer is valid.
    pub const URG: u16 = 0x020;
    /// ECE: ECN echo.
    pub const ECE: u16 = 0x040;
    /// CWR: congestion window reduced.
    pub const CWR: u16 = 0x080;
    /// AE (formerly NS): accurate ECN.
    pub const AE: u16 = 0x100;
}

/// A read-only view of a TCP segment.
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
    /// `Truncated` when the buffer ends inside the header, `Malformed` when the data
    /// offset is below 5 words.
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

    /// The sequence number.
    #[inline]
    pub fn seq_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::SEQ_NUM)
    }

    /// The acknowledgment number (meaningful when ACK is set).
    #[inline]
    pub fn ack_number(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::ACK_NUM)
    }

    /// The header length in bytes (the data offset), options included.
    #[inline]
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }

    /// The nine flag bits, AE (0x100) down to FIN (0x001); see [`flags`].
    #[inline]
    pub fn flags(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLAGS) & 0x01ff
    }

    /// The window size.
    #[inline]
    pub fn window_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::WIN_SIZE)
    }

    /// The checksum.
    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM)
    }

    /// The urgent pointer.
    #[inline]
    pub fn urgent_at(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::URGENT)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The captured options: shorter than the header says when the capture was cut.
    // Always inlined: it is on `decode`'s per-packet path (see `decode`'s module doc).
    #[inline(always)]
    pub fn options(&self) -> &'a [u8] {
        let data = self.buffer.as_ref();
        // min/max rather than `clamp`, whose assertion kept it from being inlined.
        let end = self.header_len().min(data.len()).max(field::OPTIONS);
        &data[field::OPTIONS..end]
    }

    /// Everything after the header.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "TCP src={} dst={}", self.src_port(), self.dst_port())?;
        let names = [
            (flags::SYN, " syn"),
            (flags::ACK, " ack"),
            (flags::FIN, " fin"),
            (flags::RST, " rst"),
            (flags::PSH, " psh"),
            (flags::URG, " urg"),
            (flags::ECE, " ece"),
            (flags::CWR, " cwr"),
            (flags::AE, " ae"),
        ];
        for (bit, name) in names {
            if self.flags() & bit != 0 {
                f.write_str(name)?;
            }
        }
        write!(
            f,
            " seq={} ack={} win={}",
            self.seq_number(),
            self.ack_number(),
            self.window_len()
        )?;
        let options = Packet::new_unchecked(self.buffer.as_ref()).options();
        let options = TcpOptionsSummary::parse(options);
        if let Some(mss) = options.mss {
            write!(f, " mss={mss}")?;
        }
        if let Some(wscale) = options.wscale {
            write!(f, " ws={wscale}")?;
        }
        Ok(())
    }
}

/// What a TCP header's options say, in a fixed size: the option kinds in order (the
/// shape that tells one TCP stack or scanner from another) and the values a
/// fingerprint needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpOptionsSummary {
    /// The kinds of the options, in order, NOP and end-of-list included; see `len`.
    pub kinds: [u8; 12],
    /// How many entries of `kinds` are used.
    pub len: u8,
    /// The maximum segment size option.
    pub mss: Option<u16>,
    /// The window scale option's shift count.
    pub wscale: Option<u8>,
}

impl TcpOptionsSummary {
    /// The option kinds seen, in order.
    #[inline]
    pub fn kinds(&self) -> &[u8] {
        &self.kinds[..usize::from(self.len)]
    }

    /// Walks the options. The walk stops at end-of-list, at an option whose length is
    /// below 2 or runs past the end, and at the end of `options`; what was read until
    /// then is kept. Kinds past the twelfth are not recorded.
    // Always inlined: it is on `decode`'s per-packet path (see `decode`'s module doc).
    #[inline(always)]
    pub fn parse(options: &[u8]) -> TcpOptionsSummary {
        let mut summary = TcpOptionsSummary::default();
        let mut rest = options;
        while let Some(&kind) = rest.first() {
            let len = match kind {
                field::OPT_END | field::OPT_NOP => 1,
                _ => match rest.get(1) {
                    Some(&len) if len >= 2 && usize::from(len) <= rest.len() => usize::from(len),
                    _ => break,
                },
            };
            summary.record(kind, &rest[..len]);
            if kind == field::OPT_END {
                break;
            }
            rest = &rest[len..];
        }
        summary
    }

    /// Notes one well-formed option.
    #[inline]
    fn record(&mut self, kind: u8, option: &[u8]) {
        if let Some(slot) = self.kinds.get_mut(usize::from(self.len)) {
            *slot = kind;
            self.len += 1;
        }
        match (kind, option) {
            (field::OPT_MSS, &[_, _, hi, lo]) => self.mss = Some(u16::from_be_bytes([hi, lo])),
            (field::OPT_WS, &[_, _, shift]) => self.wscale = Some(shift),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real SYN from Linux: 42741 -> 179, options MSS 1460, SACK permitted,
    /// timestamps, NOP, window scale 9 (tcpdump's bgp-4byte-asn.pcap, frame 3).
    static SYN: [u8; 40] = [
        0xa6, 0xf5, 0x00, 0xb3, 0x8a, 0xfa, 0x6c, 0x32, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02, 0x72,
        0x10, 0x98, 0x71, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x27, 0xca,
        0x70, 0xda, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x09,
    ];

    #[test]
    fn fields() {
        let packet = Packet::new_checked(&SYN[..]).unwrap();
        assert_eq!(packet.src_port(), 42741);
        assert_eq!(packet.dst_port(), 179);
        assert_eq!(packet.seq_number(), 2331667506);
        assert_eq!(packet.ack_number(), 0);
        assert_eq!(packet.header_len(), 40);
        assert_eq!(packet.flags(), flags::SYN);
        assert_eq!(packet.window_len(), 29200);
        assert_eq!(packet.checksum(), 0x9871);
        assert_eq!(packet.urgent_at(), 0);
        assert_eq!(packet.options(), &SYN[20..]);
        assert_eq!(packet.payload(), &[]);
        assert_eq!(
            packet.to_string(),
            "TCP src=42741 dst=179 syn seq=2331667506 ack=0 win=29200 mss=1460 ws=9"
        );
    }

    #[test]
    fn options_summary() {
        let summary = TcpOptionsSummary::parse(&SYN[20..]);
        assert_eq!(summary.kinds(), &[2, 4, 8, 1, 3]);
        assert_eq!(summary.len, 5);
        assert_eq!(summary.mss, Some(1460));
        assert_eq!(summary.wscale, Some(9));
        assert_eq!(TcpOptionsSummary::parse(&[]), TcpOptionsSummary::default());
    }

    #[test]
    fn options_end_and_malformed() {
        // End of list stops the walk, and is itself recorded.
        let summary = TcpOptionsSummary::parse(&[1, 0, 2, 4, 5, 0xb4]);
        assert_eq!((summary.kinds(), summary.mss), (&[1, 0][..], None));
        // A length of 0 or 1 would loop forever: stop.
        assert_eq!(TcpOptionsSummary::parse(&[1, 8, 0, 2, 4]).kinds(), &[1]);
        assert_eq!(TcpOptionsSummary::parse(&[8, 1]).kinds(), &[]);
        // A length past the end, or a missing length byte: stop.
        assert_eq!(
            TcpOptionsSummary::parse(&[2, 4, 5, 0xb4, 3, 3]).kinds(),
            &[2]
        );
        assert_eq!(TcpOptionsSummary::parse(&[2, 4, 5, 0xb4, 3]).kinds(), &[2]);
        // An MSS option of the wrong size is listed but gives no MSS.
        let summary = TcpOptionsSummary::parse(&[2, 3, 5, 3, 3, 9]);
        assert_eq!(
            (summary.kinds(), summary.mss, summary.wscale),
            (&[2, 3][..], None, Some(9))
        );
    }

    #[test]
    fn options_kinds_are_capped() {
        let summary = TcpOptionsSummary::parse(&[1; 40]);
        assert_eq!(summary.len, 12);
        assert_eq!(summary.kinds(), &[1; 12]);
        let mut options = [1u8; 16];
        options[12..].copy_from_slice(&[2, 4, 0x05, 0x78]);
        assert_eq!(
            TcpOptionsSummary::parse(&options).mss,
            Some(1400),
            "walked past the cap"
        );
    }

    #[test]
    fn all_flags() {
        let mut header = SYN;
        header[12] = 0xa1;
        header[13] = 0xff;
        let packet = Packet::new_checked(&header[..]).unwrap();
        assert_eq!(packet.flags(), 0x1ff);
        assert!(packet
            .to_string()
            .contains(" syn ack fin rst psh urg ece cwr ae seq="));
    }

    #[test]
    fn checked_errors() {
        assert_eq!(Packet::new_checked(&SYN[..19]), Err(Error::Truncated));
        assert_eq!(Packet::new_checked(&SYN[..39]), Err(Error::Truncated));
        let mut bad = SYN;
        bad[12] = 0x40;
        assert_eq!(Packet::new_checked(&bad[..]), Err(Error::Malformed));
        let cut = Packet::new_unchecked(&SYN[..30]);
        assert_eq!(cut.options(), &SYN[20..30]);
    }
}
