//! [`MssqlSession`]: one TDS connection, sans-I/O, from PRELOGIN to the failed login.
//!
//! The exchange a real SQL Server 2019 (15.0.2000, the RTM build) with a certificate has with
//! a client, and what the honeypot does at each step:
//!
//! 1. PRELOGIN: the client's options (version, encryption, instance...) are answered with
//!    VERSION 15.0.2000, the negotiated ENCRYPTION, INSTOPT, an empty THREADID and MARS off.
//!    Encryption is negotiated as such a server does when "force encryption" is off: client
//!    NOT_SUP -> NOT_SUP (everything in clear); client OFF -> OFF (only LOGIN7 is encrypted,
//!    then the connection goes back to clear TDS); client ON or REQ -> ON (everything after
//!    the handshake is TLS); no ENCRYPTION option or another value (client-certificate
//!    bits) -> NOT_SUP. Without a TLS configuration the answer is always NOT_SUP, and a
//!    client that insists on TLS gives up, as it would with SQL Server without a certificate.
//! 2. TLS handshake, when negotiated: its records travel inside PRELOGIN packets both ways
//!    until it completes; after that TLS records flow directly on TCP.
//! 3. LOGIN7: recorded as a [`Finding`] (credentials, client description, whether it came
//!    over TLS) and answered with error 18456 "Login failed for user '...'" like SQL Server,
//!    so that brute-forcers count a wrong password and go on. A client may try again on the
//!    same connection, up to [`MAX_LOGINS`] times; then the connection is closed.
//! 4. SQL batch: recorded, then the connection is closed (no login ever succeeds, and a real
//!    server drops a client that sends a batch before logging in).
//!
//! Anything else, or bytes that do not parse, close the connection. Every buffer is bounded
//! (the TDS reassembler at 64 KiB a message, rustls's own buffers) and so is the number of
//! messages a connection may send.

use std::io::{self, Read, Write};
use std::sync::Arc;

use rustls::{ServerConfig, ServerConnection};

use super::login::{self, Login7, Login7Repr};
use super::wire::{
    self, Encryption, Message, PacketType, Prelogin, PreloginRepr, Reassembler, Version,
};
use crate::{ClientInfo, EventKind, Finding, Flow, Session};

/// LOGIN7 attempts answered on one connection before closing it.
pub const MAX_LOGINS: usize = 3;

/// Messages accepted on one connection: PRELOGIN, a few handshake flights (some clients send
/// each TLS record as its own message), the logins.
const MAX_MESSAGES: usize = 32;

/// Input is handled in pieces of this size, so that the reassembler never holds more than one
/// packet plus one piece whatever the caller reads at once.
const CHUNK: usize = 8192;

/// The server name SQL Server puts in its messages: the machine name.
pub const DEFAULT_SERVER_NAME: &str = "MSSQLSERVER01";

/// SQL Server 2019 RTM (15.0.2000.5), as its PRELOGIN VERSION option says it.
const SERVER_VERSION: Version = Version {
    major: 15,
    minor: 0,
    build: 2000,
    sub_build: 0,
};

/// What the PRELOGIN exchange agreed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// No TLS.
    Clear,
    /// TLS for the first LOGIN7 only.
    LoginOnly,
    /// TLS for everything after the handshake.
    Full,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Waiting for PRELOGIN (or a LOGIN7 from a client that skips it).
    Prelogin,
    /// TLS handshake inside PRELOGIN packets.
    Handshake,
    /// Waiting for LOGIN7 or a batch.
    Login,
}

/// Why a step stopped the session: logged, then the connection is closed.
#[derive(Debug, thiserror::Error)]
enum Stop {
    #[error("TDS: {0}")]
    Wire(#[from] wire::Error),
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("TLS I/O: {0}")]
    Io(#[from] io::Error),
}

type Step = Result<Flow, Stop>;

/// One MSSQL honeypot connection.
pub struct MssqlSession {
    tls_config: Option<Arc<ServerConfig>>,
    server_name: String,
    phase: Phase,
    mode: Mode,
    /// Clear TDS bytes: from the socket, or decrypted.
    tds: Reassembler,
    /// Present from PRELOGIN on when TLS was negotiated; dropped after the login in
    /// login-only mode.
    tls: Option<ServerConnection>,
    logins: usize,
    messages: usize,
}

impl MssqlSession {
    /// A session that offers TLS when `tls_config` is given (see [`super::tls::server_config`])
    /// and names itself [`DEFAULT_SERVER_NAME`] in error messages.
    pub fn new(tls_config: Option<Arc<ServerConfig>>) -> MssqlSession {
        MssqlSession {
            tls_config,
            server_name: DEFAULT_SERVER_NAME.to_string(),
            phase: Phase::Prelogin,
            mode: Mode::Clear,
            tds: Reassembler::default(),
            tls: None,
            logins: 0,
            messages: 0,
        }
    }

    /// Sets the server name in error messages (SQL Server uses its machine name).
    pub fn with_server_name(mut self, name: &str) -> MssqlSession {
        self.server_name = name.to_string();
        self
    }

    /// Whether bytes from the socket are TLS records now.
    fn tls_input(&self) -> bool {
        self.phase == Phase::Login && self.tls.is_some()
    }

    fn receive_chunk(&mut self, chunk: &[u8], out: &mut Vec<u8>, found: &mut Vec<Finding>) -> Step {
        if self.tls_input() {
            self.receive_tls(chunk, out, found)
        } else {
            self.receive_tds(chunk, false, out, found)
        }
    }

    /// Clear TDS bytes in; whole messages handled.
    fn receive_tds(
        &mut self,
        bytes: &[u8],
        encrypted: bool,
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) -> Step {
        self.tds.push(bytes)?;
        while let Some(message) = self.tds.next_message()? {
            self.messages += 1;
            if self.messages > MAX_MESSAGES
                || self.handle(message, encrypted, out, found)? == Flow::Close
            {
                return Ok(Flow::Close);
            }
        }
        Ok(Flow::Continue)
    }

    /// TLS records in; the plaintext goes through [`Self::receive_tds`].
    fn receive_tls(
        &mut self,
        mut records: &[u8],
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) -> Step {
        while !records.is_empty() && self.tls_input() {
            let Some(tls) = self.tls.as_mut() else { break };
            if tls.read_tls(&mut records)? == 0 {
                break;
            }
            let processed = tls.process_new_packets();
            flush_tls(tls, out)?;
            processed?;
            let (plain, closed) = read_plaintext(tls)?;
            if !plain.is_empty() && self.receive_tds(&plain, true, out, found)? == Flow::Close {
                return Ok(Flow::Close);
            }
            if closed {
                return Ok(Flow::Close);
            }
        }
        Ok(Flow::Continue)
    }

    fn handle(
        &mut self,
        message: Message,
        encrypted: bool,
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) -> Step {
        let payload = &message.payload;
        match (self.phase, message.packet_type) {
            (Phase::Prelogin, PacketType::PRELOGIN) => self.on_prelogin(payload, out),
            (Phase::Handshake, PacketType::PRELOGIN) => self.on_handshake(payload, out, found),
            (Phase::Prelogin | Phase::Login, PacketType::LOGIN7) => {
                self.on_login(payload, encrypted, out, found)
            }
            (Phase::Prelogin | Phase::Login, PacketType::SQL_BATCH) => {
                let mut finding = Finding::new(EventKind::Sql);
                finding.text = Some(login::sql_batch_text(payload));
                finding.encrypted = encrypted;
                found.push(finding);
                Ok(Flow::Close)
            }
            _ => Ok(Flow::Close),
        }
    }

    /// Answers PRELOGIN and settles the encryption mode.
    fn on_prelogin(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Step {
        let client = PreloginRepr::parse(&Prelogin::new_checked(payload)?)?;
        let config = self.tls_config.clone();
        let (mode, answer) = match (&config, client.encryption) {
            (None, _) => (Mode::Clear, Encryption::NotSupported),
            (Some(_), Some(Encryption::Off)) => (Mode::LoginOnly, Encryption::Off),
            (Some(_), Some(Encryption::On | Encryption::Required)) => (Mode::Full, Encryption::On),
            (Some(_), _) => (Mode::Clear, Encryption::NotSupported),
        };
        let reply = PreloginRepr {
            version: Some(SERVER_VERSION),
            encryption: Some(answer),
            instance: Some(Vec::new()),
            thread_id: Some(Vec::new()),
            mars: Some(0),
            trace_id: None,
            fedauth_required: None,
        };
        reply.emit_message(PacketType::TABULAR_RESULT, out);
        self.mode = mode;
        self.phase = match (mode, config) {
            (Mode::Clear, _) | (_, None) => Phase::Login,
            (_, Some(config)) => {
                self.tls = Some(ServerConnection::new(config)?);
                Phase::Handshake
            }
        };
        Ok(Flow::Continue)
    }

    /// One handshake flight in a PRELOGIN message; the answer goes back in PRELOGIN packets.
    fn on_handshake(
        &mut self,
        payload: &[u8],
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) -> Step {
        let Some(tls) = self.tls.as_mut() else {
            return Ok(Flow::Close);
        };
        let mut records = payload;
        while !records.is_empty() {
            if tls.read_tls(&mut records)? == 0 {
                break;
            }
            let processed = tls.process_new_packets();
            let mut flight = Vec::new();
            flush_tls(tls, &mut flight)?;
            if !flight.is_empty() {
                wire::emit_message(PacketType::PRELOGIN, &flight, out);
            }
            processed?;
        }
        if tls.is_handshaking() {
            return Ok(Flow::Continue);
        }
        self.phase = Phase::Login;
        // Whatever the client sent after its last handshake packet is already TLS.
        let rest = self.tds.take_raw();
        if rest.is_empty() {
            return Ok(Flow::Continue);
        }
        self.receive_tls(&rest, out, found)
    }

    /// Records a LOGIN7 and fails it like SQL Server.
    fn on_login(
        &mut self,
        payload: &[u8],
        encrypted: bool,
        out: &mut Vec<u8>,
        found: &mut Vec<Finding>,
    ) -> Step {
        let login = Login7Repr::parse(&Login7::new_checked(payload)?)?;
        found.push(login_finding(&login, encrypted));
        let mut reply = Vec::new();
        wire::emit_login_failed(
            &login.user_name,
            &self.server_name,
            login.is_tds72(),
            &mut reply,
        );
        self.send(&reply, out)?;
        self.logins += 1;
        if self.mode == Mode::LoginOnly {
            // Only the login was to be encrypted: the reply above went in clear, and so does
            // everything after it.
            self.tls = None;
        }
        Ok(if self.logins >= MAX_LOGINS {
            Flow::Close
        } else {
            Flow::Continue
        })
    }

    /// Sends TDS bytes, through TLS when everything is encrypted.
    fn send(&mut self, tds: &[u8], out: &mut Vec<u8>) -> Result<(), Stop> {
        match self.tls.as_mut() {
            Some(tls) if self.mode == Mode::Full && self.phase == Phase::Login => {
                tls.writer().write_all(tds)?;
                flush_tls(tls, out)
            }
            _ => {
                out.extend_from_slice(tds);
                Ok(())
            }
        }
    }
}

impl Session for MssqlSession {
    /// TDS clients speak first: nothing to send.
    fn start(&mut self, _out: &mut Vec<u8>) {}

    fn receive(&mut self, input: &[u8], out: &mut Vec<u8>, found: &mut Vec<Finding>) -> Flow {
        for chunk in input.chunks(CHUNK) {
            match self.receive_chunk(chunk, out, found) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Close) => return Flow::Close,
                Err(stop) => {
                    tracing::debug!(%stop, "closing MSSQL connection");
                    return Flow::Close;
                }
            }
        }
        Flow::Continue
    }
}

/// Moves what rustls has to send (handshake, alerts, records) to `out`.
fn flush_tls(tls: &mut ServerConnection, out: &mut Vec<u8>) -> Result<(), Stop> {
    while tls.wants_write() {
        tls.write_tls(out)?;
    }
    Ok(())
}

/// The plaintext rustls has decrypted, and whether the client sent close_notify.
fn read_plaintext(tls: &mut ServerConnection) -> Result<(Vec<u8>, bool), Stop> {
    let mut plain = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tls.reader().read(&mut buf) {
            Ok(0) => return Ok((plain, true)),
            Ok(n) => plain.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok((plain, false)),
            Err(e) => return Err(e.into()),
        }
    }
}

/// The Login finding for a LOGIN7: user name and password always (an empty password is
/// itself worth knowing), the client's self-description where it gave one.
fn login_finding(login: &Login7Repr, encrypted: bool) -> Finding {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let mut finding = Finding::new(EventKind::Login);
    finding.username = Some(login.user_name.clone());
    finding.password = Some(login.password.clone());
    finding.client = ClientInfo {
        host: non_empty(&login.host_name),
        app: non_empty(&login.app_name),
        library: non_empty(&login.library),
        library_version: Some(login::prog_version_dotted(login.client_prog_ver)),
        protocol_version: Some(login::tds_version_name(login.tds_version)),
    };
    finding.encrypted = encrypted;
    finding
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tds::login::Login7Repr;
    use crate::tds::wire::{Packet, HEADER_LEN};
    use std::io::{Read, Write};

    /// What FreeTDS 1.3.17 tsql sent with `encryption = off` (ENCRYPT_NOT_SUP), user "sa" and
    /// password "Пароль密码🔑": PRELOGIN, then LOGIN7.
    static FREETDS_CLEAR: &[u8] = &[
        0x12, 0x01, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x06, 0x01, 0x00,
        0x20, 0x00, 0x01, 0x02, 0x00, 0x21, 0x00, 0x0c, 0x03, 0x00, 0x2d, 0x00, 0x04, 0x04, 0x00,
        0x31, 0x00, 0x01, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x4d, 0x53, 0x53, 0x51,
        0x4c, 0x53, 0x65, 0x72, 0x76, 0x65, 0x72, 0x00, 0xc1, 0x12, 0x00, 0x00, 0x00, 0x10, 0x01,
        0x00, 0xc3, 0x00, 0x00, 0x00, 0x00, 0xbb, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x74, 0x00,
        0x10, 0x00, 0x00, 0x06, 0x83, 0xf2, 0xf8, 0xc1, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xe0, 0x03, 0x00, 0x18, 0x88, 0xff, 0xff, 0xff, 0x36, 0x04, 0x00, 0x00, 0x5e, 0x00, 0x02,
        0x00, 0x62, 0x00, 0x02, 0x00, 0x66, 0x00, 0x0a, 0x00, 0x7a, 0x00, 0x04, 0x00, 0x82, 0x00,
        0x02, 0x00, 0x86, 0x00, 0x04, 0x00, 0x8a, 0x00, 0x0b, 0x00, 0xa0, 0x00, 0x0a, 0x00, 0xb4,
        0x00, 0x00, 0x00, 0x02, 0xfc, 0x00, 0x00, 0x00, 0x01, 0xb4, 0x00, 0x00, 0x00, 0xb4, 0x00,
        0x00, 0x00, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x76, 0x00, 0x6d, 0x00, 0x73,
        0x00, 0x61, 0x00, 0x54, 0xe5, 0xa6, 0xe5, 0xa1, 0xe5, 0x46, 0xe5, 0x16, 0xe5, 0x61, 0xe5,
        0xc9, 0x10, 0xb5, 0x22, 0x76, 0x28, 0xb4, 0x78, 0x54, 0x00, 0x53, 0x00, 0x51, 0x00, 0x4c,
        0x00, 0x68, 0x00, 0x70, 0x00, 0xb4, 0x00, 0x00, 0x00, 0x54, 0x00, 0x44, 0x00, 0x53, 0x00,
        0x2d, 0x00, 0x4c, 0x00, 0x69, 0x00, 0x62, 0x00, 0x72, 0x00, 0x61, 0x00, 0x72, 0x00, 0x79,
        0x00, 0x75, 0x00, 0x73, 0x00, 0x5f, 0x00, 0x65, 0x00, 0x6e, 0x00, 0x67, 0x00, 0x6c, 0x00,
        0x69, 0x00, 0x73, 0x00, 0x68, 0x00, 0x0a, 0x01, 0x00, 0x00, 0x00, 0x01, 0xff,
    ];

    /// What pytds 1.17.1 sent without a `cafile` (ENCRYPT_NOT_SUP), user "sa", password
    /// "Пароль密码": PRELOGIN, then LOGIN7.
    static PYTDS_CLEAR: &[u8] = &[
        0x12, 0x01, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x06, 0x01, 0x00,
        0x20, 0x00, 0x01, 0x02, 0x00, 0x21, 0x00, 0x0c, 0x03, 0x00, 0x2d, 0x00, 0x04, 0x04, 0x00,
        0x31, 0x00, 0x01, 0xff, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x4d, 0x53, 0x53, 0x51,
        0x4c, 0x53, 0x65, 0x72, 0x76, 0x65, 0x72, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x01,
        0x00, 0xbe, 0x00, 0x00, 0x01, 0x00, 0xb6, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x74, 0x00,
        0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0xf0, 0x02, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x09, 0x04, 0x00, 0x00, 0x5e, 0x00, 0x02,
        0x00, 0x62, 0x00, 0x02, 0x00, 0x66, 0x00, 0x08, 0x00, 0x76, 0x00, 0x05, 0x00, 0x80, 0x00,
        0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x92, 0x00, 0x12, 0x00, 0xb6, 0x00, 0x00, 0x00, 0xb6,
        0x00, 0x00, 0x00, 0x02, 0xfc, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0xb6, 0x00,
        0x00, 0x00, 0xb6, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x76, 0x00, 0x6d, 0x00, 0x73,
        0x00, 0x61, 0x00, 0x54, 0xe5, 0xa6, 0xe5, 0xa1, 0xe5, 0x46, 0xe5, 0x16, 0xe5, 0x61, 0xe5,
        0xc9, 0x10, 0xb5, 0x22, 0x70, 0x00, 0x79, 0x00, 0x74, 0x00, 0x64, 0x00, 0x73, 0x00, 0x31,
        0x00, 0x32, 0x00, 0x37, 0x00, 0x2e, 0x00, 0x30, 0x00, 0x2e, 0x00, 0x30, 0x00, 0x2e, 0x00,
        0x31, 0x00, 0x50, 0x00, 0x79, 0x00, 0x74, 0x00, 0x68, 0x00, 0x6f, 0x00, 0x6e, 0x00, 0x20,
        0x00, 0x54, 0x00, 0x44, 0x00, 0x53, 0x00, 0x20, 0x00, 0x4c, 0x00, 0x69, 0x00, 0x62, 0x00,
        0x72, 0x00, 0x61, 0x00, 0x72, 0x00, 0x79, 0x00,
    ];

    fn feed(session: &mut MssqlSession, input: &[u8]) -> (Flow, Vec<u8>, Vec<Finding>) {
        let (mut out, mut found) = (Vec::new(), Vec::new());
        let flow = session.receive(input, &mut out, &mut found);
        (flow, out, found)
    }

    /// The payloads of the packets in `bytes`, with their types.
    fn packets(mut bytes: &[u8]) -> Vec<(PacketType, Vec<u8>)> {
        let mut all = Vec::new();
        while let Ok(p) = Packet::new_checked(bytes) {
            all.push((p.packet_type(), p.payload().to_vec()));
            bytes = &bytes[usize::from(p.length())..];
        }
        assert!(bytes.is_empty(), "trailing bytes {bytes:02x?}");
        all
    }

    fn prelogin_answer(out: &[u8]) -> PreloginRepr {
        let (ty, payload) = packets(out).remove(0);
        assert_eq!(ty, PacketType::TABULAR_RESULT);
        PreloginRepr::parse(&Prelogin::new_checked(&payload[..]).unwrap()).unwrap()
    }

    fn assert_login_failed(reply: &[u8], user: &str) {
        let mut expected = Vec::new();
        wire::emit_login_failed(user, DEFAULT_SERVER_NAME, true, &mut expected);
        assert_eq!(reply, expected);
    }

    #[test]
    fn freetds_login_in_clear() {
        let mut session = MssqlSession::new(None);
        let (flow, out, found) = feed(&mut session, &FREETDS_CLEAR[..58]);
        assert_eq!(flow, Flow::Continue);
        assert!(found.is_empty());
        let answer = prelogin_answer(&out);
        assert_eq!(answer.encryption, Some(Encryption::NotSupported));
        assert_eq!(answer.version, Some(SERVER_VERSION));
        let (flow, out, found) = feed(&mut session, &FREETDS_CLEAR[58..]);
        assert_eq!(flow, Flow::Continue);
        assert_login_failed(&out, "sa");
        let mut expected = Finding::new(EventKind::Login);
        expected.username = Some("sa".into());
        expected.password = Some("Пароль密码🔑".into());
        expected.client = ClientInfo {
            host: Some("vm".into()),
            app: Some("TSQL".into()),
            library: Some("TDS-Library".into()),
            library_version: Some("248.242.131.6".into()),
            protocol_version: Some("7.4".into()),
        };
        assert_eq!(found, vec![expected]);
    }

    #[test]
    fn pytds_login_byte_by_byte() {
        let mut session = MssqlSession::new(None);
        let mut found = Vec::new();
        for b in PYTDS_CLEAR.chunks(1) {
            let (flow, _, mut f) = feed(&mut session, b);
            assert_eq!(flow, Flow::Continue);
            found.append(&mut f);
        }
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.username.as_deref(), Some("sa"));
        assert_eq!(f.password.as_deref(), Some("Пароль密码"));
        assert_eq!(f.client.app.as_deref(), Some("pytds"));
        assert_eq!(f.client.library.as_deref(), Some("Python TDS Library"));
        assert_eq!(f.client.library_version.as_deref(), Some("1.0.0.0"));
        assert!(!f.encrypted);
    }

    #[test]
    fn closes_after_the_last_allowed_login() {
        let mut session = MssqlSession::new(None);
        let login = &FREETDS_CLEAR[58..];
        for attempt in 1..=MAX_LOGINS {
            let (flow, out, found) = feed(&mut session, login);
            assert_eq!(found.len(), 1);
            assert_login_failed(&out, "sa");
            let expected = if attempt == MAX_LOGINS {
                Flow::Close
            } else {
                Flow::Continue
            };
            assert_eq!(flow, expected);
        }
    }

    #[test]
    fn records_a_batch_and_closes() {
        let mut session = MssqlSession::new(None);
        let text: Vec<u8> = "EXEC xp_cmdshell 'whoami'"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        let mut batch = Vec::new();
        wire::emit_message(PacketType::SQL_BATCH, &text, &mut batch);
        let (flow, out, found) = feed(&mut session, &batch);
        assert_eq!(flow, Flow::Close);
        assert!(out.is_empty());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, EventKind::Sql);
        assert_eq!(found[0].text.as_deref(), Some("EXEC xp_cmdshell 'whoami'"));
    }

    #[test]
    fn junk_closes() {
        for junk in [
            &b"\x16\x03\x01\x00\x05hello"[..],
            b"GET / HTTP/1.1\r\n\r\n",
            &[0x12, 1, 0, 14, 0, 0, 0, 0, 0x00, 0, 16, 0, 6, 0xff][..],
        ] {
            let (flow, _, found) = feed(&mut MssqlSession::new(None), junk);
            assert_eq!(flow, Flow::Close, "{junk:02x?}");
            assert!(found.is_empty());
        }
        // A LOGIN7 whose user name points outside the message.
        let mut login = FREETDS_CLEAR[58 + HEADER_LEN..].to_vec();
        login[40..42].copy_from_slice(&0xFFF0u16.to_le_bytes());
        let mut packet = Vec::new();
        wire::emit_message(PacketType::LOGIN7, &login, &mut packet);
        assert_eq!(feed(&mut MssqlSession::new(None), &packet).0, Flow::Close);
    }

    #[test]
    fn login_from_the_emit_side() {
        let repr = Login7Repr {
            tds_version: 0x7100_0001,
            user_name: "admin".into(),
            password: "🔑".into(),
            ..Login7Repr::default()
        };
        let mut payload = Vec::new();
        repr.emit(&mut payload);
        let mut packet = Vec::new();
        wire::emit_message(PacketType::LOGIN7, &payload, &mut packet);
        let (flow, out, found) = feed(&mut MssqlSession::new(None), &packet);
        assert_eq!(flow, Flow::Continue);
        let mut expected = Vec::new();
        wire::emit_login_failed("admin", DEFAULT_SERVER_NAME, false, &mut expected);
        assert_eq!(out, expected);
        assert_eq!(found[0].password.as_deref(), Some("🔑"));
        assert_eq!(
            found[0].client.protocol_version.as_deref(),
            Some("7.1 Rev 1")
        );
    }

    /// A rustls client that accepts any certificate: the honeypot's is self-signed, like the
    /// ones scanners meet on real servers.
    mod client {
        use std::sync::Arc;

        use rustls::client::danger::{
            HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier,
        };
        use rustls::crypto::{
            ring, verify_tls12_signature, verify_tls13_signature, CryptoProvider,
        };
        use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
        use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, SignatureScheme};

        #[derive(Debug)]
        struct AcceptAny(CryptoProvider);

        impl ServerCertVerifier for AcceptAny {
            fn verify_server_cert(
                &self,
                _: &CertificateDer<'_>,
                _: &[CertificateDer<'_>],
                _: &ServerName<'_>,
                _: &[u8],
                _: UnixTime,
            ) -> Result<ServerCertVerified, rustls::Error> {
                Ok(ServerCertVerified::assertion())
            }

            fn verify_tls12_signature(
                &self,
                message: &[u8],
                cert: &CertificateDer<'_>,
                dss: &DigitallySignedStruct,
            ) -> Result<HandshakeSignatureValid, rustls::Error> {
                verify_tls12_signature(
                    message,
                    cert,
                    dss,
                    &self.0.signature_verification_algorithms,
                )
            }

            fn verify_tls13_signature(
                &self,
                message: &[u8],
                cert: &CertificateDer<'_>,
                dss: &DigitallySignedStruct,
            ) -> Result<HandshakeSignatureValid, rustls::Error> {
                verify_tls13_signature(
                    message,
                    cert,
                    dss,
                    &self.0.signature_verification_algorithms,
                )
            }

            fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
                self.0.signature_verification_algorithms.supported_schemes()
            }
        }

        pub fn connect() -> ClientConnection {
            let provider = Arc::new(ring::default_provider());
            let verifier = Arc::new(AcceptAny(ring::default_provider()));
            let config = ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_no_client_auth();
            ClientConnection::new(Arc::new(config), "db.example".try_into().unwrap()).unwrap()
        }
    }

    fn prelogin_asking(encryption: Encryption) -> Vec<u8> {
        let repr = PreloginRepr {
            encryption: Some(encryption),
            ..PreloginRepr::default()
        };
        let mut packet = Vec::new();
        repr.emit_message(PacketType::PRELOGIN, &mut packet);
        packet
    }

    /// Runs the TDS-wrapped handshake between `session` and a rustls client.
    fn handshake(session: &mut MssqlSession) -> rustls::ClientConnection {
        let mut client = client::connect();
        while client.is_handshaking() {
            let mut records = Vec::new();
            while client.wants_write() {
                client.write_tls(&mut records).unwrap();
            }
            let mut packet = Vec::new();
            wire::emit_message(PacketType::PRELOGIN, &records, &mut packet);
            let (flow, out, found) = feed(session, &packet);
            assert_eq!(flow, Flow::Continue);
            assert!(found.is_empty());
            for (ty, payload) in packets(&out) {
                assert_eq!(ty, PacketType::PRELOGIN);
                client.read_tls(&mut &payload[..]).unwrap();
                client.process_new_packets().unwrap();
            }
        }
        client
    }

    fn login_packet() -> Vec<u8> {
        FREETDS_CLEAR[58..].to_vec()
    }

    fn encrypt(client: &mut rustls::ClientConnection, plain: &[u8]) -> Vec<u8> {
        client.writer().write_all(plain).unwrap();
        let mut records = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut records).unwrap();
        }
        records
    }

    fn tls_session(dir: &tempfile::TempDir) -> MssqlSession {
        MssqlSession::new(Some(crate::tds::tls::server_config(dir.path()).unwrap()))
    }

    #[test]
    fn full_encryption_after_the_handshake() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = tls_session(&dir);
        let (_, out, _) = feed(&mut session, &prelogin_asking(Encryption::On));
        assert_eq!(prelogin_answer(&out).encryption, Some(Encryption::On));
        let mut client = handshake(&mut session);
        let (flow, out, found) = feed(&mut session, &encrypt(&mut client, &login_packet()));
        assert_eq!(flow, Flow::Continue);
        assert_eq!(found.len(), 1);
        assert!(found[0].encrypted);
        assert_eq!(found[0].password.as_deref(), Some("Пароль密码🔑"));
        // The reply is TLS too.
        client.read_tls(&mut &out[..]).unwrap();
        client.process_new_packets().unwrap();
        let mut reply = Vec::new();
        let _ = client.reader().read_to_end(&mut reply);
        assert_login_failed(&reply, "sa");
    }

    #[test]
    fn login_only_encryption_then_clear() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = tls_session(&dir);
        let (_, out, _) = feed(&mut session, &prelogin_asking(Encryption::Off));
        assert_eq!(prelogin_answer(&out).encryption, Some(Encryption::Off));
        let mut client = handshake(&mut session);
        let (flow, out, found) = feed(&mut session, &encrypt(&mut client, &login_packet()));
        assert_eq!(flow, Flow::Continue);
        assert!(found[0].encrypted);
        // The reply, and the next login, are in clear.
        assert_login_failed(&out, "sa");
        let (_, out, found) = feed(&mut session, &login_packet());
        assert!(!found[0].encrypted);
        assert_login_failed(&out, "sa");
    }

    #[test]
    fn client_without_tls_gets_none() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = tls_session(&dir);
        let (_, out, _) = feed(&mut session, &prelogin_asking(Encryption::NotSupported));
        assert_eq!(
            prelogin_answer(&out).encryption,
            Some(Encryption::NotSupported)
        );
        let (_, out, found) = feed(&mut session, &login_packet());
        assert!(!found[0].encrypted);
        assert_login_failed(&out, "sa");
    }

    #[test]
    fn clear_login_during_handshake_closes() {
        let dir = tempfile::tempdir().unwrap();
        let mut session = tls_session(&dir);
        feed(&mut session, &prelogin_asking(Encryption::On));
        let (flow, _, found) = feed(&mut session, &login_packet());
        assert_eq!(flow, Flow::Close);
        assert!(found.is_empty());
    }
}
