//! Reading speed over a page-cached, uncompressed pcap of 1M 60-byte frames (a darknet
//! capture is mostly bare TCP SYNs), and the same records as pcapng.

use std::io::{BufWriter, Write};
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use hirundo_capture::CaptureReader;

const RECORDS: u32 = 1_000_000;
const FRAME_LEN: u32 = 60;

fn write_pcap(path: &Path) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0])
        .unwrap();
    for field in [0u32, 0, 65535, 1] {
        out.write_all(&field.to_le_bytes()).unwrap();
    }
    let frame = [0x45u8; FRAME_LEN as usize];
    for i in 0..RECORDS {
        for field in [
            1_700_000_000 + i / 1000,
            (i % 1000) * 1000,
            FRAME_LEN,
            FRAME_LEN,
        ] {
            out.write_all(&field.to_le_bytes()).unwrap();
        }
        out.write_all(&frame).unwrap();
    }
    out.flush().unwrap();
}

fn write_pcapng(path: &Path) {
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    let shb: [u32; 7] = [0x0a0d0d0a, 28, 0x1a2b3c4d, 1, 0xffff_ffff, 0xffff_ffff, 28];
    let idb: [u32; 5] = [1, 20, 1, 0, 20];
    for field in shb.iter().chain(&idb) {
        out.write_all(&field.to_le_bytes()).unwrap();
    }
    let frame = [0x45u8; FRAME_LEN as usize];
    let block_len = 32 + FRAME_LEN;
    for i in 0..RECORDS {
        let ts = 1_700_000_000_000_000u64 + u64::from(i);
        let fields = [
            6,
            block_len,
            0,
            (ts >> 32) as u32,
            ts as u32,
            FRAME_LEN,
            FRAME_LEN,
        ];
        for field in fields {
            out.write_all(&field.to_le_bytes()).unwrap();
        }
        out.write_all(&frame).unwrap();
        out.write_all(&block_len.to_le_bytes()).unwrap();
    }
    out.flush().unwrap();
}

fn count_frames(path: &Path) -> u64 {
    let mut reader = CaptureReader::open(path).unwrap();
    let mut bytes = 0u64;
    while let Some(frame) = reader.next_frame().unwrap() {
        bytes += frame.data.len() as u64;
    }
    assert_eq!(bytes, u64::from(RECORDS * FRAME_LEN));
    bytes
}

fn read(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("bench.pcap");
    let pcapng = dir.path().join("bench.pcapng");
    write_pcap(&pcap);
    write_pcapng(&pcapng);
    let mut group = c.benchmark_group("read");
    group.throughput(Throughput::Elements(u64::from(RECORDS)));
    group.sample_size(20);
    group.bench_function("pcap_1M_60B", |b| b.iter(|| count_frames(&pcap)));
    group.bench_function("pcapng_1M_60B", |b| b.iter(|| count_frames(&pcapng)));
    group.finish();
}

criterion_group!(benches, read);
criterion_main!(benches);
