//! Classic pcap framing: little-endian, version 2.4, Ethernet, in either timestamp resolution.

/// Bytes of a record header.
pub(crate) const RECORD_LEN: usize = 16;
const SNAPLEN: u32 = 65_535;
const LINKTYPE_ETHERNET: u32 = 1;

/// The unit of a record's sub-second timestamp field.
#[derive(Clone, Copy)]
pub(crate) enum Resolution {
    /// Magic `0xa1b2c3d4`, what tcpdump writes by default.
    Micros,
    /// Magic `0xa1b23c4d`.
    Nanos,
}

impl Resolution {
    fn magic(self) -> u32 {
        match self {
            Resolution::Micros => 0xa1b2_c3d4,
            Resolution::Nanos => 0xa1b2_3c4d,
        }
    }

    fn ns_per_unit(self) -> i64 {
        match self {
            Resolution::Micros => 1_000,
            Resolution::Nanos => 1,
        }
    }
}

/// The file header.
pub(crate) fn file_header(resolution: Resolution) -> [u8; 24] {
    let mut header = [0; 24];
    header[0..4].copy_from_slice(&resolution.magic().to_le_bytes());
    header[4..6].copy_from_slice(&2_u16.to_le_bytes());
    header[6..8].copy_from_slice(&4_u16.to_le_bytes());
    // thiszone and sigfigs stay zero.
    header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    header[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    header
}

/// Fills a record header: `caplen` bytes captured of an `orig_len`-byte frame. `ts_ns` must
/// be non-negative and within the 32-bit seconds of the format, as the configs check.
pub(crate) fn fill_record(
    record: &mut [u8],
    ts_ns: i64,
    caplen: usize,
    orig_len: usize,
    resolution: Resolution,
) {
    let seconds = (ts_ns / 1_000_000_000) as u32;
    let fraction = (ts_ns % 1_000_000_000 / resolution.ns_per_unit()) as u32;
    record[0..4].copy_from_slice(&seconds.to_le_bytes());
    record[4..8].copy_from_slice(&fraction.to_le_bytes());
    record[8..12].copy_from_slice(&(caplen as u32).to_le_bytes());
    record[12..16].copy_from_slice(&(orig_len as u32).to_le_bytes());
}
