//! The batch a sensor sends to the collector: the accounting of the frames it covers and the
//! compact, compressed encoding of its decoded packet records, with a decoder that never
//! panics on any byte string.
//!
//! A batch is, in order:
//!
//! | bytes | content |
//! |-------|---------|
//! | 4 | magic `HIRB` |
//! | 1 | format version, 1 |
//! | 4 | header length, u32 little-endian |
//! | header length | the [`BatchHeader`] as JSON: batch id, sensor, sequence number, record count, [`Accounting`] |
//! | the rest | one zstd frame of the records, each a fixed-size row (layout in `row.rs`) |
//!
//! The header comes first and uncompressed so that the collector can read it with
//! [`peek_header`], and check the sensor, before it spends anything on decompression.
//! [`decode`] is bounded by [`Limits`]: it never decompresses more than the header's record
//! count allows, so a small compressed bomb cannot exhaust memory.
//!
//! ```
//! use hirundo_batch::{decode, encode, Accounting, BatchHeader, BatchId, Limits, Record};
//! # let packet = hirundo_wire::PacketRepr {
//! #     src: "192.0.2.1".parse().unwrap(), dst: "198.51.100.7".parse().unwrap(),
//! #     ip_version: 4, protocol: 17, ttl: 64, ip_id: Some(0x1234), ip_len: 32,
//! #     fragment: hirundo_wire::Fragment::None, src_port: Some(40000), dst_port: Some(53),
//! #     icmp_type: None, icmp_code: None, tcp_flags: None, tcp_seq: None, tcp_ack: None,
//! #     tcp_window: None, tcp_options: None, payload_len: 4, payload_hash: Some(7),
//! #     truncated: false,
//! # };
//! let records = vec![Record { ts_ns: 1_700_000_000_000_000_000, packet }];
//! let header = BatchHeader {
//!     id: BatchId::random(),
//!     sensor: "tokyo".into(),
//!     seq: 1,
//!     created_at_ns: 1_700_000_001_000_000_000,
//!     records: records.len() as u64,
//!     accounting: Accounting { frames: 1, packets: 1, ..Accounting::default() },
//! };
//! let bytes = encode(&header, &records);
//! assert_eq!(decode(&bytes, &Limits::default())?, (header, records));
//! # Ok::<(), hirundo_batch::BatchError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod codec;
mod counts;
mod decoder;
mod error;
mod header;
mod row;

pub use codec::{decode, encode, peek_header, Limits};
pub use counts::{Accounting, FrameCounts};
pub use decoder::FrameDecoder;
pub use error::BatchError;
pub use header::{BatchHeader, BatchId, ParseBatchIdError};

use hirundo_wire::PacketRepr;

/// What the store records as the format of a batch's rows (`files.format`), which tells
/// live sensors' data from ingested capture files.
pub const FORMAT: &str = "hirundo-batch v1";

/// Whether `name` may name a sensor: it becomes a Prometheus label, a log field, a store
/// value and part of file names, so it stays plain: letters, digits, `.`, `-`, `_`, at
/// most 64.
pub fn valid_sensor_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

/// One decoded packet and the time it was captured.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Capture time, nanoseconds since the Unix epoch (UTC).
    pub ts_ns: i64,
    /// The decoded packet.
    pub packet: PacketRepr,
}
