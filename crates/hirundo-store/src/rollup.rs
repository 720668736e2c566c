//! Rollups: tables of counts written with the packets they summarise, in the same transaction
//! (so they are exactly as durable and idempotent as the packets), that reports and
//! dashboards read instead of the packets:
//!
//! - `traffic`: packets per UTC hour, sensor, protocol, port (destination port, or the ICMP
//!   type), source country, tool and traffic kind. Hours let a report cut days at the local
//!   midnight of any zone whose offset is a whole number of hours.
//! - `sources`: packets per UTC day, sensor and source address (with its country): exact
//!   unique-source counts and research-scanner shares.
//! - `backscatter`: backscatter packets per second, sensor, sender (the likely DoS victim),
//!   protocol and source port: victims and their attacks.
//!
//! Rows are sums: two files of the same hour give two rows, and queries add them up.

use std::collections::HashMap;
use std::fs;
use std::hash::Hash;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex};

use arrow::array::{
    ArrayRef, Date32Array, RecordBatch, StringArray, TimestampSecondArray, UInt16Array,
    UInt64Array, UInt8Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use hirundo_enrich::{tools, Enricher, SourceLabels, TrafficKind};
use hirundo_geo::CountryCode;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::columns::Text;
use crate::log::AddFile;
use crate::schema::{Batch, PacketRow, TS_ZONE};
use crate::writer::pending_path;
use crate::StoreError;

const NS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_HOUR: i64 = 3_600;
const SECONDS_PER_DAY: i64 = 86_400;

/// The names of the rollup tables, as queried in SQL.
pub const ROLLUP_TABLES: [&str; 3] = ["traffic", "sources", "backscatter"];

/// The hasher of the rollup maps: several times faster than std's SipHash, which made ingest
/// half again as slow when the rollups came; seeded randomly all the same, since the keys
/// (addresses, ports) are chosen by whoever sends packets.
type Map<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One cell of the `traffic` cube, in 16 bytes: a day's long tail of random ports makes
/// millions of cells, and the smaller the table, the fewer of its reads miss the caches.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct TrafficKey {
    /// Hours since the epoch: an i64 of nanoseconds spans only ±2.6 M hours.
    hour: i32,
    protocol: u8,
    port: Option<u16>,
    country: Option<CountryCode>,
    /// Index in [`tools::FINGERPRINTS`]: a `&str` would take 16 bytes.
    tool: Option<u8>,
    kind: Option<TrafficKind>,
}

const _: () = assert!(std::mem::size_of::<TrafficKey>() == 16);

/// A source's labels (its country, written in the table), and its packets.
type SourceCount = (SourceLabels, u64);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct BackscatterKey {
    second: i64,
    src: IpAddr,
    protocol: u8,
    src_port: Option<u16>,
}

/// Cells the `traffic` map holds before its finished hours are written out: this bounds the
/// rollup's memory whatever a day holds, keeps the map small enough for the CPU caches, and
/// spreads the writing over the ingest instead of leaving it all to the end (a day of long
/// port tails is over a million cells, which took a second to sort and write at the end).
const TRAFFIC_FLUSH_CELLS: usize = 1 << 16;

/// Tasks that add a batch to the rollups: one per table, in the order of [`ROLLUP_TABLES`], so
/// that the encoder threads fill them at once (see [`DayRollup::add`]).
pub(crate) const ROLLUP_TASKS: usize = ROLLUP_TABLES.len();

/// Where the rollups of one day of one transaction go.
struct Target {
    root: PathBuf,
    day: i64,
    /// The file name, shared with the packets file the rollups summarise.
    name: String,
    sensor: String,
}

impl Target {
    fn rel(&self, table: &str) -> String {
        let day = crate::writer::day_label(self.day);
        format!("{table}/day={day}/{}", self.name)
    }

    fn add_file(&self, path: String, rows: u64, bytes: u64) -> AddFile {
        AddFile {
            path,
            day: crate::writer::day_label(self.day),
            rows,
            bytes,
            min_ts_ns: self.day * SECONDS_PER_DAY * NS_PER_SECOND,
            max_ts_ns: (self.day + 1) * SECONDS_PER_DAY * NS_PER_SECOND - 1,
        }
    }
}

/// The rollups of one UTC day of one transaction, accumulated batch by batch.
pub(crate) struct DayRollup {
    target: Target,
    traffic: Mutex<TrafficRollup>,
    sources: DaySources,
    backscatter: Mutex<Map<BackscatterKey, u64>>,
}

impl DayRollup {
    /// The rollups of `day` (days since the epoch) of `sensor`, whose files are named `name`
    /// like the packets file they summarise.
    pub(crate) fn new(root: &Path, day: i64, name: &str, sensor: &str) -> Self {
        DayRollup {
            target: Target {
                root: root.to_path_buf(),
                day,
                name: name.to_owned(),
                sensor: sensor.to_owned(),
            },
            traffic: Mutex::default(),
            sources: DaySources::default(),
            backscatter: Mutex::default(),
        }
    }

    /// The day's sources, which the batches of the day count (see [`Batch::count_sources`]).
    pub(crate) fn sources(&self) -> &DaySources {
        &self.sources
    }

    /// Adds a batch of rows of this day to table `task` of [`ROLLUP_TABLES`].
    /// Unenriched rows have no labels: NULL kinds and tools, as in their columns.
    pub(crate) fn add(&self, task: usize, batch: &Batch<'_>) -> Result<(), StoreError> {
        let enriched = batch.context.enricher.is_some();
        match task {
            0 => {
                let sources = batch.source_labels();
                let countries = |i: usize| sources.and_then(|s| s[i].country);
                let mut traffic = self.traffic.lock().expect("one task per table");
                let labels = enriched.then(|| batch.header_labels());
                for (i, row) in batch.rows.iter().enumerate() {
                    let labels = labels.map(|l| l[i]);
                    let (kind, tool) = (labels.map(|l| l.kind), labels.and_then(|l| l.tool));
                    traffic.add(row, countries(i), tool, kind);
                }
                traffic.flush_finished_hours(&self.target)
            }
            1 => {
                batch.count_sources();
                Ok(())
            }
            _ => {
                let mut backscatter = self.backscatter.lock().expect("one task per table");
                if enriched {
                    let rows = batch.rows.iter().zip(batch.header_labels());
                    for (row, _) in rows.filter(|(_, l)| l.kind == TrafficKind::Backscatter) {
                        let p = &row.packet;
                        let key = BackscatterKey {
                            second: row.ts_ns.div_euclid(NS_PER_SECOND),
                            src: p.src,
                            protocol: p.protocol,
                            src_port: p.src_port,
                        };
                        *backscatter.entry(key).or_default() += 1;
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes what was written of the rollups: the transaction failed.
    pub(crate) fn discard(self) {
        let traffic = self.traffic.into_inner().expect("traffic lock");
        if let Some(file) = traffic.file {
            let _ = fs::remove_file(&file.pending);
        }
    }

    /// Writes the rest of the rollups as hidden pending files, the three tables at once, and
    /// returns the non-empty ones for the commit.
    pub(crate) fn write(self) -> Result<Vec<AddFile>, StoreError> {
        let DayRollup {
            target,
            traffic,
            sources,
            backscatter,
        } = self;
        let target = &target;
        let (traffic, others) = std::thread::scope(|scope| {
            let traffic = traffic.into_inner().expect("traffic lock");
            let traffic = scope.spawn(move || traffic.finish(target));
            let (v4, v6) = sources.0.into_inner().expect("sources lock");
            let backscatter = backscatter.into_inner().expect("backscatter lock");
            let others = [
                ("sources", sources_batch(&v4, &v6, target)),
                ("backscatter", backscatter_batch(&backscatter, target)),
            ]
            .map(|(table, batch)| RollupFile::write_whole(target, table, &batch?));
            (
                traffic.join().expect("traffic rollup writer panicked"),
                others,
            )
        });
        std::iter::once(traffic)
            .chain(others)
            .filter_map(Result::transpose)
            .collect()
    }
}

/// The `traffic` cells of a day not yet written, and the file they go to.
#[derive(Default)]
struct TrafficRollup {
    cells: Map<TrafficKey, u64>,
    /// The latest hour seen: captures are in time order, so the cells of earlier hours are
    /// (almost always) complete. A late packet only adds a second row for its cell.
    latest_hour: i32,
    file: Option<RollupFile>,
}

impl TrafficRollup {
    fn add(
        &mut self,
        row: &PacketRow,
        country: Option<CountryCode>,
        tool: Option<u8>,
        kind: Option<TrafficKind>,
    ) {
        let p = &row.packet;
        let hour = row.ts_ns.div_euclid(NS_PER_SECOND * SECONDS_PER_HOUR);
        let hour = i32::try_from(hour).expect("i64 nanoseconds are within ±2.6 M hours");
        self.latest_hour = self.latest_hour.max(hour);
        let key = TrafficKey {
            hour,
            protocol: p.protocol,
            port: p.dst_port.or(p.icmp_type.map(u16::from)),
            country,
            tool,
            kind,
        };
        *self.cells.entry(key).or_default() += 1;
    }

    /// Once the map is full, writes the cells of the hours before the latest; if it is still
    /// full (one hour of that many cells), writes them all.
    fn flush_finished_hours(&mut self, target: &Target) -> Result<(), StoreError> {
        if self.cells.len() < TRAFFIC_FLUSH_CELLS {
            return Ok(());
        }
        let latest = self.latest_hour;
        self.flush(target, |key| key.hour < latest)?;
        if self.cells.len() >= TRAFFIC_FLUSH_CELLS {
            self.flush(target, |_| true)?;
        }
        Ok(())
    }

    /// Writes (and forgets) the cells whose key is `done`, in key order.
    fn flush(
        &mut self,
        target: &Target,
        done: impl Fn(&TrafficKey) -> bool,
    ) -> Result<(), StoreError> {
        let mut cells: Vec<(TrafficKey, u64)> = self.cells.extract_if(|key, _| done(key)).collect();
        if cells.is_empty() {
            return Ok(());
        }
        // Sorted so that runs of equal values compress and hours are in order; each cell's
        // number computed once, not at each of its comparisons (a quarter of the flush).
        cells.sort_by_cached_key(|(key, _)| key.order());
        let batch = traffic_batch(&cells, &target.sensor)?;
        let file = match &mut self.file {
            Some(file) => file,
            None => self
                .file
                .insert(RollupFile::create(target, "traffic", &TRAFFIC_SCHEMA)?),
        };
        file.write(&batch)
    }

    fn finish(mut self, target: &Target) -> Result<Option<AddFile>, StoreError> {
        self.flush(target, |_| true)?;
        self.file.map(|file| file.finish(target)).transpose()
    }
}

impl TrafficKey {
    /// The key as one number, in the order of hour, protocol, port, country, tool and kind: a
    /// day's cells sort several times faster on it than on the fields.
    fn order(&self) -> u128 {
        // Each optional field is its value with a presence bit above it, so NULL sorts first.
        let hour = u128::from(self.hour.wrapping_sub(i32::MIN) as u32);
        let port = self.port.map_or(0, |p| (1 << 16) | u128::from(p));
        let country = self.country.map_or(0, |c| {
            let [a, b] = c.as_bytes();
            (1 << 16) | u128::from(a) << 8 | u128::from(b)
        });
        let tool = self.tool.map_or(0, |t| (1 << 8) | u128::from(t));
        let kind = self.kind.map_or(0, |k| (1 << 8) | k as u128);
        hour << 96
            | u128::from(self.protocol) << 88
            | port << 64
            | country << 40
            | tool << 16
            | kind
    }
}

fn traffic_batch(cells: &[(TrafficKey, u64)], sensor: &str) -> Result<RecordBatch, StoreError> {
    let columns: Vec<ArrayRef> = vec![
        seconds(
            cells
                .iter()
                .map(|(k, _)| i64::from(k.hour) * SECONDS_PER_HOUR),
        ),
        repeated(sensor, cells.len()),
        Arc::new(UInt8Array::from_iter_values(
            cells.iter().map(|(k, _)| k.protocol),
        )),
        Arc::new(UInt16Array::from_iter(cells.iter().map(|(k, _)| k.port))),
        countries(cells.iter().map(|(k, _)| k.country)),
        labels(cells.iter().map(|(k, _)| k.tool.map(tools::name))),
        labels(cells.iter().map(|(k, _)| k.kind.map(TrafficKind::as_str))),
        counts(cells.iter().map(|(_, n)| *n)),
    ];
    batch(&TRAFFIC_SCHEMA, columns)
}

fn sources_batch(
    v4: &Map<u32, SourceCount>,
    v6: &Map<u128, SourceCount>,
    target: &Target,
) -> Result<RecordBatch, StoreError> {
    let v4 = sorted(v4);
    let v6 = sorted(v6);
    let n = v4.len() + v6.len();
    // IPv4 before IPv6, each in address order: the order of `IpAddr`.
    let rows = || {
        let v4 = v4
            .iter()
            .map(|&(a, c)| (IpAddr::from(Ipv4Addr::from_bits(a)), c));
        v4.chain(v6.iter().map(|&(a, c)| (Ipv6Addr::from_bits(a).into(), c)))
    };
    let day = i32::try_from(target.day).unwrap_or(i32::MAX);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Date32Array::from_iter_values(std::iter::repeat_n(day, n))),
        repeated(&target.sensor, n),
        addresses(rows().map(|(addr, _)| addr)),
        countries(rows().map(|(_, (labels, _))| labels.country)),
        counts(rows().map(|(_, (_, packets))| packets)),
    ];
    batch(&SOURCES_SCHEMA, columns)
}

fn backscatter_batch(
    backscatter: &Map<BackscatterKey, u64>,
    target: &Target,
) -> Result<RecordBatch, StoreError> {
    let mut rows: Vec<(&BackscatterKey, &u64)> = backscatter.iter().collect();
    rows.sort_unstable_by_key(|(k, _)| (k.src, k.second));
    let columns: Vec<ArrayRef> = vec![
        seconds(rows.iter().map(|(k, _)| k.second)),
        repeated(&target.sensor, rows.len()),
        addresses(rows.iter().map(|(k, _)| k.src)),
        Arc::new(UInt8Array::from_iter_values(
            rows.iter().map(|(k, _)| k.protocol),
        )),
        Arc::new(UInt16Array::from_iter(rows.iter().map(|(k, _)| k.src_port))),
        counts(rows.iter().map(|(_, n)| **n)),
    ];
    batch(&BACKSCATTER_SCHEMA, columns)
}

/// A rollup table's file of one day, written batch by batch to its hidden pending name.
struct RollupFile {
    writer: ArrowWriter<fs::File>,
    rel: String,
    pending: PathBuf,
    rows: u64,
}

impl RollupFile {
    fn create(target: &Target, table: &str, schema: &SchemaRef) -> Result<Self, StoreError> {
        let rel = target.rel(table);
        let (writer, pending) = create_parquet(&target.root.join(&rel), schema)?;
        Ok(RollupFile {
            writer,
            rel,
            pending,
            rows: 0,
        })
    }

    /// The file of `batch` alone, or None when it is empty.
    fn write_whole(
        target: &Target,
        table: &str,
        batch: &RecordBatch,
    ) -> Result<Option<AddFile>, StoreError> {
        if batch.num_rows() == 0 {
            return Ok(None);
        }
        let mut file = RollupFile::create(target, table, &batch.schema())?;
        file.write(batch)?;
        file.finish(target).map(Some)
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<(), StoreError> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(batch)
            .map_err(|e| StoreError::parquet(&self.pending, e))
    }

    fn finish(self, target: &Target) -> Result<AddFile, StoreError> {
        let bytes = finish_parquet(self.writer, &self.pending)?;
        Ok(target.add_file(self.rel, self.rows, bytes))
    }
}

/// The sources of one day by address, IPv4 apart (a `u32` key is a quarter of an `IpAddr`, and
/// a day of random sources is millions of them), with their packets and labels.
///
/// Also the per-address cache of the sources' labels (country, autonomous system): darknet
/// sources repeat (the 10 M packets of `hirundo bench synth` come from 50 k addresses), so a
/// source is looked up once a day, when it is first counted, and every later packet of it
/// finds its labels in the entry that counting has to find anyway.
#[derive(Default)]
pub(crate) struct DaySources(Mutex<(Map<u32, SourceCount>, Map<u128, SourceCount>)>);

impl DaySources {
    /// Counts the rows' sources; with an enricher, also returns each row's source labels.
    pub(crate) fn count(
        &self,
        rows: &[PacketRow],
        enricher: Option<&Enricher>,
    ) -> Option<Vec<SourceLabels>> {
        let (v4, v6) = &mut *self.0.lock().expect("one batch counts at a time");
        let locate =
            |addr: IpAddr| enricher.map_or_else(SourceLabels::default, |e| e.source_labels(addr));
        let mut count = |row: &PacketRow| match row.packet.src {
            IpAddr::V4(a) => count_source(v4, a.to_bits(), || locate(IpAddr::V4(a))),
            IpAddr::V6(a) => count_source(v6, a.to_bits(), || locate(IpAddr::V6(a))),
        };
        match enricher {
            Some(_) => Some(rows.iter().map(count).collect()),
            None => {
                rows.iter().for_each(|row| {
                    count(row);
                });
                None
            }
        }
    }
}

/// Adds a packet of `addr`, whose labels `locate` finds if it is new; returns its labels.
#[inline]
fn count_source<K: Hash + Eq>(
    map: &mut Map<K, SourceCount>,
    addr: K,
    locate: impl FnOnce() -> SourceLabels,
) -> SourceLabels {
    let entry = map.entry(addr).or_insert_with(|| (locate(), 0));
    entry.1 += 1;
    entry.0
}

/// The entries of `map` in key order.
fn sorted<K: Ord + Copy, V: Copy>(map: &Map<K, V>) -> Vec<(K, V)> {
    let mut entries: Vec<(K, V)> = map.iter().map(|(k, v)| (*k, *v)).collect();
    entries.sort_unstable_by_key(|(k, _)| *k);
    entries
}

fn seconds(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(TimestampSecondArray::from_iter_values(values).with_timezone(TS_ZONE))
}

fn repeated(value: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, n)))
}

// Text columns are written straight into their buffers: a `String` per row was a
// million allocations for a day's traffic cells.

fn countries(values: impl Iterator<Item = Option<CountryCode>>) -> ArrayRef {
    let (n, _) = values.size_hint();
    let mut text = Text::nullable(n, n * 2);
    values.for_each(|c| text.push_option(c.as_ref().map(CountryCode::as_str)));
    text.finish()
}

fn labels(values: impl Iterator<Item = Option<&'static str>>) -> ArrayRef {
    let (n, _) = values.size_hint();
    let mut text = Text::nullable(n, n * 8);
    values.for_each(|label| text.push_option(label));
    text.finish()
}

fn addresses(values: impl Iterator<Item = IpAddr>) -> ArrayRef {
    let (n, _) = values.size_hint();
    let mut text = Text::required(n, n * 15);
    values.for_each(|addr| text.push_addr(addr));
    text.finish()
}

fn counts(values: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(values))
}

fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch, StoreError> {
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Writes `batch` to the pending name of `target`, synced; returns its size.
pub(crate) fn write_parquet(target: &Path, batch: &RecordBatch) -> Result<u64, StoreError> {
    let (mut writer, pending) = create_parquet(target, &batch.schema())?;
    writer
        .write(batch)
        .map_err(|e| StoreError::parquet(&pending, e))?;
    finish_parquet(writer, &pending)
}

/// A Parquet writer of the pending name of `target` (returned beside it), its directory made.
fn create_parquet(
    target: &Path,
    schema: &SchemaRef,
) -> Result<(ArrowWriter<fs::File>, PathBuf), StoreError> {
    let dir = target.parent().expect("rollup file has a day directory");
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let pending = pending_path(target);
    let file = fs::File::create(&pending).map_err(|e| StoreError::io(&pending, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let writer = ArrowWriter::try_new(file, schema.clone(), Some(props))
        .map_err(|e| StoreError::parquet(&pending, e))?;
    Ok((writer, pending))
}

/// Closes the file of `writer` and syncs it; returns its size.
fn finish_parquet(writer: ArrowWriter<fs::File>, pending: &Path) -> Result<u64, StoreError> {
    let file = writer
        .into_inner()
        .map_err(|e| StoreError::parquet(pending, e))?;
    file.sync_all().map_err(|e| StoreError::io(pending, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| StoreError::io(pending, e))?
        .len();
    Ok(bytes)
}

fn timestamp_seconds() -> DataType {
    DataType::Timestamp(TimeUnit::Second, Some(TS_ZONE.into()))
}

static TRAFFIC_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("hour", timestamp_seconds(), false),
        Field::new("sensor", DataType::Utf8, false),
        Field::new("protocol", DataType::UInt8, false),
        Field::new("port", DataType::UInt16, true),
        Field::new("src_country", DataType::Utf8, true),
        Field::new("tool", DataType::Utf8, true),
        Field::new("traffic_kind", DataType::Utf8, true),
        Field::new("packets", DataType::UInt64, false),
    ]))
});

static SOURCES_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("day", DataType::Date32, false),
        Field::new("sensor", DataType::Utf8, false),
        Field::new("src", DataType::Utf8, false),
        Field::new("src_country", DataType::Utf8, true),
        Field::new("packets", DataType::UInt64, false),
    ]))
});

static BACKSCATTER_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    Arc::new(Schema::new(vec![
        Field::new("second", timestamp_seconds(), false),
        Field::new("sensor", DataType::Utf8, false),
        Field::new("src", DataType::Utf8, false),
        Field::new("protocol", DataType::UInt8, false),
        Field::new("src_port", DataType::UInt16, true),
        Field::new("packets", DataType::UInt64, false),
    ]))
});

/// The schema of rollup `table` (one of [`ROLLUP_TABLES`]).
pub fn rollup_schema(table: &str) -> Option<SchemaRef> {
    match table {
        "traffic" => Some(TRAFFIC_SCHEMA.clone()),
        "sources" => Some(SOURCES_SCHEMA.clone()),
        "backscatter" => Some(BACKSCATTER_SCHEMA.clone()),
        _ => None,
    }
}
