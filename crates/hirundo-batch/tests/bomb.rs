//! Compressed bombs: a few kilobytes or megabytes that decompress to a gigabyte are refused at once, and
//! decoding them does not grow the process. A file of its own so that the peak memory it
//! checks is this test's alone.

use std::io::Write;
use std::time::{Duration, Instant};

use hirundo_batch::{decode, Accounting, BatchError, BatchHeader, BatchId, Limits};

const GIB: u64 = 1 << 30;

/// zstd of `total` bytes made of `pattern` repeated, compressed as it is generated.
fn compressed_repeat(pattern: &[u8], total: u64) -> Vec<u8> {
    let block: Vec<u8> = pattern.iter().copied().cycle().take(1 << 20).collect();
    let mut encoder = zstd::stream::Encoder::new(Vec::new(), 1).unwrap();
    let mut written = 0;
    while written < total {
        let n = block.len().min((total - written) as usize);
        encoder.write_all(&block[..n]).unwrap();
        written += n as u64;
    }
    encoder.finish().unwrap()
}

/// A batch whose header claims one record, followed by `compressed`.
fn claiming_one_record(compressed: &[u8]) -> Vec<u8> {
    let header = BatchHeader {
        id: BatchId::random(),
        sensor: "bomb".into(),
        seq: 0,
        created_at_ns: 0,
        records: 1,
        accounting: Accounting::default(),
    };
    let json = serde_json::to_vec(&header).unwrap();
    let mut bytes = b"HIRB\x01".to_vec();
    bytes.extend_from_slice(&(json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(compressed);
    bytes
}

/// The peak resident set of this process so far, in bytes (Linux only).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib << 10)
}

fn assert_refused_quickly(bytes: &[u8]) -> BatchError {
    let start = Instant::now();
    let err = decode(bytes, &Limits::default()).unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    err
}

#[test]
fn gigabyte_bombs_are_refused_with_bounded_memory() {
    let zeros = compressed_repeat(&[0], GIB);
    // A record that passes every field check, repeated: only the count can refuse it.
    let valid_row = {
        let mut row = [0u8; 96];
        row[42] = 4;
        row
    };
    let rows = compressed_repeat(&valid_row, GIB);
    // About 32 KiB and 8 MiB (zstd level 1 finds the 96-byte period less well than a run).
    assert!(zeros.len() < (1 << 20) && rows.len() < (16 << 20));
    let before = peak_rss();
    assert!(before.is_some() || !cfg!(target_os = "linux"));

    let err = assert_refused_quickly(&claiming_one_record(&zeros));
    assert!(
        matches!(
            err,
            BatchError::BadRecord {
                field: "ip_version",
                ..
            }
        ),
        "{err}"
    );
    let err = assert_refused_quickly(&claiming_one_record(&rows));
    assert!(
        matches!(err, BatchError::RecordsTrailing { records: 1, .. }),
        "{err}"
    );

    if let (Some(before), Some(after)) = (before, peak_rss()) {
        assert!(
            after - before < 32 << 20,
            "peak RSS grew {} MiB",
            (after - before) >> 20
        );
    }
}
