//! Transactions: record batches are encoded to Parquet on a background thread (so decoding and
//! encoding use both cores), staged as hidden `.pending` files, and become visible only when
//! the commit naming them is published in the log.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use chrono::DateTime;
use parquet::arrow::arrow_writer::{
    compute_leaves, ArrowColumnChunk, ArrowColumnWriter, ArrowRowGroupWriterFactory,
};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, Encoding};
use parquet::column::writer::ColumnCloseResult;
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::ColumnPath;

use crate::labels::LabelChunk;
use crate::log::{sync_dir, AddFile, Commit, FileEntry};
use crate::rollup::{DayRollup, ROLLUP_TABLES, ROLLUP_TASKS};
use crate::schema::{packets_schema, Batch, Build, Column, PacketRow, RowContext, COLUMNS};
use crate::{Store, StoreError};

pub(crate) const NS_PER_DAY: i64 = 86_400_000_000_000;
/// Batches queued between the decoder and the encoder: bounds memory to a few batches.
const QUEUE_DEPTH: usize = 4;
/// Day partitions open at once in one transaction; an older one is closed (and a new part file
/// started if its day comes back) so that a capture spanning years cannot exhaust memory.
const MAX_OPEN_DAYS: usize = 8;
/// Rows per Parquet row group: big enough for good compression and statistics.
const ROW_GROUP_ROWS: usize = 1024 * 1024;

/// What a successful commit published.
#[derive(Debug)]
pub struct Committed {
    pub version: u64,
    pub rows: u64,
}

/// An open write to the store. Dropping it without [`commit`](Self::commit) discards the data.
pub struct Transaction<'s> {
    store: &'s Store,
    txn: String,
    sender: Option<SyncSender<Rows>>,
    worker: Option<JoinHandle<Result<Vec<AddFile>, StoreError>>>,
    files: Vec<FileEntry>,
    /// What the next rows share; replaced by [`next_file`](Self::next_file).
    context: Arc<RowContext>,
}

/// Rows on their way to the encoder, with what they share.
type Rows = (Arc<RowContext>, Vec<PacketRow>);

impl<'s> Transaction<'s> {
    pub(crate) fn new(store: &'s Store, txn: String, context: RowContext) -> Self {
        let (sender, receiver) = sync_channel(QUEUE_DEPTH);
        let context = Arc::new(context);
        let encoder = Encoder::new(
            store.root().to_path_buf(),
            txn.clone(),
            context.sensor.clone(),
        );
        let worker = std::thread::Builder::new()
            .name("parquet-encoder".into())
            .spawn(move || encoder.run(receiver))
            .expect("spawn encoder thread");
        Transaction {
            store,
            txn,
            sender: Some(sender),
            worker: Some(worker),
            files: Vec::new(),
            context,
        }
    }

    /// Rows written from now on come from the capture file (or sensor batch) whose short hash
    /// is `file_hash`: one transaction can then carry several batches of its sensor.
    pub fn next_file(&mut self, file_hash: String) {
        self.context = Arc::new(RowContext {
            sensor: self.context.sensor.clone(),
            file_hash,
            enricher: self.context.enricher.clone(),
        });
    }

    /// Queues a batch of `packets` rows; blocks while the encoder is [`QUEUE_DEPTH`] behind.
    pub fn write(&mut self, rows: Vec<PacketRow>) -> Result<(), StoreError> {
        let sender = self.sender.as_ref().expect("sender lives until commit");
        if sender.send((Arc::clone(&self.context), rows)).is_err() {
            // The encoder stopped early: its result says why.
            return Err(self.join_worker().err().unwrap_or(StoreError::EncoderGone));
        }
        Ok(())
    }

    /// Records a capture file whose rows this transaction carries.
    pub fn add_file(&mut self, entry: FileEntry) {
        self.files.push(entry);
    }

    /// Publishes the transaction: after this returns, its rows are durable and visible; if
    /// the process dies before, none of them are. Fails with [`StoreError::AlreadyIngested`]
    /// when a concurrent writer committed one of the same capture files first.
    pub fn commit(mut self) -> Result<Committed, StoreError> {
        let adds = self.join_worker()?;
        let rows = adds.iter().map(|a| a.rows).sum();
        let commit = Commit {
            version: 0,
            txn: self.txn.clone(),
            committed_at: chrono::Utc::now().to_rfc3339(),
            writer: concat!("hirundo ", env!("CARGO_PKG_VERSION")).into(),
            files: std::mem::take(&mut self.files),
            add: adds,
        };
        let version = self.store.publish(&commit)?;
        publish_data_files(self.store.root(), &commit.add)?;
        Ok(Committed { version, rows })
    }

    fn join_worker(&mut self) -> Result<Vec<AddFile>, StoreError> {
        self.sender = None;
        match self.worker.take() {
            Some(worker) => worker.join().map_err(|_| StoreError::EncoderGone)?,
            None => Err(StoreError::EncoderGone),
        }
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.worker.is_some() {
            if let Ok(adds) = self.join_worker() {
                for add in adds {
                    let _ = fs::remove_file(pending_path(&self.store.root().join(&add.path)));
                }
            }
        }
    }
}

/// Renames each committed `.pending` file to its final name. Also run at open to finish the
/// renames of a writer that died between publishing its commit and renaming.
pub(crate) fn publish_data_files(root: &Path, adds: &[AddFile]) -> Result<(), StoreError> {
    let mut dirs = HashSet::new();
    for add in adds {
        let target = root.join(&add.path);
        let pending = pending_path(&target);
        if !target.exists() && pending.exists() {
            fs::rename(&pending, &target).map_err(|e| StoreError::io(&pending, e))?;
            dirs.insert(
                target
                    .parent()
                    .expect("data file has a day directory")
                    .to_path_buf(),
            );
        }
    }
    for dir in dirs {
        sync_dir(&dir).map_err(|e| StoreError::io(&dir, e))?;
    }
    Ok(())
}

/// The hidden staging name of a data file: `day=D/.<name>.pending`, ignored by engines that
/// glob `*.parquet` or skip dot-files (Spark, Hive, DuckDB globs).
pub(crate) fn pending_path(final_path: &Path) -> PathBuf {
    let name = final_path
        .file_name()
        .expect("data file name")
        .to_string_lossy();
    final_path.with_file_name(format!(".{name}.pending"))
}

/// The encoder thread's state: one open Parquet writer per day partition.
struct Encoder {
    root: PathBuf,
    txn: String,
    /// Every row of a transaction is of this sensor: the rollups are written per sensor.
    sensor: String,
    open: BTreeMap<i64, DayPart>,
    done: Vec<AddFile>,
    parts: usize,
    props: WriterProperties,
    clock: TaskClock,
}

/// One day of a transaction being written: its packets file and the rollups beside it.
struct DayPart {
    packets: PacketsFile,
    /// Counts of this day's rows for the rollup tables.
    rollup: DayRollup,
}

/// One day's packets file being written. Each row group's columns are encoded in parallel
/// (see [`encode_in_parallel`]) and appended when the group is full.
struct PacketsFile {
    add: AddFile,
    file: SerializedFileWriter<fs::File>,
    factory: ArrowRowGroupWriterFactory,
    /// The open row group's column writers, `None` between groups.
    columns: Option<Vec<Mutex<ColumnSink>>>,
    group_rows: usize,
    groups: usize,
    pending: PathBuf,
}

impl Encoder {
    fn new(root: PathBuf, txn: String, sensor: String) -> Self {
        Encoder {
            root,
            txn,
            sensor,
            open: BTreeMap::new(),
            done: Vec::new(),
            parts: 0,
            props: writer_properties(),
            clock: TaskClock::new(COLUMNS.len() + ROLLUP_TASKS),
        }
    }

    fn run(mut self, batches: Receiver<Rows>) -> Result<Vec<AddFile>, StoreError> {
        let result = batches
            .iter()
            .try_for_each(|(context, rows)| self.write(rows, &context));
        let closed = self.close_all();
        self.clock.log();
        match result.and(closed) {
            Ok(()) => Ok(std::mem::take(&mut self.done)),
            Err(e) => {
                self.discard();
                Err(e)
            }
        }
    }

    fn write(&mut self, rows: Vec<PacketRow>, context: &RowContext) -> Result<(), StoreError> {
        for (day, rows) in split_by_day(rows) {
            self.open_part(day)?;
            let part = self.open.get_mut(&day).expect("just opened");
            part.write(&rows, context, &self.clock)?;
            self.clock.end_batch(rows.len());
        }
        Ok(())
    }

    /// Opens the part of `day` unless it is open.
    fn open_part(&mut self, day: i64) -> Result<(), StoreError> {
        if !self.open.contains_key(&day) {
            if self.open.len() >= MAX_OPEN_DAYS {
                let (&oldest, _) = self.open.iter().next().expect("open is not empty");
                self.close(oldest)?;
            }
            let name = format!("{}-{}.parquet", self.txn, self.parts);
            let part = DayPart::create(&self.root, &name, day, &self.sensor, &self.props)?;
            self.parts += 1;
            self.open.insert(day, part);
        }
        Ok(())
    }

    fn close(&mut self, day: i64) -> Result<(), StoreError> {
        if let Some(part) = self.open.remove(&day) {
            self.done.extend(part.finish()?);
        }
        Ok(())
    }

    fn close_all(&mut self) -> Result<(), StoreError> {
        let days: Vec<i64> = self.open.keys().copied().collect();
        days.into_iter().try_for_each(|day| self.close(day))?;
        let dirs: HashSet<PathBuf> = self
            .done
            .iter()
            .map(|a| {
                self.root
                    .join(&a.path)
                    .parent()
                    .expect("day dir")
                    .to_path_buf()
            })
            .collect();
        dirs.iter()
            .try_for_each(|d| sync_dir(d).map_err(|e| StoreError::io(d, e)))
    }

    /// Removes everything this encoder wrote: used when the transaction fails.
    fn discard(&mut self) {
        for part in std::mem::take(&mut self.open).into_values() {
            let _ = fs::remove_file(&part.packets.pending);
            part.rollup.discard();
        }
        for add in self.done.drain(..) {
            let _ = fs::remove_file(pending_path(&self.root.join(&add.path)));
        }
    }
}

/// Columns worth a dictionary: few distinct strings, the same value in long runs. Every other
/// column is plain-encoded: measured per column on a synthetic darknet capture, a dictionary
/// made ports, windows, addresses and sequence numbers 2-3 times slower to encode for at most
/// a few MB less per 10 M rows, because the writer hashes every value into it.
/// `dst` is one too: a darknet is a few prefixes, so its addresses repeat (up to a /16 the
/// dictionary holds them all; past that the writer falls back to plain pages by itself).
/// (The label columns have dictionaries too, made by [`crate::labels`].)
const DICTIONARY_COLUMNS: [&str; 3] = ["src", "dst", "tcp_options"];

/// Columns whose min/max would not prune anything (random numbers, addresses as text, whose
/// order is not numeric): statistics cost a comparison per value and buy nothing.
const NO_STATISTICS: [&str; 7] = [
    "src",
    "dst",
    "tcp_seq",
    "tcp_ack",
    "ip_id",
    "payload_hash",
    "tcp_options",
];

/// Columns of random numbers: Snappy cannot shrink them and would only cost time.
const UNCOMPRESSED: [&str; 4] = ["src_port", "tcp_seq", "ip_id", "payload_hash"];

/// Small integers stored as Parquet INT32 (four bytes each on a plain page) that bit-packed
/// deltas store in fewer bytes than Snappy over the plain page, and in less time (measured per
/// column on a synthetic darknet capture of 10 M packets: `ttl` 19.2 -> 11.7 MB and 13 -> 8 ns
/// a row, `ip_len` 15.1 -> 11.5 MB, `tcp_wscale` 5.1 -> 2.3 MB, `tcp_mss` 2.3 -> 1.5 MB).
/// Columns of long runs with outliers (`protocol`, `payload_len`, `tcp_flags`, ports) stay
/// with Snappy, which stored them smaller.
const DELTA_PACKED: [&str; 7] = [
    "ip_version",
    "ttl",
    "ip_len",
    "tcp_mss",
    "tcp_wscale",
    "icmp_type",
    "icmp_code",
];

/// Snappy pages, large row groups, statistics per column chunk (what engines prune row groups
/// with), timestamps delta-encoded (half the size and time of plain: they rise steadily).
fn writer_properties() -> WriterProperties {
    let column = |name: &str| ColumnPath::from(name);
    let mut builder = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::Chunk)
        .set_column_encoding(column("ts"), Encoding::DELTA_BINARY_PACKED)
        .set_created_by(concat!("hirundo ", env!("CARGO_PKG_VERSION")).into());
    for name in DICTIONARY_COLUMNS {
        builder = builder.set_column_dictionary_enabled(column(name), true);
    }
    for name in DELTA_PACKED {
        builder = builder
            .set_column_encoding(column(name), Encoding::DELTA_BINARY_PACKED)
            .set_column_compression(column(name), Compression::UNCOMPRESSED);
    }
    for name in UNCOMPRESSED {
        builder = builder.set_column_compression(column(name), Compression::UNCOMPRESSED);
    }
    for name in NO_STATISTICS {
        builder = builder.set_column_statistics_enabled(column(name), EnabledStatistics::None);
    }
    builder.build()
}

impl DayPart {
    /// The part of `day` whose files (packets and rollups) are named `name`.
    fn create(
        root: &Path,
        name: &str,
        day: i64,
        sensor: &str,
        props: &WriterProperties,
    ) -> Result<DayPart, StoreError> {
        Ok(DayPart {
            packets: PacketsFile::create(root, name, day, props)?,
            rollup: DayRollup::new(root, day, name, sensor),
        })
    }

    /// Builds and encodes the rows' columns and adds them to the rollups, each task on the
    /// next free encoder thread, the costliest first by `clock`.
    fn write(
        &mut self,
        rows: &[PacketRow],
        context: &RowContext,
        clock: &TaskClock,
    ) -> Result<(), StoreError> {
        let packets = &mut self.packets;
        packets.count(rows);
        packets.open_row_group()?;
        let columns = packets.columns.as_deref().expect("row group just opened");
        let parquet_error = |e| StoreError::parquet(&packets.pending, e);
        // The last tasks add the batch to the rollups, alongside the columns.
        let rollup = &self.rollup;
        let batch = Batch::new(rows, context, rollup.sources());
        encode_in_parallel(columns.len() + ROLLUP_TASKS, |k| {
            clock.time(k, |i| {
                let Some(column) = COLUMNS.get(i) else {
                    return rollup.add(i - COLUMNS.len(), &batch);
                };
                columns[i]
                    .lock()
                    .expect("each column is encoded by one thread")
                    .write(column, &batch)
                    .map_err(parquet_error)
            })
        })?;
        packets.end_batch(rows.len())
    }

    /// Closes the packets file and writes the rest of the day's rollups beside it, on other
    /// threads; returns all their entries.
    fn finish(self) -> Result<Vec<AddFile>, StoreError> {
        let DayPart { packets, rollup } = self;
        let (packets, rollups) = std::thread::scope(|scope| {
            let rollups = scope.spawn(|| rollup.write());
            let packets = packets.finish();
            (packets, rollups.join().expect("rollup writer panicked"))
        });
        let mut adds = rollups?;
        adds.insert(0, packets?);
        Ok(adds)
    }
}

impl PacketsFile {
    fn create(
        root: &Path,
        name: &str,
        day: i64,
        props: &WriterProperties,
    ) -> Result<PacketsFile, StoreError> {
        let day_label = day_label(day);
        let rel = format!("packets/day={day_label}/{name}");
        let target = root.join(&rel);
        let dir = target.parent().expect("day dir");
        fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
        let pending = pending_path(&target);
        let file = fs::File::create(&pending).map_err(|e| StoreError::io(&pending, e))?;
        // ArrowWriter sets up the file (schema conversion, the embedded Arrow schema); we
        // take its parts to drive the row groups ourselves.
        let (file, factory) = ArrowWriter::try_new(file, packets_schema(), Some(props.clone()))
            .and_then(ArrowWriter::into_serialized_writer)
            .map_err(|e| StoreError::parquet(&pending, e))?;
        let add = AddFile {
            path: rel,
            day: day_label,
            rows: 0,
            bytes: 0,
            min_ts_ns: i64::MAX,
            max_ts_ns: i64::MIN,
        };
        Ok(PacketsFile {
            add,
            file,
            factory,
            columns: None,
            group_rows: 0,
            groups: 0,
            pending,
        })
    }

    /// Adds `rows` to the file's entry: its row count and time range.
    fn count(&mut self, rows: &[PacketRow]) {
        self.add.rows += rows.len() as u64;
        for row in rows {
            self.add.min_ts_ns = self.add.min_ts_ns.min(row.ts_ns);
            self.add.max_ts_ns = self.add.max_ts_ns.max(row.ts_ns);
        }
    }

    /// Opens a row group unless one is open.
    fn open_row_group(&mut self) -> Result<(), StoreError> {
        if self.columns.is_none() {
            let writers = self
                .factory
                .create_column_writers(self.groups)
                .map_err(|e| StoreError::parquet(&self.pending, e))?;
            let sinks = writers
                .into_iter()
                .zip(COLUMNS.iter())
                .map(|(writer, column)| {
                    Mutex::new(match column.build {
                        Build::Array(_) => ColumnSink::Array(Box::new(writer)),
                        Build::Labels(_) => {
                            ColumnSink::Labels(LabelChunk::new(column.field.is_nullable()))
                        }
                    })
                });
            self.columns = Some(sinks.collect());
        }
        Ok(())
    }

    /// `rows` more rows were encoded: closes the row group once it is full.
    fn end_batch(&mut self, rows: usize) -> Result<(), StoreError> {
        self.group_rows += rows;
        if self.group_rows >= ROW_GROUP_ROWS {
            self.close_row_group()?;
        }
        Ok(())
    }

    /// Finishes the open row group's columns (in parallel: closing flushes and compresses
    /// the last pages) and appends them to the file.
    fn close_row_group(&mut self) -> Result<(), StoreError> {
        let Some(columns) = self.columns.take() else {
            return Ok(());
        };
        let sinks: Vec<Mutex<Option<ColumnSink>>> = columns
            .into_iter()
            .map(|w| Mutex::new(w.into_inner().ok()))
            .collect();
        let chunks: Vec<Mutex<Option<ColumnChunk>>> =
            sinks.iter().map(|_| Mutex::new(None)).collect();
        let schema = self.file.schema_descr();
        encode_in_parallel(sinks.len(), |i| {
            let sink = sinks[i]
                .lock()
                .expect("one thread per column")
                .take()
                .expect("writer present");
            let chunk = match sink {
                ColumnSink::Array(writer) => ColumnChunk::Array(writer.close()?),
                ColumnSink::Labels(labels) => {
                    let (bytes, close) = labels.close(schema.column(i))?;
                    ColumnChunk::Labels(bytes, close)
                }
            };
            *chunks[i].lock().expect("one thread per column") = Some(chunk);
            Ok(())
        })
        .map_err(|e| StoreError::parquet(&self.pending, e))?;
        let mut group = self
            .file
            .next_row_group()
            .map_err(|e| StoreError::parquet(&self.pending, e))?;
        for chunk in chunks {
            let appended = match chunk.into_inner().ok().flatten() {
                Some(ColumnChunk::Array(chunk)) => chunk.append_to_row_group(&mut group),
                Some(ColumnChunk::Labels(bytes, close)) => group.append_column(&bytes, close),
                None => unreachable!("every column was closed"),
            };
            appended.map_err(|e| StoreError::parquet(&self.pending, e))?;
        }
        group
            .close()
            .map_err(|e| StoreError::parquet(&self.pending, e))?;
        self.groups += 1;
        self.group_rows = 0;
        Ok(())
    }

    /// Writes the last row group and the footer, syncs the file, and returns its entry.
    fn finish(mut self) -> Result<AddFile, StoreError> {
        self.close_row_group()?;
        let PacketsFile {
            mut add,
            file,
            pending,
            ..
        } = self;
        let file = file
            .into_inner()
            .map_err(|e| StoreError::parquet(&pending, e))?;
        file.sync_all().map_err(|e| StoreError::io(&pending, e))?;
        add.bytes = file
            .metadata()
            .map_err(|e| StoreError::io(&pending, e))?
            .len();
        Ok(add)
    }
}

/// Where a row group's column goes while the group is open.
enum ColumnSink {
    /// Boxed: the Arrow writer is ten times the size of a label chunk.
    Array(Box<ArrowColumnWriter>),
    Labels(LabelChunk),
}

impl ColumnSink {
    /// Builds `column`'s values of `batch` and adds them.
    fn write(&mut self, column: &Column, batch: &Batch<'_>) -> Result<(), ParquetError> {
        match (self, &column.build) {
            (ColumnSink::Array(writer), Build::Array(build)) => {
                let array = build(batch);
                compute_leaves(&column.field, &array)?
                    .iter()
                    .try_for_each(|leaf| writer.write(leaf))
            }
            (ColumnSink::Labels(chunk), Build::Labels(build)) => {
                build(batch, chunk);
                Ok(())
            }
            _ => unreachable!("a column's sink is made from its build"),
        }
    }
}

/// A closed column chunk, ready to append to its row group.
enum ColumnChunk {
    Array(ArrowColumnChunk),
    Labels(bytes::Bytes, ColumnCloseResult),
}

/// The time each of a batch's tasks (the columns, then the rollups) takes, and the order to
/// start them in: the costliest first, so that no long one is left running alone at the end of
/// a batch while the other cores wait. Measured as ingest goes, because the costs depend on
/// the traffic (random sources, long port tails) and on the enrichment in use.
struct TaskClock {
    nanos: Vec<AtomicU64>,
    rows: u64,
    /// Task indices, costliest first.
    order: Vec<usize>,
}

impl TaskClock {
    fn new(tasks: usize) -> Self {
        TaskClock {
            nanos: (0..tasks).map(|_| AtomicU64::new(0)).collect(),
            rows: 0,
            order: (0..tasks).rev().collect(),
        }
    }

    /// Runs the `k`-th costliest task, timed.
    fn time<T>(&self, k: usize, task: impl FnOnce(usize) -> T) -> T {
        let task_index = self.order[k];
        let started = Instant::now();
        let result = task(task_index);
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.nanos[task_index].fetch_add(nanos, Ordering::Relaxed);
        result
    }

    /// A batch of `rows` rows is done: counts them and orders the tasks by their cost so far.
    fn end_batch(&mut self, rows: usize) {
        self.rows += rows as u64;
        let nanos: Vec<u64> = self
            .nanos
            .iter()
            .map(|n| n.load(Ordering::Relaxed))
            .collect();
        self.order.sort_by_key(|&i| std::cmp::Reverse(nanos[i]));
    }

    /// Logs each task's nanoseconds per row (`RUST_LOG=hirundo_store=debug`).
    fn log(&self) {
        let rows = self.rows.max(1);
        let per_row = |i: usize| self.nanos[i].load(Ordering::Relaxed) / rows;
        let costs: Vec<String> = self
            .order
            .iter()
            .map(|&i| match COLUMNS.get(i) {
                Some(column) => format!("{} {}", column.field.name(), per_row(i)),
                None => format!("{} rollup {}", ROLLUP_TABLES[i - COLUMNS.len()], per_row(i)),
            })
            .collect();
        tracing::debug!(
            rows = self.rows,
            "encoding ns per row: {}",
            costs.join(", ")
        );
    }
}

/// Runs `task(0..n)` on [`encoder_threads`] threads, each taking the next index until none is
/// left, and returns the first error. Parquet encodes each column independently, and
/// encoding is most of ingest's work, so this is what lets ingest use every core.
fn encode_in_parallel<E, F>(n: usize, task: F) -> Result<(), E>
where
    E: Send,
    F: Fn(usize) -> Result<(), E> + Sync,
{
    let next = AtomicUsize::new(0);
    let work = || -> Result<(), E> {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n {
                return Ok(());
            }
            task(i)?;
        }
    };
    std::thread::scope(|scope| {
        let helpers: Vec<_> = (1..encoder_threads()).map(|_| scope.spawn(work)).collect();
        let mine = work();
        helpers
            .into_iter()
            .map(|h| h.join().expect("encoder helper thread panicked"))
            .fold(mine, Result::and)
    })
}

/// Threads that encode columns: all cores but the one decoding, and at least two, so that on
/// a two-core machine encoding overlaps decoding whenever the decoder waits.
fn encoder_threads() -> usize {
    static THREADS: LazyLock<usize> = LazyLock::new(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        cores.saturating_sub(1).max(2)
    });
    *THREADS
}

/// Splits rows into one batch per UTC day. Captures are mostly time-ordered and a batch
/// usually falls within one day, so that case costs two comparisons a row and no copy.
fn split_by_day(rows: Vec<PacketRow>) -> Vec<(i64, Vec<PacketRow>)> {
    let day_of = |row: &PacketRow| row.ts_ns.div_euclid(NS_PER_DAY);
    let Some(first) = rows.first().map(day_of) else {
        return Vec::new();
    };
    let (start, end) = (first * NS_PER_DAY, (first + 1) * NS_PER_DAY);
    if rows.iter().all(|r| (start..end).contains(&r.ts_ns)) {
        return vec![(first, rows)];
    }
    let mut days: BTreeMap<i64, Vec<PacketRow>> = BTreeMap::new();
    for row in rows {
        days.entry(day_of(&row)).or_default().push(row);
    }
    days.into_iter().collect()
}

/// `YYYY-MM-DD` of a day number since the epoch.
pub(crate) fn day_label(day: i64) -> String {
    DateTime::from_timestamp(day * 86_400, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| format!("out-of-range-{day}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_labels_follow_utc() {
        assert_eq!(day_label(0), "1970-01-01");
        assert_eq!(day_label(-1), "1969-12-31");
        assert_eq!(day_label(18_170), "2019-10-01");
    }

    #[test]
    fn pending_files_are_hidden() {
        let p = pending_path(Path::new("/db/packets/day=2019-10-01/abc-0.parquet"));
        assert_eq!(
            p,
            Path::new("/db/packets/day=2019-10-01/.abc-0.parquet.pending")
        );
    }
}
