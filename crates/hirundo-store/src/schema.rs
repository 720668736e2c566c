//! The `packets` table: its Arrow schema (the documented interface for other engines) and the
//! builder that turns decoded packets into record batches.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::datatypes::{
    DataType, Field, Schema, SchemaRef, TimeUnit, TimestampNanosecondType, UInt16Type, UInt32Type,
    UInt8Type,
};
use hirundo_enrich::Labels;
use hirundo_wire::{Fragment, PacketRepr};

use crate::columns::{Fixed, Flags, Text};

/// Rows per record batch handed to the writer: large enough to amortise per-batch work,
/// small enough that a few batches in flight stay far below the memory budget.
pub const BATCH_ROWS: usize = 64 * 1024;

/// Time zone of the `ts` column: Parquet then carries `isAdjustedToUTC = true`.
pub const TS_ZONE: &str = "UTC";

static PACKETS_SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
    use DataType::*;
    let ts = Timestamp(TimeUnit::Nanosecond, Some(TS_ZONE.into()));
    Arc::new(Schema::new(vec![
        Field::new("ts", ts, false),
        Field::new("sensor", Utf8, false),
        Field::new("src", Utf8, false),
        Field::new("dst", Utf8, false),
        Field::new("ip_version", UInt8, false),
        Field::new("protocol", UInt8, false),
        Field::new("src_port", UInt16, true),
        Field::new("dst_port", UInt16, true),
        Field::new("icmp_type", UInt8, true),
        Field::new("icmp_code", UInt8, true),
        Field::new("tcp_flags", UInt16, true),
        Field::new("tcp_seq", UInt32, true),
        Field::new("tcp_ack", UInt32, true),
        Field::new("tcp_window", UInt16, true),
        Field::new("tcp_options", Utf8, true),
        Field::new("tcp_mss", UInt16, true),
        Field::new("tcp_wscale", UInt8, true),
        Field::new("ip_id", UInt32, true),
        Field::new("ttl", UInt8, false),
        Field::new("ip_len", UInt32, false),
        Field::new("payload_len", UInt32, false),
        Field::new("payload_hash", UInt32, true),
        Field::new("fragment", Utf8, true),
        Field::new("truncated", Boolean, false),
        Field::new("file_hash", Utf8, false),
        Field::new("src_country", Utf8, true),
        Field::new("service", Utf8, true),
        Field::new("traffic_kind", Utf8, false),
        Field::new("tool", Utf8, true),
    ]))
});

/// The schema of the `packets` table, column by column as documented in README.md.
pub fn packets_schema() -> SchemaRef {
    PACKETS_SCHEMA.clone()
}

/// Accumulates packets of one capture file (one sensor, one file hash) into record batches.
pub struct PacketBatchBuilder {
    sensor: String,
    file_hash: String,
    rows: usize,
    ts: Fixed<TimestampNanosecondType>,
    src: Text,
    dst: Text,
    ip_version: Fixed<UInt8Type>,
    protocol: Fixed<UInt8Type>,
    src_port: Fixed<UInt16Type>,
    dst_port: Fixed<UInt16Type>,
    icmp_type: Fixed<UInt8Type>,
    icmp_code: Fixed<UInt8Type>,
    tcp_flags: Fixed<UInt16Type>,
    tcp_seq: Fixed<UInt32Type>,
    tcp_ack: Fixed<UInt32Type>,
    tcp_window: Fixed<UInt16Type>,
    tcp_options: Text,
    tcp_mss: Fixed<UInt16Type>,
    tcp_wscale: Fixed<UInt8Type>,
    ip_id: Fixed<UInt32Type>,
    ttl: Fixed<UInt8Type>,
    ip_len: Fixed<UInt32Type>,
    payload_len: Fixed<UInt32Type>,
    payload_hash: Fixed<UInt32Type>,
    fragment: Text,
    truncated: Flags,
    src_country: Text,
    service: Text,
    traffic_kind: Text,
    tool: Text,
}

impl PacketBatchBuilder {
    /// A builder whose rows all carry `sensor` and `file_hash`.
    pub fn new(sensor: &str, file_hash: &str) -> Self {
        let n = BATCH_ROWS;
        PacketBatchBuilder {
            sensor: sensor.to_owned(),
            file_hash: file_hash.to_owned(),
            rows: 0,
            ts: Fixed::required(n),
            src: Text::with_capacity(n, n * 15),
            dst: Text::with_capacity(n, n * 15),
            ip_version: Fixed::required(n),
            protocol: Fixed::required(n),
            src_port: Fixed::nullable(n),
            dst_port: Fixed::nullable(n),
            icmp_type: Fixed::nullable(n),
            icmp_code: Fixed::nullable(n),
            tcp_flags: Fixed::nullable(n),
            tcp_seq: Fixed::nullable(n),
            tcp_ack: Fixed::nullable(n),
            tcp_window: Fixed::nullable(n),
            tcp_options: Text::with_capacity(n, n * 4),
            tcp_mss: Fixed::nullable(n),
            tcp_wscale: Fixed::nullable(n),
            ip_id: Fixed::nullable(n),
            ttl: Fixed::required(n),
            ip_len: Fixed::required(n),
            payload_len: Fixed::required(n),
            payload_hash: Fixed::nullable(n),
            fragment: Text::with_capacity(n, 64),
            truncated: Flags::with_capacity(n),
            src_country: Text::with_capacity(n, n * 2),
            service: Text::with_capacity(n, n * 8),
            traffic_kind: Text::with_capacity(n, n * 12),
            tool: Text::with_capacity(n, n * 4),
        }
    }

    /// Rows appended since the last [`finish`](Self::finish).
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row is pending.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// True when a batch is full and should be handed to the writer.
    pub fn is_full(&self) -> bool {
        self.rows >= BATCH_ROWS
    }

    /// Appends one packet observed at `ts_ns` (nanoseconds since the Unix epoch, UTC), with
    /// the labels ingest gave it.
    #[inline]
    pub fn push(&mut self, ts_ns: i64, p: &PacketRepr, labels: &Labels) {
        self.rows += 1;
        self.ts.push(ts_ns);
        self.src.push_addr(p.src);
        self.dst.push_addr(p.dst);
        self.ip_version.push(p.ip_version);
        self.protocol.push(p.protocol);
        self.src_port.push_option(p.src_port);
        self.dst_port.push_option(p.dst_port);
        self.icmp_type.push_option(p.icmp_type);
        self.icmp_code.push_option(p.icmp_code);
        self.tcp_flags.push_option(p.tcp_flags);
        self.tcp_seq.push_option(p.tcp_seq);
        self.tcp_ack.push_option(p.tcp_ack);
        self.tcp_window.push_option(p.tcp_window);
        self.push_tcp_options(p);
        self.ip_id.push_option(p.ip_id);
        self.ttl.push(p.ttl);
        self.ip_len.push(p.ip_len);
        self.payload_len.push(p.payload_len);
        self.payload_hash.push_option(p.payload_hash);
        self.fragment.push_option(fragment_label(p.fragment));
        self.truncated.push(p.truncated);
        self.src_country
            .push_option(labels.country.as_ref().map(|c| c.as_str()));
        self.service.push_option(labels.service);
        self.traffic_kind.push_str(labels.kind.as_str());
        self.tool.push_option(labels.tool);
    }

    #[inline]
    fn push_tcp_options(&mut self, p: &PacketRepr) {
        let options = p.tcp_options.as_ref();
        match options {
            Some(options) => self.tcp_options.push_list(options.kinds()),
            None => self.tcp_options.push_option(None),
        }
        self.tcp_mss.push_option(options.and_then(|o| o.mss));
        self.tcp_wscale.push_option(options.and_then(|o| o.wscale));
    }

    /// Takes the pending rows as one record batch (None when empty).
    pub fn finish(&mut self) -> Option<RecordBatch> {
        if self.rows == 0 {
            return None;
        }
        let rows = std::mem::take(&mut self.rows);
        let constant = |value: &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(
                value, rows,
            )))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish().with_timezone(TS_ZONE)),
            constant(&self.sensor),
            self.src.finish(),
            self.dst.finish(),
            self.ip_version.finish_ref(),
            self.protocol.finish_ref(),
            self.src_port.finish_ref(),
            self.dst_port.finish_ref(),
            self.icmp_type.finish_ref(),
            self.icmp_code.finish_ref(),
            self.tcp_flags.finish_ref(),
            self.tcp_seq.finish_ref(),
            self.tcp_ack.finish_ref(),
            self.tcp_window.finish_ref(),
            self.tcp_options.finish(),
            self.tcp_mss.finish_ref(),
            self.tcp_wscale.finish_ref(),
            self.ip_id.finish_ref(),
            self.ttl.finish_ref(),
            self.ip_len.finish_ref(),
            self.payload_len.finish_ref(),
            self.payload_hash.finish_ref(),
            self.fragment.finish(),
            self.truncated.finish(),
            constant(&self.file_hash),
            self.src_country.finish(),
            self.service.finish(),
            self.traffic_kind.finish(),
            self.tool.finish(),
        ];
        let batch = RecordBatch::try_new(packets_schema(), columns)
            .expect("builder columns match the packets schema");
        Some(batch)
    }
}

fn fragment_label(fragment: Fragment) -> Option<&'static str> {
    match fragment {
        Fragment::None => None,
        Fragment::First => Some("first"),
        Fragment::Later => Some("later"),
    }
}
