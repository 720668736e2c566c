//! Packets per second of `write_pcap`, to a buffered file in the temp dir (the
//! benchmarks' real use) and to a sink (generation alone).

use std::fs::{self, File};
use std::io::{self, BufWriter};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use hirundo_sim::{write_pcap, SynthConfig};

const PACKETS: u64 = 500_000;

fn write(c: &mut Criterion) {
    let cfg = SynthConfig {
        packets: PACKETS,
        ..SynthConfig::default()
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("synth.pcap");
    let mut group = c.benchmark_group("write_pcap");
    group
        .throughput(Throughput::Elements(PACKETS))
        .sample_size(10);
    group.bench_function("bufwriter_file", |b| {
        b.iter_batched(
            // A new file each time, made outside the timing: truncating the last
            // run's file would charge the kernel's freeing of its pages to the writer.
            || {
                let _ = fs::remove_file(&path);
                BufWriter::new(File::create(&path).expect("create"))
            },
            |mut out| {
                let summary = write_pcap(&mut out, &cfg).expect("write");
                out.into_inner().expect("flush");
                summary
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("sink", |b| {
        b.iter(|| write_pcap(&mut io::sink(), &cfg).expect("write"))
    });
    group.finish();
}

criterion_group!(benches, write);
criterion_main!(benches);
