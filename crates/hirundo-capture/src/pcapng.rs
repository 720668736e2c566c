//! pcapng: sections of blocks. A section header sets the byte order and starts a new
//! interface table; packet blocks name an interface described earlier in their section,
//! which gives their link type and clock.

use pcap_parser::nom;
use pcap_parser::pcapng::{
    parse_enhancedpacketblock_be, parse_enhancedpacketblock_le, parse_interfacedescriptionblock_be,
    parse_interfacedescriptionblock_le, parse_sectionheaderblock, parse_simplepacketblock_be,
    parse_simplepacketblock_le, PcapNGOption,
};
use pcap_parser::PcapError;

use crate::input::{Input, BUF_SIZE};
use crate::{ErrorReason, RawFrame};

/// The first four bytes of a pcapng file: a section header's type, the same in both orders.
pub(crate) const MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// Block types that are parsed; every other block is skipped.
const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
/// The obsolete Packet Block, still found in old files; pcap-parser does not know it.
const OPB: u32 = 2;
const SPB: u32 = 3;
const EPB: u32 = 6;

/// The byte-order magic of a section header, as written in its byte order.
const BYTE_ORDER_MAGIC: u32 = 0x1a2b_3c4d;

/// Every block: type (4), total length (4), body, total length again (4).
const FRAMING_LEN: usize = 12;

/// Field offsets in the enhanced and obsolete packet blocks (an OPB has a 16-bit
/// interface id and a drop counter where an EPB has a 32-bit interface id).
const INTERFACE_AT: usize = 8;
const TS_HIGH_AT: usize = 12;
const TS_LOW_AT: usize = 16;
const CAPLEN_AT: usize = 20;
const ORIG_LEN_AT: usize = 24;
const DATA_AT: usize = 28;
/// A simple packet block's data follows its original length.
const SPB_DATA_AT: usize = 12;

/// Interface description options used for time stamps.
const IF_TSRESOL: u16 = 9;
const IF_TSOFFSET: u16 = 14;
/// Without `if_tsresol`, time stamps count microseconds.
const DEFAULT_TSRESOL: u8 = 6;

pub(crate) struct PcapNg {
    big_endian: bool,
    interfaces: Vec<Interface>,
}

struct Interface {
    linktype: u32,
    snaplen: u32,
    clock: Clock,
}

/// Turns an interface's time stamp units into ns since the Unix epoch.
struct Clock {
    units_per_sec: u64,
    /// Set when a unit is a whole number of ns, to avoid a 128-bit division per packet.
    ns_per_unit: Option<u64>,
    offset_ns: i128,
}

/// What one block turned out to be.
enum Block {
    Frame(RawFrame),
    Other,
    End,
}

impl PcapNg {
    /// Reads the first section header; the caller has checked the magic.
    pub(crate) fn open(input: &mut Input) -> Result<PcapNg, ErrorReason> {
        let mut ng = PcapNg {
            big_endian: false,
            interfaces: Vec::new(),
        };
        ng.block(input)?;
        Ok(ng)
    }

    /// The next packet, `None` at a clean end of the file.
    pub(crate) fn next(&mut self, input: &mut Input) -> Result<Option<RawFrame>, ErrorReason> {
        loop {
            match self.block(input)? {
                Block::Frame(frame) => return Ok(Some(frame)),
                Block::Other => {}
                Block::End => return Ok(None),
            }
        }
    }

    fn block(&mut self, input: &mut Input) -> Result<Block, ErrorReason> {
        input.begin_record();
        let Some((kind, len)) = self.framing(input)? else {
            return Ok(Block::End);
        };
        if len > BUF_SIZE {
            return skip_large(input, kind, len);
        }
        if !input.ensure(len)? {
            return Err(ErrorReason::TruncatedBlock);
        }
        let trailer = self.u32_at(input.data(), len - 4);
        if trailer as usize != len {
            return Err(bad(format!(
                "pcapng {} block: trailing length {trailer} differs from leading length {len}",
                block_name(kind)
            )));
        }
        let range = input.take(len);
        self.parse(kind, input.slice(range.clone()), range.start)
    }

    /// Reads the type and checked length of the next block; `None` at a clean end.
    fn framing(&mut self, input: &mut Input) -> Result<Option<(u32, usize)>, ErrorReason> {
        if !input.ensure(FRAMING_LEN)? {
            if input.data().is_empty() {
                return Ok(None);
            }
            return Err(ErrorReason::TruncatedBlock);
        }
        let head = &input.data()[..FRAMING_LEN];
        if head[..4] == MAGIC {
            self.big_endian = byte_order(&head[8..12])?;
        }
        let kind = self.u32_at(head, 0);
        let len = self.u32_at(head, 4);
        check_length(kind, len)?;
        Ok(Some((kind, len as usize)))
    }

    /// Parses a whole block found at buffer index `at`.
    fn parse(&mut self, kind: u32, block: &[u8], at: usize) -> Result<Block, ErrorReason> {
        match kind {
            SHB => self.section(block).map(|()| Block::Other),
            IDB => self.interface(block).map(|()| Block::Other),
            EPB => self.enhanced(block, at).map(Block::Frame),
            SPB => self.simple(block, at).map(Block::Frame),
            OPB => self.obsolete(block, at).map(Block::Frame),
            // Name resolution, statistics, secrets, custom and unknown blocks hold no packets.
            _ => Ok(Block::Other),
        }
    }

    fn section(&mut self, block: &[u8]) -> Result<(), ErrorReason> {
        let shb = parse_sectionheaderblock(block)
            .map_err(|e| malformed(SHB, e))?
            .1;
        if shb.major_version != 1 {
            return Err(bad(format!(
                "unsupported pcapng version {}.{}",
                shb.major_version, shb.minor_version
            )));
        }
        self.interfaces.clear();
        Ok(())
    }

    fn interface(&mut self, block: &[u8]) -> Result<(), ErrorReason> {
        let parse = if self.big_endian {
            parse_interfacedescriptionblock_be
        } else {
            parse_interfacedescriptionblock_le
        };
        let idb = parse(block).map_err(|e| malformed(IDB, e))?.1;
        let tsresol = match option(&idb.options, IF_TSRESOL) {
            Some(&[resol, ..]) => resol,
            _ => DEFAULT_TSRESOL,
        };
        // pcap-parser reads if_tsoffset as little-endian whatever the section's order.
        let tsoffset = option(&idb.options, IF_TSOFFSET)
            .and_then(|v| <[u8; 8]>::try_from(v).ok())
            .map_or(0, |v| self.i64_of(v));
        self.interfaces.push(Interface {
            linktype: idb.linktype.0 as u32,
            snaplen: idb.snaplen,
            clock: Clock::new(tsresol, tsoffset)?,
        });
        Ok(())
    }

    fn enhanced(&self, block: &[u8], at: usize) -> Result<RawFrame, ErrorReason> {
        let caplen = self.captured_len(EPB, block)?;
        let parse = if self.big_endian {
            parse_enhancedpacketblock_be
        } else {
            parse_enhancedpacketblock_le
        };
        let epb = parse(block).map_err(|e| malformed(EPB, e))?.1;
        let interface = self.interface_at(epb.if_id)?;
        Ok(RawFrame {
            ts_ns: interface.clock.nanos(epb.ts_high, epb.ts_low),
            linktype: interface.linktype,
            data: at + DATA_AT..at + DATA_AT + caplen,
            orig_len: epb.origlen,
        })
    }

    /// A simple packet block has no interface id, no time stamp and no captured length:
    /// it belongs to the section's first interface and holds what its snaplen let through.
    fn simple(&self, block: &[u8], at: usize) -> Result<RawFrame, ErrorReason> {
        let parse = if self.big_endian {
            parse_simplepacketblock_be
        } else {
            parse_simplepacketblock_le
        };
        let spb = parse(block).map_err(|e| malformed(SPB, e))?.1;
        let interface = self.interfaces.first().ok_or_else(|| {
            bad("pcapng simple packet block before any interface description".to_string())
        })?;
        let mut caplen = spb.origlen.min(spb.data.len() as u32);
        if interface.snaplen != 0 {
            caplen = caplen.min(interface.snaplen);
        }
        let caplen = check_caplen(SPB, caplen)?;
        Ok(RawFrame {
            // Wireshark shows these packets at the epoch too.
            ts_ns: 0,
            linktype: interface.linktype,
            data: at + SPB_DATA_AT..at + SPB_DATA_AT + caplen,
            orig_len: spb.origlen,
        })
    }

    /// The obsolete packet block: an EPB with a 16-bit interface id and a drop counter.
    fn obsolete(&self, block: &[u8], at: usize) -> Result<RawFrame, ErrorReason> {
        let caplen = self.captured_len(OPB, block)?;
        let interface = self.interface_at(u32::from(self.u16_at(block, INTERFACE_AT)))?;
        let (high, low) = (
            self.u32_at(block, TS_HIGH_AT),
            self.u32_at(block, TS_LOW_AT),
        );
        Ok(RawFrame {
            ts_ns: interface.clock.nanos(high, low),
            linktype: interface.linktype,
            data: at + DATA_AT..at + DATA_AT + caplen,
            orig_len: self.u32_at(block, ORIG_LEN_AT),
        })
    }

    /// Reads an EPB's or OPB's captured length and checks that it fits both the block
    /// and [`crate::MAX_CAPLEN`].
    fn captured_len(&self, kind: u32, block: &[u8]) -> Result<usize, ErrorReason> {
        let caplen = self.u32_at(block, CAPLEN_AT);
        // The fixed fields before the data and the trailing length take the rest.
        let room = block.len() - DATA_AT - 4;
        if caplen as usize > room {
            return Err(bad(format!(
                "pcapng {} block: captured length {caplen} exceeds the block's room of {room} bytes",
                block_name(kind)
            )));
        }
        check_caplen(kind, caplen)
    }

    fn interface_at(&self, if_id: u32) -> Result<&Interface, ErrorReason> {
        self.interfaces.get(if_id as usize).ok_or_else(|| {
            bad(format!(
                "pcapng packet for interface {if_id}, but its section describes {} interfaces",
                self.interfaces.len()
            ))
        })
    }

    // Fields in the section's byte order; callers have checked the block's length.

    fn u16_at(&self, bytes: &[u8], at: usize) -> u16 {
        let field = [bytes[at], bytes[at + 1]];
        if self.big_endian {
            u16::from_be_bytes(field)
        } else {
            u16::from_le_bytes(field)
        }
    }

    fn u32_at(&self, bytes: &[u8], at: usize) -> u32 {
        let field = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(field)
        } else {
            u32::from_le_bytes(field)
        }
    }

    fn i64_of(&self, field: [u8; 8]) -> i64 {
        if self.big_endian {
            i64::from_be_bytes(field)
        } else {
            i64::from_le_bytes(field)
        }
    }
}

impl Clock {
    fn new(tsresol: u8, offset_s: i64) -> Result<Clock, ErrorReason> {
        // Bit 7 clear: units of 10^-n s; set: units of 2^-n s.
        let exponent = u32::from(tsresol & 0x7f);
        let units_per_sec = match tsresol & 0x80 {
            0 => 10u64.checked_pow(exponent),
            _ => 1u64.checked_shl(exponent),
        }
        .ok_or_else(|| {
            bad(format!(
                "pcapng interface time resolution {tsresol:#04x} is out of range"
            ))
        })?;
        Ok(Clock {
            units_per_sec,
            ns_per_unit: (1_000_000_000 % units_per_sec == 0)
                .then(|| 1_000_000_000 / units_per_sec),
            offset_ns: i128::from(offset_s) * 1_000_000_000,
        })
    }

    /// Time stamps beyond the range of i64 ns (years 1677 to 2262) saturate.
    fn nanos(&self, high: u32, low: u32) -> i64 {
        let units = i128::from((u64::from(high) << 32) | u64::from(low));
        let ns = match self.ns_per_unit {
            Some(ns_per_unit) => units * i128::from(ns_per_unit),
            None => units * 1_000_000_000 / i128::from(self.units_per_sec),
        } + self.offset_ns;
        ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

/// A block larger than the buffer cannot be parsed; if it holds no packet (say, embedded
/// TLS secrets), it passes through the buffer in pieces.
fn skip_large(input: &mut Input, kind: u32, len: usize) -> Result<Block, ErrorReason> {
    if is_parsed(kind) {
        return Err(bad(format!(
            "pcapng {} block length {len} exceeds the limit of {BUF_SIZE} bytes",
            block_name(kind)
        )));
    }
    if !input.skip(len as u64)? {
        return Err(ErrorReason::TruncatedBlock);
    }
    Ok(Block::Other)
}

fn is_parsed(kind: u32) -> bool {
    matches!(kind, SHB | IDB | OPB | SPB | EPB)
}

/// Checks a block's total length against the fixed fields of its type.
fn check_length(kind: u32, len: u32) -> Result<(), ErrorReason> {
    let min = match kind {
        SHB => 28,
        IDB => 20,
        EPB | OPB => 32,
        SPB => 16,
        _ => FRAMING_LEN as u32,
    };
    if len < min {
        return Err(bad(format!(
            "pcapng {} block length {len} is less than its minimum of {min}",
            block_name(kind)
        )));
    }
    if len & 3 != 0 {
        return Err(bad(format!(
            "pcapng {} block length {len} is not a multiple of 4",
            block_name(kind)
        )));
    }
    Ok(())
}

fn check_caplen(kind: u32, caplen: u32) -> Result<usize, ErrorReason> {
    crate::check_caplen(caplen, || format!("pcapng {} block", block_name(kind)))
}

/// Big-endian when the byte-order magic reads backwards.
fn byte_order(magic: &[u8]) -> Result<bool, ErrorReason> {
    match u32::from_le_bytes([magic[0], magic[1], magic[2], magic[3]]) {
        BYTE_ORDER_MAGIC => Ok(false),
        m if m == BYTE_ORDER_MAGIC.swap_bytes() => Ok(true),
        m => Err(bad(format!(
            "pcapng section header byte-order magic is {m:#010x}, not 0x1a2b3c4d"
        ))),
    }
}

/// The value of the first option with this code.
fn option<'a>(options: &'a [PcapNGOption], code: u16) -> Option<&'a [u8]> {
    options
        .iter()
        .find(|o| o.code.0 == code)
        .and_then(|o| o.as_bytes().ok())
}

fn block_name(kind: u32) -> String {
    match kind {
        SHB => "section header".to_string(),
        IDB => "interface description".to_string(),
        OPB => "obsolete packet".to_string(),
        SPB => "simple packet".to_string(),
        EPB => "enhanced packet".to_string(),
        _ => format!("type {kind:#x}"),
    }
}

/// A pcap-parser error on a whole block, as one short line.
fn malformed(kind: u32, e: nom::Err<PcapError<&[u8]>>) -> ErrorReason {
    let why = match e {
        nom::Err::Incomplete(_) => "its fields run past its end".to_string(),
        nom::Err::Error(PcapError::NomError(_, check) | PcapError::OwnedNomError(_, check))
        | nom::Err::Failure(PcapError::NomError(_, check) | PcapError::OwnedNomError(_, check)) => {
            format!("{} check failed", check.description())
        }
        nom::Err::Error(e) | nom::Err::Failure(e) => e.to_string(),
    };
    bad(format!(
        "malformed pcapng {} block: {why}",
        block_name(kind)
    ))
}

fn bad(reason: String) -> ErrorReason {
    ErrorReason::BadRecord(reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(tsresol: u8, offset_s: i64, units: u64) -> i64 {
        let clock = Clock::new(tsresol, offset_s).unwrap();
        clock.nanos((units >> 32) as u32, units as u32)
    }

    #[test]
    fn powers_of_ten() {
        assert_eq!(ns(6, 0, 1_500_000), 1_500_000_000);
        assert_eq!(ns(9, 0, 7), 7);
        assert_eq!(ns(0, 0, 2), 2_000_000_000);
        assert_eq!(ns(12, 0, 1_999), 1); // finer than ns: rounded down
        assert_eq!(ns(19, 0, u64::MAX), 1_844_674_407);
        assert!(Clock::new(20, 0).is_err());
    }

    #[test]
    fn powers_of_two() {
        assert_eq!(ns(0x80, 0, 3), 3_000_000_000);
        assert_eq!(ns(0x81, 0, 3), 1_500_000_000);
        assert_eq!(ns(0x80 | 30, 0, 1 << 30), 1_000_000_000);
        assert_eq!(ns(0x80 | 63, 0, 1 << 62), 500_000_000);
        assert!(Clock::new(0x80 | 64, 0).is_err());
        assert!(Clock::new(0xff, 0).is_err());
    }

    #[test]
    fn offset_and_saturation() {
        assert_eq!(ns(9, -2, 1), -1_999_999_999);
        assert_eq!(ns(0, 0, u64::MAX), i64::MAX);
        assert_eq!(ns(9, i64::MIN, 0), i64::MIN);
        assert_eq!(ns(9, i64::MAX, u64::MAX), i64::MAX);
    }
}
