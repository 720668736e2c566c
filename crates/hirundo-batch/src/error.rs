//! Why bytes are not a batch. Each message names the byte offset it applies to: in the batch,
//! or for a bad record, in the decompressed records.

use crate::row::ROW_LEN;

/// Why [`crate::decode`] or [`crate::peek_header`] refused a byte string.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// The bytes do not start with `HIRB`.
    #[error("byte 0: not a hirundo batch (starts with \"{}\", not \"HIRB\")", found.escape_ascii())]
    BadMagic {
        /// The first four bytes.
        found: [u8; 4],
    },
    /// A format version this decoder does not know.
    #[error("byte 4: unsupported batch format version {version} (this decoder reads version 1)")]
    UnsupportedVersion {
        /// The version byte.
        version: u8,
    },
    /// The bytes end before the part that should be there.
    #[error("byte {offset}: the batch ends inside the {part}")]
    Truncated {
        /// The length of the bytes.
        offset: usize,
        /// What was being read.
        part: &'static str,
    },
    /// The header length is over [`crate::Limits::max_header_bytes`].
    #[error("byte 5: a header of {len} bytes, over the limit of {max}")]
    HeaderTooLong {
        /// The header length the batch gives.
        len: u32,
        /// The limit.
        max: usize,
    },
    /// The header is not the JSON of a [`crate::BatchHeader`].
    #[error("byte 9: the header is not valid JSON: {0}")]
    BadHeader(serde_json::Error),
    /// The header's record count is over [`crate::Limits::max_records`].
    #[error("byte 9: the header claims {records} records, over the limit of {max}")]
    TooManyRecords {
        /// The header's record count.
        records: u64,
        /// The limit.
        max: u64,
    },
    /// The records do not start with a zstd frame's magic number.
    #[error("byte {offset}: the records are not a zstd frame")]
    NotZstd {
        /// Where the records start.
        offset: usize,
    },
    /// zstd could not decompress the records.
    #[error("byte {offset}: zstd: {error}")]
    Zstd {
        /// How far zstd had read when it failed.
        offset: usize,
        /// zstd's error.
        error: std::io::Error,
    },
    /// The records decompress to fewer bytes than the header's count of rows.
    #[error(
        "byte {offset}: the records decompress to {actual} bytes, not {expected} \
         ({records} records of {ROW_LEN} bytes)"
    )]
    RecordsTruncated {
        /// Where the records start.
        offset: usize,
        /// The decompressed length.
        actual: usize,
        /// The length the header's count gives.
        expected: usize,
        /// The header's record count.
        records: u64,
    },
    /// The records decompress to more bytes than the header's count of rows.
    #[error(
        "byte {offset}: the records decompress to more than {expected} bytes \
         ({records} records of {ROW_LEN} bytes)"
    )]
    RecordsTrailing {
        /// Where the records start.
        offset: usize,
        /// The length the header's count gives.
        expected: usize,
        /// The header's record count.
        records: u64,
    },
    /// Bytes follow the records' zstd frame.
    #[error("byte {offset}: bytes after the end of the records' zstd frame")]
    TrailingBytes {
        /// Where the frame ends.
        offset: usize,
    },
    /// A row holds a value no packet can have.
    #[error("record {index} (byte {offset} of the decompressed records): bad {field} {value}")]
    BadRecord {
        /// The record's index, from 0.
        index: u64,
        /// The field's offset in the decompressed records.
        offset: u64,
        /// The field's name.
        field: &'static str,
        /// The field's value.
        value: u8,
    },
}
