//! The `packets` table: its columns, each with its Arrow field (the documented interface
//! for other engines) and the function that builds it from decoded packets.

use std::sync::{Arc, LazyLock, OnceLock};

use std::net::IpAddr;

use arrow::array::{new_null_array, ArrayRef, BooleanArray, PrimitiveArray};
use arrow::buffer::BooleanBuffer;
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Field, Schema, SchemaRef, TimeUnit, TimestampNanosecondType,
    UInt16Type, UInt32Type, UInt8Type,
};
use hirundo_enrich::{tools, Enricher, HeaderLabels, SourceLabels};
use hirundo_geo::{AsInfo, CountryCode};
use hirundo_wire::{Fragment, PacketRepr};

use crate::columns::{Fixed, Text};
use crate::labels::LabelChunk;
use crate::rollup::DaySources;

/// Rows per batch handed to the writer: large enough to amortise per-batch work, small
/// enough that a few batches in flight stay far below the memory budget.
pub const BATCH_ROWS: usize = 64 * 1024;

/// Time zone of the `ts` column: Parquet then carries `isAdjustedToUTC = true`.
pub const TS_ZONE: &str = "UTC";

/// One decoded packet on its way to the store, observed at `ts_ns` (nanoseconds since the
/// Unix epoch, UTC).
#[derive(Clone, Debug)]
pub struct PacketRow {
    pub ts_ns: i64,
    pub packet: PacketRepr,
}

/// What the rows of one transaction share: their sensor and capture file, and the enricher
/// that labels them.
pub struct RowContext {
    pub sensor: String,
    /// The short hash stored in `file_hash`.
    pub file_hash: String,
    /// None stores the label columns as NULL (`ingest --no-enrich`: what enrichment costs).
    pub enricher: Option<Arc<Enricher>>,
}

/// Rows on their way into columns, with what several columns (and the rollups) need computed
/// once: the sources, their traffic kinds, tools, countries and autonomous systems (each column
/// is built on its own thread; the first to ask computes, the others wait for it).
pub(crate) struct Batch<'a> {
    pub(crate) rows: &'a [PacketRow],
    pub(crate) context: &'a RowContext,
    /// The `sources` rollup of the rows' day, which also caches the sources' labels.
    day_sources: &'a DaySources,
    header_labels: OnceLock<Vec<HeaderLabels>>,
    /// Set when the sources are counted: their labels, if enriched.
    source_labels: OnceLock<Option<Vec<SourceLabels>>>,
    autonomous_systems: OnceLock<Option<Vec<Option<AsInfo<'a>>>>>,
}

impl<'a> Batch<'a> {
    /// The rows of one day, which `day_sources` counts.
    pub(crate) fn new(
        rows: &'a [PacketRow],
        context: &'a RowContext,
        day_sources: &'a DaySources,
    ) -> Self {
        Batch {
            rows,
            context,
            day_sources,
            header_labels: OnceLock::new(),
            source_labels: OnceLock::new(),
            autonomous_systems: OnceLock::new(),
        }
    }

    /// Adds the rows to the day's `sources` rollup, once whichever task asks first; returns
    /// their sources' labels, found on the way (see [`DaySources`]), or None when not
    /// enriched.
    pub(crate) fn count_sources(&self) -> Option<&[SourceLabels]> {
        self.source_labels
            .get_or_init(|| {
                let enricher = self.context.enricher.as_deref();
                self.day_sources.count(self.rows, enricher)
            })
            .as_deref()
    }

    /// The labels of the rows' sources, or None when the transaction is not enriched (then
    /// without waiting for the sources to be counted).
    pub(crate) fn source_labels(&self) -> Option<&[SourceLabels]> {
        self.context.enricher.as_ref()?;
        self.count_sources()
    }

    /// The labels of the rows' own headers (traffic kind, service, tool), for the label
    /// columns and the rollups. All three in one pass over the rows: reading a batch's rows
    /// once more costs more than classifying them.
    pub(crate) fn header_labels(&self) -> &[HeaderLabels] {
        self.header_labels.get_or_init(|| {
            self.rows
                .iter()
                .map(|r| HeaderLabels::of(&r.packet))
                .collect()
        })
    }

    /// The rows' sources' autonomous systems, or None without an ASN database.
    fn autonomous_systems(&self) -> Option<&[Option<AsInfo<'a>>]> {
        self.autonomous_systems
            .get_or_init(|| {
                let enricher: &'a Enricher = self.context.enricher.as_deref()?;
                if !enricher.has_asn() {
                    return None;
                }
                let labels = self.source_labels()?.iter().enumerate();
                let found = labels.map(|(i, &l)| enricher.network(l, || self.rows[i].packet.src));
                Some(found.collect())
            })
            .as_deref()
    }
}

/// A column of `packets`: its field and how to build it from rows. Ingest's decoding thread
/// only gathers rows; the writer builds and encodes every column on its own thread, so
/// formatting, enrichment and encoding spread over all cores.
pub(crate) struct Column {
    pub(crate) field: Field,
    pub(crate) build: Build,
}

/// How a column's values reach its Parquet column chunk.
pub(crate) enum Build {
    /// As an Arrow array, encoded by parquet's Arrow column writer.
    Array(fn(&Batch<'_>) -> ArrayRef),
    /// As labels of a fixed set, appended to the row group's dictionary chunk
    /// ([`crate::labels`]); stored as Utf8 all the same.
    Labels(fn(&Batch<'_>, &mut LabelChunk)),
}

fn column(
    name: &str,
    data_type: DataType,
    nullable: bool,
    build: fn(&Batch<'_>) -> ArrayRef,
) -> Column {
    Column {
        field: Field::new(name, data_type, nullable),
        build: Build::Array(build),
    }
}

fn label_column(name: &str, nullable: bool, build: fn(&Batch<'_>, &mut LabelChunk)) -> Column {
    Column {
        field: Field::new(name, DataType::Utf8, nullable),
        build: Build::Labels(build),
    }
}

/// The columns of `packets`, in order, as documented in README.md.
pub(crate) static COLUMNS: LazyLock<Vec<Column>> = LazyLock::new(|| {
    use DataType::*;
    let ts = Timestamp(TimeUnit::Nanosecond, Some(TS_ZONE.into()));
    vec![
        column("ts", ts, false, |b| {
            let ts = PrimitiveArray::<TimestampNanosecondType>::from_iter_values(
                b.rows.iter().map(|r| r.ts_ns),
            );
            Arc::new(ts.with_timezone(TS_ZONE))
        }),
        label_column("sensor", false, |b, chunk| {
            chunk.push_repeated(&b.context.sensor, b.rows.len())
        }),
        column("src", Utf8, false, |b| addresses(b.rows, |r| r.packet.src)),
        column("dst", Utf8, false, |b| addresses(b.rows, |r| r.packet.dst)),
        column("ip_version", UInt8, false, |b| {
            required::<UInt8Type>(b.rows, |r| r.packet.ip_version)
        }),
        column("protocol", UInt8, false, |b| {
            required::<UInt8Type>(b.rows, |r| r.packet.protocol)
        }),
        column("src_port", UInt16, true, |b| {
            nullable::<UInt16Type>(b.rows, |r| r.packet.src_port)
        }),
        column("dst_port", UInt16, true, |b| {
            nullable::<UInt16Type>(b.rows, |r| r.packet.dst_port)
        }),
        column("icmp_type", UInt8, true, |b| {
            nullable::<UInt8Type>(b.rows, |r| r.packet.icmp_type)
        }),
        column("icmp_code", UInt8, true, |b| {
            nullable::<UInt8Type>(b.rows, |r| r.packet.icmp_code)
        }),
        column("tcp_flags", UInt16, true, |b| {
            nullable::<UInt16Type>(b.rows, |r| r.packet.tcp_flags)
        }),
        column("tcp_seq", UInt32, true, |b| {
            nullable::<UInt32Type>(b.rows, |r| r.packet.tcp_seq)
        }),
        column("tcp_ack", UInt32, true, |b| {
            nullable::<UInt32Type>(b.rows, |r| r.packet.tcp_ack)
        }),
        column("tcp_window", UInt16, true, |b| {
            nullable::<UInt16Type>(b.rows, |r| r.packet.tcp_window)
        }),
        column("tcp_options", Utf8, true, |b| option_kinds(b.rows)),
        column("tcp_mss", UInt16, true, |b| {
            nullable::<UInt16Type>(b.rows, |r| r.packet.tcp_options.and_then(|o| o.mss))
        }),
        column("tcp_wscale", UInt8, true, |b| {
            nullable::<UInt8Type>(b.rows, |r| r.packet.tcp_options.and_then(|o| o.wscale))
        }),
        column("ip_id", UInt32, true, |b| {
            nullable::<UInt32Type>(b.rows, |r| r.packet.ip_id)
        }),
        column("ttl", UInt8, false, |b| {
            required::<UInt8Type>(b.rows, |r| r.packet.ttl)
        }),
        column("ip_len", UInt32, false, |b| {
            required::<UInt32Type>(b.rows, |r| r.packet.ip_len)
        }),
        column("payload_len", UInt32, false, |b| {
            required::<UInt32Type>(b.rows, |r| r.packet.payload_len)
        }),
        column("payload_hash", UInt32, true, |b| {
            nullable::<UInt32Type>(b.rows, |r| r.packet.payload_hash)
        }),
        label_column("fragment", true, |b, chunk| {
            for r in b.rows {
                chunk.push_label(fragment_label(r.packet.fragment));
            }
        }),
        column("truncated", Boolean, false, |b| {
            let bits = BooleanBuffer::collect_bool(b.rows.len(), |i| b.rows[i].packet.truncated);
            Arc::new(BooleanArray::new(bits, None))
        }),
        label_column("file_hash", false, |b, chunk| {
            chunk.push_repeated(&b.context.file_hash, b.rows.len())
        }),
        label_column("src_country", true, |b, chunk| match b.source_labels() {
            Some(sources) => {
                for country in sources.iter().map(|s| &s.country) {
                    chunk.push_label(country.as_ref().map(|c| (country_key(c), || c.as_str())));
                }
            }
            None => push_nulls(chunk, b.rows.len()),
        }),
        column("src_asn", UInt32, true, |b| {
            autonomous_systems(b, &UInt32, |found| {
                let mut column = Fixed::<UInt32Type>::nullable(found.len());
                for as_info in found {
                    column.push_option(as_info.map(|a| a.number));
                }
                column.finish()
            })
        }),
        label_column("src_as_name", true, |b, chunk| {
            match b.autonomous_systems() {
                Some(found) => {
                    for as_info in found {
                        chunk.push_name(as_info.map(|a| a.name));
                    }
                }
                None => push_nulls(chunk, b.rows.len()),
            }
        }),
        label_column("service", true, |b, chunk| {
            labels(b, chunk, |h| {
                h.service.map(|s| (u64::from(s.number()), move || s.name()))
            })
        }),
        label_column("traffic_kind", true, |b, chunk| {
            labels(b, chunk, |h| {
                let kind = h.kind;
                Some((kind as u64, move || kind.as_str()))
            })
        }),
        label_column("tool", true, |b, chunk| {
            labels(b, chunk, |h| {
                h.tool.map(|t| (u64::from(t), move || tools::name(t)))
            })
        }),
    ]
});

static PACKETS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    let fields: Vec<Field> = COLUMNS.iter().map(|c| c.field.clone()).collect();
    Arc::new(Schema::new(fields))
});

/// The schema of the `packets` table, column by column as documented in README.md.
pub fn packets_schema() -> SchemaRef {
    PACKETS_SCHEMA.clone()
}

fn required<T: ArrowPrimitiveType>(
    rows: &[PacketRow],
    value: impl Fn(&PacketRow) -> T::Native,
) -> ArrayRef {
    Arc::new(PrimitiveArray::<T>::from_iter_values(
        rows.iter().map(value),
    ))
}

fn nullable<T: ArrowPrimitiveType>(
    rows: &[PacketRow],
    value: impl Fn(&PacketRow) -> Option<T::Native>,
) -> ArrayRef {
    let mut column = Fixed::<T>::nullable(rows.len());
    for r in rows {
        column.push_option(value(r));
    }
    column.finish()
}

fn addresses(rows: &[PacketRow], addr: impl Fn(&PacketRow) -> IpAddr) -> ArrayRef {
    let mut text = Text::required(rows.len(), rows.len() * 15);
    for r in rows {
        text.push_addr(addr(r));
    }
    text.finish()
}

/// An autonomous-system column made by `build` from the sources' look-ups, or all NULL
/// without an ASN database.
fn autonomous_systems(
    batch: &Batch<'_>,
    data_type: &DataType,
    build: impl Fn(&[Option<AsInfo<'_>>]) -> ArrayRef,
) -> ArrayRef {
    match batch.autonomous_systems() {
        Some(found) => build(found),
        None => new_null_array(data_type, batch.rows.len()),
    }
}

/// A column of a header label, or all NULL when the transaction is not enriched.
fn labels<N: FnOnce() -> &'static str>(
    batch: &Batch<'_>,
    chunk: &mut LabelChunk,
    label: impl Fn(&HeaderLabels) -> Option<(u64, N)>,
) {
    match batch.context.enricher {
        Some(_) => {
            for h in batch.header_labels() {
                chunk.push_label(label(h));
            }
        }
        None => push_nulls(chunk, batch.rows.len()),
    }
}

/// A country's number (a small key, see [`crate::labels::SMALL_KEYS`]): its code's two
/// letters as a number below 26 × 26.
fn country_key(country: &CountryCode) -> u64 {
    let [a, b] = country.as_bytes().map(|letter| u64::from(letter - b'A'));
    a * 26 + b
}

fn push_nulls(chunk: &mut LabelChunk, rows: usize) {
    for _ in 0..rows {
        chunk.push_null();
    }
}

/// TCP option kinds as `2,4,8,1,3`; NULL without a TCP header.
fn option_kinds(rows: &[PacketRow]) -> ArrayRef {
    let mut text = Text::nullable(rows.len(), rows.len() * 4);
    for r in rows {
        match &r.packet.tcp_options {
            Some(options) => text.push_list(options.kinds()),
            None => text.push_option(None),
        }
    }
    text.finish()
}

fn fragment_label(fragment: Fragment) -> Option<(u64, impl FnOnce() -> &'static str)> {
    let name = match fragment {
        Fragment::None => return None,
        Fragment::First => "first",
        Fragment::Later => "later",
    };
    Some((fragment as u64, move || name))
}
