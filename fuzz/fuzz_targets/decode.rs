//! The packet decoder on arbitrary frames of every link type: it must never panic.
#![no_main]

use hirundo_wire::{decode, LinkType};
use libfuzzer_sys::fuzz_target;

/// The LINKTYPE numbers the decoder supports; the first input byte picks one.
const LINKTYPES: [u32; 8] = [1, 113, 276, 101, 228, 229, 0, 108];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let linktype = LINKTYPES[usize::from(selector) % LINKTYPES.len()];
    let link = LinkType::from_linktype(linktype).expect("supported link type");
    // orig_len either equal to the captured length or larger (a snaplen-cut capture).
    let orig_len = frame.len() as u32 + u32::from(selector >> 7) * 100;
    let _ = decode(link, frame, orig_len);
});
