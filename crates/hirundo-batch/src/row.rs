//! One [`Record`] as a fixed-size little-endian row.
//!
//! Written by hand rather than with serde: every row is the same [`ROW_LEN`] bytes with each
//! field at a fixed offset, so a record is encoded with a few stores and decoded with a few
//! loads and checks, no lengths, tags or varints; and the same field sits at the same offset in
//! every row, which zstd's match finder turns into short matches across rows.
//!
//! | offset | bytes | field |
//! |-------:|------:|-------|
//! |      0 |     8 | `ts_ns`, i64 |
//! |      8 |    16 | `src`: IPv6, or IPv4 as IPv4-mapped (`::ffff:a.b.c.d`) when flag `SRC_V4` |
//! |     24 |    16 | `dst`: likewise, flag `DST_V4` |
//! |     40 |     2 | flags: which `Option`s are `Some`, the address families, `truncated` (below) |
//! |     42 |     1 | `ip_version`, 4 or 6 |
//! |     43 |     1 | `protocol` |
//! |     44 |     1 | `ttl` |
//! |     45 |     1 | `fragment`: 0 none, 1 first, 2 later |
//! |     46 |     4 | `ip_id` |
//! |     50 |     4 | `ip_len` |
//! |     54 |     4 | `payload_len` |
//! |     58 |     4 | `payload_hash` |
//! |     62 |     2 | `src_port` |
//! |     64 |     2 | `dst_port` |
//! |     66 |     1 | `icmp_type` |
//! |     67 |     1 | `icmp_code` |
//! |     68 |     2 | `tcp_flags` |
//! |     70 |     4 | `tcp_seq` |
//! |     74 |     4 | `tcp_ack` |
//! |     78 |     2 | `tcp_window` |
//! |     80 |    12 | `tcp_options.kinds`, all 12 bytes, used or not |
//! |     92 |     1 | `tcp_options.len`, 0..=12 |
//! |     93 |     1 | `tcp_options.wscale` |
//! |     94 |     2 | `tcp_options.mss` |
//! |     96 |       | (row length) |
//!
//! The flags, bit 0 first: `SRC_V4`, `DST_V4`, then one bit per `Option` that is `Some`:
//! `ip_id`, `src_port`, `dst_port`, `icmp_type`, `icmp_code`, `tcp_flags`, `tcp_seq`,
//! `tcp_ack`, `tcp_window`, `tcp_options`, `tcp_options.mss`, `tcp_options.wscale`,
//! `payload_hash`; and bit 15, `truncated`. The address family is a flag rather than read
//! from the mapped form because an IPv6 packet may itself carry a mapped address. The bytes
//! of a `None` field (and of the `tcp_options` fields when it is `None`) are written as zeros
//! and ignored when read.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hirundo_wire::{Fragment, PacketRepr, TcpOptionsSummary};

use crate::Record;

/// The length of every row.
pub const ROW_LEN: usize = 96;

/// A row's bytes.
pub type Row = [u8; ROW_LEN];

/// Offsets of the fields, as in the table of the module doc.
mod at {
    pub const TS: usize = 0;
    pub const SRC: usize = 8;
    pub const DST: usize = 24;
    pub const FLAGS: usize = 40;
    pub const IP_VERSION: usize = 42;
    pub const PROTOCOL: usize = 43;
    pub const TTL: usize = 44;
    pub const FRAGMENT: usize = 45;
    pub const IP_ID: usize = 46;
    pub const IP_LEN: usize = 50;
    pub const PAYLOAD_LEN: usize = 54;
    pub const PAYLOAD_HASH: usize = 58;
    pub const SRC_PORT: usize = 62;
    pub const DST_PORT: usize = 64;
    pub const ICMP_TYPE: usize = 66;
    pub const ICMP_CODE: usize = 67;
    pub const TCP_FLAGS: usize = 68;
    pub const TCP_SEQ: usize = 70;
    pub const TCP_ACK: usize = 74;
    pub const TCP_WINDOW: usize = 78;
    pub const OPT_KINDS: usize = 80;
    pub const OPT_LEN: usize = 92;
    pub const OPT_WSCALE: usize = 93;
    pub const OPT_MSS: usize = 94;
}

/// The bits of the flags field.
mod flag {
    pub const SRC_V4: u16 = 1 << 0;
    pub const DST_V4: u16 = 1 << 1;
    pub const IP_ID: u16 = 1 << 2;
    pub const SRC_PORT: u16 = 1 << 3;
    pub const DST_PORT: u16 = 1 << 4;
    pub const ICMP_TYPE: u16 = 1 << 5;
    pub const ICMP_CODE: u16 = 1 << 6;
    pub const TCP_FLAGS: u16 = 1 << 7;
    pub const TCP_SEQ: u16 = 1 << 8;
    pub const TCP_ACK: u16 = 1 << 9;
    pub const TCP_WINDOW: u16 = 1 << 10;
    pub const TCP_OPTIONS: u16 = 1 << 11;
    pub const OPT_MSS: u16 = 1 << 12;
    pub const OPT_WSCALE: u16 = 1 << 13;
    pub const PAYLOAD_HASH: u16 = 1 << 14;
    pub const TRUNCATED: u16 = 1 << 15;
}

/// The most option kinds a [`TcpOptionsSummary`] holds.
const MAX_OPTION_KINDS: u8 = 12;

/// A row field whose value no [`PacketRepr`] can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadField {
    /// The field's name.
    pub field: &'static str,
    /// Its offset in the row.
    pub at: usize,
    /// Its value.
    pub value: u8,
}

/// Builds a row up field by field, noting which `Option`s are present.
struct RowWriter {
    row: Row,
    flags: u16,
}

impl RowWriter {
    fn put<const N: usize>(&mut self, at: usize, bytes: [u8; N]) {
        self.row[at..at + N].copy_from_slice(&bytes);
    }

    fn put_if<const N: usize>(&mut self, bit: u16, at: usize, bytes: Option<[u8; N]>) {
        if let Some(bytes) = bytes {
            self.flags |= bit;
            self.put(at, bytes);
        }
    }

    fn put_addr(&mut self, v4_bit: u16, at: usize, addr: IpAddr) {
        let v6 = match addr {
            IpAddr::V4(v4) => {
                self.flags |= v4_bit;
                v4.to_ipv6_mapped()
            }
            IpAddr::V6(v6) => v6,
        };
        self.put(at, v6.octets());
    }

    fn put_tcp_options(&mut self, options: &TcpOptionsSummary) {
        self.flags |= flag::TCP_OPTIONS;
        self.put(at::OPT_KINDS, options.kinds);
        self.put(at::OPT_LEN, [options.len]);
        self.put_if(
            flag::OPT_WSCALE,
            at::OPT_WSCALE,
            options.wscale.map(u8::to_le_bytes),
        );
        self.put_if(
            flag::OPT_MSS,
            at::OPT_MSS,
            options.mss.map(u16::to_le_bytes),
        );
    }
}

/// The row of `record`.
pub fn encode_row(record: &Record) -> Row {
    let p = &record.packet;
    // hirundo_wire::decode never makes these; the decoder would refuse the row.
    debug_assert!(matches!(p.ip_version, 4 | 6), "ip_version {}", p.ip_version);
    debug_assert!(p.tcp_options.is_none_or(|o| o.len <= MAX_OPTION_KINDS));
    let mut w = RowWriter {
        row: [0; ROW_LEN],
        flags: 0,
    };
    w.put(at::TS, record.ts_ns.to_le_bytes());
    w.put_addr(flag::SRC_V4, at::SRC, p.src);
    w.put_addr(flag::DST_V4, at::DST, p.dst);
    w.put(at::IP_VERSION, [p.ip_version]);
    w.put(at::PROTOCOL, [p.protocol]);
    w.put(at::TTL, [p.ttl]);
    w.put(at::FRAGMENT, [fragment_code(p.fragment)]);
    w.put_if(flag::IP_ID, at::IP_ID, p.ip_id.map(u32::to_le_bytes));
    w.put(at::IP_LEN, p.ip_len.to_le_bytes());
    w.put(at::PAYLOAD_LEN, p.payload_len.to_le_bytes());
    w.put_if(
        flag::PAYLOAD_HASH,
        at::PAYLOAD_HASH,
        p.payload_hash.map(u32::to_le_bytes),
    );
    w.put_if(
        flag::SRC_PORT,
        at::SRC_PORT,
        p.src_port.map(u16::to_le_bytes),
    );
    w.put_if(
        flag::DST_PORT,
        at::DST_PORT,
        p.dst_port.map(u16::to_le_bytes),
    );
    w.put_if(
        flag::ICMP_TYPE,
        at::ICMP_TYPE,
        p.icmp_type.map(u8::to_le_bytes),
    );
    w.put_if(
        flag::ICMP_CODE,
        at::ICMP_CODE,
        p.icmp_code.map(u8::to_le_bytes),
    );
    w.put_if(
        flag::TCP_FLAGS,
        at::TCP_FLAGS,
        p.tcp_flags.map(u16::to_le_bytes),
    );
    w.put_if(flag::TCP_SEQ, at::TCP_SEQ, p.tcp_seq.map(u32::to_le_bytes));
    w.put_if(flag::TCP_ACK, at::TCP_ACK, p.tcp_ack.map(u32::to_le_bytes));
    w.put_if(
        flag::TCP_WINDOW,
        at::TCP_WINDOW,
        p.tcp_window.map(u16::to_le_bytes),
    );
    if let Some(options) = &p.tcp_options {
        w.put_tcp_options(options);
    }
    if p.truncated {
        w.flags |= flag::TRUNCATED;
    }
    let flags = w.flags;
    w.put(at::FLAGS, flags.to_le_bytes());
    w.row
}

fn fragment_code(fragment: Fragment) -> u8 {
    match fragment {
        Fragment::None => 0,
        Fragment::First => 1,
        Fragment::Later => 2,
    }
}

/// Reads fields out of a row, `None` for those whose flag is clear.
struct RowReader<'a> {
    row: &'a Row,
    flags: u16,
}

impl RowReader<'_> {
    fn get<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut bytes = [0; N];
        bytes.copy_from_slice(&self.row[at..at + N]);
        bytes
    }

    fn byte(&self, at: usize) -> u8 {
        self.row[at]
    }

    fn get_if<const N: usize>(&self, bit: u16, at: usize) -> Option<[u8; N]> {
        (self.flags & bit != 0).then(|| self.get(at))
    }

    fn addr(&self, v4_bit: u16, at: usize) -> IpAddr {
        let v6 = Ipv6Addr::from(self.get::<16>(at));
        if self.flags & v4_bit != 0 {
            let [.., a, b, c, d] = v6.octets();
            IpAddr::V4(Ipv4Addr::new(a, b, c, d))
        } else {
            IpAddr::V6(v6)
        }
    }

    fn bad(&self, field: &'static str, at: usize) -> BadField {
        BadField {
            field,
            at,
            value: self.byte(at),
        }
    }

    fn ip_version(&self) -> Result<u8, BadField> {
        match self.byte(at::IP_VERSION) {
            version @ (4 | 6) => Ok(version),
            _ => Err(self.bad("ip_version", at::IP_VERSION)),
        }
    }

    fn fragment(&self) -> Result<Fragment, BadField> {
        match self.byte(at::FRAGMENT) {
            0 => Ok(Fragment::None),
            1 => Ok(Fragment::First),
            2 => Ok(Fragment::Later),
            _ => Err(self.bad("fragment", at::FRAGMENT)),
        }
    }

    fn tcp_options(&self) -> Result<Option<TcpOptionsSummary>, BadField> {
        if self.flags & flag::TCP_OPTIONS == 0 {
            return Ok(None);
        }
        let len = self.byte(at::OPT_LEN);
        if len > MAX_OPTION_KINDS {
            return Err(self.bad("tcp_options.len", at::OPT_LEN));
        }
        Ok(Some(TcpOptionsSummary {
            kinds: self.get(at::OPT_KINDS),
            len,
            mss: self
                .get_if(flag::OPT_MSS, at::OPT_MSS)
                .map(u16::from_le_bytes),
            wscale: self
                .get_if(flag::OPT_WSCALE, at::OPT_WSCALE)
                .map(u8::from_le_bytes),
        }))
    }
}

/// The record in `row`, or the first field no record can have.
pub fn decode_row(row: &Row) -> Result<Record, BadField> {
    let flags = u16::from_le_bytes([row[at::FLAGS], row[at::FLAGS + 1]]);
    let r = RowReader { row, flags };
    let packet = PacketRepr {
        src: r.addr(flag::SRC_V4, at::SRC),
        dst: r.addr(flag::DST_V4, at::DST),
        ip_version: r.ip_version()?,
        protocol: r.byte(at::PROTOCOL),
        ttl: r.byte(at::TTL),
        ip_id: r.get_if(flag::IP_ID, at::IP_ID).map(u32::from_le_bytes),
        ip_len: u32::from_le_bytes(r.get(at::IP_LEN)),
        fragment: r.fragment()?,
        src_port: r
            .get_if(flag::SRC_PORT, at::SRC_PORT)
            .map(u16::from_le_bytes),
        dst_port: r
            .get_if(flag::DST_PORT, at::DST_PORT)
            .map(u16::from_le_bytes),
        icmp_type: r
            .get_if(flag::ICMP_TYPE, at::ICMP_TYPE)
            .map(u8::from_le_bytes),
        icmp_code: r
            .get_if(flag::ICMP_CODE, at::ICMP_CODE)
            .map(u8::from_le_bytes),
        tcp_flags: r
            .get_if(flag::TCP_FLAGS, at::TCP_FLAGS)
            .map(u16::from_le_bytes),
        tcp_seq: r.get_if(flag::TCP_SEQ, at::TCP_SEQ).map(u32::from_le_bytes),
        tcp_ack: r.get_if(flag::TCP_ACK, at::TCP_ACK).map(u32::from_le_bytes),
        tcp_window: r
            .get_if(flag::TCP_WINDOW, at::TCP_WINDOW)
            .map(u16::from_le_bytes),
        tcp_options: r.tcp_options()?,
        payload_len: u32::from_le_bytes(r.get(at::PAYLOAD_LEN)),
        payload_hash: r
            .get_if(flag::PAYLOAD_HASH, at::PAYLOAD_HASH)
            .map(u32::from_le_bytes),
        truncated: flags & flag::TRUNCATED != 0,
    };
    Ok(Record {
        ts_ns: i64::from_le_bytes(r.get(at::TS)),
        packet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offsets tile the row exactly: each field starts where the previous one ends.
    #[test]
    fn fields_tile_the_row() {
        let fields = [
            (at::TS, 8),
            (at::SRC, 16),
            (at::DST, 16),
            (at::FLAGS, 2),
            (at::IP_VERSION, 1),
            (at::PROTOCOL, 1),
            (at::TTL, 1),
            (at::FRAGMENT, 1),
            (at::IP_ID, 4),
            (at::IP_LEN, 4),
            (at::PAYLOAD_LEN, 4),
            (at::PAYLOAD_HASH, 4),
            (at::SRC_PORT, 2),
            (at::DST_PORT, 2),
            (at::ICMP_TYPE, 1),
            (at::ICMP_CODE, 1),
            (at::TCP_FLAGS, 2),
            (at::TCP_SEQ, 4),
            (at::TCP_ACK, 4),
            (at::TCP_WINDOW, 2),
            (at::OPT_KINDS, 12),
            (at::OPT_LEN, 1),
            (at::OPT_WSCALE, 1),
            (at::OPT_MSS, 2),
        ];
        let end = fields.iter().fold(0, |end, &(at, len)| {
            assert_eq!(at, end);
            at + len
        });
        assert_eq!(end, ROW_LEN);
    }

    #[test]
    fn ipv4_is_mapped_and_flagged() {
        let packet = PacketRepr {
            src: "192.0.2.1".parse().unwrap(),
            dst: "::ffff:192.0.2.1".parse().unwrap(),
            ip_version: 4,
            protocol: 6,
            ttl: 64,
            ip_id: None,
            ip_len: 40,
            fragment: Fragment::None,
            src_port: None,
            dst_port: None,
            icmp_type: None,
            icmp_code: None,
            tcp_flags: None,
            tcp_seq: None,
            tcp_ack: None,
            tcp_window: None,
            tcp_options: None,
            payload_len: 0,
            payload_hash: None,
            truncated: true,
        };
        let record = Record { ts_ns: -1, packet };
        let row = encode_row(&record);
        assert_eq!(row[at::SRC..at::SRC + 16], row[at::DST..at::DST + 16]);
        assert_eq!(
            u16::from_le_bytes([row[at::FLAGS], row[at::FLAGS + 1]]),
            flag::SRC_V4 | flag::TRUNCATED
        );
        assert_eq!(decode_row(&row), Ok(record));
    }
}
