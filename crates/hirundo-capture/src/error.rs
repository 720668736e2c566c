//! The one error type of the crate: which file, where in it, and why.

use std::path::PathBuf;

use crate::Compression;

/// A capture file that could not be opened or read to its end.
///
/// Displays as one line, `PATH: offset N: reason`, where N is the byte offset in the
/// decompressed stream at which the bad record or block starts.
#[derive(Debug, thiserror::Error)]
#[error("{}: offset {offset}: {reason}", path.display())]
pub struct CaptureError {
    /// The file, or the name given to [`crate::CaptureReader::from_reader`].
    pub path: PathBuf,
    /// Offset in the decompressed stream of the record or block that could not be read.
    pub offset: u64,
    /// What is wrong there.
    pub reason: ErrorReason,
}

/// What is wrong with a capture file.
#[derive(Debug, thiserror::Error)]
pub enum ErrorReason {
    /// The file could not be opened or read.
    #[error("I/O error: {0}")]
    Io(std::io::Error),
    /// The compressed stream is damaged (or the file under it could not be read).
    #[error("{0} decompression failed: {1}")]
    Decompress(Compression, std::io::Error),
    /// The (decompressed) file has no bytes at all.
    #[error("empty file")]
    Empty,
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error(
        "not a pcap or pcapng file: magic bytes {:02x} {:02x} {:02x} {:02x}",
        .0[0], .0[1], .0[2], .0[3]
    )]
    BadMagic([u8; 4]),
    /// The file ends inside its pcap file header (or inside its first 4 bytes).
    #[error("file header truncated: the file ends inside it")]
    TruncatedHeader,
    /// The file ends inside a pcap record.
    #[error("pcap record truncated: the file ends inside it")]
    TruncatedRecord,
    /// The file ends inside a pcapng block.
    #[error("pcapng block truncated: the file ends inside it")]
    TruncatedBlock,
    /// A record or block whose fields contradict each other or exceed the limits.
    #[error("{0}")]
    BadRecord(String),
}
