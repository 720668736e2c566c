//! The batch decoder on arbitrary bytes: it must never panic, and whatever it accepts must
//! come back unchanged when encoded and decoded again.
#![no_main]

use hirundo_batch::{decode, encode, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let Ok((header, records)) = decode(data, &limits) else {
        return;
    };
    let again = decode(&encode(&header, &records), &limits).expect("a re-encoded batch decodes");
    assert_eq!(again, (header, records));
});
