//! Classic pcap: a 24-byte file header, then records of a 16-byte header and the frame.

use pcap_parser::nom::IResult;
use pcap_parser::{
    parse_pcap_frame, parse_pcap_frame_be, parse_pcap_frame_modified, parse_pcap_header,
    LegacyPcapBlock, PcapError,
};

use crate::input::Input;
use crate::{ErrorReason, RawFrame};

/// The first four bytes of the pcap variants that pcap-parser reads.
pub(crate) const MAGICS: [[u8; 4]; 5] = [
    [0xd4, 0xc3, 0xb2, 0xa1], // microseconds, little-endian
    [0x4d, 0x3c, 0xb2, 0xa1], // nanoseconds, little-endian
    [0x34, 0xcd, 0xb2, 0xa1], // Kuznetzov's "modified" pcap (24-byte records), little-endian
    [0xa1, 0xb2, 0xc3, 0xd4], // microseconds, big-endian
    [0xa1, 0xb2, 0x3c, 0x4d], // nanoseconds, big-endian
];

const FILE_HEADER_LEN: usize = 24;

/// Where the captured length sits in a record header.
const CAPLEN_AT: usize = 8;

/// Libpcap keeps flags (the FCS length) in the upper bits of the header's link type.
const LINKTYPE_MASK: u32 = 0x03ff_ffff;

type ParseFn = for<'a> fn(&'a [u8]) -> IResult<&'a [u8], LegacyPcapBlock<'a>, PcapError<&'a [u8]>>;

pub(crate) struct Pcap {
    parse: ParseFn,
    big_endian: bool,
    record_header_len: usize,
    /// 1000 for microsecond files, 1 for nanosecond files.
    ns_per_frac: i64,
    linktype: u32,
}

/// The fields of a record found whole in the buffer.
struct Record {
    ts_sec: u32,
    ts_frac: u32,
    caplen: u32,
    orig_len: u32,
}

impl Pcap {
    /// Reads the file header; the caller has checked that the magic is one of [`MAGICS`].
    pub(crate) fn open(input: &mut Input) -> Result<Pcap, ErrorReason> {
        if !input.ensure(FILE_HEADER_LEN)? {
            return Err(ErrorReason::TruncatedHeader);
        }
        let header = match parse_pcap_header(input.data()) {
            Ok((_, header)) => header,
            Err(_) => return Err(ErrorReason::BadMagic(first_four(input.data()))),
        };
        input.take(FILE_HEADER_LEN);
        let (parse, record_header_len): (ParseFn, usize) = if header.is_modified_format() {
            (parse_pcap_frame_modified, 24)
        } else if header.is_bigendian() {
            (parse_pcap_frame_be, 16)
        } else {
            (parse_pcap_frame, 16)
        };
        Ok(Pcap {
            parse,
            big_endian: header.is_bigendian(),
            record_header_len,
            ns_per_frac: if header.is_nanosecond_precision() {
                1
            } else {
                1000
            },
            linktype: header.network.0 as u32 & LINKTYPE_MASK,
        })
    }

    /// The next record, `None` at a clean end of the file.
    #[inline]
    pub(crate) fn next(&mut self, input: &mut Input) -> Result<Option<RawFrame>, ErrorReason> {
        loop {
            input.begin_record();
            let record = match (self.parse)(input.data()) {
                Ok((_, r)) => Some(Record {
                    ts_sec: r.ts_sec,
                    ts_frac: r.ts_usec,
                    caplen: r.caplen,
                    orig_len: r.origlen,
                }),
                // These parsers fail only for lack of bytes.
                Err(_) => None,
            };
            match record {
                Some(record) => return self.frame(input, record).map(Some),
                None if self.read_more(input)? => {}
                None => return Ok(None),
            }
        }
    }

    fn frame(&self, input: &mut Input, r: Record) -> Result<RawFrame, ErrorReason> {
        let caplen = check_caplen(r.caplen)?;
        let range = input.take(self.record_header_len + caplen);
        // Cannot overflow: u32::MAX seconds in ns plus u32::MAX µs in ns is below i64::MAX.
        let ts_ns = i64::from(r.ts_sec) * 1_000_000_000 + i64::from(r.ts_frac) * self.ns_per_frac;
        Ok(RawFrame {
            ts_ns,
            linktype: self.linktype,
            data: range.start + self.record_header_len..range.end,
            orig_len: r.orig_len,
        })
    }

    /// Reads until the record at the front is whole. Returns false at a clean end.
    fn read_more(&self, input: &mut Input) -> Result<bool, ErrorReason> {
        let have = input.data();
        let want = if have.len() < self.record_header_len {
            self.record_header_len
        } else {
            self.record_header_len + check_caplen(self.caplen_of(have))?
        };
        if input.ensure(want)? {
            Ok(true)
        } else if input.data().is_empty() {
            Ok(false)
        } else {
            Err(ErrorReason::TruncatedRecord)
        }
    }

    fn caplen_of(&self, header: &[u8]) -> u32 {
        let bytes = first_four(&header[CAPLEN_AT..]);
        if self.big_endian {
            u32::from_be_bytes(bytes)
        } else {
            u32::from_le_bytes(bytes)
        }
    }
}

fn check_caplen(caplen: u32) -> Result<usize, ErrorReason> {
    crate::check_caplen(caplen, || "pcap record".to_string())
}

/// The first four bytes (zero-padded when fewer).
pub(crate) fn first_four(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0; 4];
    let n = bytes.len().min(4);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}
