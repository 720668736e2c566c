//! The `packets` table: its Arrow schema (the documented interface for other engines) and the
//! builder that turns decoded packets into record batches.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

use arrow::array::{
    ArrayRef, BooleanBuilder, RecordBatch, StringArray, StringBuilder, TimestampNanosecondBuilder,
    UInt16Builder, UInt32Builder, UInt8Builder,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use hirundo_wire::{Fragment, PacketRepr};

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
    ts: TimestampNanosecondBuilder,
    src: StringBuilder,
    dst: StringBuilder,
    ip_version: UInt8Builder,
    protocol: UInt8Builder,
    src_port: UInt16Builder,
    dst_port: UInt16Builder,
    icmp_type: UInt8Builder,
    icmp_code: UInt8Builder,
    tcp_flags: UInt16Builder,
    tcp_seq: UInt32Builder,
    tcp_ack: UInt32Builder,
    tcp_window: UInt16Builder,
    tcp_options: StringBuilder,
    tcp_mss: UInt16Builder,
    tcp_wscale: UInt8Builder,
    ip_id: UInt32Builder,
    ttl: UInt8Builder,
    ip_len: UInt32Builder,
    payload_len: UInt32Builder,
    payload_hash: UInt32Builder,
    fragment: StringBuilder,
    truncated: BooleanBuilder,
    scratch: String,
}

impl PacketBatchBuilder {
    /// A builder whose rows all carry `sensor` and `file_hash`.
    pub fn new(sensor: &str, file_hash: &str) -> Self {
        let n = BATCH_ROWS;
        PacketBatchBuilder {
            sensor: sensor.to_owned(),
            file_hash: file_hash.to_owned(),
            rows: 0,
            ts: TimestampNanosecondBuilder::with_capacity(n).with_timezone(TS_ZONE),
            src: StringBuilder::with_capacity(n, n * 15),
            dst: StringBuilder::with_capacity(n, n * 15),
            ip_version: UInt8Builder::with_capacity(n),
            protocol: UInt8Builder::with_capacity(n),
            src_port: UInt16Builder::with_capacity(n),
            dst_port: UInt16Builder::with_capacity(n),
            icmp_type: UInt8Builder::with_capacity(n),
            icmp_code: UInt8Builder::with_capacity(n),
            tcp_flags: UInt16Builder::with_capacity(n),
            tcp_seq: UInt32Builder::with_capacity(n),
            tcp_ack: UInt32Builder::with_capacity(n),
            tcp_window: UInt16Builder::with_capacity(n),
            tcp_options: StringBuilder::with_capacity(n, n * 4),
            tcp_mss: UInt16Builder::with_capacity(n),
            tcp_wscale: UInt8Builder::with_capacity(n),
            ip_id: UInt32Builder::with_capacity(n),
            ttl: UInt8Builder::with_capacity(n),
            ip_len: UInt32Builder::with_capacity(n),
            payload_len: UInt32Builder::with_capacity(n),
            payload_hash: UInt32Builder::with_capacity(n),
            fragment: StringBuilder::with_capacity(n, 0),
            truncated: BooleanBuilder::with_capacity(n),
            scratch: String::with_capacity(64),
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

    /// Appends one packet observed at `ts_ns` (nanoseconds since the Unix epoch, UTC).
    pub fn push(&mut self, ts_ns: i64, p: &PacketRepr) {
        self.rows += 1;
        self.ts.append_value(ts_ns);
        append_addr(&mut self.src, &mut self.scratch, p.src);
        append_addr(&mut self.dst, &mut self.scratch, p.dst);
        self.ip_version.append_value(p.ip_version);
        self.protocol.append_value(p.protocol);
        self.src_port.append_option(p.src_port);
        self.dst_port.append_option(p.dst_port);
        self.icmp_type.append_option(p.icmp_type);
        self.icmp_code.append_option(p.icmp_code);
        self.tcp_flags.append_option(p.tcp_flags);
        self.tcp_seq.append_option(p.tcp_seq);
        self.tcp_ack.append_option(p.tcp_ack);
        self.tcp_window.append_option(p.tcp_window);
        self.push_tcp_options(p);
        self.ip_id.append_option(p.ip_id);
        self.ttl.append_value(p.ttl);
        self.ip_len.append_value(p.ip_len);
        self.payload_len.append_value(p.payload_len);
        self.payload_hash.append_option(p.payload_hash);
        self.fragment.append_option(fragment_label(p.fragment));
        self.truncated.append_value(p.truncated);
    }

    fn push_tcp_options(&mut self, p: &PacketRepr) {
        let Some(options) = &p.tcp_options else {
            self.tcp_options.append_null();
            self.tcp_mss.append_null();
            self.tcp_wscale.append_null();
            return;
        };
        self.scratch.clear();
        for (i, kind) in options.kinds().iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            let _ = write!(self.scratch, "{sep}{kind}");
        }
        self.tcp_options.append_value(&self.scratch);
        self.tcp_mss.append_option(options.mss);
        self.tcp_wscale.append_option(options.wscale);
    }

    /// Takes the pending rows as one record batch (None when empty).
    pub fn finish(&mut self) -> Option<RecordBatch> {
        if self.rows == 0 {
            return None;
        }
        let rows = std::mem::take(&mut self.rows);
        let constant = |value: &str| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(std::iter::repeat_n(value, rows)))
        };
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.ts.finish()),
            constant(&self.sensor),
            Arc::new(self.src.finish()),
            Arc::new(self.dst.finish()),
            Arc::new(self.ip_version.finish()),
            Arc::new(self.protocol.finish()),
            Arc::new(self.src_port.finish()),
            Arc::new(self.dst_port.finish()),
            Arc::new(self.icmp_type.finish()),
            Arc::new(self.icmp_code.finish()),
            Arc::new(self.tcp_flags.finish()),
            Arc::new(self.tcp_seq.finish()),
            Arc::new(self.tcp_ack.finish()),
            Arc::new(self.tcp_window.finish()),
            Arc::new(self.tcp_options.finish()),
            Arc::new(self.tcp_mss.finish()),
            Arc::new(self.tcp_wscale.finish()),
            Arc::new(self.ip_id.finish()),
            Arc::new(self.ttl.finish()),
            Arc::new(self.ip_len.finish()),
            Arc::new(self.payload_len.finish()),
            Arc::new(self.payload_hash.finish()),
            Arc::new(self.fragment.finish()),
            Arc::new(self.truncated.finish()),
            constant(&self.file_hash),
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

/// Formats an address without allocating: std's `Display` for IPv4 is the hot spot of ingest
/// otherwise, so IPv4 gets a hand-written dotted-quad writer.
fn append_addr(builder: &mut StringBuilder, scratch: &mut String, addr: IpAddr) {
    scratch.clear();
    match addr {
        IpAddr::V4(v4) => {
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    scratch.push('.');
                }
                push_decimal(scratch, octet);
            }
        }
        IpAddr::V6(v6) => {
            let _ = write!(scratch, "{v6}");
        }
    }
    builder.append_value(scratch.as_str());
}

fn push_decimal(out: &mut String, value: u8) {
    if value >= 100 {
        out.push((b'0' + value / 100) as char);
    }
    if value >= 10 {
        out.push((b'0' + (value / 10) % 10) as char);
    }
    out.push((b'0' + value % 10) as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv4_addresses_format_like_std() {
        let mut builder = StringBuilder::new();
        let mut scratch = String::new();
        let samples = ["0.0.0.0", "255.255.255.255", "10.0.100.9", "192.168.1.20", "8.8.8.8"];
        for s in samples {
            append_addr(&mut builder, &mut scratch, s.parse().unwrap());
        }
        let array = builder.finish();
        for (i, s) in samples.iter().enumerate() {
            assert_eq!(array.value(i), *s);
        }
    }
}
