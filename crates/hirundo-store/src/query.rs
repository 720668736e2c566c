//! SQL over the store through DataFusion. Tables:
//!
//! - `packets`: one row per stored packet ([`crate::packets_schema`]), the committed data files;
//! - `files`: one row per ingested capture file (the log's bookkeeping);
//! - `frame_counts`: per file, frames that are not stored as packets, by category
//!   (`malformed`, `non_ip`, `unsupported_link`) and kind.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampNanosecondArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::log::{Commit, FileEntry};
use crate::schema::{packets_schema, TS_ZONE};
use crate::writer::pending_path;
use crate::{Store, StoreError};

/// How `hirundo query` prints results.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

impl Store {
    /// Runs one SQL statement over the committed data and returns its result.
    pub fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, StoreError> {
        let commits = self.commits()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| StoreError::io(self.root(), e))?;
        runtime.block_on(async {
            let ctx = self.session(&commits)?;
            Ok(ctx.sql(sql).await?.collect().await?)
        })
    }

    fn session(&self, commits: &[Commit]) -> Result<SessionContext, StoreError> {
        let config = SessionConfig::new()
            .with_target_partitions(2)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        ctx.register_table("packets", self.packets_table(commits)?)?;
        let files: Vec<(u64, &FileEntry)> = commits
            .iter()
            .flat_map(|c| c.files.iter().map(move |f| (c.version, f)))
            .collect();
        ctx.register_table("files", Arc::new(files_table(&files)?))?;
        ctx.register_table("frame_counts", Arc::new(frame_counts_table(&files)?))?;
        Ok(ctx)
    }

    /// The committed data files as one listing table. A file still under its pending name
    /// (its writer died between commit and rename, and this process may not write) is read
    /// there.
    fn packets_table(&self, commits: &[Commit]) -> Result<Arc<dyn TableProvider>, StoreError> {
        let mut urls = Vec::new();
        for add in commits.iter().flat_map(|c| &c.add) {
            let path = self.root().join(&add.path);
            let path = if path.exists() {
                path
            } else {
                pending_path(&path)
            };
            let path = std::path::absolute(&path).map_err(|e| StoreError::io(&path, e))?;
            urls.push(ListingTableUrl::parse(path.to_string_lossy())?);
        }
        if urls.is_empty() {
            return Ok(Arc::new(MemTable::try_new(packets_schema(), vec![vec![]])?));
        }
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(packets_schema());
        Ok(Arc::new(ListingTable::try_new(config)?))
    }
}

fn files_table(files: &[(u64, &FileEntry)]) -> Result<MemTable, StoreError> {
    let text = |f: &dyn Fn(&FileEntry) -> Option<String>| -> ArrayRef {
        Arc::new(files.iter().map(|(_, e)| f(e)).collect::<StringArray>())
    };
    let count = |f: &dyn Fn(&FileEntry) -> u64| -> ArrayRef {
        Arc::new(files.iter().map(|(_, e)| f(e)).collect::<UInt64Array>())
    };
    let ts = |f: &dyn Fn(&FileEntry) -> Option<i64>| -> ArrayRef {
        let values: TimestampNanosecondArray = files.iter().map(|(_, e)| f(e)).collect();
        Arc::new(values.with_timezone(TS_ZONE))
    };
    let ts_type = DataType::Timestamp(TimeUnit::Nanosecond, Some(TS_ZONE.into()));
    let schema = Arc::new(Schema::new(vec![
        Field::new("hash", DataType::Utf8, true),
        Field::new("path", DataType::Utf8, true),
        Field::new("sensor", DataType::Utf8, true),
        Field::new("status", DataType::Utf8, true),
        Field::new("error", DataType::Utf8, true),
        Field::new("format", DataType::Utf8, true),
        Field::new("bytes", DataType::UInt64, true),
        Field::new("frames", DataType::UInt64, true),
        Field::new("packets", DataType::UInt64, true),
        Field::new("later_fragments", DataType::UInt64, true),
        Field::new("malformed", DataType::UInt64, true),
        Field::new("first_ts", ts_type.clone(), true),
        Field::new("last_ts", ts_type, true),
        Field::new("commit_version", DataType::UInt64, true),
    ]));
    let versions: ArrayRef = Arc::new(files.iter().map(|(v, _)| Some(*v)).collect::<UInt64Array>());
    let columns = vec![
        text(&|e| Some(e.hash.clone())),
        text(&|e| Some(e.path.clone())),
        text(&|e| Some(e.sensor.clone())),
        text(&|e| Some(format!("{:?}", e.status).to_lowercase())),
        text(&|e| e.error.clone()),
        text(&|e| Some(e.format.clone())),
        count(&|e| e.bytes),
        count(&|e| e.frames),
        count(&|e| e.packets),
        count(&|e| e.later_fragments),
        count(&|e| e.malformed_total()),
        ts(&|e| e.first_ts_ns),
        ts(&|e| e.last_ts_ns),
        versions,
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

fn frame_counts_table(files: &[(u64, &FileEntry)]) -> Result<MemTable, StoreError> {
    let mut hash = Vec::new();
    let mut sensor = Vec::new();
    let mut category = Vec::new();
    let mut kind = Vec::new();
    let mut frames = Vec::new();
    for (_, entry) in files {
        let groups = [
            ("malformed", &entry.malformed),
            ("non_ip", &entry.non_ip),
            ("unsupported_link", &entry.unsupported_link),
        ];
        for (name, counts) in groups {
            for (k, n) in counts {
                hash.push(entry.hash.clone());
                sensor.push(entry.sensor.clone());
                category.push(name);
                kind.push(k.clone());
                frames.push(*n);
            }
        }
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new("file_hash", DataType::Utf8, false),
        Field::new("sensor", DataType::Utf8, false),
        Field::new("category", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("frames", DataType::UInt64, false),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(hash)),
        Arc::new(StringArray::from(sensor)),
        Arc::new(StringArray::from(category)),
        Arc::new(StringArray::from(kind)),
        Arc::new(UInt64Array::from(frames)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
}

/// Writes query results to `out` as an aligned table, CSV with a header, or a JSON array of
/// objects.
pub fn print_batches(
    batches: &[RecordBatch],
    format: OutputFormat,
    out: &mut dyn Write,
) -> Result<(), StoreError> {
    match format {
        OutputFormat::Table => {
            writeln!(
                out,
                "{}",
                arrow::util::pretty::pretty_format_batches(batches)?
            )
            .map_err(arrow::error::ArrowError::from)?;
        }
        OutputFormat::Csv => {
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            batches.iter().try_for_each(|b| writer.write(b))?;
        }
        OutputFormat::Json => {
            let mut writer = arrow::json::ArrayWriter::new(&mut *out);
            let refs: Vec<&RecordBatch> = batches.iter().collect();
            writer.write_batches(&refs)?;
            writer.finish()?;
            writeln!(out).map_err(arrow::error::ArrowError::from)?;
        }
    }
    Ok(())
}
