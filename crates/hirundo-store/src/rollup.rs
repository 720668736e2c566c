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
use std::path::Path;
use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, Date32Array, RecordBatch, StringArray, TimestampSecondArray, UInt16Array,
    UInt64Array, UInt8Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use hirundo_enrich::TrafficKind;
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
    /// Index in [`DayRollup::tools`]: a `&str` would take 16 bytes.
    tool: Option<u8>,
    kind: Option<TrafficKind>,
}

const _: () = assert!(std::mem::size_of::<TrafficKey>() == 16);

/// Packets of one source, and its country.
type SourceCount = (Option<CountryCode>, u64);

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct BackscatterKey {
    second: i64,
    src: IpAddr,
    protocol: u8,
    src_port: Option<u16>,
}

/// The rollups of one UTC day of one transaction, accumulated batch by batch.
#[derive(Default)]
pub(crate) struct DayRollup {
    traffic: Map<TrafficKey, u64>,
    /// The tools named in `traffic`, in order of appearance.
    tools: Vec<&'static str>,
    /// Sources by address, IPv4 apart: a `u32` key is a quarter of an `IpAddr`, and a day of
    /// random sources is millions of them.
    sources_v4: Map<u32, SourceCount>,
    sources_v6: Map<u128, SourceCount>,
    backscatter: Map<BackscatterKey, u64>,
}

impl DayRollup {
    /// Adds a batch of rows of this day.
    pub(crate) fn add(&mut self, batch: &Batch<'_>) {
        // Unenriched rows have no labels: NULL kinds and tools, as in their columns.
        let enriched = batch.context.enricher.is_some();
        let countries = batch.countries();
        let kinds = enriched.then(|| batch.kinds());
        let tools = enriched.then(|| batch.tools());
        for (i, row) in batch.rows.iter().enumerate() {
            let country = countries.and_then(|c| c[i]);
            let tool = tools.and_then(|t| t[i]).map(|t| self.tool_index(t));
            self.add_row(row, country, tool, kinds.map(|k| k[i]));
        }
    }

    /// The index of `tool` in `self.tools`, added if new: a handful of tools, so a scan.
    fn tool_index(&mut self, tool: &'static str) -> u8 {
        let i = match self.tools.iter().position(|&t| t == tool) {
            Some(i) => i,
            None => {
                self.tools.push(tool);
                self.tools.len() - 1
            }
        };
        u8::try_from(i).expect("fewer than 256 tools")
    }

    fn add_row(
        &mut self,
        row: &PacketRow,
        country: Option<CountryCode>,
        tool: Option<u8>,
        kind: Option<TrafficKind>,
    ) {
        let p = &row.packet;
        let second = row.ts_ns.div_euclid(NS_PER_SECOND);
        let hour = second.div_euclid(SECONDS_PER_HOUR);
        let key = TrafficKey {
            hour: i32::try_from(hour).expect("i64 nanoseconds are within ±2.6 M hours"),
            protocol: p.protocol,
            port: p.dst_port.or(p.icmp_type.map(u16::from)),
            country,
            tool,
            kind,
        };
        *self.traffic.entry(key).or_default() += 1;
        match p.src {
            IpAddr::V4(a) => count_source(&mut self.sources_v4, a.to_bits(), country),
            IpAddr::V6(a) => count_source(&mut self.sources_v6, a.to_bits(), country),
        }
        if kind == Some(TrafficKind::Backscatter) {
            let key = BackscatterKey {
                second,
                src: p.src,
                protocol: p.protocol,
                src_port: p.src_port,
            };
            *self.backscatter.entry(key).or_default() += 1;
        }
    }

    /// Writes the non-empty rollups of `day` (days since the epoch) as hidden pending files
    /// named after the packets file `name`, and returns them for the commit.
    pub(crate) fn write(
        self,
        root: &Path,
        day: i64,
        name: &str,
        sensor: &str,
    ) -> Result<Vec<AddFile>, StoreError> {
        let day_label = crate::writer::day_label(day);
        let mut adds = Vec::new();
        let tables = [
            ("traffic", self.traffic_batch(sensor)?),
            ("sources", self.sources_batch(day, sensor)?),
            ("backscatter", self.backscatter_batch(sensor)?),
        ];
        for (table, batch) in tables {
            if batch.num_rows() == 0 {
                continue;
            }
            let rel = format!("{table}/day={day_label}/{name}");
            let rows = batch.num_rows() as u64;
            let bytes = write_parquet(&root.join(&rel), &batch)?;
            adds.push(AddFile {
                path: rel,
                day: day_label.clone(),
                rows,
                bytes,
                min_ts_ns: day * SECONDS_PER_DAY * NS_PER_SECOND,
                max_ts_ns: (day + 1) * SECONDS_PER_DAY * NS_PER_SECOND - 1,
            });
        }
        Ok(adds)
    }

    fn traffic_batch(&self, sensor: &str) -> Result<RecordBatch, StoreError> {
        let mut cells: Vec<(&TrafficKey, &u64)> = self.traffic.iter().collect();
        // Sorted so that runs of equal values compress and hours are in order.
        cells.sort_unstable_by_key(|(k, _)| (k.hour, k.protocol, k.port, k.country));
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
            Arc::new(StringArray::from_iter(
                cells
                    .iter()
                    .map(|(k, _)| k.tool.map(|t| self.tools[usize::from(t)])),
            )),
            Arc::new(StringArray::from_iter(
                cells.iter().map(|(k, _)| k.kind.map(TrafficKind::as_str)),
            )),
            counts(cells.iter().map(|(_, n)| **n)),
        ];
        batch(&TRAFFIC_SCHEMA, columns)
    }

    fn sources_batch(&self, day: i64, sensor: &str) -> Result<RecordBatch, StoreError> {
        let v4 = sorted(&self.sources_v4);
        let v6 = sorted(&self.sources_v6);
        let n = v4.len() + v6.len();
        // IPv4 before IPv6, each in address order: the order of `IpAddr`.
        let rows = || {
            let v4 = v4
                .iter()
                .map(|&(a, c)| (IpAddr::from(Ipv4Addr::from_bits(a)), c));
            v4.chain(v6.iter().map(|&(a, c)| (Ipv6Addr::from_bits(a).into(), c)))
        };
        let day = i32::try_from(day).unwrap_or(i32::MAX);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Date32Array::from_iter_values(std::iter::repeat_n(day, n))),
            repeated(sensor, n),
            addresses(rows().map(|(addr, _)| addr)),
            countries(rows().map(|(_, (country, _))| country)),
            counts(rows().map(|(_, (_, packets))| packets)),
        ];
        batch(&SOURCES_SCHEMA, columns)
    }

    fn backscatter_batch(&self, sensor: &str) -> Result<RecordBatch, StoreError> {
        let mut rows: Vec<(&BackscatterKey, &u64)> = self.backscatter.iter().collect();
        rows.sort_unstable_by_key(|(k, _)| (k.src, k.second));
        let columns: Vec<ArrayRef> = vec![
            seconds(rows.iter().map(|(k, _)| k.second)),
            repeated(sensor, rows.len()),
            addresses(rows.iter().map(|(k, _)| k.src)),
            Arc::new(UInt8Array::from_iter_values(
                rows.iter().map(|(k, _)| k.protocol),
            )),
            Arc::new(UInt16Array::from_iter(rows.iter().map(|(k, _)| k.src_port))),
            counts(rows.iter().map(|(_, n)| **n)),
        ];
        batch(&BACKSCATTER_SCHEMA, columns)
    }
}

fn count_source<K: Hash + Eq>(
    map: &mut Map<K, SourceCount>,
    addr: K,
    country: Option<CountryCode>,
) {
    map.entry(addr).or_insert((country, 0)).1 += 1;
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
    let dir = target.parent().expect("rollup file has a day directory");
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let pending = pending_path(target);
    let file = fs::File::create(&pending).map_err(|e| StoreError::io(&pending, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let parquet_error = |e| StoreError::parquet(&pending, e);
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(parquet_error)?;
    writer.write(batch).map_err(parquet_error)?;
    let file = writer.into_inner().map_err(parquet_error)?;
    file.sync_all().map_err(|e| StoreError::io(&pending, e))?;
    let bytes = file
        .metadata()
        .map_err(|e| StoreError::io(&pending, e))?
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
