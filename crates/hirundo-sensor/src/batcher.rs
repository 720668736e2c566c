//! The transform: frames are decoded (the same decoder and accounting as `hirundo ingest`)
//! and gathered into batches, sealed when full or when their first packet is old enough.

use std::time::{Duration, Instant};

use hirundo_batch::{BatchHeader, BatchId, FrameDecoder, Record};
use hirundo_capture::Frame;

/// A batch ready for the spool; the spool gives it its sequence number.
pub struct Sealed {
    pub header: BatchHeader,
    pub records: Vec<Record>,
}

pub struct Batcher {
    sensor: String,
    max_records: usize,
    max_age: Duration,
    decoder: FrameDecoder,
    records: Vec<Record>,
    /// When the open batch received its first frame.
    opened: Option<Instant>,
}

impl Batcher {
    pub fn new(sensor: String, max_records: usize, max_age: Duration) -> Batcher {
        Batcher {
            sensor,
            max_records,
            max_age,
            decoder: FrameDecoder::default(),
            records: Vec::with_capacity(max_records),
            opened: None,
        }
    }

    /// Decodes and counts one frame; returns the batch it filled, if it filled one.
    pub fn push(&mut self, frame: Frame<'_>) -> Option<Sealed> {
        self.opened.get_or_insert_with(Instant::now);
        if let Some(packet) =
            self.decoder
                .decode(frame.ts_ns, frame.linktype, frame.data, frame.orig_len)
        {
            self.records.push(Record {
                ts_ns: frame.ts_ns,
                packet,
            });
            if self.records.len() >= self.max_records {
                return self.seal();
            }
        }
        None
    }

    /// Seals the open batch if its first frame is older than the age limit.
    pub fn seal_if_due(&mut self, now: Instant) -> Option<Sealed> {
        match self.opened {
            Some(opened) if now.duration_since(opened) >= self.max_age => self.seal(),
            _ => None,
        }
    }

    /// Seals the open batch, if it saw any frame (a batch of only malformed frames still
    /// carries their count).
    pub fn seal(&mut self) -> Option<Sealed> {
        self.opened.take()?;
        let records = std::mem::replace(&mut self.records, Vec::with_capacity(self.max_records));
        let accounting = self.decoder.take_counts().accounting();
        let header = BatchHeader {
            id: BatchId::random(),
            sensor: self.sensor.clone(),
            seq: 0,
            created_at_ns: now_ns(),
            records: records.len() as u64,
            accounting,
        };
        Some(Sealed { header, records })
    }
}

pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}
