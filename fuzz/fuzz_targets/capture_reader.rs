//! The capture reader (pcap, pcapng, gzip, zstd) and the decoder behind it on arbitrary
//! files: no panic, no hang, bounded memory.
#![no_main]

use std::io::Cursor;

use hirundo_capture::CaptureReader;
use hirundo_wire::{decode, LinkType};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = Box::new(Cursor::new(data.to_vec()));
    let Ok(mut reader) = CaptureReader::from_reader("fuzz-input", input) else {
        return;
    };
    while let Ok(Some(frame)) = reader.next_frame() {
        if let Some(link) = LinkType::from_linktype(frame.linktype) {
            let _ = decode(link, frame.data, frame.orig_len);
        }
    }
});
