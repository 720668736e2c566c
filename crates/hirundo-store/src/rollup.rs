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
use std::net::IpAddr;
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

use crate::log::AddFile;
use crate::schema::{Batch, PacketRow, TS_ZONE};
use crate::writer::pending_path;
use crate::StoreError;

const NS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_HOUR: i64 = 3_600;
const SECONDS_PER_DAY: i64 = 86_400;

/// The names of the rollup tables, as queried in SQL.
pub const ROLLUP_TABLES: [&str; 3] = ["traffic", "sources", "backscatter"];

/// One cell of the `traffic` cube.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct TrafficKey {
    hour: i64,
    protocol: u8,
    port: Option<u16>,
    country: Option<CountryCode>,
    tool: Option<&'static str>,
    kind: Option<TrafficKind>,
}

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
    traffic: HashMap<TrafficKey, u64>,
    sources: HashMap<IpAddr, (Option<CountryCode>, u64)>,
    backscatter: HashMap<BackscatterKey, u64>,
}

impl DayRollup {
    /// Adds a batch of rows of this day.
    pub(crate) fn add(&mut self, batch: &Batch<'_>) {
        let enriched = batch.context.enricher.is_some();
        let countries = batch.countries();
        let kinds = batch.kinds();
        for (i, row) in batch.rows.iter().enumerate() {
            let country = countries.and_then(|c| c[i]);
            let kind = kinds[i];
            self.add_row(row, country, enriched.then_some(kind));
        }
    }

    fn add_row(
        &mut self,
        row: &PacketRow,
        country: Option<CountryCode>,
        kind: Option<TrafficKind>,
    ) {
        let p = &row.packet;
        let second = row.ts_ns.div_euclid(NS_PER_SECOND);
        let key = TrafficKey {
            hour: second.div_euclid(SECONDS_PER_HOUR),
            protocol: p.protocol,
            port: p.dst_port.or(p.icmp_type.map(u16::from)),
            country,
            tool: kind.and_then(|k| hirundo_enrich::tool(p, k)),
            kind,
        };
        *self.traffic.entry(key).or_default() += 1;
        self.sources.entry(p.src).or_insert((country, 0)).1 += 1;
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
            seconds(cells.iter().map(|(k, _)| k.hour * SECONDS_PER_HOUR)),
            repeated(sensor, cells.len()),
            Arc::new(UInt8Array::from_iter_values(
                cells.iter().map(|(k, _)| k.protocol),
            )),
            Arc::new(UInt16Array::from_iter(cells.iter().map(|(k, _)| k.port))),
            countries(cells.iter().map(|(k, _)| k.country)),
            Arc::new(StringArray::from_iter(cells.iter().map(|(k, _)| k.tool))),
            Arc::new(StringArray::from_iter(
                cells.iter().map(|(k, _)| k.kind.map(TrafficKind::as_str)),
            )),
            counts(cells.iter().map(|(_, n)| **n)),
        ];
        batch(&TRAFFIC_SCHEMA, columns)
    }

    fn sources_batch(&self, day: i64, sensor: &str) -> Result<RecordBatch, StoreError> {
        let mut rows: Vec<(&IpAddr, &(Option<CountryCode>, u64))> = self.sources.iter().collect();
        rows.sort_unstable_by_key(|(addr, _)| **addr);
        let day = i32::try_from(day).unwrap_or(i32::MAX);
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Date32Array::from_iter_values(std::iter::repeat_n(
                day,
                rows.len(),
            ))),
            repeated(sensor, rows.len()),
            addresses(rows.iter().map(|(addr, _)| **addr)),
            countries(rows.iter().map(|(_, (c, _))| *c)),
            counts(rows.iter().map(|(_, (_, n))| *n)),
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

fn seconds(values: impl Iterator<Item = i64>) -> ArrayRef {
    Arc::new(TimestampSecondArray::from_iter_values(values).with_timezone(TS_ZONE))
}

fn repeated(value: &str, n: usize) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, n)))
}

fn countries(values: impl Iterator<Item = Option<CountryCode>>) -> ArrayRef {
    Arc::new(StringArray::from_iter(
        values.map(|c| c.map(|c| c.as_str().to_owned())),
    ))
}

fn addresses(values: impl Iterator<Item = IpAddr>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values.map(|a| a.to_string())))
}

fn counts(values: impl Iterator<Item = u64>) -> ArrayRef {
    Arc::new(UInt64Array::from_iter_values(values))
}

fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch, StoreError> {
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}

/// Writes `batch` to the pending name of `target`, synced; returns its size.
fn write_parquet(target: &Path, batch: &RecordBatch) -> Result<u64, StoreError> {
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
