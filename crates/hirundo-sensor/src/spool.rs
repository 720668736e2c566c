//! The spool: every sealed batch is written here before it is sent, and deleted only when the
//! collector has acknowledged it, so a collector outage, a kill -9 or a reboot loses nothing
//! that was sealed. Files are `<seq>.hrb` (20 digits: the name order is the send order),
//! written under a temporary name, synced and renamed, so a crash never leaves half a batch
//! under a real name. Batches the collector refuses as malformed go to `rejected/` for the
//! operator rather than being retried for ever.
//!
//! Several senders may deliver at once: each claims the oldest batch nobody has claimed, so
//! batches leave in order, and a claim is released when its delivery must be tried again.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::config::WhenFull;
use crate::metrics::Metrics;
use crate::SensorError;

const SUFFIX: &str = "hrb";

/// One spooled batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    bytes: u64,
    records: u64,
    /// A sender is delivering it.
    claimed: bool,
}

/// The spool directory and what is in it.
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    when_full: WhenFull,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    entries: BTreeMap<u64, Entry>,
    bytes: u64,
    closed: bool,
}

/// A spooled batch ready to send.
pub struct Ready {
    pub seq: u64,
    pub path: PathBuf,
    pub records: u64,
}

impl Spool {
    /// Opens (creating) the spool at `dir` and indexes the batches a previous run left.
    pub fn open(dir: &Path, max_bytes: u64, when_full: WhenFull) -> Result<Spool, SensorError> {
        fs::create_dir_all(dir.join("rejected")).map_err(|e| SensorError::io(dir, e))?;
        let mut state = State::default();
        for item in fs::read_dir(dir).map_err(|e| SensorError::io(dir, e))? {
            let path = item.map_err(|e| SensorError::io(dir, e))?.path();
            index_leftover(&path, &mut state)?;
        }
        if !state.entries.is_empty() {
            tracing::info!(
                batches = state.entries.len(),
                bytes = state.bytes,
                "spool holds batches of an earlier run: sending them first"
            );
        }
        Ok(Spool {
            dir: dir.to_path_buf(),
            max_bytes,
            when_full,
            state: Mutex::new(state),
            changed: Condvar::new(),
        })
    }

    /// The sequence number the next batch must exceed (names sort in send order).
    pub fn last_seq(&self) -> u64 {
        let state = self.state.lock().expect("spool lock");
        state.entries.keys().next_back().copied().unwrap_or(0)
    }

    /// Writes a batch durably. When the spool is full, makes room by the `when_full` policy;
    /// returns false only if the spool was closed while waiting for room.
    pub fn push(
        &self,
        seq: u64,
        encoded: &[u8],
        records: u64,
        metrics: &Metrics,
    ) -> Result<bool, SensorError> {
        let entry = Entry {
            bytes: encoded.len() as u64,
            records,
            claimed: false,
        };
        if !self.make_room(entry.bytes, metrics) {
            return Ok(false);
        }
        let path = self.path(seq);
        let tmp = self.dir.join(format!(".{seq:020}.tmp"));
        write_synced(&tmp, encoded).map_err(|e| SensorError::io(&tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| SensorError::io(&path, e))?;
        let mut state = self.state.lock().expect("spool lock");
        state.entries.insert(seq, entry);
        state.bytes += entry.bytes;
        metrics.spooled(records, state.bytes);
        self.changed.notify_all();
        Ok(true)
    }

    fn make_room(&self, bytes: u64, metrics: &Metrics) -> bool {
        let mut state = self.state.lock().expect("spool lock");
        while !state.entries.is_empty() && state.bytes + bytes > self.max_bytes {
            match self.when_full {
                WhenFull::DropOldest => {
                    let (seq, entry) = state.pop_oldest();
                    state.bytes -= entry.bytes;
                    let _ = fs::remove_file(self.path(seq));
                    metrics.spool_dropped(entry.records);
                    tracing::warn!(
                        seq,
                        records = entry.records,
                        "spool full: dropped the oldest batch"
                    );
                }
                WhenFull::StopCapture => {
                    if state.closed {
                        return false;
                    }
                    state = self.changed.wait(state).expect("spool lock");
                }
            }
        }
        true
    }

    /// Claims the oldest batch no sender has claimed, waiting up to `wait` for one; None if
    /// there is none or the spool is closed.
    pub fn claim(&self, wait: Duration) -> Option<Ready> {
        let state = self.state.lock().expect("spool lock");
        let (mut state, _) = self
            .changed
            .wait_timeout_while(state, wait, |s| s.unclaimed().is_none() && !s.closed)
            .expect("spool lock");
        let seq = state.unclaimed()?;
        let entry = state.entries.get_mut(&seq).expect("unclaimed entry");
        entry.claimed = true;
        Some(Ready {
            seq,
            path: self.path(seq),
            records: entry.records,
        })
    }

    /// The delivery of `seq` must be tried again: another sender may take it.
    pub fn release(&self, seq: u64) {
        let mut state = self.state.lock().expect("spool lock");
        if let Some(entry) = state.entries.get_mut(&seq) {
            entry.claimed = false;
        }
        self.changed.notify_all();
    }

    /// The collector acknowledged `seq`: delete it. A full spool may have dropped it while it
    /// was on its way; then there is nothing left to delete.
    pub fn delivered(&self, seq: u64, metrics: &Metrics) -> Result<(), SensorError> {
        let path = self.path(seq);
        match fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound || self.holds(seq) => {
                return Err(SensorError::io(&path, e))
            }
            _ => {}
        }
        self.forget(seq, metrics);
        Ok(())
    }

    fn holds(&self, seq: u64) -> bool {
        let state = self.state.lock().expect("spool lock");
        state.entries.contains_key(&seq)
    }

    /// The collector refused `seq` for good: keep it under `rejected/` for the operator.
    pub fn reject(&self, seq: u64, metrics: &Metrics) -> Result<PathBuf, SensorError> {
        let path = self.path(seq);
        let target = self
            .dir
            .join("rejected")
            .join(path.file_name().expect("file name"));
        fs::rename(&path, &target).map_err(|e| SensorError::io(&path, e))?;
        self.forget(seq, metrics);
        Ok(target)
    }

    fn forget(&self, seq: u64, metrics: &Metrics) {
        let mut state = self.state.lock().expect("spool lock");
        if let Some(entry) = state.entries.remove(&seq) {
            state.bytes -= entry.bytes;
        }
        metrics.spool_bytes(state.bytes);
        self.changed.notify_all();
    }

    /// Wakes every waiter and makes them give up: the sensor is stopping.
    pub fn close(&self) {
        self.state.lock().expect("spool lock").closed = true;
        self.changed.notify_all();
    }

    /// Batches and bytes in the spool.
    pub fn size(&self) -> (usize, u64) {
        let state = self.state.lock().expect("spool lock");
        (state.entries.len(), state.bytes)
    }

    fn path(&self, seq: u64) -> PathBuf {
        self.dir.join(format!("{seq:020}.{SUFFIX}"))
    }
}

impl State {
    fn unclaimed(&self) -> Option<u64> {
        self.entries
            .iter()
            .find(|(_, entry)| !entry.claimed)
            .map(|(&seq, _)| seq)
    }

    /// The oldest batch no sender is delivering, or, if every one is on its way, the oldest.
    fn pop_oldest(&mut self) -> (u64, Entry) {
        let seq = self
            .unclaimed()
            .or_else(|| self.entries.keys().next().copied())
            .expect("not empty");
        let entry = self.entries.remove(&seq).expect("present");
        (seq, entry)
    }
}

/// Indexes one file found at start: a batch, a temporary a crash left (removed), or other.
fn index_leftover(path: &Path, state: &mut State) -> Result<(), SensorError> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if name.starts_with('.') && name.ends_with(".tmp") {
        return fs::remove_file(path).map_err(|e| SensorError::io(path, e));
    }
    let Some(seq) = name
        .strip_suffix(&format!(".{SUFFIX}"))
        .and_then(|stem| stem.parse::<u64>().ok())
    else {
        return Ok(());
    };
    let bytes = fs::read(path).map_err(|e| SensorError::io(path, e))?;
    // The header says how many records; a damaged file is still sent: the collector refuses
    // it with a reason, and it moves to rejected/ where the operator can see it.
    let records = hirundo_batch::peek_header(&bytes, &hirundo_batch::Limits::default())
        .map(|h| h.records)
        .unwrap_or(0);
    state.entries.insert(
        seq,
        Entry {
            bytes: bytes.len() as u64,
            records,
            claimed: false,
        },
    );
    state.bytes += bytes.len() as u64;
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metrics() -> Metrics {
        Metrics::default()
    }

    #[test]
    fn batches_come_back_in_order_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let m = metrics();
        {
            let spool = Spool::open(dir.path(), 1 << 20, WhenFull::DropOldest).unwrap();
            for seq in [5, 3, 9] {
                assert!(spool.push(seq, b"batch", 1, &m).unwrap());
            }
            // A crash mid-write leaves a temporary file.
            fs::write(dir.path().join(".00000000000000000011.tmp"), b"half").unwrap();
        }
        let spool = Spool::open(dir.path(), 1 << 20, WhenFull::DropOldest).unwrap();
        assert!(!dir.path().join(".00000000000000000011.tmp").exists());
        assert_eq!(spool.last_seq(), 9);
        let mut order = Vec::new();
        while let Some(ready) = spool.claim(Duration::ZERO) {
            order.push(ready.seq);
            spool.delivered(ready.seq, &m).unwrap();
        }
        assert_eq!(order, [3, 5, 9]);
        assert_eq!(spool.size(), (0, 0));
    }

    #[test]
    fn full_spool_drops_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let m = metrics();
        let spool = Spool::open(dir.path(), 10, WhenFull::DropOldest).unwrap();
        for seq in 1..=4 {
            spool.push(seq, b"1234", 7, &m).unwrap();
        }
        assert_eq!(spool.size(), (2, 8));
        assert_eq!(spool.claim(Duration::ZERO).unwrap().seq, 3);
        assert_eq!(m.spool_dropped_records(), 14);
    }

    #[test]
    fn full_spool_can_stop_capture_until_room() {
        let dir = tempfile::tempdir().unwrap();
        let m = std::sync::Arc::new(metrics());
        let spool = std::sync::Arc::new(Spool::open(dir.path(), 8, WhenFull::StopCapture).unwrap());
        spool.push(1, b"1234", 1, &m).unwrap();
        spool.push(2, b"1234", 1, &m).unwrap();
        let (s, mm) = (spool.clone(), m.clone());
        let writer = std::thread::spawn(move || s.push(3, b"1234", 1, &mm).unwrap());
        std::thread::sleep(Duration::from_millis(100));
        assert!(!writer.is_finished(), "the third batch must wait for room");
        spool.delivered(1, &m).unwrap();
        assert!(writer.join().unwrap());
        assert_eq!(m.spool_dropped_records(), 0);
        assert_eq!(spool.size(), (2, 8));
    }

    #[test]
    fn rejected_batches_are_kept_aside() {
        let dir = tempfile::tempdir().unwrap();
        let m = metrics();
        let spool = Spool::open(dir.path(), 100, WhenFull::DropOldest).unwrap();
        spool.push(1, b"junk", 0, &m).unwrap();
        let kept = spool.reject(1, &m).unwrap();
        assert_eq!(fs::read(kept).unwrap(), b"junk");
        assert!(spool.claim(Duration::ZERO).is_none());
    }

    #[test]
    fn senders_claim_batches_in_order_and_retry_released_ones() {
        let dir = tempfile::tempdir().unwrap();
        let m = metrics();
        let spool = Spool::open(dir.path(), 100, WhenFull::DropOldest).unwrap();
        for seq in 1..=3 {
            spool.push(seq, b"1234", 1, &m).unwrap();
        }
        let first = spool.claim(Duration::ZERO).unwrap();
        let second = spool.claim(Duration::ZERO).unwrap();
        assert_eq!((first.seq, second.seq), (1, 2));
        spool.release(first.seq);
        spool.delivered(second.seq, &m).unwrap();
        let order: Vec<u64> = std::iter::from_fn(|| spool.claim(Duration::ZERO))
            .map(|ready| ready.seq)
            .collect();
        assert_eq!(order, [1, 3]);
        assert!(spool.claim(Duration::ZERO).is_none(), "all claimed");
    }

    #[test]
    fn a_full_spool_drops_a_batch_on_its_way_last() {
        let dir = tempfile::tempdir().unwrap();
        let m = metrics();
        let spool = Spool::open(dir.path(), 8, WhenFull::DropOldest).unwrap();
        spool.push(1, b"1234", 1, &m).unwrap();
        spool.push(2, b"1234", 1, &m).unwrap();
        let on_its_way = spool.claim(Duration::ZERO).unwrap();
        spool.push(3, b"1234", 1, &m).unwrap();
        assert_eq!(m.spool_dropped_records(), 1);
        assert_eq!(spool.claim(Duration::ZERO).unwrap().seq, 3, "2 was dropped");
        // Every batch is on its way now: room is made by dropping the oldest, 1, whose
        // acknowledgement then finds nothing to delete.
        spool.push(4, b"1234", 1, &m).unwrap();
        assert_eq!(m.spool_dropped_records(), 2);
        spool.delivered(on_its_way.seq, &m).unwrap();
        assert_eq!(spool.size(), (2, 8));
    }
}
