//! Every file of the tcpdump test corpus: no panic, no hang, the same packet count as
//! Wireshark's capinfos where it reads the file, and a reason where it does not.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{capinfos_count, corpus, read_all, read_ok, tcpdump_count};
use hirundo_capture::{CaptureReader, ErrorReason};

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(
        files.len() >= 400,
        "the corpus has only {} files",
        files.len()
    );
    files
}

/// The packet count of the real tools: capinfos, or libpcap's (tcpdump) for the link
/// types that Wireshark 4.0 does not know, which are no damage to the file.
fn reference_count(path: &Path) -> Result<u64, String> {
    match capinfos_count(path) {
        Err(why) if why.contains("unknown or unsupported") => tcpdump_count(path),
        counted => counted,
    }
}

#[test]
fn every_corpus_file_reads_like_the_real_tools() {
    let mut problems = Vec::new();
    let mut damaged = 0;
    for path in corpus_files() {
        let started = Instant::now();
        let (frames, err) = read_all(&path);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{} took {:?}",
            path.display(),
            started.elapsed()
        );
        match (reference_count(&path), err) {
            (Ok(count), None) if count == frames.len() as u64 => {}
            (Ok(count), err) => problems.push(format!(
                "{}: the tools count {count}, we read {} ({})",
                path.display(),
                frames.len(),
                err.map_or("no error".to_string(), |e| e.to_string())
            )),
            (Err(_), Some(e)) => {
                damaged += 1;
                let line = e.to_string();
                assert!(
                    line.starts_with(&format!("{}: offset ", path.display())),
                    "{line}"
                );
                assert!(!line.contains('\n'), "{line}");
            }
            (Err(why), None) => problems.push(format!(
                "{}: the tools report damage ({}), we read {} frames without error",
                path.display(),
                why.trim(),
                frames.len()
            )),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!("{damaged} damaged corpus files were refused with a reason");
}

/// Every corpus file cut at two thirds: the frames before the cut, and an error exactly
/// when libpcap (tcpdump) reports the file cut short.
#[test]
fn every_corpus_file_cut_short_reads_like_libpcap() {
    let dir = tempfile::TempDir::new().unwrap();
    let cut = dir.path().join("cut");
    let mut problems = Vec::new();
    for path in corpus_files() {
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
        let (frames, err) = read_all(&cut);
        let libpcap = tcpdump_count(&cut);
        let agrees = match (&libpcap, &err) {
            (Ok(count), None) => *count == frames.len() as u64,
            (Err(_), Some(e)) => matches!(
                e.reason,
                ErrorReason::TruncatedHeader
                    | ErrorReason::TruncatedRecord
                    | ErrorReason::TruncatedBlock
            ),
            _ => false,
        };
        if !agrees {
            problems.push(format!(
                "{}: libpcap {libpcap:?}, we read {} frames ({:?})",
                path.display(),
                frames.len(),
                err.map(|e| e.to_string())
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A stream that hands out a few bytes per read, as a slow pipe or decompressor may.
struct Trickle {
    bytes: Vec<u8>,
    at: usize,
    step: usize,
}

impl std::io::Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.step = self.step % 7 + 1;
        let n = self.step.min(buf.len()).min(self.bytes.len() - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn every_corpus_file_reads_the_same_through_short_reads() {
    for path in corpus_files() {
        let whole = read_ok(&path);
        let trickle = Trickle {
            bytes: std::fs::read(&path).unwrap(),
            at: 0,
            step: 0,
        };
        let mut reader = CaptureReader::from_reader(&path, Box::new(trickle)).unwrap();
        for (i, expected) in whole.iter().enumerate() {
            let frame = reader.next_frame().unwrap().unwrap();
            let got = (
                frame.ts_ns,
                frame.orig_len,
                frame.data.len() as u32,
                frame.linktype,
            );
            let want = (
                expected.ts_ns,
                expected.orig_len,
                expected.cap_len,
                expected.linktype,
            );
            assert_eq!(got, want, "frame {} of {}", i + 1, path.display());
        }
        assert!(reader.next_frame().unwrap().is_none(), "{}", path.display());
    }
}
