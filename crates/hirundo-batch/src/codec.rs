//! Whole batches to bytes and back (the layout is in the crate doc, the rows' in `row.rs`).

use std::io::{self, Read, Write};

use crate::row::{decode_row, encode_row, BadField, Row, ROW_LEN};
use crate::{BatchError, BatchHeader, Record};

const MAGIC: [u8; 4] = *b"HIRB";
const FORMAT_VERSION: u8 = 1;
/// Where the header's JSON starts: after the magic, the version and the header length.
const HEADER_AT: usize = 9;
/// The magic number that starts a zstd frame (0xFD2FB528, little-endian). Checked before
/// decompressing so that zstd's decoders of its pre-1.0 ("legacy") formats never see input.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// Level 1: on a million darknet-like records (the `throughput` example) it encodes about
/// 2 M records/s to 26.3 bytes each; level 3 saves 3% (25.5 bytes) at half the speed.
const ZSTD_LEVEL: i32 = 1;
/// Room reserved per record for the compressed rows: they measured about 26 bytes each.
const COMPRESSED_ROW_GUESS: usize = 32;
/// The zstd window, 2^21 = 2 MiB, set on both sides: the decoder refuses frames that ask for
/// more, so a hostile frame cannot make it allocate zstd's default maximum of 128 MiB.
const WINDOW_LOG: u32 = 21;
/// Rows handed to zstd (or taken from it) at a time: a 96 KiB buffer, large enough that the
/// cost of a call is spread over many rows.
const CHUNK_ROWS: usize = 1024;

/// What [`decode`] and [`peek_header`] accept at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Records in one batch: with the row size, this bounds what decompression may allocate.
    pub max_records: u64,
    /// Bytes of header JSON.
    pub max_header_bytes: usize,
}

impl Default for Limits {
    /// 2^20 records (96 MiB of rows), a 64 KiB header.
    fn default() -> Limits {
        Limits {
            max_records: 1 << 20,
            max_header_bytes: 64 << 10,
        }
    }
}

/// The batch of `records` under `header`. The record count written is `records.len()`,
/// whatever `header.records` says.
pub fn encode(header: &BatchHeader, records: &[Record]) -> Vec<u8> {
    let header = BatchHeader {
        records: records.len() as u64,
        ..header.clone()
    };
    let json = serde_json::to_vec(&header).expect("a BatchHeader is always valid JSON");
    let json_len = u32::try_from(json.len()).expect("a batch header is under 4 GiB");
    let capacity = HEADER_AT + json.len() + records.len() * COMPRESSED_ROW_GUESS;
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(&MAGIC);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&json_len.to_le_bytes());
    out.extend_from_slice(&json);
    compress_rows(records, &mut out).expect("zstd compresses into memory");
    out
}

/// Appends the rows of `records` to `out` as one zstd frame.
fn compress_rows(records: &[Record], out: &mut Vec<u8>) -> io::Result<()> {
    let mut encoder = zstd::stream::Encoder::new(out, ZSTD_LEVEL)?;
    encoder.window_log(WINDOW_LOG)?;
    // With the size known, zstd sizes a small batch's window to the batch.
    encoder.set_pledged_src_size(Some((records.len() * ROW_LEN) as u64))?;
    let mut rows: Vec<Row> = Vec::with_capacity(records.len().min(CHUNK_ROWS));
    for chunk in records.chunks(CHUNK_ROWS) {
        rows.clear();
        rows.extend(chunk.iter().map(encode_row));
        encoder.write_all(rows.as_flattened())?;
    }
    encoder.finish()?;
    Ok(())
}

/// The header and records of a batch. Never panics; allocates at most what `limits` allow.
pub fn decode(bytes: &[u8], limits: &Limits) -> Result<(BatchHeader, Vec<Record>), BatchError> {
    let split = read_header(bytes, limits)?;
    let records_at = bytes.len() - split.compressed.len();
    let records = read_records(split.compressed, records_at, split.count)?;
    Ok((split.header, records))
}

/// Only the header of a batch, without decompressing anything: enough to authenticate the
/// sensor before the records cost anything.
pub fn peek_header(bytes: &[u8], limits: &Limits) -> Result<BatchHeader, BatchError> {
    read_header(bytes, limits).map(|split| split.header)
}

/// A batch cut after its header.
struct Split<'a> {
    header: BatchHeader,
    /// `header.records`, checked against the limits and to fit in memory as rows.
    count: usize,
    /// The bytes after the header.
    compressed: &'a [u8],
}

/// The header, checked against `limits`, and the bytes after it.
fn read_header<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Split<'a>, BatchError> {
    let (json, compressed) = split_header_json(bytes, limits)?;
    let header: BatchHeader = serde_json::from_slice(json).map_err(BatchError::BadHeader)?;
    let count = usize::try_from(header.records)
        .ok()
        .filter(|&count| header.records <= limits.max_records && rows_fit(count))
        .ok_or(BatchError::TooManyRecords {
            records: header.records,
            max: limits.max_records,
        })?;
    Ok(Split {
        header,
        count,
        compressed,
    })
}

/// Checks the magic, the version and the header length; returns the header's JSON and the
/// bytes after it.
fn split_header_json<'a>(
    bytes: &'a [u8],
    limits: &Limits,
) -> Result<(&'a [u8], &'a [u8]), BatchError> {
    let truncated = |part| BatchError::Truncated {
        offset: bytes.len(),
        part,
    };
    let (&magic, rest) = bytes
        .split_first_chunk()
        .ok_or_else(|| truncated("magic"))?;
    if magic != MAGIC {
        return Err(BatchError::BadMagic { found: magic });
    }
    let (&version, rest) = rest
        .split_first()
        .ok_or_else(|| truncated("format version"))?;
    if version != FORMAT_VERSION {
        return Err(BatchError::UnsupportedVersion { version });
    }
    let (&len, rest) = rest
        .split_first_chunk()
        .ok_or_else(|| truncated("header length"))?;
    let len = u32::from_le_bytes(len);
    let too_long = BatchError::HeaderTooLong {
        len,
        max: limits.max_header_bytes,
    };
    let json_len = usize::try_from(len)
        .ok()
        .filter(|&n| n <= limits.max_header_bytes)
        .ok_or(too_long)?;
    rest.split_at_checked(json_len)
        .ok_or_else(|| truncated("header"))
}

/// Whether `count` rows fit in the address space at all (for limits above 2^57 records).
fn rows_fit(count: usize) -> bool {
    count.checked_mul(ROW_LEN).is_some()
}

/// Decompresses and decodes `count` records from `compressed`, which starts at byte
/// `records_at` of the batch and must hold exactly one zstd frame.
fn read_records(
    compressed: &[u8],
    records_at: usize,
    count: usize,
) -> Result<Vec<Record>, BatchError> {
    if !compressed.starts_with(&ZSTD_MAGIC) {
        return Err(if compressed.len() < ZSTD_MAGIC.len() {
            BatchError::Truncated {
                offset: records_at + compressed.len(),
                part: "records",
            }
        } else {
            BatchError::NotZstd { offset: records_at }
        });
    }
    let mut unread = compressed;
    let decoded = decompress_records(&mut unread, count);
    let frame_end = records_at + (compressed.len() - unread.len());
    let records = decoded.map_err(|e| e.locate(records_at, frame_end, count))?;
    if !unread.is_empty() {
        return Err(BatchError::TrailingBytes { offset: frame_end });
    }
    Ok(records)
}

/// Why the decompressed records are not `count` good rows; located by [`Self::locate`].
enum RecordsError {
    Zstd(io::Error),
    Short { actual: usize },
    Long,
    BadRow { index: usize, bad: BadField },
}

impl RecordsError {
    /// The error with its offsets: `records_at` where the frame starts, `frame_end` how far
    /// zstd had read.
    fn locate(self, records_at: usize, frame_end: usize, count: usize) -> BatchError {
        let expected = count * ROW_LEN;
        let records = count as u64;
        match self {
            RecordsError::Zstd(error) => BatchError::Zstd {
                offset: frame_end,
                error,
            },
            RecordsError::Short { actual } => BatchError::RecordsTruncated {
                offset: records_at,
                actual,
                expected,
                records,
            },
            RecordsError::Long => BatchError::RecordsTrailing {
                offset: records_at,
                expected,
                records,
            },
            RecordsError::BadRow { index, bad } => BatchError::BadRecord {
                index: index as u64,
                offset: (index * ROW_LEN + bad.at) as u64,
                field: bad.field,
                value: bad.value,
            },
        }
    }
}

/// Reads one zstd frame from `unread`, leaving what follows it. Decompresses exactly the
/// `count` rows and then one byte, to tell a frame that holds more: a bomb costs no more
/// than the rows the header claims, which the limits bound.
fn decompress_records(unread: &mut &[u8], count: usize) -> Result<Vec<Record>, RecordsError> {
    let mut decoder = zstd::stream::read::Decoder::with_buffer(unread)
        .map_err(RecordsError::Zstd)?
        .single_frame();
    decoder
        .window_log_max(WINDOW_LOG)
        .map_err(RecordsError::Zstd)?;
    let mut records = Vec::with_capacity(count);
    let mut rows: Vec<Row> = vec![[0; ROW_LEN]; count.min(CHUNK_ROWS)];
    while records.len() < count {
        let chunk = &mut rows[..(count - records.len()).min(CHUNK_ROWS)];
        let filled =
            read_full(&mut decoder, chunk.as_flattened_mut()).map_err(RecordsError::Zstd)?;
        if filled < chunk.len() * ROW_LEN {
            let actual = records.len() * ROW_LEN + filled;
            return Err(RecordsError::Short { actual });
        }
        for row in chunk.iter() {
            let index = records.len();
            records.push(decode_row(row).map_err(|bad| RecordsError::BadRow { index, bad })?);
        }
    }
    match read_full(&mut decoder, &mut [0]).map_err(RecordsError::Zstd)? {
        0 => Ok(records),
        _ => Err(RecordsError::Long),
    }
}

/// Reads until `buf` is full or the reader ends; returns how many bytes were read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}
