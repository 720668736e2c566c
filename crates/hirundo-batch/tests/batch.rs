//! Batches round-trip exactly, and every malformed byte string is refused with the right error
//! and without a panic.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hirundo_batch::{
    decode, encode, peek_header, Accounting, BatchError, BatchHeader, BatchId, Limits, Record,
};
use hirundo_wire::{Fragment, PacketRepr, TcpOptionsSummary};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ROW_LEN: usize = 96;
/// Where the header JSON starts.
const HEADER_AT: usize = 9;

fn maybe<T>(rng: &mut StdRng, value: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    rng.random_bool(0.5).then(|| value(rng))
}

fn random_addr(rng: &mut StdRng) -> IpAddr {
    match rng.random_range(0..3) {
        0 => IpAddr::V4(Ipv4Addr::from(rng.random::<u32>())),
        // An IPv6 packet may carry a mapped IPv4 address: it must stay IPv6.
        1 => IpAddr::V6(Ipv4Addr::from(rng.random::<u32>()).to_ipv6_mapped()),
        _ => IpAddr::V6(Ipv6Addr::from(rng.random::<u128>())),
    }
}

fn random_options(rng: &mut StdRng) -> TcpOptionsSummary {
    TcpOptionsSummary {
        // The unused kinds too: every byte must come back.
        kinds: rng.random(),
        len: rng.random_range(0..=12),
        mss: maybe(rng, |rng| rng.random()),
        wscale: maybe(rng, |rng| rng.random()),
    }
}

/// A record with every field random, independently of the others.
fn random_record(rng: &mut StdRng) -> Record {
    let packet = PacketRepr {
        src: random_addr(rng),
        dst: random_addr(rng),
        ip_version: if rng.random() { 4 } else { 6 },
        protocol: rng.random(),
        ttl: rng.random(),
        ip_id: maybe(rng, |rng| rng.random()),
        ip_len: rng.random(),
        fragment: [Fragment::None, Fragment::First, Fragment::Later][rng.random_range(0..3)],
        src_port: maybe(rng, |rng| rng.random()),
        dst_port: maybe(rng, |rng| rng.random()),
        icmp_type: maybe(rng, |rng| rng.random()),
        icmp_code: maybe(rng, |rng| rng.random()),
        tcp_flags: maybe(rng, |rng| rng.random()),
        tcp_seq: maybe(rng, |rng| rng.random()),
        tcp_ack: maybe(rng, |rng| rng.random()),
        tcp_window: maybe(rng, |rng| rng.random()),
        tcp_options: maybe(rng, random_options),
        payload_len: rng.random(),
        payload_hash: maybe(rng, |rng| rng.random()),
        truncated: rng.random(),
    };
    Record {
        ts_ns: rng.random(),
        packet,
    }
}

fn random_records(seed: u64, n: usize) -> Vec<Record> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(|_| random_record(&mut rng)).collect()
}

fn accounting() -> Accounting {
    Accounting {
        frames: 1_000_010,
        packets: 1_000_000,
        later_fragments: 12,
        first_ts_ns: Some(-5),
        last_ts_ns: None,
        non_ip: BTreeMap::from([("ethernet/0x0806".into(), 3), ("ethernet/llc".into(), 1)]),
        malformed: BTreeMap::from([("truncated_ip_header".into(), 4)]),
        malformed_hours: BTreeMap::from([(-1, 1), (472_000, 3)]),
        unsupported_link: BTreeMap::from([("linktype 105".into(), 2)]),
    }
}

fn header(records: usize) -> BatchHeader {
    BatchHeader {
        id: BatchId::random(),
        sensor: "tokyo-1 \"quoted\" é".into(),
        seq: u64::MAX,
        created_at_ns: i64::MIN,
        records: records as u64,
        accounting: accounting(),
    }
}

fn batch(records: &[Record]) -> Vec<u8> {
    encode(&header(records.len()), records)
}

/// A batch from its parts, for crafting bad ones.
fn assemble(header_json: &[u8], compressed: &[u8]) -> Vec<u8> {
    let mut bytes = b"HIRB\x01".to_vec();
    bytes.extend_from_slice(&(header_json.len() as u32).to_le_bytes());
    bytes.extend_from_slice(header_json);
    bytes.extend_from_slice(compressed);
    bytes
}

/// The header JSON and the decompressed rows of a good batch.
fn disassemble(bytes: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let len = u32::from_le_bytes(bytes[5..9].try_into().unwrap()) as usize;
    let json = bytes[HEADER_AT..HEADER_AT + len].to_vec();
    let rows = zstd::decode_all(&bytes[HEADER_AT + len..]).unwrap();
    (json, rows)
}

/// A batch of `rows` whose header claims `claimed` records.
fn claiming(claimed: usize, rows: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(&header(claimed)).unwrap();
    assemble(&json, &zstd::encode_all(rows, 1).unwrap())
}

fn decode_default(bytes: &[u8]) -> Result<(BatchHeader, Vec<Record>), BatchError> {
    decode(bytes, &Limits::default())
}

#[test]
fn random_records_round_trip_exactly() {
    // More than the 2 MiB zstd window of rows, so that the window limit is exercised.
    let records = random_records(1, 30_000);
    let packets = || records.iter().map(|r| &r.packet);
    for len in 0..=12 {
        assert!(packets().any(|p| p.tcp_options.is_some_and(|o| o.len == len)));
    }
    for fragment in [Fragment::None, Fragment::First, Fragment::Later] {
        assert!(packets().any(|p| p.fragment == fragment));
    }
    assert!(packets().any(|p| p.src.is_ipv4() && p.dst.is_ipv6()));
    assert!(packets().any(|p| p.tcp_options.is_some_and(|o| o.mss.is_none())));
    let header = header(records.len());
    let bytes = encode(&header, &records);
    assert_eq!(decode_default(&bytes).unwrap(), (header, records));
}

#[test]
fn extreme_records_round_trip() {
    let mut rng = StdRng::seed_from_u64(2);
    let mut all_some = random_record(&mut rng);
    let p = &mut all_some.packet;
    (p.ip_id, p.src_port, p.dst_port, p.icmp_type) = (Some(u32::MAX), Some(0), Some(1), Some(0));
    (p.icmp_code, p.tcp_flags, p.tcp_seq, p.tcp_ack) = (Some(255), Some(0x1ff), Some(0), Some(1));
    (p.tcp_window, p.payload_hash, p.truncated) = (Some(0), Some(0), true);
    p.tcp_options = Some(TcpOptionsSummary {
        kinds: [255; 12],
        len: 12,
        mss: Some(0),
        wscale: Some(0),
    });
    let mut all_none = all_some.clone();
    let p = &mut all_none.packet;
    (p.ip_id, p.src_port, p.dst_port, p.icmp_type, p.icmp_code) = (None, None, None, None, None);
    (p.tcp_flags, p.tcp_seq, p.tcp_ack, p.tcp_window) = (None, None, None, None);
    (p.tcp_options, p.payload_hash, p.truncated) = (None, None, false);
    (p.src, p.dst) = (Ipv6Addr::UNSPECIFIED.into(), Ipv4Addr::BROADCAST.into());
    all_none.ts_ns = i64::MIN;
    let empty_options = Record {
        ts_ns: i64::MAX,
        packet: PacketRepr {
            tcp_options: Some(TcpOptionsSummary::default()),
            ..all_none.packet.clone()
        },
    };
    let records = [all_some, all_none, empty_options];
    assert_eq!(decode_default(&batch(&records)).unwrap().1, records);
}

#[test]
fn headers_round_trip_and_can_be_peeked() {
    let empty = header(0);
    let bytes = encode(&empty, &[]);
    assert_eq!(decode_default(&bytes).unwrap(), (empty.clone(), vec![]));
    assert_eq!(peek_header(&bytes, &Limits::default()).unwrap(), empty);
    let default = BatchHeader {
        accounting: Accounting::default(),
        ..empty
    };
    assert_eq!(decode_default(&encode(&default, &[])).unwrap().0, default);
}

#[test]
fn the_record_count_written_is_the_records_given() {
    let records = random_records(3, 3);
    let bytes = encode(&header(7), &records);
    let (header, decoded) = decode_default(&bytes).unwrap();
    assert_eq!((header.records, decoded), (3, records));
}

#[test]
fn peek_header_does_not_decompress() {
    let mut bytes = batch(&random_records(4, 10));
    let (json, _) = disassemble(&bytes);
    bytes.truncate(HEADER_AT + json.len() + 1);
    assert_eq!(peek_header(&bytes, &Limits::default()).unwrap().records, 10);
    assert!(matches!(
        decode_default(&bytes),
        Err(BatchError::Truncated {
            part: "records",
            ..
        })
    ));
}

#[test]
fn refuses_wrong_magic_and_version() {
    let mut bytes = batch(&random_records(5, 2));
    bytes[4] = 2;
    let err = decode_default(&bytes).unwrap_err();
    assert!(matches!(err, BatchError::UnsupportedVersion { version: 2 }));
    assert!(err.to_string().starts_with("byte 4: "), "{err}");
    bytes[3] = b'\n';
    let err = decode_default(&bytes).unwrap_err();
    assert!(matches!(
        err,
        BatchError::BadMagic {
            found: [b'H', b'I', b'R', b'\n']
        }
    ));
    assert_eq!(
        err.to_string(),
        r#"byte 0: not a hirundo batch (starts with "HIR\n", not "HIRB")"#
    );
}

#[test]
fn refuses_a_truncated_preamble() {
    let bytes = batch(&[]);
    for (len, part) in [
        (0, "magic"),
        (3, "magic"),
        (4, "format version"),
        (8, "header length"),
    ] {
        let err = decode_default(&bytes[..len]).unwrap_err();
        assert!(
            matches!(err, BatchError::Truncated { offset, part: p } if offset == len && p == part),
            "{len}: {err}"
        );
    }
    let err = decode_default(&bytes[..HEADER_AT + 1]).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("byte {}: the batch ends inside the header", HEADER_AT + 1)
    );
}

#[test]
fn refuses_long_and_bad_headers() {
    let bytes = batch(&[]);
    let limits = Limits {
        max_header_bytes: 10,
        ..Limits::default()
    };
    let err = decode(&bytes, &limits).unwrap_err();
    assert!(
        matches!(err, BatchError::HeaderTooLong { max: 10, .. }),
        "{err}"
    );
    assert!(err.to_string().starts_with("byte 5: "), "{err}");
    let mut huge = bytes.clone();
    huge[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(
        decode_default(&huge),
        Err(BatchError::HeaderTooLong { len: u32::MAX, .. })
    ));

    let err = decode_default(&assemble(br#"{"id": 5}"#, &[])).unwrap_err();
    assert!(matches!(err, BatchError::BadHeader(_)), "{err}");
    assert!(err
        .to_string()
        .starts_with("byte 9: the header is not valid JSON: "));
    let (json, _) = disassemble(&bytes);
    let text = String::from_utf8(json).unwrap();
    let bad_id = text.replacen(r#""id":""#, r#""id":"X"#, 1);
    let err = decode_default(&assemble(bad_id.as_bytes(), &[])).unwrap_err();
    assert!(err.to_string().contains("lowercase hex"), "{err}");
}

#[test]
fn refuses_too_many_records() {
    let bytes = batch(&random_records(6, 10));
    let limits = Limits {
        max_records: 9,
        ..Limits::default()
    };
    let err = peek_header(&bytes, &limits).unwrap_err();
    assert!(matches!(
        err,
        BatchError::TooManyRecords {
            records: 10,
            max: 9
        }
    ));
    assert!(decode(&bytes, &limits).is_err());
    // Limits so high that the rows would not fit in the address space.
    let unlimited = Limits {
        max_records: u64::MAX,
        ..Limits::default()
    };
    let absurd = claiming(usize::MAX / 2, &[]);
    assert!(matches!(
        decode(&absurd, &unlimited),
        Err(BatchError::TooManyRecords { .. })
    ));
}

#[test]
fn refuses_records_that_are_not_one_zstd_frame() {
    let bytes = batch(&random_records(7, 10));
    let (json, _) = disassemble(&bytes);
    let records_at = HEADER_AT + json.len();

    let err = decode_default(&assemble(&json, b"not zstd")).unwrap_err();
    assert!(matches!(err, BatchError::NotZstd { offset } if offset == records_at));

    let mut two_frames = bytes.clone();
    two_frames.extend_from_slice(&zstd::encode_all(&b""[..], 1).unwrap());
    let err = decode_default(&two_frames).unwrap_err();
    assert!(matches!(err, BatchError::TrailingBytes { offset } if offset == bytes.len()));

    let cut = &bytes[..bytes.len() - 1];
    let err = decode_default(cut).unwrap_err();
    assert!(matches!(err, BatchError::Zstd { .. }), "{err}");
    assert!(err.to_string().contains("incomplete frame"), "{err}");

    // A frame that asks for a 1 GiB window (descriptor byte (30 - 10) << 3), then one raw byte.
    let window_bomb = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 20 << 3, 0x09, 0, 0, 0];
    let err = decode_default(&assemble(&json, &window_bomb)).unwrap_err();
    assert!(matches!(err, BatchError::Zstd { .. }), "{err}");
    assert!(
        err.to_string().starts_with(&format!("byte {records_at}")),
        "{err}"
    );
}

#[test]
fn refuses_a_record_count_the_rows_do_not_match() {
    let (_, rows) = disassemble(&batch(&random_records(8, 10)));
    let err = decode_default(&claiming(11, &rows)).unwrap_err();
    assert!(matches!(
        err,
        BatchError::RecordsTruncated {
            actual: 960,
            expected: 1056,
            records: 11,
            ..
        }
    ));
    let err = decode_default(&claiming(10, &rows[..rows.len() - 1])).unwrap_err();
    assert!(matches!(
        err,
        BatchError::RecordsTruncated { actual: 959, .. }
    ));
    let err = decode_default(&claiming(9, &rows)).unwrap_err();
    assert!(matches!(
        err,
        BatchError::RecordsTrailing {
            expected: 864,
            records: 9,
            ..
        }
    ));
    assert!(err.to_string().contains("more than 864 bytes"), "{err}");
    assert!(decode_default(&claiming(10, &rows)).is_ok());
}

#[test]
fn refuses_bad_fields() {
    let mut records = random_records(9, 4);
    records[3].packet.tcp_options = Some(TcpOptionsSummary::default());
    let (_, rows) = disassemble(&batch(&records));
    for (at, value, field) in [
        (42, 5, "ip_version"),
        (45, 3, "fragment"),
        (92, 13, "tcp_options.len"),
    ] {
        let mut bad = rows.clone();
        bad[3 * ROW_LEN + at] = value;
        let err = decode_default(&claiming(4, &bad)).unwrap_err();
        let offset = (3 * ROW_LEN + at) as u64;
        assert!(
            matches!(err, BatchError::BadRecord { index: 3, offset: o, field: f, value: v }
                if o == offset && f == field && v == value),
            "{err}"
        );
        assert_eq!(
            err.to_string(),
            format!("record 3 (byte {offset} of the decompressed records): bad {field} {value}")
        );
    }
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = batch(&random_records(10, 5));
    for len in 0..bytes.len() {
        assert!(decode_default(&bytes[..len]).is_err(), "cut at {len}");
    }
}

#[test]
fn corrupt_bytes_never_panic() {
    let bytes = batch(&random_records(11, 5));
    for at in 0..bytes.len() {
        for flip in [0x01, 0x80, 0xff] {
            let mut corrupt = bytes.clone();
            corrupt[at] ^= flip;
            let _ = decode_default(&corrupt);
        }
    }
}
