//! Every frame of the tcpdump test captures in `shared/corpus/` (real traffic from many
//! networks, much of it malformed on purpose) goes through `decode` without a panic.

mod common;

use std::path::{Path, PathBuf};

use common::decode_checked;
use hirundo_wire::{Decoded, LinkType};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/tcpdump-tests")
}

/// One record of a capture: the captured bytes and the original length.
type Record<'a> = (&'a [u8], u32);

/// The link type and records of a classic pcap file; None for pcapng and anything else.
/// Records that run past the end are left out.
fn read_pcap(bytes: &[u8]) -> Option<(u32, Vec<Record<'_>>)> {
    let magic = bytes.get(..4)?;
    let big_endian = match magic {
        [0xa1, 0xb2, 0xc3, 0xd4] | [0xa1, 0xb2, 0x3c, 0x4d] => true,
        [0xd4, 0xc3, 0xb2, 0xa1] | [0x4d, 0x3c, 0xb2, 0xa1] => false,
        _ => return None,
    };
    let u32_at = |at: usize| -> Option<u32> {
        let field: [u8; 4] = bytes.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(field)
        } else {
            u32::from_le_bytes(field)
        })
    };
    let linktype = u32_at(20)?;
    let mut records = Vec::new();
    let mut at = 24;
    while let (Some(captured), Some(orig_len)) = (u32_at(at + 8), u32_at(at + 12)) {
        let start = at + 16;
        let Some(data) = bytes.get(start..start + captured as usize) else {
            break;
        };
        records.push((data, orig_len));
        at = start + captured as usize;
    }
    Some((linktype, records))
}

#[test]
fn tcpdump_captures_decode_without_panic() {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no corpus at {}: skipped", dir.display());
        return;
    };
    let (mut packets, mut non_ip, mut malformed) = (0, 0, 0);
    for entry in entries {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let Some((linktype, records)) = read_pcap(&bytes) else {
            continue;
        };
        let Some(link) = LinkType::from_linktype(linktype) else {
            continue;
        };
        for (data, orig_len) in records {
            match decode_checked(link, data, orig_len) {
                Decoded::Packet(_) => packets += 1,
                Decoded::NonIp(_) => non_ip += 1,
                Decoded::Malformed(_) => malformed += 1,
            }
        }
    }
    eprintln!("corpus: {packets} packets, {non_ip} non-IP, {malformed} malformed");
    // Most of the corpus is well-formed IP; a decoder that rejected it would show here.
    assert!(
        packets > 4 * malformed,
        "{packets} packets, {malformed} malformed"
    );
    assert!(packets > 1000, "{packets} packets");
}
