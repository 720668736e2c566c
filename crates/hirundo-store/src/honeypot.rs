//! The `honeypot` table: one row per connection, login, command or SQL batch that the
//! honeypot saw, partitioned by UTC day like `packets`, enriched with the same databases, so
//! that SQL can join what a source tried with what the darknet saw of it.
//!
//! Events are few (a honeypot sees thousands per day where the darknet sees millions of
//! packets), so they are written with Arrow's builders in one small Parquet file per day per
//! commit, not through the packet encoder.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, BooleanArray, StringArray, TimestampNanosecondArray, UInt16Array};
use arrow::array::{RecordBatch, UInt32Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use hirundo_enrich::Enricher;

use crate::log::{AddFile, Commit};
use crate::rollup::write_parquet;
use crate::schema::TS_ZONE;
use crate::writer::{day_label, publish_data_files, NS_PER_DAY};
use crate::{Committed, Store, StoreError};

/// The name of the table in SQL and the first component of its files' paths.
pub const HONEYPOT_TABLE: &str = "honeypot";

/// One honeypot event as the store takes it (the honeypot crate's `Event`, borrowed).
#[derive(Clone, Debug)]
pub struct HoneypotEvent<'a> {
    /// Nanoseconds since the Unix epoch, UTC.
    pub time_ns: i64,
    /// The client.
    pub src: SocketAddr,
    /// The honeypot's address and port that the client reached.
    pub dst: SocketAddr,
    /// "mssql" or "telnet".
    pub protocol: &'a str,
    /// "connect", "login", "command" or "sql".
    pub kind: &'a str,
    pub username: Option<&'a str>,
    /// As the operator's policy left it: clear, "sha256:<hex>", or absent.
    pub password: Option<&'a str>,
    pub client_host: Option<&'a str>,
    pub client_app: Option<&'a str>,
    pub client_library: Option<&'a str>,
    pub client_version: Option<&'a str>,
    /// The protocol version the client asked for (TDS "7.4").
    pub protocol_version: Option<&'a str>,
    pub encrypted: bool,
    /// The SQL batch or the command line.
    pub text: Option<&'a str>,
}

static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let text = |name: &str| Field::new(name, DataType::Utf8, true);
    Arc::new(Schema::new(vec![
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Nanosecond, Some(TS_ZONE.into())),
            false,
        ),
        Field::new("honeypot", DataType::Utf8, false),
        text("src"),
        Field::new("src_port", DataType::UInt16, true),
        text("dst"),
        Field::new("dst_port", DataType::UInt16, true),
        Field::new("protocol", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        text("username"),
        text("password"),
        text("client_host"),
        text("client_app"),
        text("client_library"),
        text("client_version"),
        text("protocol_version"),
        Field::new("encrypted", DataType::Boolean, false),
        text("text"),
        text("src_country"),
        Field::new("src_asn", DataType::UInt32, true),
        text("src_as_name"),
    ]))
});

/// The schema of the `honeypot` table.
pub fn honeypot_schema() -> SchemaRef {
    SCHEMA.clone()
}

impl Store {
    /// Stores `events` of the honeypot named `honeypot` in one commit, their sources labelled
    /// by `enricher` (country and AS columns NULL without one). Returns what was published.
    pub fn append_honeypot(
        &self,
        honeypot: &str,
        events: &[HoneypotEvent<'_>],
        enricher: Option<&Enricher>,
    ) -> Result<Committed, StoreError> {
        let txn = crate::new_txn_id();
        let mut add = Vec::new();
        let result = self.write_event_days(&txn, honeypot, events, enricher, &mut add);
        let version = result.and_then(|()| {
            self.publish(&Commit {
                txn,
                committed_at: chrono::Utc::now().to_rfc3339(),
                writer: concat!("hirundo honeypot ", env!("CARGO_PKG_VERSION")).into(),
                add: add.clone(),
                ..Commit::default()
            })
        });
        match version {
            Ok(version) => {
                publish_data_files(self.root(), &add)?;
                Ok(Committed {
                    version,
                    rows: events.len() as u64,
                })
            }
            Err(e) => {
                for file in &add {
                    let _ = std::fs::remove_file(crate::writer::pending_path(
                        &self.root().join(&file.path),
                    ));
                }
                Err(e)
            }
        }
    }

    /// Writes one pending Parquet file per UTC day of `events`, adding each to `add`.
    fn write_event_days(
        &self,
        txn: &str,
        honeypot: &str,
        events: &[HoneypotEvent<'_>],
        enricher: Option<&Enricher>,
        add: &mut Vec<AddFile>,
    ) -> Result<(), StoreError> {
        let mut days: BTreeMap<i64, Vec<&HoneypotEvent<'_>>> = BTreeMap::new();
        for event in events {
            days.entry(event.time_ns.div_euclid(NS_PER_DAY))
                .or_default()
                .push(event);
        }
        for (day, events) in days {
            let day = day_label(day);
            let path = format!("{HONEYPOT_TABLE}/day={day}/{txn}.parquet");
            let batch = events_batch(honeypot, &events, enricher)?;
            let bytes = write_parquet(&self.root().join(&path), &batch)?;
            add.push(AddFile {
                path,
                day,
                rows: events.len() as u64,
                bytes,
                min_ts_ns: events.iter().map(|e| e.time_ns).min().unwrap_or_default(),
                max_ts_ns: events.iter().map(|e| e.time_ns).max().unwrap_or_default(),
            });
        }
        Ok(())
    }
}

fn events_batch<'a>(
    honeypot: &str,
    events: &[&HoneypotEvent<'a>],
    enricher: Option<&Enricher>,
) -> Result<RecordBatch, StoreError> {
    let sources: Vec<IpAddr> = events.iter().map(|e| e.src.ip()).collect();
    let labels: Vec<_> = sources
        .iter()
        .map(|&addr| match enricher {
            Some(e) => {
                let source = e.source_labels(addr);
                (source.country, e.network(source, || addr))
            }
            None => (None, None),
        })
        .collect();
    let text = |f: fn(&HoneypotEvent<'a>) -> Option<&'a str>| -> ArrayRef {
        Arc::new(StringArray::from_iter(events.iter().map(|e| f(e))))
    };
    let label = labels.iter();
    let columns: Vec<ArrayRef> = vec![
        Arc::new(
            TimestampNanosecondArray::from_iter_values(events.iter().map(|e| e.time_ns))
                .with_timezone(TS_ZONE),
        ),
        Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
            honeypot,
            events.len(),
        ))),
        Arc::new(StringArray::from_iter_values(
            sources.iter().map(IpAddr::to_string),
        )),
        Arc::new(UInt16Array::from_iter_values(
            events.iter().map(|e| e.src.port()),
        )),
        Arc::new(StringArray::from_iter_values(
            events.iter().map(|e| e.dst.ip().to_string()),
        )),
        Arc::new(UInt16Array::from_iter_values(
            events.iter().map(|e| e.dst.port()),
        )),
        text(|e| Some(e.protocol)),
        text(|e| Some(e.kind)),
        text(|e| e.username),
        text(|e| e.password),
        text(|e| e.client_host),
        text(|e| e.client_app),
        text(|e| e.client_library),
        text(|e| e.client_version),
        text(|e| e.protocol_version),
        Arc::new(BooleanArray::from_iter(
            events.iter().map(|e| Some(e.encrypted)),
        )),
        text(|e| e.text),
        Arc::new(StringArray::from_iter(
            label.clone().map(|(c, _)| c.as_ref().map(|c| c.as_str())),
        )),
        Arc::new(UInt32Array::from_iter(
            label.clone().map(|(_, s)| s.map(|s| s.number)),
        )),
        Arc::new(StringArray::from_iter(
            label.map(|(_, s)| s.map(|s| s.name)),
        )),
    ];
    Ok(RecordBatch::try_new(honeypot_schema(), columns)?)
}
