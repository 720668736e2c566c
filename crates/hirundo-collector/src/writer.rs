//! Group commit: accepted batches wait here while the writer is busy (and, with a commit
//! delay, briefly after) and are written together, one store transaction per sensor, so
//! that a busy collector writes few large Parquet files instead of one small file per batch. A batch is acknowledged only after its commit is published (the
//! store syncs data files and the log entry before that), and a batch id already in the log
//! is acknowledged as a duplicate without being written again.

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hirundo_batch::{BatchHeader, Record};
use hirundo_enrich::Enricher;
use hirundo_store::{FileEntry, PacketRow, RowContext, Store, StoreError, BATCH_ROWS};
use tokio::sync::oneshot;

use crate::metrics::{Metrics, Outcome};

/// When a group is written.
#[derive(Clone, Copy, Debug)]
pub struct CommitPolicy {
    /// Write as soon as this many records wait.
    pub max_records: usize,
    /// Write at the latest this long after the first batch of a group arrived. Zero writes
    /// what waits as soon as the writer is free: under load, batches gather while it is busy,
    /// and no sensor's batches in flight wait for a timer (PostgreSQL's `commit_delay`
    /// defaults to zero for the same reason).
    pub max_delay: Duration,
}

/// A decoded batch waiting for its commit.
pub struct Pending {
    pub header: BatchHeader,
    pub records: Vec<Record>,
    /// Size of the encoded batch, for the file list and metrics.
    pub bytes: u64,
    pub reply: oneshot::Sender<Result<Outcome, WriteError>>,
}

/// A group could not be written; the sensor keeps the batch and sends it again.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct WriteError(pub String);

/// The handle through which request handlers queue batches.
pub struct BatchWriter {
    queue: Option<SyncSender<Pending>>,
    thread: Option<JoinHandle<()>>,
}

/// Batches that may wait in the queue: past this, handlers wait (backpressure to sensors).
const QUEUE_DEPTH: usize = 64;

impl BatchWriter {
    pub fn start(
        store: Store,
        enricher: Option<Arc<Enricher>>,
        policy: CommitPolicy,
        metrics: Arc<Metrics>,
    ) -> BatchWriter {
        let (queue, receiver) = sync_channel(QUEUE_DEPTH);
        let group_writer = GroupWriter {
            store,
            enricher,
            metrics,
        };
        let thread = std::thread::Builder::new()
            .name("group-commit".into())
            .spawn(move || group_writer.run(receiver, policy))
            .expect("spawn group-commit thread");
        BatchWriter {
            queue: Some(queue),
            thread: Some(thread),
        }
    }

    /// Queues a batch; blocks while the queue is full.
    pub fn submit(&self, pending: Pending) -> Result<(), WriteError> {
        let queue = self.queue.as_ref().expect("queue lives until drop");
        queue
            .send(pending)
            .map_err(|_| WriteError("the collector is shutting down".into()))
    }
}

impl Drop for BatchWriter {
    /// Writes what is queued, then stops.
    fn drop(&mut self) {
        self.queue = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct GroupWriter {
    store: Store,
    enricher: Option<Arc<Enricher>>,
    metrics: Arc<Metrics>,
}

impl GroupWriter {
    fn run(&self, queue: Receiver<Pending>, policy: CommitPolicy) {
        while let Ok(first) = queue.recv() {
            let group = gather(first, &queue, policy);
            let mut by_sensor: BTreeMap<String, Vec<Pending>> = BTreeMap::new();
            for pending in group {
                by_sensor
                    .entry(pending.header.sensor.clone())
                    .or_default()
                    .push(pending);
            }
            for (sensor, batches) in by_sensor {
                self.write_sensor_group(&sensor, batches);
            }
        }
    }

    /// Writes one sensor's batches in one transaction and answers each of them.
    fn write_sensor_group(&self, sensor: &str, batches: Vec<Pending>) {
        let (fresh, duplicates) = match self.split_duplicates(batches) {
            Ok(split) => split,
            Err((e, batches)) => return answer_all(batches, &e),
        };
        for pending in duplicates {
            self.metrics.accepted(
                sensor,
                Outcome::duplicate,
                pending.header.records,
                pending.bytes,
            );
            let _ = pending.reply.send(Ok(Outcome::duplicate));
        }
        if fresh.is_empty() {
            return;
        }
        let (answers, data): (Vec<_>, Vec<_>) = fresh
            .into_iter()
            .map(|p| {
                (
                    (p.reply, p.header.records, p.bytes),
                    (p.header, p.records, p.bytes),
                )
            })
            .unzip();
        let result = self.commit(sensor, data);
        for (reply, records, bytes) in answers {
            let answer = match &result {
                Ok(()) => {
                    self.metrics
                        .accepted(sensor, Outcome::stored, records, bytes);
                    Ok(Outcome::stored)
                }
                Err(e) => Err(WriteError(e.to_string())),
            };
            let _ = reply.send(answer);
        }
    }

    /// Separates batches already in the store (or twice in this group) from the rest.
    #[allow(clippy::type_complexity)]
    fn split_duplicates(
        &self,
        batches: Vec<Pending>,
    ) -> Result<(Vec<Pending>, Vec<Pending>), (WriteError, Vec<Pending>)> {
        let mut seen = HashSet::new();
        let mut fresh = Vec::new();
        let mut duplicates = Vec::new();
        for pending in batches {
            let id = pending.header.id.to_string();
            match self.store.ingested(&id) {
                Err(e) => {
                    let mut all = fresh;
                    all.extend(duplicates);
                    all.push(pending);
                    return Err((WriteError(e.to_string()), all));
                }
                Ok(Some(_)) => duplicates.push(pending),
                Ok(None) if !seen.insert(id) => duplicates.push(pending),
                Ok(None) => fresh.push(pending),
            }
        }
        Ok((fresh, duplicates))
    }

    /// One transaction with every batch's rows and file entry. A concurrent collector that
    /// committed one of the same batches first makes the whole commit fail: the sensor sends
    /// the batches again and learns which are duplicates then.
    fn commit(
        &self,
        sensor: &str,
        batches: Vec<(BatchHeader, Vec<Record>, u64)>,
    ) -> Result<(), StoreError> {
        let mut txn = self.store.begin(RowContext {
            sensor: sensor.to_owned(),
            file_hash: String::new(),
            enricher: self.enricher.clone(),
        });
        for (header, records, bytes) in batches {
            let id = header.id.to_string();
            txn.next_file(id[..16].to_owned());
            let mut rows = records.into_iter().map(|r| PacketRow {
                ts_ns: r.ts_ns,
                packet: r.packet,
            });
            loop {
                let chunk: Vec<PacketRow> = rows.by_ref().take(BATCH_ROWS).collect();
                if chunk.is_empty() {
                    break;
                }
                txn.write(chunk)?;
            }
            let mut entry = file_entry(&header, id, bytes);
            entry.set_enricher(self.enricher.as_deref());
            txn.add_file(entry);
        }
        let committed = txn.commit()?;
        self.metrics.committed();
        tracing::debug!(
            sensor,
            version = committed.version,
            rows = committed.rows,
            "group committed"
        );
        Ok(())
    }
}

/// Takes `first` and whatever else arrives until the policy says write.
fn gather(first: Pending, queue: &Receiver<Pending>, policy: CommitPolicy) -> Vec<Pending> {
    let deadline = Instant::now() + policy.max_delay;
    let mut records = first.records.len();
    let mut group = vec![first];
    while records < policy.max_records {
        let wait = deadline.saturating_duration_since(Instant::now());
        match queue.recv_timeout(wait) {
            Ok(pending) => {
                records += pending.records.len();
                group.push(pending);
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    group
}

fn answer_all(batches: Vec<Pending>, error: &WriteError) {
    for pending in batches {
        let _ = pending.reply.send(Err(error.clone()));
    }
}

/// The store's bookkeeping for a batch: the same as for a capture file, keyed by batch id.
fn file_entry(header: &BatchHeader, id: String, bytes: u64) -> FileEntry {
    FileEntry::counted(
        id,
        format!("batch:{}/{}", header.sensor, header.seq),
        bytes,
        header.sensor.clone(),
        hirundo_batch::FORMAT.into(),
        header.accounting.clone(),
        None,
    )
}
