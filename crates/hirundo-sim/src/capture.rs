//! Capture file writers for the simulator: classic pcap (microseconds, as tcpdump writes
//! by default), pcapng (one Ethernet interface with nanosecond `if_tsresol`), and either
//! gzip-compressed.
//!
//! Written by hand: pcap-parser only reads, and both formats are a few fixed headers.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use flate2::write::GzEncoder;

use crate::pcap::{self, Resolution};
use crate::scenario::FileFormat;

const LINKTYPE_ETHERNET: u16 = 1;
const SNAPLEN: u32 = 65_535;

/// Receives the frames of one capture file.
pub(crate) trait CaptureSink {
    /// One frame seen at `ts_ns` (nanoseconds since the epoch, >= 0); `frame` is what was
    /// captured, `orig_len` what was on the wire.
    fn record(&mut self, ts_ns: i64, frame: &[u8], orig_len: usize) -> io::Result<()>;
    /// Flushes everything (and ends the gzip stream).
    fn finish(self: Box<Self>) -> io::Result<()>;
}

/// Creates `path` and writes the format's file header.
pub(crate) fn create(path: &Path, format: FileFormat) -> io::Result<Box<dyn CaptureSink>> {
    let file = BufWriter::with_capacity(1 << 20, File::create(path)?);
    // Level 1: archives are compressed for space, and faster levels keep the simulator fast.
    let gzip = |file| GzEncoder::new(file, flate2::Compression::fast());
    Ok(match format {
        FileFormat::Pcap => Box::new(Pcap::new(file)?),
        FileFormat::PcapNg => Box::new(PcapNg::new(file)?),
        FileFormat::PcapGz => Box::new(Pcap::new(gzip(file))?),
        FileFormat::PcapNgGz => Box::new(PcapNg::new(gzip(file))?),
    })
}

/// Where the bytes end up: a buffered file, possibly behind a gzip encoder.
pub(crate) trait Finish: Write {
    fn finish_stream(self) -> io::Result<()>;
}

impl Finish for BufWriter<File> {
    fn finish_stream(mut self) -> io::Result<()> {
        self.flush()
    }
}

impl Finish for GzEncoder<BufWriter<File>> {
    fn finish_stream(self) -> io::Result<()> {
        self.finish()?.flush()
    }
}

/// Classic pcap, microsecond timestamps, little-endian.
struct Pcap<W> {
    out: W,
}

impl<W: Write> Pcap<W> {
    fn new(mut out: W) -> io::Result<Self> {
        out.write_all(&pcap::file_header(Resolution::Micros))?;
        Ok(Pcap { out })
    }
}

impl<W: Finish> CaptureSink for Pcap<W> {
    fn record(&mut self, ts_ns: i64, frame: &[u8], orig_len: usize) -> io::Result<()> {
        let mut header = [0u8; pcap::RECORD_LEN];
        pcap::fill_record(
            &mut header,
            ts_ns,
            frame.len(),
            orig_len,
            Resolution::Micros,
        );
        self.out.write_all(&header)?;
        self.out.write_all(frame)
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        self.out.finish_stream()
    }
}

/// pcapng: a section header, one Ethernet interface with nanosecond timestamps, and an
/// enhanced packet block per frame.
struct PcapNg<W> {
    out: W,
}

const SHB: u32 = 0x0a0d_0d0a;
const IDB: u32 = 1;
const EPB: u32 = 6;
const OPT_IF_TSRESOL: u16 = 9;

impl<W: Write> PcapNg<W> {
    fn new(mut out: W) -> io::Result<Self> {
        let mut shb = block(SHB, 28);
        shb.extend_from_slice(&0x1a2b_3c4d_u32.to_le_bytes());
        shb.extend_from_slice(&1_u16.to_le_bytes());
        shb.extend_from_slice(&0_u16.to_le_bytes());
        shb.extend_from_slice(&(-1_i64).to_le_bytes()); // section length unknown
        shb.extend_from_slice(&28_u32.to_le_bytes());
        let mut idb = block(IDB, 32);
        idb.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        idb.extend_from_slice(&0_u16.to_le_bytes());
        idb.extend_from_slice(&SNAPLEN.to_le_bytes());
        idb.extend_from_slice(&OPT_IF_TSRESOL.to_le_bytes());
        idb.extend_from_slice(&1_u16.to_le_bytes());
        idb.extend_from_slice(&[9, 0, 0, 0]); // 10^-9 s, padded
        idb.extend_from_slice(&[0; 4]); // opt_endofopt
        idb.extend_from_slice(&32_u32.to_le_bytes());
        out.write_all(&shb)?;
        out.write_all(&idb)?;
        Ok(PcapNg { out })
    }
}

/// A block's type and total length; the caller appends the body and the trailing length.
fn block(block_type: u32, total_len: u32) -> Vec<u8> {
    let mut block = Vec::with_capacity(total_len as usize);
    block.extend_from_slice(&block_type.to_le_bytes());
    block.extend_from_slice(&total_len.to_le_bytes());
    block
}

impl<W: Finish> CaptureSink for PcapNg<W> {
    fn record(&mut self, ts_ns: i64, frame: &[u8], orig_len: usize) -> io::Result<()> {
        let padded = frame.len().next_multiple_of(4);
        let total_len = (32 + padded) as u32;
        let ts = ts_ns as u64;
        let mut header = [0u8; 28];
        header[0..4].copy_from_slice(&EPB.to_le_bytes());
        header[4..8].copy_from_slice(&total_len.to_le_bytes());
        // header[8..12]: interface 0
        header[12..16].copy_from_slice(&((ts >> 32) as u32).to_le_bytes());
        header[16..20].copy_from_slice(&(ts as u32).to_le_bytes());
        header[20..24].copy_from_slice(&(frame.len() as u32).to_le_bytes());
        header[24..28].copy_from_slice(&(orig_len as u32).to_le_bytes());
        self.out.write_all(&header)?;
        self.out.write_all(frame)?;
        self.out.write_all(&[0; 3][..padded - frame.len()])?;
        self.out.write_all(&total_len.to_le_bytes())
    }

    fn finish(self: Box<Self>) -> io::Result<()> {
        self.out.finish_stream()
    }
}
