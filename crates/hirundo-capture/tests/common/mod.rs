//! Helpers shared by the integration tests: the real tools that write the test files and
//! read them back as the reference (tshark, capinfos), and the reader's view of a file.
#![allow(dead_code)] // each test binary uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use hirundo_capture::{CaptureError, CaptureReader};

pub mod ng;

/// The tcpdump test captures: 415 files written by many real tools over the years.
pub fn corpus() -> PathBuf {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/tcpdump-tests"
    ));
    assert!(
        dir.is_dir(),
        "the capture corpus is missing: expected it at {} (shared/ beside the repository)",
        dir.display()
    );
    dir
}

pub fn corpus_file(name: &str) -> PathBuf {
    let path = corpus().join(name);
    assert!(path.is_file(), "corpus file {} is missing", path.display());
    path
}

/// A command for a tool the tests need; a missing tool fails the test with a clear message.
pub fn tool(name: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(
        found,
        "`{name}` is needed by this test and is not installed: apt-get install tshark \
         wireshark-common tcpdump tcpreplay gzip zstd"
    );
    Command::new(name)
}

/// Runs a tool and fails the test with its stderr if it fails.
pub fn run(name: &str, args: &[&str]) -> Output {
    let out = tool(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {name}: {e}"));
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Runs a tool whose stdout is the file to write (gzip -c, zstd -c).
pub fn run_to_file(name: &str, args: &[&str], to: &Path) {
    let out = run(name, args);
    std::fs::write(to, out.stdout).unwrap();
}

pub fn path_str(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// One frame as the reader returned it, without its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Seen {
    pub ts_ns: i64,
    pub orig_len: u32,
    pub cap_len: u32,
    pub linktype: u32,
}

/// Every frame of a file, and the error that ended it, if any.
pub fn read_all(path: &Path) -> (Vec<Seen>, Option<CaptureError>) {
    let mut reader = match CaptureReader::open(path) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut frames = Vec::new();
    loop {
        match reader.next_frame() {
            Ok(Some(f)) => frames.push(Seen {
                ts_ns: f.ts_ns,
                orig_len: f.orig_len,
                cap_len: f.data.len() as u32,
                linktype: f.linktype,
            }),
            Ok(None) => return (frames, None),
            Err(e) => {
                assert!(
                    reader.next_frame().unwrap().is_none(),
                    "the reader goes on after an error"
                );
                return (frames, Some(e));
            }
        }
    }
}

/// Every frame of a file that must read cleanly.
pub fn read_ok(path: &Path) -> Vec<Seen> {
    let (frames, err) = read_all(path);
    if let Some(e) = err {
        panic!("{e}");
    }
    frames
}

/// One frame as tshark shows it: (length on the wire, captured length, ns since epoch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown {
    pub orig_len: u32,
    pub cap_len: u32,
    pub ts_ns: i128,
}

/// The frames tshark reads in a file. Custom pcapng blocks, which tshark lists as records
/// without an encapsulation, are left out: they are not frames.
pub fn tshark_frames(path: &Path) -> Vec<Shown> {
    let out = run(
        "tshark",
        &[
            "-r",
            path_str(path),
            "-T",
            "fields",
            "-e",
            "frame.len",
            "-e",
            "frame.cap_len",
            "-e",
            "frame.time_epoch",
            "-e",
            "frame.encap_type",
        ],
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| line.split('\t').collect::<Vec<_>>())
        .filter(|fields| fields.get(3).is_some_and(|encap| !encap.is_empty()))
        .map(|fields| Shown {
            orig_len: fields[0].parse().unwrap(),
            cap_len: fields[1].parse().unwrap(),
            ts_ns: parse_epoch(fields[2]),
        })
        .collect()
}

/// tshark's `frame.time_epoch` ("1089032999.862196000") in ns; a frame without a time
/// stamp (pcapng simple packet block) shows nothing, which is the epoch.
pub fn parse_epoch(text: &str) -> i128 {
    if text.is_empty() {
        return 0;
    }
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let frac = format!("{frac:0<9}");
    let ns = secs.parse::<i128>().unwrap() * 1_000_000_000 + frac[..9].parse::<i128>().unwrap();
    if negative {
        -ns
    } else {
        ns
    }
}

/// Checks that the reader sees exactly the frames tshark sees, in order; returns them.
pub fn assert_same_as_tshark(path: &Path) -> Vec<Seen> {
    let ours = read_ok(path);
    let theirs = tshark_frames(path);
    assert_eq!(
        ours.len(),
        theirs.len(),
        "frame count of {}",
        path.display()
    );
    for (i, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
        let ours_shown = Shown {
            orig_len: ours.orig_len,
            cap_len: ours.cap_len,
            ts_ns: i128::from(ours.ts_ns),
        };
        assert_eq!(ours_shown, *theirs, "frame {} of {}", i + 1, path.display());
    }
    ours
}

/// The number of packets capinfos counts, or its complaint about the file.
pub fn capinfos_count(path: &Path) -> Result<u64, String> {
    let out = tool("capinfos")
        .args(["-c", "-M", "-T", "-r"])
        .arg(path)
        .output()
        .expect("cannot run capinfos");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let count = text.trim_end().rsplit('\t').next().unwrap();
    Ok(count.parse().unwrap())
}

/// The number of packets libpcap reads (`tcpdump --count`), or its complaint.
pub fn tcpdump_count(path: &Path) -> Result<u64, String> {
    let out = tool("tcpdump")
        .args(["--count", "-r"])
        .arg(path)
        .output()
        .expect("cannot run tcpdump");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).unwrap();
    let count = text.split_whitespace().next().unwrap();
    Ok(count.parse().unwrap())
}
