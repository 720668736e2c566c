//! Damaged and unreadable files: a clear one-line reason at the right offset, the frames
//! before the damage, then nothing; never a panic, a hang or a huge allocation. The
//! damage is done to files the real tools wrote, and the tools must reject it too.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};

use common::ng::{self, LE};
use common::{
    capinfos_count, corpus_file, path_str, read_all, read_ok, run, run_to_file, tcpdump_count,
    tshark_frames, Seen,
};
use hirundo_capture::{CaptureError, CaptureReader, Compression, ErrorReason};
use tempfile::TempDir;

const ETHERNET: &str = "bgp-4byte-asn.pcap";

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn open_error(path: &Path) -> CaptureError {
    match CaptureReader::open(path) {
        Ok(_) => panic!("{} opened", path.display()),
        Err(e) => e,
    }
}

/// The frames before the damage and the error, which must exist.
fn damaged(path: &Path) -> (Vec<Seen>, CaptureError) {
    let (frames, err) = read_all(path);
    (
        frames,
        err.unwrap_or_else(|| panic!("{} read without error", path.display())),
    )
}

/// Checks the one-line `PATH: offset N: reason` form.
fn assert_line(e: &CaptureError, path: &Path, offset: u64, reason: &str) {
    let line = e.to_string();
    assert_eq!(
        line,
        format!("{}: offset {offset}: {reason}", path.display())
    );
    assert_eq!(e.offset, offset);
    assert_eq!(e.path, path);
}

/// Wireshark must call the file damaged too, after the same number of packets.
fn assert_wireshark_rejects(path: &Path) {
    assert!(
        capinfos_count(path).is_err(),
        "capinfos reads {}",
        path.display()
    );
}

/// The editcap pcapng of the Ethernet sample, and its blocks' offsets.
fn pcapng_sample(dir: &TempDir) -> (Vec<u8>, Vec<usize>) {
    let path = dir.path().join("sample.pcapng");
    run(
        "editcap",
        &[
            "-F",
            "pcapng",
            path_str(&corpus_file(ETHERNET)),
            path_str(&path),
        ],
    );
    let bytes = std::fs::read(&path).unwrap();
    let mut offsets = Vec::new();
    let mut at = 0;
    for (_, block) in ng::split_blocks(&bytes) {
        offsets.push(at);
        at += block.len();
    }
    (bytes, offsets)
}

/// Record offsets of a little-endian pcap from the captured lengths tshark reports.
fn pcap_record_offsets(path: &Path) -> Vec<usize> {
    let mut at = 24;
    let mut offsets = Vec::new();
    for frame in tshark_frames(path) {
        offsets.push(at);
        at += 16 + frame.cap_len as usize;
    }
    offsets
}

#[test]
fn empty_file() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "empty.pcap", b"");
    assert!(matches!(open_error(&path).reason, ErrorReason::Empty));
    assert_line(&open_error(&path), &path, 0, "empty file");
    let gz = dir.path().join("empty.gz");
    run_to_file("gzip", &["-c", path_str(&path)], &gz);
    assert_line(&open_error(&gz), &gz, 0, "empty file");
}

#[test]
fn wrong_magic_shows_the_bytes() {
    let dir = TempDir::new().unwrap();
    let html = write(
        &dir,
        "capture.pcap",
        b"<!DOCTYPE html><html>not a capture</html>",
    );
    let e = open_error(&html);
    assert!(matches!(
        e.reason,
        ErrorReason::BadMagic([0x3c, 0x21, 0x44, 0x4f])
    ));
    let expected = "not a pcap or pcapng file: magic bytes 3c 21 44 4f";
    assert_line(&e, &html, 0, expected);
    assert_wireshark_rejects(&html);

    // The magic is looked for under the compression.
    let gz = dir.path().join("capture.pcap.gz");
    run_to_file("gzip", &["-c", path_str(&html)], &gz);
    assert_line(&open_error(&gz), &gz, 0, expected);
}

#[test]
fn file_header_cut_short() {
    let dir = TempDir::new().unwrap();
    let pcap = std::fs::read(corpus_file(ETHERNET)).unwrap();
    for len in [2, 20] {
        let path = write(&dir, "short.pcap", &pcap[..len]);
        let e = open_error(&path);
        assert!(matches!(e.reason, ErrorReason::TruncatedHeader), "{e}");
        assert_line(
            &e,
            &path,
            0,
            "file header truncated: the file ends inside it",
        );
        // capinfos guesses some other format in 2 bytes; libpcap refuses both.
        assert!(tcpdump_count(&path).is_err(), "libpcap reads {len} bytes");
    }
}

#[test]
fn pcap_record_truncated_in_the_middle() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    let bytes = std::fs::read(&original).unwrap();
    let offsets = pcap_record_offsets(&original);
    let whole = read_ok(&original);
    // Cut inside the data of record 40, then inside its header.
    for cut in [offsets[40] + 16 + 5, offsets[40] + 9] {
        let path = write(&dir, "cut.pcap", &bytes[..cut]);
        let (frames, e) = damaged(&path);
        assert_eq!(frames, whole[..40]);
        assert!(matches!(e.reason, ErrorReason::TruncatedRecord));
        let reason = "pcap record truncated: the file ends inside it";
        assert_line(&e, &path, offsets[40] as u64, reason);
        let libpcap = tcpdump_count(&path);
        assert!(libpcap.is_err(), "libpcap reads the cut file");
    }
    // A cut between records is a clean, shorter file.
    let path = write(&dir, "short.pcap", &bytes[..offsets[40]]);
    assert_eq!(read_ok(&path), whole[..40]);
}

#[test]
fn pcapng_truncated_last_block() {
    let dir = TempDir::new().unwrap();
    let (bytes, offsets) = pcapng_sample(&dir);
    let last = *offsets.last().unwrap();
    let path = write(&dir, "cut.pcapng", &bytes[..bytes.len() - 7]);
    let (frames, e) = damaged(&path);
    assert_eq!(frames.len(), 90);
    assert!(matches!(e.reason, ErrorReason::TruncatedBlock));
    assert_line(
        &e,
        &path,
        last as u64,
        "pcapng block truncated: the file ends inside it",
    );
    assert_wireshark_rejects(&path);
    // Cut inside the 12 bytes that frame the block.
    let path = write(&dir, "cut2.pcapng", &bytes[..last + 6]);
    let (frames, e) = damaged(&path);
    assert_eq!(frames.len(), 90);
    assert_line(
        &e,
        &path,
        last as u64,
        "pcapng block truncated: the file ends inside it",
    );
}

/// Patches a little-endian u32 at `at` of a copy of `bytes`.
fn patched(bytes: &[u8], at: usize, value: u32) -> Vec<u8> {
    let mut copy = bytes.to_vec();
    copy[at..at + 4].copy_from_slice(&value.to_le_bytes());
    copy
}

#[test]
fn pcapng_block_lengths_that_contradict_the_block() {
    let dir = TempDir::new().unwrap();
    let (bytes, offsets) = pcapng_sample(&dir);
    // Block 2 is the first enhanced packet block (after the SHB and the IDB).
    let at = offsets[2];
    let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap());
    let cases = [
        (
            patched(&bytes, at + 4, 8),
            "pcapng enhanced packet block length 8 is less than its minimum of 32".to_string(),
        ),
        (
            patched(&bytes, at + 4, len + 2),
            format!("pcapng enhanced packet block length {} is not a multiple of 4", len + 2),
        ),
        (
            // The trailing length is then read from the next block's type (6).
            patched(&bytes, at + 4, len + 4),
            format!(
                "pcapng enhanced packet block: trailing length 6 differs from leading length {}",
                len + 4
            ),
        ),
        (
            patched(&bytes, at + 20, 1000),
            format!(
                "pcapng enhanced packet block: captured length 1000 exceeds the block's room of {} bytes",
                len - 32
            ),
        ),
        (
            patched(&bytes, at + 4, 0xffff_fff0),
            "pcapng enhanced packet block length 4294967280 exceeds the limit of 1048576 bytes"
                .to_string(),
        ),
        (
            patched(&bytes, at + 8, 5),
            "pcapng packet for interface 5, but its section describes 1 interfaces".to_string(),
        ),
    ];
    for (i, (damaged_bytes, reason)) in cases.iter().enumerate() {
        let path = write(&dir, &format!("case{i}.pcapng"), damaged_bytes);
        let (frames, e) = damaged(&path);
        assert!(frames.is_empty(), "case {i}");
        assert!(
            matches!(e.reason, ErrorReason::BadRecord(_)),
            "case {i}: {e}"
        );
        assert_line(&e, &path, at as u64, reason);
        assert_wireshark_rejects(&path);
    }
}

#[test]
fn absurd_lengths_allocate_nothing_and_end_quickly() {
    let dir = TempDir::new().unwrap();
    let pcap = std::fs::read(corpus_file(ETHERNET)).unwrap();
    // The captured length of the first record claims almost 4 GiB.
    let path = write(&dir, "huge.pcap", &patched(&pcap, 24 + 8, 0xffff_fff0));
    let (frames, e) = damaged(&path);
    assert!(frames.is_empty());
    let reason = "pcap record: captured length 4294967280 exceeds the limit of 262144 bytes";
    assert_line(&e, &path, 24, reason);
    assert!(tcpdump_count(&path).is_err());

    // An unknown block that claims almost 4 GiB is skipped to the end of the file.
    let (bytes, offsets) = pcapng_sample(&dir);
    let mut file = bytes[..offsets[3]].to_vec();
    file.extend(LE.block(0x7777, &[0; 16]));
    let at = file.len() - 28;
    file = patched(&file, at + 4, 0xffff_fff0);
    file.extend(&bytes[offsets[3]..]);
    let path = write(&dir, "huge.pcapng", &file);
    let (frames, e) = damaged(&path);
    assert_eq!(frames.len(), 1);
    assert_line(
        &e,
        &path,
        at as u64,
        "pcapng block truncated: the file ends inside it",
    );
    assert_wireshark_rejects(&path);
}

#[test]
fn unreadable_files_name_the_path() {
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("missing.pcap");
    let e = open_error(&missing);
    assert!(matches!(&e.reason, ErrorReason::Io(io) if io.kind() == std::io::ErrorKind::NotFound));
    assert_line(
        &e,
        &missing,
        0,
        "I/O error: No such file or directory (os error 2)",
    );

    // Opening a directory works on Linux; reading it fails.
    let e = open_error(dir.path());
    assert_line(&e, dir.path(), 0, "I/O error: Is a directory (os error 21)");
}

/// A stream that gives `good` bytes, then fails as a file without read permission would
/// (tests run as root here, where chmod cannot deny a read).
struct FailingStream {
    good: std::io::Cursor<Vec<u8>>,
}

impl Read for FailingStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self.good.read(buf)? {
            0 => Err(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
            n => Ok(n),
        }
    }
}

#[test]
fn a_read_error_keeps_the_frames_before_it() {
    let pcap = std::fs::read(corpus_file(ETHERNET)).unwrap();
    let offsets = pcap_record_offsets(&corpus_file(ETHERNET));
    let stream = FailingStream {
        good: std::io::Cursor::new(pcap[..offsets[10] + 20].to_vec()),
    };
    let mut reader = CaptureReader::from_reader("stream.pcap", Box::new(stream)).unwrap();
    let mut count = 0;
    let e = loop {
        match reader.next_frame() {
            Ok(Some(_)) => count += 1,
            Ok(None) => panic!("clean end"),
            Err(e) => break e,
        }
    };
    assert_eq!(count, 10);
    assert!(
        matches!(&e.reason, ErrorReason::Io(io) if io.kind() == std::io::ErrorKind::PermissionDenied)
    );
    assert_eq!(
        e.to_string(),
        format!(
            "stream.pcap: offset {}: I/O error: permission denied",
            offsets[10]
        )
    );
    assert!(reader.next_frame().unwrap().is_none());
}

#[test]
fn damaged_gzip_and_zstd() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    for (tool, args, compression) in [
        ("gzip", &["-c"][..], Compression::Gzip),
        ("zstd", &["-q", "-c"][..], Compression::Zstd),
    ] {
        let mut all = args.to_vec();
        all.push(path_str(&original));
        let packed = run(tool, &all).stdout;
        let mut flipped = packed.clone();
        flipped[packed.len() / 2] ^= 0xff;
        let cut = &packed[..packed.len() * 2 / 3];
        for (name, bytes) in [("flipped", &flipped[..]), ("cut", cut)] {
            let path = write(&dir, &format!("{name}.{tool}"), bytes);
            let (frames, e) = damaged(&path);
            assert!(frames.len() <= 91, "{tool} {name}");
            match &e.reason {
                ErrorReason::Decompress(c, _) => assert_eq!(*c, compression),
                // A flipped bit can first show as a bad record in the output.
                ErrorReason::BadRecord(_) | ErrorReason::TruncatedRecord => {}
                other => panic!("{tool} {name}: {other}"),
            }
            let line = e.to_string();
            assert!(
                line.starts_with(&format!("{}: offset ", path.display())),
                "{line}"
            );
            assert!(!line.contains('\n'), "{line}");
            let mut test = common::tool(tool);
            assert!(!test.arg("-t").arg(&path).output().unwrap().status.success());
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Reads a byte string to its end; the frame count is bounded by the input, since every
/// record takes at least 12 bytes of it.
fn read_to_end(bytes: Vec<u8>, bound: usize) {
    let Ok(mut reader) = CaptureReader::from_reader("fuzz", Box::new(std::io::Cursor::new(bytes)))
    else {
        return;
    };
    let mut count = 0;
    while let Ok(Some(_)) = reader.next_frame() {
        count += 1;
        assert!(count <= bound, "more frames than the input can hold");
    }
    assert!(matches!(reader.next_frame(), Ok(None)));
}

#[test]
fn mutated_files_never_panic_or_hang() {
    let dir = TempDir::new().unwrap();
    let pcap = std::fs::read(corpus_file(ETHERNET)).unwrap();
    let merged = dir.path().join("m.pcapng");
    run(
        "mergecap",
        &[
            "-F",
            "pcapng",
            "-w",
            path_str(&merged),
            path_str(&corpus_file(ETHERNET)),
            path_str(&corpus_file("resp_3_malicious.pcap")),
        ],
    );
    let pcapng = std::fs::read(&merged).unwrap();
    let gz = run("gzip", &["-c", path_str(&corpus_file(ETHERNET))]).stdout;
    let extremes: [u32; 8] = [
        0,
        1,
        8,
        12,
        0x7fff_ffff,
        0xffff_ffff,
        0xffff_fff0,
        0x0a0d_0d0a,
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for base in [&pcap, &pcapng, &gz] {
        for _ in 0..1500 {
            let mut bytes = base.clone();
            match rng.below(3) {
                0 => (0..1 + rng.below(8)).for_each(|_| {
                    let at = rng.below(bytes.len());
                    bytes[at] = rng.next() as u8;
                }),
                1 => {
                    let at = rng.below(bytes.len() - 4) & !3;
                    let value = extremes[rng.below(extremes.len())];
                    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
                }
                _ => bytes.truncate(rng.below(bytes.len())),
            }
            read_to_end(bytes, 1 << 20);
        }
    }
    // Random bodies behind every magic.
    for magic in [
        [0xd4, 0xc3, 0xb2, 0xa1],
        [0x4d, 0x3c, 0xb2, 0xa1],
        [0x34, 0xcd, 0xb2, 0xa1],
        [0xa1, 0xb2, 0xc3, 0xd4],
        [0x0a, 0x0d, 0x0d, 0x0a],
    ] {
        for _ in 0..500 {
            let mut bytes = magic.to_vec();
            bytes.extend((0..rng.below(400)).map(|_| rng.next() as u8));
            let bound = bytes.len() / 12 + 1;
            read_to_end(bytes, bound);
        }
    }
}
