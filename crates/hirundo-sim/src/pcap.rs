//! Classic pcap framing.

/// Bytes of a record header.
pub(crate) const RECORD_LEN: usize = 16;
const SNAPLEN: u32 = 65_535;
const LINKTYPE_ETHERNET: u32 = 1;

/// The file header: nanosecond-resolution magic `0xa1b23c4d`, version 2.4, little-endian.
pub(crate) fn file_header() -> [u8; 24] {
    let mut header = [0; 24];
    header[0..4].copy_from_slice(&0xa1b2_3c4d_u32.to_le_bytes());
    header[4..6].copy_from_slice(&2_u16.to_le_bytes());
    header[6..8].copy_from_slice(&4_u16.to_le_bytes());
    // thiszone and sigfigs stay zero.
    header[16..20].copy_from_slice(&SNAPLEN.to_le_bytes());
    header[20..24].copy_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
    header
}

/// Fills a record header for a whole (untruncated) frame. `ts_ns` must be
/// non-negative and within the 32-bit seconds of the format, as the config checks.
pub(crate) fn fill_record(record: &mut [u8], ts_ns: i64, frame_len: usize) {
    let seconds = (ts_ns / 1_000_000_000) as u32;
    let nanos = (ts_ns % 1_000_000_000) as u32;
    let len = frame_len as u32;
    record[0..4].copy_from_slice(&seconds.to_le_bytes());
    record[4..8].copy_from_slice(&nanos.to_le_bytes());
    record[8..12].copy_from_slice(&len.to_le_bytes());
    record[12..16].copy_from_slice(&len.to_le_bytes());
}
