//! The MSSQL honeypot on arbitrary bytes: the TDS wire parsers, and a fresh `MssqlSession`
//! fed the input in two reads split at a fuzzer-chosen point. Nothing may panic.
//!
//! Input layout: byte 0 picks the session (bit 0: with TLS; bit 1: prefix a valid PRELOGIN
//! whose ENCRYPTION is byte 1, so that the fuzzer reaches the handshake and login states
//! without having to invent a PRELOGIN), bytes 2..4 the split point, the rest is the input.
#![no_main]

use std::sync::{Arc, OnceLock};

use hirundo_honeypot::tds::login::{sql_batch_text, Login7, Login7Repr};
use hirundo_honeypot::tds::wire::{self, Packet, PacketType, Prelogin, PreloginRepr, Reassembler};
use hirundo_honeypot::tds::{server_config, MssqlSession, TlsConfig};
use hirundo_honeypot::Session;
use libfuzzer_sys::fuzz_target;

/// One TLS configuration for the whole run, its certificate kept in the temp directory.
fn tls() -> Arc<TlsConfig> {
    static CONFIG: OnceLock<Arc<TlsConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let dir = std::env::temp_dir().join("hirundo-fuzz-tds");
            server_config(&dir).expect("TLS configuration")
        })
        .clone()
}

fn parsers(data: &[u8]) {
    if let Ok(packet) = Packet::new_checked(data) {
        let _ = packet.to_string();
    }
    if let Ok(prelogin) = Prelogin::new_checked(data) {
        let _ = PreloginRepr::parse(&prelogin);
    }
    if let Ok(login) = Login7::new_checked(data) {
        let _ = Login7Repr::parse(&login);
    }
    let _ = sql_batch_text(data);
    let mut reassembler = Reassembler::default();
    if reassembler.push(data).is_ok() {
        while let Ok(Some(_)) = reassembler.next_message() {}
    }
}

fn prelogin(encryption: u8) -> Vec<u8> {
    let repr = PreloginRepr {
        encryption: Some(wire::Encryption::from_byte(encryption)),
        ..PreloginRepr::default()
    };
    let mut packet = Vec::new();
    repr.emit_message(PacketType::PRELOGIN, &mut packet);
    packet
}

fuzz_target!(|data: &[u8]| {
    parsers(data);
    let [selector, encryption, s0, s1, rest @ ..] = data else {
        return;
    };
    let mut session = MssqlSession::new((selector & 1 == 1).then(tls));
    let mut input = if selector & 2 == 2 {
        prelogin(*encryption)
    } else {
        Vec::new()
    };
    input.extend_from_slice(rest);
    let split = usize::from(u16::from_le_bytes([*s0, *s1])) % (input.len() + 1);
    let (mut out, mut found) = (Vec::new(), Vec::new());
    if session.receive(&input[..split], &mut out, &mut found) == hirundo_honeypot::Flow::Continue {
        session.receive(&input[split..], &mut out, &mut found);
    }
});
