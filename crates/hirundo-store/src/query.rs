//! SQL over the store through DataFusion. Tables:
//!
//! - `packets`: one row per stored packet ([`crate::packets_schema`]), the committed data files;
//! - `files`: one row per ingested capture file (the log's bookkeeping);
//! - `frame_counts`: per file, frames that are not stored as packets, by category
//!   (`malformed`, `non_ip`, `unsupported_link`) and kind.
//!
//! Callers add functions and tables of their own per query ([`Store::query_with`]): the
//! command registers `research_scanner(src)` and `scanners` this way, so that the store knows
//! nothing of what they mean and attribution follows the list given at query time.

use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, AsArray, RecordBatch, StringArray, TimestampNanosecondArray, UInt64Array,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::logical_expr::{create_udf, ColumnarValue, ScalarUDF, Volatility};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;

use crate::honeypot::{honeypot_schema, HONEYPOT_TABLE};
use crate::log::{AddFile, Commit, FileEntry};
use crate::rollup::{rollup_schema, ROLLUP_TABLES};
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

/// Who runs an address, if anyone known: the answer of an SQL function over address text.
pub type AddressLookup = Arc<dyn Fn(IpAddr) -> Option<Arc<str>> + Send + Sync>;

/// A table of text columns a caller adds to a query: name, column names, rows (each as long
/// as the columns; None is NULL).
pub type TextTable<'a> = (&'a str, &'a [&'a str], Vec<Vec<Option<String>>>);

impl Store {
    /// Runs one SQL statement over the committed data and returns its result.
    pub fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, StoreError> {
        self.query_with(sql, &[], Vec::new())
    }

    /// Like [`Store::query`], with extra SQL: each `(name, lookup)` of `functions` becomes
    /// `name(address_text)`, returning the lookup's text for a parsable address and NULL
    /// otherwise; each of `tables` is queryable by its name.
    pub fn query_with(
        &self,
        sql: &str,
        functions: &[(&str, AddressLookup)],
        tables: Vec<TextTable>,
    ) -> Result<Vec<RecordBatch>, StoreError> {
        let reader = self.reader(None)?;
        for (name, lookup) in functions {
            reader.add_function(name, lookup.clone());
        }
        for table in tables {
            reader.add_table(table)?;
        }
        reader.sql(sql)
    }

    /// A reader for many queries over the data committed now. With `days` (UTC days,
    /// `YYYY-MM-DD`, inclusive), the `packets` and rollup tables hold only those days' files:
    /// the cheapest pruning there is, done before any file is opened.
    pub fn reader(&self, days: Option<(&str, &str)>) -> Result<Reader, StoreError> {
        let commits = self.commits()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| StoreError::io(self.root(), e))?;
        let ctx = runtime.block_on(async { self.session(&commits, days) })?;
        Ok(Reader { runtime, ctx })
    }

    fn session(
        &self,
        commits: &[Commit],
        days: Option<(&str, &str)>,
    ) -> Result<SessionContext, StoreError> {
        let config = SessionConfig::new()
            .with_target_partitions(2)
            .with_information_schema(true);
        let ctx = SessionContext::new_with_config(config);
        let in_days = |add: &&AddFile| {
            days.is_none_or(|(first, last)| (first..=last).contains(&add.day.as_str()))
        };
        let adds: Vec<&AddFile> = commits
            .iter()
            .flat_map(|c| &c.add)
            .filter(in_days)
            .collect();
        ctx.register_table("packets", self.table(&adds, "packets", packets_schema())?)?;
        for name in ROLLUP_TABLES {
            let schema = rollup_schema(name).expect("every rollup has a schema");
            ctx.register_table(name, self.table(&adds, name, schema)?)?;
        }
        let honeypot = self.table(&adds, HONEYPOT_TABLE, honeypot_schema())?;
        ctx.register_table(HONEYPOT_TABLE, honeypot)?;
        let files: Vec<(u64, &FileEntry)> = commits
            .iter()
            .flat_map(|c| c.files.iter().map(move |f| (c.version, f)))
            .collect();
        ctx.register_table("files", Arc::new(files_table(&files)?))?;
        ctx.register_table("frame_counts", Arc::new(frame_counts_table(&files)?))?;
        Ok(ctx)
    }

    /// The committed data files of table `name` (the first component of their paths) as one
    /// listing table. A file still under its pending name (its writer died between commit
    /// and rename, and this process may not write) is read there.
    fn table(
        &self,
        adds: &[&AddFile],
        name: &str,
        schema: SchemaRef,
    ) -> Result<Arc<dyn TableProvider>, StoreError> {
        let prefix = format!("{name}/");
        let mut urls = Vec::new();
        for add in adds.iter().filter(|a| a.path.starts_with(&prefix)) {
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
            return Ok(Arc::new(MemTable::try_new(schema, vec![vec![]])?));
        }
        let options =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension("");
        let config = ListingTableConfig::new_with_multi_paths(urls)
            .with_listing_options(options)
            .with_schema(schema);
        Ok(Arc::new(ListingTable::try_new(config)?))
    }
}

/// Queries over one snapshot of the store, with the caller's functions and tables.
pub struct Reader {
    runtime: tokio::runtime::Runtime,
    ctx: SessionContext,
}

impl Reader {
    /// Adds `name(address_text)`: see [`Store::query_with`].
    pub fn add_function(&self, name: &str, lookup: AddressLookup) {
        self.ctx.register_udf(address_function(name, lookup));
    }

    /// Adds a table of text columns.
    pub fn add_table(&self, (name, columns, rows): TextTable) -> Result<(), StoreError> {
        self.ctx
            .register_table(name, Arc::new(text_table(columns, rows)?))?;
        Ok(())
    }

    /// Runs one SQL statement.
    pub fn sql(&self, sql: &str) -> Result<Vec<RecordBatch>, StoreError> {
        self.runtime
            .block_on(async { Ok(self.ctx.sql(sql).await?.collect().await?) })
    }

    /// Runs one SQL statement and hands its result to `each` batch by batch, as they are
    /// made: memory stays at a few batches whatever the size of the result.
    pub fn for_each_batch<E: From<StoreError>>(
        &self,
        sql: &str,
        mut each: impl FnMut(&RecordBatch) -> Result<(), E>,
    ) -> Result<(), E> {
        use futures::StreamExt;
        self.runtime.block_on(async {
            let frame = self.ctx.sql(sql).await.map_err(StoreError::from)?;
            let mut stream = frame.execute_stream().await.map_err(StoreError::from)?;
            while let Some(batch) = stream.next().await {
                each(&batch.map_err(StoreError::from)?)?;
            }
            Ok(())
        })
    }
}

/// `name(text) -> text`: the lookup of the address the text spells (IPv4 dotted quad or
/// IPv6), NULL for NULL, unparsable text or an unknown address.
fn address_function(name: &str, lookup: AddressLookup) -> ScalarUDF {
    let name_of = move |text: Option<&str>| text?.trim().parse().ok().and_then(|a| lookup(a));
    let function = move |args: &[ColumnarValue]| match &args[0] {
        ColumnarValue::Scalar(value) => {
            let text = match value {
                ScalarValue::Utf8(s) | ScalarValue::Utf8View(s) | ScalarValue::LargeUtf8(s) => {
                    s.as_deref()
                }
                _ => None,
            };
            let name = name_of(text).map(|n| n.to_string());
            Ok(ColumnarValue::Scalar(ScalarValue::Utf8(name)))
        }
        ColumnarValue::Array(array) => {
            let text = arrow::compute::cast(array, &DataType::Utf8)?;
            let names: StringArray = text.as_string::<i32>().iter().map(&name_of).collect();
            Ok(ColumnarValue::Array(Arc::new(names)))
        }
    };
    create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(function),
    )
}

fn text_table(columns: &[&str], rows: Vec<Vec<Option<String>>>) -> Result<MemTable, StoreError> {
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(*c, DataType::Utf8, true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let arrays: Vec<ArrayRef> = (0..columns.len())
        .map(|i| {
            let column: StringArray = rows.iter().map(|r| r.get(i).cloned().flatten()).collect();
            Arc::new(column) as ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    Ok(MemTable::try_new(schema, vec![vec![batch]])?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    fn text_column(batches: &[RecordBatch], column: usize) -> Vec<Option<String>> {
        batches
            .iter()
            .flat_map(|b| {
                let text = arrow::compute::cast(b.column(column), &DataType::Utf8).unwrap();
                let text = text.as_string::<i32>();
                (0..text.len())
                    .map(|i| text.is_valid(i).then(|| text.value(i).to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    #[test]
    fn callers_add_address_functions_and_tables() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let lab: IpAddr = "192.0.2.1".parse().unwrap();
        let lookup: AddressLookup = Arc::new(move |a| (a == lab).then(|| Arc::from("Lab")));
        let functions = [("who", lookup)];
        let rows = vec![vec![
            Some("192.0.2.1/32".to_owned()),
            Some("Lab".to_owned()),
            None,
        ]];
        let query = |sql: &str| {
            let table = ("labs", &["network", "name", "url"][..], rows.clone());
            store.query_with(sql, &functions, vec![table]).unwrap()
        };

        let scalars = query(
            "SELECT who('192.0.2.1'), who(' 192.0.2.1 '), who('192.0.2.2'), who('junk'), who(NULL)",
        );
        let values: Vec<Option<String>> = (0..5).flat_map(|c| text_column(&scalars, c)).collect();
        assert_eq!(
            values,
            [Some("Lab".into()), Some("Lab".into()), None, None, None]
        );

        let column =
            query("SELECT who(a) FROM (VALUES ('192.0.2.1'), ('2001:db8::1'), (NULL)) AS t(a)");
        assert_eq!(text_column(&column, 0), [Some("Lab".into()), None, None]);

        let table = query("SELECT network, name, url FROM labs");
        assert_eq!(text_column(&table, 1), [Some("Lab".into())]);
        assert_eq!(text_column(&table, 2), [None]);

        let plain = store.query("SELECT count(*) FROM packets").unwrap();
        assert_eq!(
            plain[0].num_rows(),
            1,
            "query() still works without extensions"
        );
    }
}
