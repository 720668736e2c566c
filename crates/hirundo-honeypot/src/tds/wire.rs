//! TDS framing and the PRELOGIN exchange: the 8-byte packet header, reassembly of messages
//! that span packets, the PRELOGIN option table, and the token stream the server sends for a
//! failed login (ERROR then DONE).
//!
//! Layouts follow [MS-TDS] 2.2.3 (packet header), 2.2.6.5 (PRELOGIN), 2.2.7.10 (ERROR) and
//! 2.2.7.6 (DONE). Views check their bounds once in `new_checked`; nothing here panics on
//! any input.

use std::fmt;

/// Why bytes could not be read as TDS.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Fewer bytes than a header or a length field says.
    #[error("truncated")]
    Truncated,
    /// A field holds a value the format does not allow (a length below the header size, an
    /// offset outside the message, an option table without its terminator).
    #[error("malformed")]
    Malformed,
    /// A message longer than the honeypot accepts ([`MAX_MESSAGE`]).
    #[error("message too long")]
    TooLong,
}

/// Largest reassembled message accepted. A real LOGIN7 is a few hundred bytes and the TLS
/// handshake flights are a few KiB; anything near this is junk or an attack on memory.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// Largest packet the server sends (the default negotiated TDS packet size).
pub const MAX_PACKET: usize = 4096;

/// Length of the TDS packet header.
pub const HEADER_LEN: usize = 8;

mod field {
    pub type Field = core::ops::Range<usize>;
    pub const TYPE: usize = 0;
    pub const STATUS: usize = 1;
    /// Big-endian, includes the header.
    pub const LENGTH: Field = 2..4;
    pub const SPID: Field = 4..6;
    pub const PACKET_ID: usize = 6;
    pub const WINDOW: usize = 7;
    pub const PAYLOAD: usize = 8;
}

/// The TDS packet type (first header byte).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PacketType(pub u8);

impl PacketType {
    pub const SQL_BATCH: PacketType = PacketType(0x01);
    pub const PRE_TDS7_LOGIN: PacketType = PacketType(0x02);
    pub const RPC: PacketType = PacketType(0x03);
    /// Every server reply, PRELOGIN response included.
    pub const TABULAR_RESULT: PacketType = PacketType(0x04);
    pub const ATTENTION: PacketType = PacketType(0x06);
    pub const BULK_LOAD: PacketType = PacketType(0x07);
    pub const FEDAUTH_TOKEN: PacketType = PacketType(0x08);
    pub const TRANSACTION_MANAGER: PacketType = PacketType(0x0E);
    pub const LOGIN7: PacketType = PacketType(0x10);
    pub const SSPI: PacketType = PacketType(0x11);
    /// PRELOGIN, and the TLS handshake records TDS 7.x carries inside it.
    pub const PRELOGIN: PacketType = PacketType(0x12);

    /// Whether a client may send this type (every type but the server's tabular result).
    pub fn is_from_client(self) -> bool {
        matches!(self.0, 0x01..=0x03 | 0x06..=0x08 | 0x0E | 0x10..=0x12)
    }
}

/// Header status bits.
pub mod status {
    /// End of message: the last packet of a message.
    pub const EOM: u8 = 0x01;
    pub const IGNORE: u8 = 0x02;
    pub const RESET_CONNECTION: u8 = 0x08;
    pub const RESET_CONNECTION_SKIP_TRAN: u8 = 0x10;
}

/// A read-only view of one TDS packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Checks that the buffer holds a header and the whole packet its length field claims
    /// (the buffer may be longer: bytes past `length` belong to the next packet).
    pub fn new_checked(buffer: T) -> Result<Packet<T>, Error> {
        let buf = buffer.as_ref();
        if buf.len() < HEADER_LEN {
            return Err(Error::Truncated);
        }
        let length = usize::from(u16::from_be_bytes([buf[2], buf[3]]));
        if length < HEADER_LEN {
            return Err(Error::Malformed);
        }
        if buf.len() < length {
            return Err(Error::Truncated);
        }
        Ok(Packet { buffer })
    }

    #[inline]
    pub fn packet_type(&self) -> PacketType {
        PacketType(self.buffer.as_ref()[field::TYPE])
    }

    #[inline]
    pub fn status(&self) -> u8 {
        self.buffer.as_ref()[field::STATUS]
    }

    #[inline]
    pub fn is_eom(&self) -> bool {
        self.status() & status::EOM != 0
    }

    /// Length of the packet, header included.
    #[inline]
    pub fn length(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::LENGTH])
    }

    #[inline]
    pub fn spid(&self) -> u16 {
        be16(&self.buffer.as_ref()[field::SPID])
    }

    #[inline]
    pub fn packet_id(&self) -> u8 {
        self.buffer.as_ref()[field::PACKET_ID]
    }

    #[inline]
    pub fn window(&self) -> u8 {
        self.buffer.as_ref()[field::WINDOW]
    }

    /// The bytes after the header, up to `length`.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..usize::from(self.length())]
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "TDS type=0x{:02x} status=0x{:02x} len={} spid={} id={}",
            self.packet_type().0,
            self.status(),
            self.length(),
            self.spid(),
            self.packet_id()
        )
    }
}

/// The meaning of a packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderRepr {
    pub packet_type: PacketType,
    pub status: u8,
    /// Payload length (the header's length field minus 8).
    pub payload_len: usize,
    pub spid: u16,
    pub packet_id: u8,
    pub window: u8,
}

impl HeaderRepr {
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> HeaderRepr {
        HeaderRepr {
            packet_type: packet.packet_type(),
            status: packet.status(),
            payload_len: packet.payload().len(),
            spid: packet.spid(),
            packet_id: packet.packet_id(),
            window: packet.window(),
        }
    }

    /// Appends the 8 header bytes; `payload_len` must fit a packet (at most 65527).
    pub fn emit(&self, out: &mut Vec<u8>) {
        let length = (self.payload_len + HEADER_LEN).min(usize::from(u16::MAX)) as u16;
        out.push(self.packet_type.0);
        out.push(self.status);
        out.extend_from_slice(&length.to_be_bytes());
        out.extend_from_slice(&self.spid.to_be_bytes());
        out.push(self.packet_id);
        out.push(self.window);
    }
}

/// Appends `payload` as a message of `packet_type`, split into packets of at most
/// [`MAX_PACKET`] bytes, the last one marked EOM. Packet ids count from 1, as servers do.
pub fn emit_message(packet_type: PacketType, payload: &[u8], out: &mut Vec<u8>) {
    let chunk = MAX_PACKET - HEADER_LEN;
    let count = payload.len().div_ceil(chunk).max(1);
    for i in 0..count {
        let part = payload
            .get(i * chunk..((i + 1) * chunk).min(payload.len()))
            .unwrap_or(&[]);
        let header = HeaderRepr {
            packet_type,
            status: if i + 1 == count { status::EOM } else { 0 },
            payload_len: part.len(),
            spid: 0,
            packet_id: (i + 1) as u8,
            window: 0,
        };
        header.emit(out);
        out.extend_from_slice(part);
    }
}

/// A complete TDS message: the payloads of its packets, joined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub packet_type: PacketType,
    pub payload: Vec<u8>,
}

/// Joins a client's packets into messages. Holds at most one packet of raw bytes beyond what
/// the caller pushes at once, and at most [`MAX_MESSAGE`] bytes of message. A first byte that
/// is no client packet type is refused at once, so that a stray TLS ClientHello or HTTP
/// request is not mistaken for the start of a long packet.
#[derive(Debug, Default)]
pub struct Reassembler {
    raw: Vec<u8>,
    message: Option<Message>,
}

/// Raw bytes the reassembler keeps unconsumed: one maximal packet plus one read.
const MAX_RAW: usize = 2 * 65536;

impl Reassembler {
    /// Appends bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if self.raw.len() + bytes.len() > MAX_RAW {
            return Err(Error::TooLong);
        }
        self.raw.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete message, if the bytes pushed so far end one.
    pub fn next_message(&mut self) -> Result<Option<Message>, Error> {
        loop {
            if self
                .raw
                .first()
                .is_some_and(|t| !PacketType(*t).is_from_client())
            {
                return Err(Error::Malformed);
            }
            let packet = match Packet::new_checked(&self.raw[..]) {
                Ok(packet) => packet,
                Err(Error::Truncated) => return Ok(None),
                Err(e) => return Err(e),
            };
            let (eom, used) = (packet.is_eom(), usize::from(packet.length()));
            let message = self.message.get_or_insert_with(|| Message {
                packet_type: packet.packet_type(),
                payload: Vec::new(),
            });
            // A message's packets all carry its type; a change means a confused client.
            if message.packet_type != packet.packet_type() {
                return Err(Error::Malformed);
            }
            if message.payload.len() + packet.payload().len() > MAX_MESSAGE {
                return Err(Error::TooLong);
            }
            message.payload.extend_from_slice(packet.payload());
            self.raw.drain(..used);
            if eom {
                return Ok(self.message.take());
            }
        }
    }

    /// Removes and returns the bytes not yet part of a message: after the TLS handshake the
    /// client's next bytes are TLS records, not TDS packets.
    pub fn take_raw(&mut self) -> Vec<u8> {
        self.message = None;
        std::mem::take(&mut self.raw)
    }
}

/// The PRELOGIN option tokens.
pub mod option {
    pub const VERSION: u8 = 0x00;
    pub const ENCRYPTION: u8 = 0x01;
    pub const INSTOPT: u8 = 0x02;
    pub const THREADID: u8 = 0x03;
    pub const MARS: u8 = 0x04;
    pub const TRACEID: u8 = 0x05;
    pub const FEDAUTHREQUIRED: u8 = 0x06;
    pub const NONCEOPT: u8 = 0x07;
    pub const TERMINATOR: u8 = 0xFF;
}

mod prelogin_field {
    use super::field::Field;
    /// One option-table entry: token, offset, length.
    pub const ENTRY_LEN: usize = 5;
    pub const TOKEN: usize = 0;
    /// Big-endian, from the start of the PRELOGIN payload.
    pub const OFFSET: Field = 1..3;
    /// Big-endian, bytes.
    pub const LENGTH: Field = 3..5;
}

/// A view of a PRELOGIN payload (the message without packet headers).
#[derive(Debug, Clone)]
pub struct Prelogin<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Prelogin<T> {
    /// Checks that the option table ends with a terminator and that every option's data lies
    /// inside the payload.
    pub fn new_checked(buffer: T) -> Result<Prelogin<T>, Error> {
        let buf = buffer.as_ref();
        let mut at = 0;
        loop {
            let token = *buf.get(at).ok_or(Error::Truncated)?;
            if token == option::TERMINATOR {
                break;
            }
            let entry = buf
                .get(at..at + prelogin_field::ENTRY_LEN)
                .ok_or(Error::Truncated)?;
            let (offset, length) = entry_range(entry);
            if offset + length > buf.len() {
                return Err(Error::Malformed);
            }
            at += prelogin_field::ENTRY_LEN;
        }
        Ok(Prelogin { buffer })
    }

    /// The options in table order: token and data.
    pub fn options(&self) -> impl Iterator<Item = (u8, &[u8])> {
        let buf = self.buffer.as_ref();
        buf.chunks(prelogin_field::ENTRY_LEN)
            .take_while(|entry| entry[prelogin_field::TOKEN] != option::TERMINATOR)
            .map(move |entry| {
                let (offset, length) = entry_range(entry);
                (entry[prelogin_field::TOKEN], &buf[offset..offset + length])
            })
    }

    /// The data of the first option with `token`.
    pub fn option(&self, token: u8) -> Option<&[u8]> {
        self.options()
            .find(|(t, _)| *t == token)
            .map(|(_, data)| data)
    }
}

fn entry_range(entry: &[u8]) -> (usize, usize) {
    let offset = usize::from(be16(&entry[prelogin_field::OFFSET]));
    let length = usize::from(be16(&entry[prelogin_field::LENGTH]));
    (offset, length)
}

/// The ENCRYPTION option value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encryption {
    /// Encryption available but off: only LOGIN7 travels in TLS.
    Off,
    /// Encryption on: everything after the handshake is TLS.
    On,
    /// No TLS at all.
    NotSupported,
    /// Encryption required (a server's answer; some clients send it too).
    Required,
    /// Anything else (e.g. ENCRYPT_CLIENT_CERT combinations).
    Other(u8),
}

impl Encryption {
    pub fn from_byte(b: u8) -> Encryption {
        match b {
            0 => Encryption::Off,
            1 => Encryption::On,
            2 => Encryption::NotSupported,
            3 => Encryption::Required,
            other => Encryption::Other(other),
        }
    }

    pub fn to_byte(self) -> u8 {
        match self {
            Encryption::Off => 0,
            Encryption::On => 1,
            Encryption::NotSupported => 2,
            Encryption::Required => 3,
            Encryption::Other(b) => b,
        }
    }
}

/// The VERSION option: product version major.minor.build, then the sub-build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u8,
    pub minor: u8,
    pub build: u16,
    pub sub_build: u16,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{}.{}.{}.{}",
            self.major, self.minor, self.build, self.sub_build
        )
    }
}

/// The meaning of a PRELOGIN message; options absent from the message are `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PreloginRepr {
    pub version: Option<Version>,
    pub encryption: Option<Encryption>,
    /// The instance name, without its terminating NUL (raw bytes, usually ASCII).
    pub instance: Option<Vec<u8>>,
    /// Present but possibly empty: servers send an empty THREADID.
    pub thread_id: Option<Vec<u8>>,
    pub mars: Option<u8>,
    pub trace_id: Option<Vec<u8>>,
    pub fedauth_required: Option<u8>,
}

impl PreloginRepr {
    pub fn parse<T: AsRef<[u8]>>(prelogin: &Prelogin<T>) -> Result<PreloginRepr, Error> {
        let mut repr = PreloginRepr::default();
        for (token, data) in prelogin.options() {
            match token {
                option::VERSION => repr.version = Some(parse_version(data)?),
                option::ENCRYPTION => {
                    let b = *data.first().ok_or(Error::Truncated)?;
                    repr.encryption = Some(Encryption::from_byte(b));
                }
                option::INSTOPT => {
                    let name = data.split(|b| *b == 0).next().unwrap_or(&[]);
                    repr.instance = Some(name.to_vec());
                }
                option::THREADID => repr.thread_id = Some(data.to_vec()),
                option::MARS => repr.mars = data.first().copied(),
                option::TRACEID => repr.trace_id = Some(data.to_vec()),
                option::FEDAUTHREQUIRED => repr.fedauth_required = data.first().copied(),
                _ => {}
            }
        }
        Ok(repr)
    }

    /// Appends the PRELOGIN payload: the option table in token order, then the data.
    /// The option table as a whole TDS message of `packet_type` (PRELOGIN from a client,
    /// TABULAR_RESULT from a server).
    pub fn emit_message(&self, packet_type: PacketType, out: &mut Vec<u8>) {
        let mut payload = Vec::new();
        self.emit(&mut payload);
        emit_message(packet_type, &payload, out);
    }

    pub fn emit(&self, out: &mut Vec<u8>) {
        let options = self.option_data();
        let mut offset = options.len() * prelogin_field::ENTRY_LEN + 1;
        for (token, data) in &options {
            out.push(*token);
            out.extend_from_slice(&(offset as u16).to_be_bytes());
            out.extend_from_slice(&(data.len() as u16).to_be_bytes());
            offset += data.len();
        }
        out.push(option::TERMINATOR);
        for (_, data) in options {
            out.extend_from_slice(&data);
        }
    }

    fn option_data(&self) -> Vec<(u8, Vec<u8>)> {
        let mut options = Vec::new();
        if let Some(v) = self.version {
            let mut data = vec![v.major, v.minor];
            data.extend_from_slice(&v.build.to_be_bytes());
            data.extend_from_slice(&v.sub_build.to_be_bytes());
            options.push((option::VERSION, data));
        }
        if let Some(e) = self.encryption {
            options.push((option::ENCRYPTION, vec![e.to_byte()]));
        }
        if let Some(name) = &self.instance {
            let mut data = name.clone();
            data.push(0);
            options.push((option::INSTOPT, data));
        }
        if let Some(id) = &self.thread_id {
            options.push((option::THREADID, id.clone()));
        }
        if let Some(m) = self.mars {
            options.push((option::MARS, vec![m]));
        }
        if let Some(t) = &self.trace_id {
            options.push((option::TRACEID, t.clone()));
        }
        if let Some(f) = self.fedauth_required {
            options.push((option::FEDAUTHREQUIRED, vec![f]));
        }
        options
    }
}

fn parse_version(data: &[u8]) -> Result<Version, Error> {
    let d = data.get(..6).ok_or(Error::Truncated)?;
    Ok(Version {
        major: d[0],
        minor: d[1],
        build: be16(&d[2..4]),
        sub_build: be16(&d[4..6]),
    })
}

/// Token types of the server's token stream.
pub mod token {
    pub const ERROR: u8 = 0xAA;
    pub const DONE: u8 = 0xFD;
}

/// DONE status bits.
pub mod done_status {
    pub const FINAL: u16 = 0x0000;
    pub const MORE: u16 = 0x0001;
    pub const ERROR: u16 = 0x0002;
}

/// An ERROR token (0xAA) as the server sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorRepr {
    pub number: u32,
    pub state: u8,
    /// Severity: 14 for a failed login.
    pub class: u8,
    pub message: String,
    pub server: String,
    pub procedure: String,
    pub line: u32,
}

impl ErrorRepr {
    /// Appends the token; `tds72` selects the 4-byte line number of TDS 7.2 and later.
    pub fn emit(&self, tds72: bool, out: &mut Vec<u8>) {
        let mut body = Vec::new();
        body.extend_from_slice(&self.number.to_le_bytes());
        body.push(self.state);
        body.push(self.class);
        us_varchar(&self.message, &mut body);
        b_varchar(&self.server, &mut body);
        b_varchar(&self.procedure, &mut body);
        if tds72 {
            body.extend_from_slice(&self.line.to_le_bytes());
        } else {
            body.extend_from_slice(&(self.line as u16).to_le_bytes());
        }
        out.push(token::ERROR);
        out.extend_from_slice(&(body.len() as u16).to_le_bytes());
        out.extend_from_slice(&body);
    }
}

/// Appends a DONE token (0xFD); the row count is 8 bytes from TDS 7.2 on, 4 before.
pub fn emit_done(status: u16, cur_cmd: u16, row_count: u64, tds72: bool, out: &mut Vec<u8>) {
    out.push(token::DONE);
    out.extend_from_slice(&status.to_le_bytes());
    out.extend_from_slice(&cur_cmd.to_le_bytes());
    if tds72 {
        out.extend_from_slice(&row_count.to_le_bytes());
    } else {
        out.extend_from_slice(&(row_count as u32).to_le_bytes());
    }
}

/// The whole reply SQL Server sends to a LOGIN7 with a wrong password: error 18456 state 1
/// class 14, then DONE with DONE_ERROR, in one tabular-result message.
pub fn emit_login_failed(user: &str, server: &str, tds72: bool, out: &mut Vec<u8>) {
    let error = ErrorRepr {
        number: 18456,
        state: 1,
        class: 14,
        message: format!("Login failed for user '{user}'."),
        server: server.to_string(),
        procedure: String::new(),
        line: 1,
    };
    let mut tokens = Vec::new();
    error.emit(tds72, &mut tokens);
    emit_done(done_status::ERROR, 0, 0, tds72, &mut tokens);
    emit_message(PacketType::TABULAR_RESULT, &tokens, out);
}

/// US_VARCHAR: a 2-byte count of UTF-16 units, then UTF-16LE; longer text is cut.
fn us_varchar(s: &str, out: &mut Vec<u8>) {
    let units: Vec<u16> = s.encode_utf16().take(usize::from(u16::MAX)).collect();
    out.extend_from_slice(&(units.len() as u16).to_le_bytes());
    out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
}

/// B_VARCHAR: a 1-byte count of UTF-16 units, then UTF-16LE; longer text is cut.
fn b_varchar(s: &str, out: &mut Vec<u8>) {
    let units: Vec<u16> = s.encode_utf16().take(usize::from(u8::MAX)).collect();
    out.push(units.len() as u8);
    out.extend(units.iter().flat_map(|u| u.to_le_bytes()));
}

#[inline]
fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// PRELOGIN captured from FreeTDS 1.3.17 tsql (`tds version = 7.4`, `encryption = off`).
    static FREETDS_PRELOGIN: &[u8] = &[
        0x12, 0x01, 0x00, 0x3a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1a, 0x00, 0x06, 0x01, 0x00,
        0x20, 0x00, 0x01, 0x02, 0x00, 0x21, 0x00, 0x0c, 0x03, 0x00, 0x2d, 0x00, 0x04, 0x04, 0x00,
        0x31, 0x00, 0x01, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x4d, 0x53, 0x53, 0x51,
        0x4c, 0x53, 0x65, 0x72, 0x76, 0x65, 0x72, 0x00, 0xc1, 0x12, 0x00, 0x00, 0x00,
    ];

    #[test]
    fn parses_a_client_prelogin() {
        let packet = Packet::new_checked(FREETDS_PRELOGIN).unwrap();
        assert_eq!(packet.packet_type(), PacketType::PRELOGIN);
        assert!(packet.is_eom());
        assert_eq!(packet.length(), 58);
        assert_eq!(packet.spid(), 0);
        assert_eq!(packet.packet_id(), 0);
        assert_eq!(packet.window(), 0);
        let prelogin = Prelogin::new_checked(packet.payload()).unwrap();
        let repr = PreloginRepr::parse(&prelogin).unwrap();
        assert_eq!(
            repr.version,
            // FreeTDS announces itself as 9.0.0 (SQL Server 2005's client version).
            Some(Version {
                major: 9,
                minor: 0,
                build: 0,
                sub_build: 0
            })
        );
        // `encryption = off` is ENCRYPT_NOT_SUP on the wire.
        assert_eq!(repr.encryption, Some(Encryption::NotSupported));
        assert_eq!(repr.instance.as_deref(), Some(&b"MSSQLServer"[..]));
        assert_eq!(repr.thread_id.as_deref(), Some(&[0xc1, 0x12, 0, 0][..]));
        assert_eq!(repr.mars, Some(0));
        let mut back = Vec::new();
        repr.emit(&mut back);
        assert_eq!(back, packet.payload());
    }

    #[test]
    fn option_outside_the_payload_is_malformed() {
        let bytes = [0x00, 0x00, 0x06, 0x00, 0x06, 0xff, 1, 2];
        assert_eq!(
            Prelogin::new_checked(&bytes[..]).err(),
            Some(Error::Malformed)
        );
        assert_eq!(
            Prelogin::new_checked(&[0x00, 0x00][..]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(Prelogin::new_checked(&[][..]).err(), Some(Error::Truncated));
    }

    #[test]
    fn header_checks() {
        assert_eq!(
            Packet::new_checked(&[0x12, 1, 0, 7, 0, 0, 0, 0][..]).err(),
            Some(Error::Malformed)
        );
        assert_eq!(
            Packet::new_checked(&[0x12, 1, 0, 9, 0, 0, 0, 0][..]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            Packet::new_checked(&[0x12, 1][..]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn reassembles_across_packets_and_reads() {
        let payload: Vec<u8> = (0..10_000u32).map(|i| i as u8).collect();
        let mut wire = Vec::new();
        emit_message(PacketType::SQL_BATCH, &payload, &mut wire);
        assert_eq!(wire.len(), payload.len() + 3 * HEADER_LEN);
        let mut r = Reassembler::default();
        for piece in wire.chunks(1000) {
            r.push(piece).unwrap();
            if let Some(m) = r.next_message().unwrap() {
                assert_eq!(m.packet_type, PacketType::SQL_BATCH);
                assert_eq!(m.payload, payload);
                return;
            }
        }
        panic!("no message");
    }

    #[test]
    fn refuses_oversized_messages() {
        let mut r = Reassembler::default();
        let mut packet = vec![0x01, 0x00, 0xff, 0xff, 0, 0, 0, 0];
        packet.resize(65535, 0x41);
        let mut result = Ok(None);
        for _ in 0..3 {
            r.push(&packet).unwrap();
            result = r.next_message();
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(Error::TooLong));
    }

    #[test]
    fn login_failed_reply_like_sql_server() {
        let mut out = Vec::new();
        emit_login_failed("sa", "DB01", true, &mut out);
        let packet = Packet::new_checked(&out[..]).unwrap();
        assert_eq!(packet.packet_type(), PacketType::TABULAR_RESULT);
        assert!(packet.is_eom());
        let p = packet.payload();
        assert_eq!(p[0], token::ERROR);
        let len = usize::from(u16::from_le_bytes([p[1], p[2]]));
        assert_eq!(&p[3..7], &18456u32.to_le_bytes());
        assert_eq!((p[7], p[8]), (1, 14));
        let msg = "Login failed for user 'sa'.";
        assert_eq!(usize::from(u16::from_le_bytes([p[9], p[10]])), msg.len());
        let text: Vec<u16> = p[11..11 + 2 * msg.len()]
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(String::from_utf16(&text).unwrap(), msg);
        // Server name "DB01", empty procedure name, 4-byte line number 1.
        let rest = &p[11 + 2 * msg.len()..3 + len];
        assert_eq!(
            rest,
            &[4, b'D', 0, b'B', 0, b'0', 0, b'1', 0, 0, 1, 0, 0, 0]
        );
        assert_eq!(&p[3 + len..], &[0xFD, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
}
