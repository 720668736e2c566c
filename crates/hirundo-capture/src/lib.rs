//! Reads the frames of capture files: classic pcap and pcapng, plain or compressed with
//! gzip or zstd, detected by their magic bytes rather than their names.
//!
//! This is the file source of hirundo: the telescope's rotated capture files (and any
//! capture a user imports) go through [`CaptureReader`], which hands out each frame with
//! its time stamp in ns since the Unix epoch, its link type and its length on the wire.
//! Frames borrow the reader's buffer, so reading costs no allocation per frame.
//!
//! A damaged file gives every frame before the damage, then one [`CaptureError`] that
//! names the file, the offset of the bad record and what is wrong with it.
//!
//! ```no_run
//! use hirundo_capture::CaptureReader;
//! use std::path::Path;
//!
//! # fn main() -> Result<(), hirundo_capture::CaptureError> {
//! let mut reader = CaptureReader::open(Path::new("telescope-2024-05-01T00.pcap.zst"))?;
//! let mut bytes = 0u64;
//! loop {
//!     match reader.next_frame() {
//!         Ok(Some(frame)) => bytes += u64::from(frame.orig_len),
//!         Ok(None) => break,
//!         // The frames before the damage were counted; report it and keep them.
//!         Err(e) => {
//!             eprintln!("{e}");
//!             break;
//!         }
//!     }
//! }
//! println!("{bytes} bytes on the wire");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

mod error;
mod input;
mod pcap;
mod pcapng;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};

pub use error::{CaptureError, ErrorReason};

use input::Input;
use pcap::Pcap;
use pcapng::PcapNg;

/// The largest frame accepted, as in Wireshark: a record that claims more is damage, and
/// refusing it keeps the buffer bounded.
pub const MAX_CAPLEN: usize = 256 << 10;

/// One captured frame, borrowed from the reader until its next call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Time stamp in ns since the Unix epoch (saturated at the limits of i64).
    pub ts_ns: i64,
    /// The LINKTYPE_ number of the frame's interface (1 = Ethernet, ...).
    pub linktype: u32,
    /// The captured bytes; fewer than `orig_len` when the capture's snaplen cut the frame.
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub orig_len: u32,
}

/// The file format under the compression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// Classic libpcap format: one link type for the whole file.
    Pcap,
    /// pcapng: sections of interfaces, each with its own link type and clock.
    PcapNg,
}

/// The compression around the capture file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    /// A plain capture file.
    None,
    /// gzip, possibly several members one after the other.
    Gzip,
    /// zstd, possibly several frames one after the other.
    Zstd,
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Container::Pcap => "pcap",
            Container::PcapNg => "pcapng",
        })
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::None => "uncompressed",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

/// A frame found by a format parser: its data is a range of the input buffer, so that the
/// parser's borrow of the buffer ends before [`CaptureReader::next_frame`] lends it out.
pub(crate) struct RawFrame {
    pub(crate) ts_ns: i64,
    pub(crate) linktype: u32,
    pub(crate) data: Range<usize>,
    pub(crate) orig_len: u32,
}

enum Format {
    Pcap(Pcap),
    PcapNg(PcapNg),
}

/// Streaming reader of one capture file. See the [crate] documentation.
pub struct CaptureReader {
    path: PathBuf,
    input: Input,
    format: Format,
    /// Set at the clean end and after an error: later calls return `Ok(None)`.
    finished: bool,
}

impl CaptureReader {
    /// Opens a file, detects compression by magic bytes (gzip 1f 8b, zstd 28 b5 2f fd),
    /// then pcap (a1b2c3d4 / a1b23c4d in either byte order, and the little-endian
    /// "modified" a1b2cd34) or pcapng (0a0d0d0a), and reads the file header.
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        let file = File::open(path).map_err(|e| CaptureError {
            path: path.to_path_buf(),
            offset: 0,
            reason: ErrorReason::Io(e),
        })?;
        CaptureReader::from_reader(path, Box::new(file))
    }

    /// Like [`CaptureReader::open`] on a stream; `name` is used in errors.
    pub fn from_reader(
        name: impl Into<PathBuf>,
        r: Box<dyn Read + Send>,
    ) -> Result<CaptureReader, CaptureError> {
        let path = name.into();
        let mut input = match Input::new(r) {
            Ok(input) => input,
            Err(reason) => {
                return Err(CaptureError {
                    path,
                    offset: 0,
                    reason,
                })
            }
        };
        match open_format(&mut input) {
            Ok(format) => Ok(CaptureReader {
                path,
                input,
                format,
                finished: false,
            }),
            Err(reason) => Err(CaptureError {
                path,
                offset: input.mark(),
                reason,
            }),
        }
    }

    /// The file format found under the compression.
    pub fn container(&self) -> Container {
        match self.format {
            Format::Pcap(_) => Container::Pcap,
            Format::PcapNg(_) => Container::PcapNg,
        }
    }

    /// The compression found around the file.
    pub fn compression(&self) -> Compression {
        self.input.compression()
    }

    /// The file name given when opening.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lending iterator: next frame, `Ok(None)` at a clean end, `Err` at damage (the
    /// reader is then finished and returns `Ok(None)`).
    #[inline]
    pub fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.finished {
            return Ok(None);
        }
        let next = match &mut self.format {
            Format::Pcap(pcap) => pcap.next(&mut self.input),
            Format::PcapNg(ng) => ng.next(&mut self.input),
        };
        match next {
            Ok(Some(raw)) => Ok(Some(Frame {
                ts_ns: raw.ts_ns,
                linktype: raw.linktype,
                data: self.input.slice(raw.data),
                orig_len: raw.orig_len,
            })),
            Ok(None) => {
                self.finished = true;
                Ok(None)
            }
            Err(reason) => {
                self.finished = true;
                Err(CaptureError {
                    path: self.path.clone(),
                    offset: self.input.mark(),
                    reason,
                })
            }
        }
    }

    /// Byte offset (in the decompressed stream) of the next record.
    pub fn offset(&self) -> u64 {
        self.input.pos()
    }
}

impl fmt::Debug for CaptureReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaptureReader")
            .field("path", &self.path)
            .field("container", &self.container())
            .field("compression", &self.compression())
            .field("offset", &self.offset())
            .finish()
    }
}

/// Recognises the container by its magic and reads its file header.
fn open_format(input: &mut Input) -> Result<Format, ErrorReason> {
    if !input.ensure(4)? {
        if input.data().is_empty() {
            return Err(ErrorReason::Empty);
        }
        return Err(ErrorReason::TruncatedHeader);
    }
    let magic = pcap::first_four(input.data());
    if pcap::MAGICS.contains(&magic) {
        Ok(Format::Pcap(Pcap::open(input)?))
    } else if magic == pcapng::MAGIC {
        Ok(Format::PcapNg(PcapNg::open(input)?))
    } else {
        Err(ErrorReason::BadMagic(magic))
    }
}

/// Refuses frames longer than [`MAX_CAPLEN`]; `what` names the record for the message.
fn check_caplen(caplen: u32, what: impl FnOnce() -> String) -> Result<usize, ErrorReason> {
    if caplen as usize > MAX_CAPLEN {
        return Err(ErrorReason::BadRecord(format!(
            "{}: captured length {caplen} exceeds the limit of {MAX_CAPLEN} bytes",
            what()
        )));
    }
    Ok(caplen as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readers_move_between_threads() {
        fn is_send<T: Send>() {}
        is_send::<CaptureReader>();
        is_send::<CaptureError>();
    }
}
