//! The decompressed byte stream of a capture file, read through one fixed buffer.
//!
//! Records are parsed in place in the buffer, so a frame costs no allocation and no copy
//! besides the bulk `read` into the buffer.

use std::io::{BufReader, Cursor, Read};
use std::ops::Range;

use flate2::bufread::MultiGzDecoder;

use crate::{Compression, ErrorReason};

/// Size of the parse buffer: the largest block that is parsed (not merely skipped).
pub(crate) const BUF_SIZE: usize = 1 << 20;

/// Read buffer in front of a decompressor, so that it pulls the file in large reads.
const COMPRESSED_BUF_SIZE: usize = 256 << 10;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

pub(crate) struct Input {
    stream: Box<dyn Read + Send>,
    compression: Compression,
    buf: Box<[u8]>,
    /// `buf[start..end]` holds the bytes read but not yet consumed.
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    eof: bool,
    /// Stream offset of the record being parsed, for error messages.
    mark: u64,
}

impl Input {
    /// Sniffs the compression from the first bytes and sets up the decompressor.
    pub(crate) fn new(mut raw: Box<dyn Read + Send>) -> Result<Input, ErrorReason> {
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut raw, &mut magic).map_err(ErrorReason::Io)?;
        let compression = if n == 4 && magic == ZSTD_MAGIC {
            Compression::Zstd
        } else if n >= 2 && magic[..2] == GZIP_MAGIC {
            Compression::Gzip
        } else {
            Compression::None
        };
        // The sniffed bytes go back in front of the rest of the stream.
        let whole = Cursor::new(magic[..n].to_vec()).chain(raw);
        let stream: Box<dyn Read + Send> = match compression {
            Compression::None => Box::new(whole),
            Compression::Gzip => Box::new(MultiGzDecoder::new(compressed_buffer(whole))),
            Compression::Zstd => Box::new(
                zstd::stream::read::Decoder::with_buffer(compressed_buffer(whole))
                    .map_err(|e| ErrorReason::Decompress(Compression::Zstd, e))?,
            ),
        };
        Ok(Input {
            stream,
            compression,
            buf: vec![0; BUF_SIZE].into_boxed_slice(),
            start: 0,
            end: 0,
            base: 0,
            eof: false,
            mark: 0,
        })
    }

    pub(crate) fn compression(&self) -> Compression {
        self.compression
    }

    /// The bytes read but not yet consumed.
    #[inline]
    pub(crate) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Stream offset of the first unconsumed byte.
    #[inline]
    pub(crate) fn pos(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Notes that a new record starts at the current position.
    #[inline]
    pub(crate) fn begin_record(&mut self) {
        self.mark = self.pos();
    }

    /// Stream offset of the record being parsed.
    pub(crate) fn mark(&self) -> u64 {
        self.mark
    }

    /// Consumes `n` available bytes and returns where they lie in the buffer.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Range<usize> {
        let range = self.start..self.start + n;
        self.start = range.end;
        range
    }

    /// The bytes of a range returned by [`Input::take`], valid until the next read.
    #[inline]
    pub(crate) fn slice(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }

    /// Makes at least `n` bytes available (at most [`BUF_SIZE`]: callers check their
    /// lengths against it first). Returns false if the stream ends before.
    pub(crate) fn ensure(&mut self, n: usize) -> Result<bool, ErrorReason> {
        let n = n.min(BUF_SIZE);
        while self.end - self.start < n {
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
        Ok(true)
    }

    /// Discards `n` bytes, which may run past the buffer (a large block nobody reads).
    /// Returns false if the stream ends before.
    pub(crate) fn skip(&mut self, mut n: u64) -> Result<bool, ErrorReason> {
        loop {
            let available = (self.end - self.start) as u64;
            if available >= n {
                self.start += n as usize;
                return Ok(true);
            }
            n -= available;
            self.start = self.end;
            if self.eof {
                return Ok(false);
            }
            self.fill()?;
        }
    }

    /// Moves the unconsumed bytes to the front and reads once into the free space. There
    /// is some: callers never want more than the whole buffer, so a 0 read means the end.
    fn fill(&mut self) -> Result<(), ErrorReason> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.read_error(e)),
            }
        }
    }

    /// Under a decompressor, a read error is most likely damage in the compressed data.
    fn read_error(&self, e: std::io::Error) -> ErrorReason {
        match self.compression {
            Compression::None => ErrorReason::Io(e),
            c => ErrorReason::Decompress(c, e),
        }
    }
}

fn compressed_buffer<R: Read>(r: R) -> BufReader<R> {
    BufReader::with_capacity(COMPRESSED_BUF_SIZE, r)
}

/// Reads until `buf` is full or the stream ends; returns the count read.
fn read_up_to(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}
