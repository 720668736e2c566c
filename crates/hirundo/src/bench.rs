//! `hirundo bench`: the measurements behind docs/PERFORMANCE.md.

use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use clap::Subcommand;
use hirundo_capture::CaptureReader;
use hirundo_sim::{write_pcap, SynthConfig};
use hirundo_wire::{decode, Decoded, LinkType};

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Write a synthetic darknet capture (classic pcap, Ethernet) for benchmarks and tests.
    Synth {
        #[arg(long, default_value_t = 10_000_000)]
        packets: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Read a capture on one core: records only, records and decoding, and decoding alone (of
    /// frames held in memory). Prints packets/s.
    Decode { file: PathBuf },
    /// Send an Ethernet capture's frames out of an interface as fast as the kernel takes them
    /// (the load for the sensor's capture benchmark; needs CAP_NET_RAW). Prints frames/s.
    Send {
        /// The interface, e.g. one end of a veth pair.
        #[arg(long, value_name = "IF")]
        iface: String,
        /// Send the whole capture this many times.
        #[arg(long, default_value_t = 1)]
        rounds: u32,
        file: PathBuf,
    },
}

pub fn run(command: BenchCommand) -> anyhow::Result<()> {
    match command {
        BenchCommand::Synth { packets, seed, out } => synth(packets, seed, &out),
        BenchCommand::Decode { file } => {
            let (frames, read_s) = pass(&file, false)?;
            let (decoded, decode_s) = pass(&file, true)?;
            let (held, decode_only_s) = decode_in_memory(&file)?;
            let rate = |n: u64, s: f64| n as f64 / s.max(1e-9);
            println!(
                "{}",
                serde_json::json!({
                    "file": file.display().to_string(),
                    "frames": frames,
                    "read_seconds": read_s,
                    "read_packets_per_second": rate(frames, read_s).round(),
                    "ip_packets": decoded,
                    "read_decode_seconds": decode_s,
                    "read_decode_packets_per_second": rate(frames, decode_s).round(),
                    "decode_only_frames": held,
                    "decode_only_seconds": decode_only_s,
                    "decode_only_packets_per_second": rate(held, decode_only_s).round(),
                })
            );
            Ok(())
        }
        BenchCommand::Send {
            iface,
            rounds,
            file,
        } => send(&iface, rounds, &file),
    }
}

/// Sends the capture's Ethernet frames, read into memory first so that reading does not
/// limit the rate.
fn send(iface: &str, rounds: u32, file: &Path) -> anyhow::Result<()> {
    let transmitter = hirundo_replay::Transmitter::open(iface)?;
    let held = HeldFrames::read(file, usize::MAX, |link| link == LinkType::Ethernet)?;
    anyhow::ensure!(
        !held.frames.is_empty(),
        "{}: no Ethernet frames to send",
        file.display()
    );
    let frames: Vec<&[u8]> = held.frames.iter().map(|f| held.bytes(f)).collect();
    let sent = transmitter.send_all(&frames, rounds)?;
    println!(
        "{}",
        serde_json::json!({
            "file": file.display().to_string(),
            "iface": iface,
            "frames": sent.frames,
            "bytes": sent.bytes,
            "seconds": sent.elapsed.as_secs_f64(),
            "frames_per_second": sent.frames_per_second().round(),
            "retries": sent.retries,
        })
    );
    Ok(())
}

/// A capture's frames read into one buffer.
struct HeldFrames {
    buffer: Vec<u8>,
    frames: Vec<HeldFrame>,
}

struct HeldFrame {
    link: LinkType,
    range: std::ops::Range<usize>,
    orig_len: u32,
}

impl HeldFrames {
    /// The first `limit` frames of a link type the decoder knows and `keep` accepts.
    fn read(
        file: &Path,
        limit: usize,
        keep: impl Fn(LinkType) -> bool,
    ) -> anyhow::Result<HeldFrames> {
        let mut reader = CaptureReader::open(file)?;
        let mut held = HeldFrames {
            buffer: Vec::new(),
            frames: Vec::new(),
        };
        while held.frames.len() < limit {
            let Some(frame) = reader.next_frame()? else {
                break;
            };
            let Some(link) = LinkType::from_linktype(frame.linktype).filter(|&l| keep(l)) else {
                continue;
            };
            let start = held.buffer.len();
            held.buffer.extend_from_slice(frame.data);
            held.frames.push(HeldFrame {
                link,
                range: start..held.buffer.len(),
                orig_len: frame.orig_len,
            });
        }
        Ok(held)
    }

    fn bytes(&self, frame: &HeldFrame) -> &[u8] {
        &self.buffer[frame.range.clone()]
    }
}

fn synth(packets: u64, seed: u64, out: &Path) -> anyhow::Result<()> {
    let cfg = SynthConfig {
        packets,
        seed,
        ..SynthConfig::default()
    };
    let file = std::fs::File::create(out).with_context(|| format!("creating {}", out.display()))?;
    let started = Instant::now();
    let summary = write_pcap(&mut BufWriter::with_capacity(1 << 20, file), &cfg)
        .with_context(|| format!("writing {}", out.display()))?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({
            "file": out.display().to_string(),
            "packets": summary.packets,
            "bytes": summary.bytes,
            "seconds": seconds,
            "packets_per_second": (summary.packets as f64 / seconds.max(1e-9)).round(),
        })
    );
    Ok(())
}

/// Frames held in memory to time decoding alone: 1 Mi frames of a darknet capture are about
/// 90 MB, far more than the CPU caches, as they would be when streamed.
const HELD_FRAMES: usize = 1 << 20;

/// Decodes the first [`HELD_FRAMES`] frames of the file, read into memory beforehand, on one
/// core. Returns the frames decoded (each held frame once per pass, passes enough for ten
/// million) and the seconds taken, reading excluded.
fn decode_in_memory(file: &Path) -> anyhow::Result<(u64, f64)> {
    let held = HeldFrames::read(file, HELD_FRAMES, |_| true)?;
    let frames: Vec<(LinkType, &[u8], u32)> = held
        .frames
        .iter()
        .map(|f| (f.link, held.bytes(f), f.orig_len))
        .collect();
    let passes = (10_000_000 / frames.len().max(1)).max(1);
    let started = Instant::now();
    let mut packets = 0u64;
    for _ in 0..passes {
        for &(link, data, orig_len) in &frames {
            packets += decoded_ip(link, data, orig_len);
        }
    }
    std::hint::black_box(packets);
    Ok((
        (passes * frames.len()) as u64,
        started.elapsed().as_secs_f64(),
    ))
}

/// One pass over the file; with `decode`, every frame is decoded too. Returns the frames (or
/// decoded IP packets) and the seconds taken.
fn pass(file: &Path, decode_frames: bool) -> anyhow::Result<(u64, f64)> {
    let mut reader = CaptureReader::open(file)?;
    let started = Instant::now();
    let mut count = 0u64;
    while let Some(frame) = reader.next_frame()? {
        if !decode_frames {
            count += 1;
            continue;
        }
        let Some(link) = LinkType::from_linktype(frame.linktype) else {
            continue;
        };
        count += decoded_ip(link, frame.data, frame.orig_len);
    }
    Ok((count, started.elapsed().as_secs_f64()))
}

/// Decodes one frame: 1 if it is an IP packet. The packet goes through `black_box`, so the
/// decoding is not optimised away.
#[inline]
fn decoded_ip(link: LinkType, data: &[u8], orig_len: u32) -> u64 {
    match decode(link, data, orig_len) {
        Decoded::Packet(p) => u64::from(std::hint::black_box(p).ip_version > 0),
        _ => 0,
    }
}
