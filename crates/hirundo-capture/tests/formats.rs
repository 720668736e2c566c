//! Every format variant, written at test time by the real tools (tcpdump, editcap,
//! mergecap, tshark, tcprewrite, gzip, zstd) from corpus captures, and read back both by
//! the reader and by tshark: the frames must agree in count, lengths and time stamps.

mod common;

use std::path::{Path, PathBuf};

use common::ng::{self, BE, LE};
use common::{
    assert_same_as_tshark, corpus_file, path_str, read_ok, run, run_to_file, tshark_frames, Seen,
};
use hirundo_capture::{CaptureReader, Compression, Container};
use tempfile::TempDir;

/// Ethernet, microseconds, little-endian, 91 frames.
const ETHERNET: &str = "bgp-4byte-asn.pcap";
/// Linux cooked v1, microseconds, little-endian, 163 frames.
const COOKED: &str = "resp_3_malicious.pcap";
/// Big-endian pcaps (written on big-endian machines).
const BIG_ENDIAN: [&str; 3] = ["isup.pcap", "slow-ossp.pcap", "unaligned-nfs-1.pcap"];

const LINKTYPE_ETHERNET: u32 = 1;
const LINKTYPE_LINUX_SLL: u32 = 113;

fn kinds(path: &Path) -> (Container, Compression) {
    let reader = CaptureReader::open(path).unwrap();
    (reader.container(), reader.compression())
}

fn magic(path: &Path) -> [u8; 4] {
    std::fs::read(path).unwrap()[..4].try_into().unwrap()
}

/// `editcap ARGS from to`, returning `to`.
fn editcap(dir: &TempDir, args: &[&str], from: &Path, to: &str) -> PathBuf {
    let out = dir.path().join(to);
    let mut all = args.to_vec();
    all.extend([path_str(from), path_str(&out)]);
    run("editcap", &all);
    out
}

/// Time stamps and lengths only: what must survive a change of container.
fn strip_linktype(frames: &[Seen]) -> Vec<(i64, u32, u32)> {
    frames
        .iter()
        .map(|f| (f.ts_ns, f.orig_len, f.cap_len))
        .collect()
}

#[test]
fn pcap_microseconds_from_tcpdump_and_tcprewrite() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    let frames = assert_same_as_tshark(&original);
    assert_eq!(frames.len(), 91);
    assert!(frames.iter().all(|f| f.linktype == LINKTYPE_ETHERNET));
    assert_eq!(kinds(&original), (Container::Pcap, Compression::None));

    let by_tcpdump = dir.path().join("tcpdump.pcap");
    run(
        "tcpdump",
        &["-r", path_str(&original), "-w", path_str(&by_tcpdump)],
    );
    assert_eq!(assert_same_as_tshark(&by_tcpdump), frames);

    let by_tcprewrite = dir.path().join("tcprewrite.pcap");
    run(
        "tcprewrite",
        &[
            "--infile",
            path_str(&original),
            "--outfile",
            path_str(&by_tcprewrite),
            "--enet-dmac=02:00:00:00:00:01",
        ],
    );
    assert_eq!(assert_same_as_tshark(&by_tcprewrite), frames);
}

#[test]
fn pcap_big_endian_and_its_little_endian_copy() {
    let dir = TempDir::new().unwrap();
    for name in BIG_ENDIAN {
        let original = corpus_file(name);
        assert_eq!(
            magic(&original),
            [0xa1, 0xb2, 0xc3, 0xd4],
            "{name} is big-endian"
        );
        let frames = assert_same_as_tshark(&original);
        assert!(!frames.is_empty());
        let little = editcap(&dir, &["-F", "pcap"], &original, name);
        assert_eq!(magic(&little), [0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(assert_same_as_tshark(&little), frames, "{name}");
    }
}

#[test]
fn pcap_nanoseconds_from_editcap_and_tcpdump() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    // The shift leaves a non-zero ns digit in every time stamp.
    let by_editcap = editcap(
        &dir,
        &["-F", "nsecpcap", "-t", "0.000000123"],
        &original,
        "e.pcap",
    );
    assert_eq!(magic(&by_editcap), [0x4d, 0x3c, 0xb2, 0xa1]);
    let frames = assert_same_as_tshark(&by_editcap);
    assert!(frames.iter().all(|f| f.ts_ns % 1000 == 123));

    let by_tcpdump = dir.path().join("t.pcap");
    run(
        "tcpdump",
        &[
            "--time-stamp-precision=nano",
            "-r",
            path_str(&by_editcap),
            "-w",
            path_str(&by_tcpdump),
        ],
    );
    assert_eq!(magic(&by_tcpdump), [0x4d, 0x3c, 0xb2, 0xa1]);
    assert_eq!(assert_same_as_tshark(&by_tcpdump), frames);
}

#[test]
fn pcap_fractions_of_a_second_too_large_carry_into_the_seconds() {
    // tshark prints these as "1418145370.1000000000"; the sum is what the file says.
    let path = corpus_file("timestamp_invalid_nano.pcap");
    let ours = read_ok(&path);
    let lengths: Vec<_> = tshark_frames(&path)
        .iter()
        .map(|f| (f.orig_len, f.cap_len))
        .collect();
    assert_eq!(
        ours.iter()
            .map(|f| (f.orig_len, f.cap_len))
            .collect::<Vec<_>>(),
        lengths
    );
    let stamps: Vec<_> = ours.iter().map(|f| f.ts_ns).collect();
    assert_eq!(
        stamps,
        [
            1_418_145_369_999_999_999,
            1_418_145_371_000_000_000,
            1_418_145_372_147_483_648
        ]
    );
}

#[test]
fn pcap_modified_format_from_editcap() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(COOKED);
    let modified = editcap(&dir, &["-F", "modpcap"], &original, "m.pcap");
    assert_eq!(magic(&modified), [0x34, 0xcd, 0xb2, 0xa1]);
    assert_eq!(assert_same_as_tshark(&modified), read_ok(&original));
}

#[test]
fn pcapng_from_editcap_and_tshark() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    let pcap_frames = read_ok(&original);

    let by_editcap = editcap(&dir, &["-F", "pcapng"], &original, "e.pcapng");
    assert_eq!(kinds(&by_editcap), (Container::PcapNg, Compression::None));
    assert_eq!(assert_same_as_tshark(&by_editcap), pcap_frames);

    let by_tshark = dir.path().join("t.pcapng");
    run(
        "tshark",
        &[
            "-r",
            path_str(&original),
            "-F",
            "pcapng",
            "-w",
            path_str(&by_tshark),
        ],
    );
    assert_eq!(assert_same_as_tshark(&by_tshark), pcap_frames);

    for name in [
        "OSPFv2_Capture_FINAL.pcapng",
        "dhcp-option-108.pcapng",
        "vsock-1.pcapng",
        "time_2106_overflow.pcapng",
    ] {
        assert_same_as_tshark(&corpus_file(name));
    }
    assert!(read_ok(&corpus_file("empty.pcapng")).is_empty());
}

#[test]
fn pcapng_nanosecond_resolution_from_editcap() {
    let dir = TempDir::new().unwrap();
    let nsec = editcap(
        &dir,
        &["-F", "nsecpcap", "-t", "0.000000007"],
        &corpus_file(COOKED),
        "n.pcap",
    );
    let pcapng = editcap(&dir, &["-F", "pcapng"], &nsec, "n.pcapng");
    let frames = assert_same_as_tshark(&pcapng);
    assert!(frames.iter().all(|f| f.ts_ns % 1000 == 7));
    assert_eq!(frames, read_ok(&nsec));
}

#[test]
fn pcapng_interfaces_of_different_link_types_from_mergecap() {
    let dir = TempDir::new().unwrap();
    let (ethernet, cooked) = (corpus_file(ETHERNET), corpus_file(COOKED));
    let merged = dir.path().join("merged.pcapng");
    run(
        "mergecap",
        &[
            "-F",
            "pcapng",
            "-w",
            path_str(&merged),
            path_str(&ethernet),
            path_str(&cooked),
        ],
    );
    let mut frames = assert_same_as_tshark(&merged);
    let mut inputs = read_ok(&ethernet);
    inputs.extend(read_ok(&cooked));
    frames.sort();
    inputs.sort();
    assert_eq!(
        frames, inputs,
        "each frame keeps the link type of its interface"
    );
    assert!(frames.iter().any(|f| f.linktype == LINKTYPE_LINUX_SLL));
}

#[test]
fn pcapng_sections_reset_interfaces_and_byte_order() {
    let dir = TempDir::new().unwrap();
    let cooked = editcap(&dir, &["-F", "pcapng"], &corpus_file(COOKED), "c.pcapng");
    let merged = dir.path().join("m.pcapng");
    let (ethernet, cooked_pcap) = (corpus_file(ETHERNET), corpus_file(COOKED));
    run(
        "mergecap",
        &[
            "-F",
            "pcapng",
            "-w",
            path_str(&merged),
            path_str(&ethernet),
            path_str(&cooked_pcap),
        ],
    );
    // No tool writes big-endian pcapng; this section is editcap's, byte-swapped.
    let big = ng::to_big_endian(&std::fs::read(&cooked).unwrap());

    let mut sections = std::fs::read(&cooked).unwrap();
    sections.extend(std::fs::read(&merged).unwrap());
    sections.extend(&big);
    sections.extend(std::fs::read(&cooked).unwrap());
    let path = dir.path().join("sections.pcapng");
    std::fs::write(&path, sections).unwrap();

    let frames = assert_same_as_tshark(&path);
    let cooked_frames = read_ok(&cooked);
    let merged_frames = read_ok(&merged);
    let n = cooked_frames.len();
    assert_eq!(frames.len(), 3 * n + merged_frames.len());
    assert_eq!(frames[..n], cooked_frames[..]);
    assert_eq!(frames[n..n + merged_frames.len()], merged_frames[..]);
    assert_eq!(frames[n + merged_frames.len()..][..n], cooked_frames[..]);
    assert_eq!(frames[frames.len() - n..], cooked_frames[..]);
}

#[test]
fn pcapng_big_endian_copy_of_editcap_output() {
    let dir = TempDir::new().unwrap();
    let nsec = editcap(
        &dir,
        &["-F", "nsecpcap", "-t", "0.000000042"],
        &corpus_file(ETHERNET),
        "n.pcap",
    );
    let little = editcap(&dir, &["-F", "pcapng"], &nsec, "n.pcapng");
    let path = dir.path().join("big.pcapng");
    std::fs::write(&path, ng::to_big_endian(&std::fs::read(&little).unwrap())).unwrap();
    assert_eq!(assert_same_as_tshark(&path), read_ok(&little));
}

#[test]
fn snaplen_cut_frames_keep_their_length_on_the_wire() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    let cut = editcap(&dir, &["-s", "60"], &original, "cut.pcap");
    let frames = assert_same_as_tshark(&cut);
    assert!(frames.iter().all(|f| f.cap_len <= 60));
    assert!(frames.iter().any(|f| f.cap_len < f.orig_len));
    let whole = read_ok(&original);
    let lengths = |v: &[Seen]| v.iter().map(|f| (f.ts_ns, f.orig_len)).collect::<Vec<_>>();
    assert_eq!(lengths(&frames), lengths(&whole));

    let cut_ng = editcap(&dir, &["-s", "60", "-F", "pcapng"], &original, "cut.pcapng");
    assert_eq!(assert_same_as_tshark(&cut_ng), frames);
}

#[test]
fn gzip_and_zstd_of_pcap_and_pcapng() {
    let dir = TempDir::new().unwrap();
    let pcap = corpus_file(COOKED);
    let pcapng = editcap(&dir, &["-F", "pcapng"], &pcap, "c.pcapng");
    let frames = read_ok(&pcap);
    for (plain, container) in [(&pcap, Container::Pcap), (&pcapng, Container::PcapNg)] {
        // Names that lie about the content: detection goes by magic bytes.
        let gz = dir.path().join("gz.pcap");
        run_to_file("gzip", &["-c", path_str(plain)], &gz);
        let zst = dir.path().join("zst.pcapng");
        run_to_file("zstd", &["-q", "-c", path_str(plain)], &zst);
        assert_eq!(kinds(&gz), (container, Compression::Gzip));
        assert_eq!(kinds(&zst), (container, Compression::Zstd));
        assert_eq!(assert_same_as_tshark(&gz), frames);
        assert_eq!(assert_same_as_tshark(&zst), frames);
    }
}

#[test]
fn gzip_members_and_zstd_frames_concatenated() {
    let dir = TempDir::new().unwrap();
    let pcap = corpus_file(ETHERNET);
    let bytes = std::fs::read(&pcap).unwrap();
    let (head, tail) = bytes.split_at(bytes.len() / 2);
    let (head_path, tail_path) = (dir.path().join("head"), dir.path().join("tail"));
    std::fs::write(&head_path, head).unwrap();
    std::fs::write(&tail_path, tail).unwrap();
    for (tool, args) in [("gzip", &["-c"][..]), ("zstd", &["-q", "-c"][..])] {
        let mut joined = Vec::new();
        for part in [&head_path, &tail_path] {
            let mut all = args.to_vec();
            all.push(path_str(part));
            joined.extend(run(tool, &all).stdout);
        }
        let path = dir.path().join(format!("joined.{tool}"));
        std::fs::write(&path, joined).unwrap();
        assert_eq!(read_ok(&path), read_ok(&pcap), "{tool}");
    }
}

#[test]
fn power_of_two_resolution_and_time_offset() {
    // No tool writes 2^-n resolution; tshark reads it.
    let dir = TempDir::new().unwrap();
    let frame: Vec<u8> = (0..60).collect();
    let units_2_20 = (1_700_000_000u64 << 20) + 12_345;
    for order in [LE, BE] {
        let mut file = order.section_header();
        let clock = [
            order.option(ng::IF_TSRESOL, &[0x94]),
            order.option(ng::IF_TSOFFSET, &order.i64(-1000)),
        ];
        file.extend(order.interface(1, 0, &clock));
        file.extend(order.interface(1, 0, &[order.option(ng::IF_TSRESOL, &[3])]));
        file.extend(order.enhanced(0, units_2_20, 60, &frame));
        file.extend(order.enhanced(1, 1_700_000_000_123, 60, &frame));
        let path = dir.path().join("clock.pcapng");
        std::fs::write(&path, file).unwrap();
        let stamps: Vec<_> = assert_same_as_tshark(&path)
            .iter()
            .map(|f| f.ts_ns)
            .collect();
        assert_eq!(
            stamps,
            [1_699_999_000_011_773_109, 1_700_000_000_123_000_000]
        );
    }
}

#[test]
fn time_stamps_beyond_i64_nanoseconds_saturate() {
    let dir = TempDir::new().unwrap();
    let mut file = LE.section_header();
    let early = LE.option(ng::IF_TSOFFSET, &LE.i64(i64::MIN));
    file.extend(LE.interface(1, 0, &[LE.option(ng::IF_TSRESOL, &[0x80])])); // whole seconds
    file.extend(LE.interface(1, 0, &[early]));
    file.extend(LE.enhanced(0, u64::MAX, 4, &[1, 2, 3, 4]));
    file.extend(LE.enhanced(1, 0, 4, &[1, 2, 3, 4]));
    let path = dir.path().join("far.pcapng");
    std::fs::write(&path, file).unwrap();
    let stamps: Vec<_> = read_ok(&path).iter().map(|f| f.ts_ns).collect();
    assert_eq!(stamps, [i64::MAX, i64::MIN]);
}

#[test]
fn simple_and_obsolete_packet_blocks() {
    // No installed tool writes these blocks any more; tshark still reads them.
    let dir = TempDir::new().unwrap();
    let frame: Vec<u8> = (0..60).collect();
    for order in [LE, BE] {
        let mut file = order.section_header();
        file.extend(order.interface(1, 40, &[]));
        file.extend(order.interface(113, 0, &[order.option(ng::IF_TSRESOL, &[9])]));
        file.extend(order.simple(60, &frame[..40])); // cut by the interface's snaplen
        file.extend(order.simple(30, &frame[..30]));
        file.extend(order.obsolete(1, 1_700_000_000_123_456_789, 60, &frame[..50]));
        let path = dir.path().join("old.pcapng");
        std::fs::write(&path, file).unwrap();
        let frames = assert_same_as_tshark(&path);
        let shape: Vec<_> = frames
            .iter()
            .map(|f| (f.linktype, f.cap_len, f.orig_len))
            .collect();
        assert_eq!(shape, [(1, 40, 60), (1, 30, 30), (113, 50, 60)]);
    }
}

#[test]
fn custom_and_unknown_blocks_are_skipped() {
    // Spliced into editcap's output by hand: no installed tool writes such blocks.
    let dir = TempDir::new().unwrap();
    let original = editcap(&dir, &["-F", "pcapng"], &corpus_file(ETHERNET), "o.pcapng");
    let bytes = std::fs::read(&original).unwrap();
    let mut spliced = Vec::new();
    for (i, (_, block)) in ng::split_blocks(&bytes).into_iter().enumerate() {
        spliced.extend(block);
        if i % 3 == 1 {
            spliced.extend(LE.custom(12345, b"private things"));
            spliced.extend(LE.block(0x4000_0bad, &[0, 0, 0x30, 0x39, 1, 2, 3, 4]));
            spliced.extend(LE.block(0x0000_7777, b"a block type nobody knows"));
            spliced.extend(LE.block(0x0000_0005, &[0; 12])); // interface statistics, no options
        }
    }
    let path = dir.path().join("spliced.pcapng");
    std::fs::write(&path, spliced).unwrap();
    assert_eq!(assert_same_as_tshark(&path), read_ok(&original));
}

#[test]
fn a_large_skipped_block_streams_through() {
    // Larger than the parse buffer: skipped in pieces, never held whole.
    let dir = TempDir::new().unwrap();
    let original = editcap(&dir, &["-F", "pcapng"], &corpus_file(ETHERNET), "o.pcapng");
    let bytes = std::fs::read(&original).unwrap();
    let blocks = ng::split_blocks(&bytes);
    let mut file = Vec::new();
    file.extend(blocks[0].1);
    file.extend(LE.custom(12345, &vec![0x5a; 3 << 20]));
    blocks[1..].iter().for_each(|(_, b)| file.extend(*b));
    let path = dir.path().join("big.pcapng");
    std::fs::write(&path, file).unwrap();
    assert_eq!(assert_same_as_tshark(&path), read_ok(&original));
}

#[test]
fn frames_hold_the_captured_bytes() {
    let dir = TempDir::new().unwrap();
    let original = corpus_file(ETHERNET);
    let pcapng = editcap(&dir, &["-F", "pcapng"], &original, "o.pcapng");
    let gz = dir.path().join("o.pcapng.gz");
    run_to_file("gzip", &["-c", path_str(&pcapng)], &gz);
    // With every dissector off, tshark prints each frame's bytes once, nothing reassembled.
    let hex = run(
        "tshark",
        &["-r", path_str(&original), "-x", "--disable-protocol", "ALL"],
    )
    .stdout;
    let expected = hex_dumps(&String::from_utf8(hex).unwrap());
    for path in [&original, &pcapng, &gz] {
        let mut reader = CaptureReader::open(path).unwrap();
        let mut i = 0;
        while let Some(frame) = reader.next_frame().unwrap() {
            assert_eq!(
                frame.data,
                &expected[i][..],
                "frame {} of {}",
                i + 1,
                path.display()
            );
            i += 1;
        }
        assert_eq!(i, expected.len());
    }
    assert_eq!(
        strip_linktype(&read_ok(&gz)),
        strip_linktype(&read_ok(&original))
    );
}

/// The frame bytes of `tshark -x` hex dumps ("0010  08 00 06 ...   ascii"), one per frame.
fn hex_dumps(text: &str) -> Vec<Vec<u8>> {
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for line in text.lines() {
        let Some((offset, rest)) = line.split_once("  ") else {
            continue;
        };
        if offset == "0000" {
            frames.push(Vec::new());
        }
        // Up to 16 "xx " groups fill the first 48 columns; the ASCII column follows.
        let hex = &rest[..rest.len().min(16 * 3)];
        let bytes = hex
            .split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap());
        frames.last_mut().unwrap().extend(bytes);
    }
    frames
}
