//! LOGIN7 ([MS-TDS] 2.2.6.4) and SQL batch (2.2.6.7) payloads: what a client says about
//! itself, its credentials, and the text of a query.
//!
//! LOGIN7 is a fixed part (versions, sizes, flags) followed by a table of (offset, length)
//! pairs into the variable part. Offsets are in bytes from the start of the LOGIN7 payload;
//! lengths count UTF-16 code units for strings and bytes for SSPI and the extension. Any pair
//! may point outside the payload: the view reports an error for that field.

use super::wire::Error;

mod field {
    pub type Field = core::ops::Range<usize>;
    /// Total LOGIN7 length, little-endian like every LOGIN7 integer.
    pub const LENGTH: Field = 0..4;
    pub const TDS_VERSION: Field = 4..8;
    pub const PACKET_SIZE: Field = 8..12;
    pub const CLIENT_PROG_VER: Field = 12..16;
    pub const CLIENT_PID: Field = 16..20;
    pub const CONNECTION_ID: Field = 20..24;
    pub const OPTION_FLAGS1: usize = 24;
    pub const OPTION_FLAGS2: usize = 25;
    pub const TYPE_FLAGS: usize = 26;
    pub const OPTION_FLAGS3: usize = 27;
    pub const CLIENT_TIME_ZONE: Field = 28..32;
    pub const CLIENT_LCID: Field = 32..36;
    // The offset/length table: 2-byte offset, then 2-byte length, per field.
    pub const HOST_NAME: usize = 36;
    pub const USER_NAME: usize = 40;
    pub const PASSWORD: usize = 44;
    pub const APP_NAME: usize = 48;
    pub const SERVER_NAME: usize = 52;
    pub const EXTENSION: usize = 56;
    pub const CLT_INT_NAME: usize = 60;
    pub const LANGUAGE: usize = 64;
    pub const DATABASE: usize = 68;
    pub const CLIENT_ID: Field = 72..78;
    pub const SSPI: usize = 78;
    pub const ATCH_DB_FILE: usize = 82;
    /// From TDS 7.2 on.
    pub const CHANGE_PASSWORD: usize = 86;
    /// From TDS 7.2 on: SSPI length when it exceeds 65535.
    pub const SSPI_LONG: Field = 90..94;
    /// Fixed part of TDS 7.0 and 7.1.
    pub const FIXED_LEN_70: usize = 86;
    /// Fixed part of TDS 7.2 and later.
    pub const FIXED_LEN_72: usize = 94;
}

/// A variable-length LOGIN7 field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Login7Field {
    HostName,
    UserName,
    Password,
    AppName,
    ServerName,
    Extension,
    CltIntName,
    Language,
    Database,
    Sspi,
    AtchDbFile,
    ChangePassword,
}

impl Login7Field {
    /// Position of the (offset, length) pair, and whether the length counts UTF-16 units.
    fn entry(self) -> (usize, bool) {
        match self {
            Login7Field::HostName => (field::HOST_NAME, true),
            Login7Field::UserName => (field::USER_NAME, true),
            Login7Field::Password => (field::PASSWORD, true),
            Login7Field::AppName => (field::APP_NAME, true),
            Login7Field::ServerName => (field::SERVER_NAME, true),
            Login7Field::Extension => (field::EXTENSION, false),
            Login7Field::CltIntName => (field::CLT_INT_NAME, true),
            Login7Field::Language => (field::LANGUAGE, true),
            Login7Field::Database => (field::DATABASE, true),
            Login7Field::Sspi => (field::SSPI, false),
            Login7Field::AtchDbFile => (field::ATCH_DB_FILE, true),
            Login7Field::ChangePassword => (field::CHANGE_PASSWORD, true),
        }
    }
}

/// A view of a LOGIN7 payload.
#[derive(Debug, Clone)]
pub struct Login7<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Login7<T> {
    /// Checks that the fixed part of TDS 7.0 is there and that the length field covers it and
    /// lies within the buffer.
    pub fn new_checked(buffer: T) -> Result<Login7<T>, Error> {
        let buf = buffer.as_ref();
        if buf.len() < field::FIXED_LEN_70 {
            return Err(Error::Truncated);
        }
        let length = le32(&buf[field::LENGTH]) as usize;
        if length < field::FIXED_LEN_70 {
            return Err(Error::Malformed);
        }
        if length > buf.len() {
            return Err(Error::Truncated);
        }
        Ok(Login7 { buffer })
    }

    fn data(&self) -> &[u8] {
        let buf = self.buffer.as_ref();
        &buf[..le32(&buf[field::LENGTH]) as usize]
    }

    #[inline]
    pub fn length(&self) -> u32 {
        le32(&self.data()[field::LENGTH])
    }

    /// The TDS version asked for, e.g. 0x74000004 for 7.4.
    #[inline]
    pub fn tds_version(&self) -> u32 {
        le32(&self.data()[field::TDS_VERSION])
    }

    #[inline]
    pub fn packet_size(&self) -> u32 {
        le32(&self.data()[field::PACKET_SIZE])
    }

    #[inline]
    pub fn client_prog_ver(&self) -> u32 {
        le32(&self.data()[field::CLIENT_PROG_VER])
    }

    #[inline]
    pub fn client_pid(&self) -> u32 {
        le32(&self.data()[field::CLIENT_PID])
    }

    #[inline]
    pub fn connection_id(&self) -> u32 {
        le32(&self.data()[field::CONNECTION_ID])
    }

    /// OptionFlags1, OptionFlags2, TypeFlags, OptionFlags3.
    #[inline]
    pub fn flags(&self) -> [u8; 4] {
        let d = self.data();
        [
            d[field::OPTION_FLAGS1],
            d[field::OPTION_FLAGS2],
            d[field::TYPE_FLAGS],
            d[field::OPTION_FLAGS3],
        ]
    }

    /// Minutes east of UTC.
    #[inline]
    pub fn client_time_zone(&self) -> i32 {
        le32(&self.data()[field::CLIENT_TIME_ZONE]) as i32
    }

    #[inline]
    pub fn client_lcid(&self) -> u32 {
        le32(&self.data()[field::CLIENT_LCID])
    }

    /// Usually the client's MAC address.
    #[inline]
    pub fn client_id(&self) -> [u8; 6] {
        let mut id = [0; 6];
        id.copy_from_slice(&self.data()[field::CLIENT_ID]);
        id
    }

    /// Whether the fixed part has the TDS 7.2 fields (ChangePassword, cbSSPILong): clients lay
    /// out the table of the version they ask for (TDS 8.0 is numbered 0x08000000).
    fn has_72_fields(&self) -> bool {
        self.tds_version() >= 0x7200_0000 || self.tds_version() >> 24 == 0x08
    }

    /// The raw bytes of a variable field; empty for ChangePassword before TDS 7.2.
    pub fn field(&self, which: Login7Field) -> Result<&[u8], Error> {
        let data = self.data();
        let (at, utf16) = which.entry();
        if which == Login7Field::ChangePassword && !self.has_72_fields() {
            return Ok(&[]);
        }
        let entry = data.get(at..at + 4).ok_or(Error::Truncated)?;
        let offset = usize::from(le16(&entry[0..2]));
        let count = usize::from(le16(&entry[2..4]));
        let len = if utf16 { 2 * count } else { count };
        data.get(offset..offset + len).ok_or(Error::Malformed)
    }

    /// cbSSPILong (TDS 7.2+), when the fixed part has it.
    pub fn sspi_long(&self) -> Option<u32> {
        let d = self.data();
        d.get(field::SSPI_LONG)
            .filter(|_| self.has_72_fields())
            .map(le32)
    }
}

/// The meaning of a LOGIN7 message, strings decoded (password de-obfuscated).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Login7Repr {
    pub tds_version: u32,
    pub packet_size: u32,
    pub client_prog_ver: u32,
    pub client_pid: u32,
    pub connection_id: u32,
    /// OptionFlags1, OptionFlags2, TypeFlags, OptionFlags3.
    pub flags: [u8; 4],
    pub client_time_zone: i32,
    pub client_lcid: u32,
    pub host_name: String,
    pub user_name: String,
    pub password: String,
    pub app_name: String,
    pub server_name: String,
    pub library: String,
    pub language: String,
    pub database: String,
    pub client_id: [u8; 6],
    pub sspi: Vec<u8>,
    pub atch_db_file: String,
    pub change_password: String,
}

impl Login7Repr {
    pub fn parse<T: AsRef<[u8]>>(login: &Login7<T>) -> Result<Login7Repr, Error> {
        let text = |f| login.field(f).map(decode_utf16le);
        let secret = |f| login.field(f).map(decode_password);
        Ok(Login7Repr {
            tds_version: login.tds_version(),
            packet_size: login.packet_size(),
            client_prog_ver: login.client_prog_ver(),
            client_pid: login.client_pid(),
            connection_id: login.connection_id(),
            flags: login.flags(),
            client_time_zone: login.client_time_zone(),
            client_lcid: login.client_lcid(),
            host_name: text(Login7Field::HostName)?,
            user_name: text(Login7Field::UserName)?,
            password: secret(Login7Field::Password)?,
            app_name: text(Login7Field::AppName)?,
            server_name: text(Login7Field::ServerName)?,
            library: text(Login7Field::CltIntName)?,
            language: text(Login7Field::Language)?,
            database: text(Login7Field::Database)?,
            client_id: login.client_id(),
            sspi: login.field(Login7Field::Sspi)?.to_vec(),
            atch_db_file: text(Login7Field::AtchDbFile)?,
            change_password: secret(Login7Field::ChangePassword)?,
        })
    }

    /// Appends the LOGIN7 payload a TDS 7.2+ client would send (fixed part of 94 bytes,
    /// strings in table order). Strings longer than the 16-bit fields allow are cut.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let strings: [(usize, Vec<u8>, u16); 11] = [
            (field::HOST_NAME, utf16le(&self.host_name), 0),
            (field::USER_NAME, utf16le(&self.user_name), 0),
            (field::PASSWORD, encode_password(&self.password), 0),
            (field::APP_NAME, utf16le(&self.app_name), 0),
            (field::SERVER_NAME, utf16le(&self.server_name), 0),
            (field::CLT_INT_NAME, utf16le(&self.library), 0),
            (field::LANGUAGE, utf16le(&self.language), 0),
            (field::DATABASE, utf16le(&self.database), 0),
            (field::SSPI, self.sspi.clone(), 1),
            (field::ATCH_DB_FILE, utf16le(&self.atch_db_file), 0),
            (
                field::CHANGE_PASSWORD,
                encode_password(&self.change_password),
                0,
            ),
        ];
        let mut fixed = vec![0u8; field::FIXED_LEN_72];
        self.emit_fixed(&mut fixed);
        let mut variable = Vec::new();
        for (at, bytes, is_bytes) in strings {
            let bytes = &bytes[..bytes.len().min(0xFFFE)];
            let offset = (field::FIXED_LEN_72 + variable.len()).min(0xFFFF) as u16;
            let count = if is_bytes == 1 {
                bytes.len()
            } else {
                bytes.len() / 2
            } as u16;
            fixed[at..at + 2].copy_from_slice(&offset.to_le_bytes());
            fixed[at + 2..at + 4].copy_from_slice(&count.to_le_bytes());
            variable.extend_from_slice(bytes);
        }
        let total = (fixed.len() + variable.len()) as u32;
        fixed[field::LENGTH].copy_from_slice(&total.to_le_bytes());
        out.extend_from_slice(&fixed);
        out.extend_from_slice(&variable);
    }

    fn emit_fixed(&self, fixed: &mut [u8]) {
        fixed[field::TDS_VERSION].copy_from_slice(&self.tds_version.to_le_bytes());
        fixed[field::PACKET_SIZE].copy_from_slice(&self.packet_size.to_le_bytes());
        fixed[field::CLIENT_PROG_VER].copy_from_slice(&self.client_prog_ver.to_le_bytes());
        fixed[field::CLIENT_PID].copy_from_slice(&self.client_pid.to_le_bytes());
        fixed[field::CONNECTION_ID].copy_from_slice(&self.connection_id.to_le_bytes());
        fixed[field::OPTION_FLAGS1] = self.flags[0];
        fixed[field::OPTION_FLAGS2] = self.flags[1];
        fixed[field::TYPE_FLAGS] = self.flags[2];
        fixed[field::OPTION_FLAGS3] = self.flags[3];
        fixed[field::CLIENT_TIME_ZONE].copy_from_slice(&self.client_time_zone.to_le_bytes());
        fixed[field::CLIENT_LCID].copy_from_slice(&self.client_lcid.to_le_bytes());
        fixed[field::CLIENT_ID].copy_from_slice(&self.client_id);
    }

    /// Whether replies to this client use the TDS 7.2 token layouts (4-byte line numbers,
    /// 8-byte row counts).
    pub fn is_tds72(&self) -> bool {
        self.tds_version >= 0x7200_0000 || self.tds_version >> 24 == 0x08
    }
}

/// The name of a LOGIN7 TDSVersion value ([MS-TDS] 2.2.6.4), or its hex form.
pub fn tds_version_name(version: u32) -> String {
    match version {
        0x7000_0000 => "7.0".into(),
        0x7100_0000 => "7.1".into(),
        0x7100_0001 => "7.1 Rev 1".into(),
        0x7209_0002 => "7.2".into(),
        0x730A_0003 => "7.3A".into(),
        0x730B_0003 => "7.3B".into(),
        0x7400_0004 => "7.4".into(),
        0x0800_0000 => "8.0".into(),
        other => format!("0x{other:08x}"),
    }
}

/// ClientProgVer dotted, most significant byte first (pytds's 1.0.0 arrives as 0x01000000,
/// "1.0.0.0"). The field is the client's own, with no format fixed by the protocol.
pub fn prog_version_dotted(version: u32) -> String {
    let b = version.to_be_bytes();
    format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
}

/// Undoes the LOGIN7 password obfuscation: per byte, XOR 0xA5 then swap the nibbles; the
/// result is UTF-16LE, decoded with surrogate pairs (lossily for unpaired surrogates).
pub fn decode_password(obfuscated: &[u8]) -> String {
    let clear: Vec<u8> = obfuscated
        .iter()
        .map(|b| (b ^ 0xA5).rotate_left(4))
        .collect();
    decode_utf16le(&clear)
}

/// The client's side of [`decode_password`]: UTF-16LE, then per byte swap the nibbles and
/// XOR 0xA5.
pub fn encode_password(password: &str) -> Vec<u8> {
    utf16le(password)
        .into_iter()
        .map(|b| b.rotate_left(4) ^ 0xA5)
        .collect()
}

/// UTF-16LE to a string, surrogate pairs joined, unpaired surrogates and an odd last byte
/// replaced by U+FFFD.
pub fn decode_utf16le(bytes: &[u8]) -> String {
    let units = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    let mut s: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    if bytes.len() % 2 == 1 {
        s.push(char::REPLACEMENT_CHARACTER);
    }
    s
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// The text of an SQL batch payload. From TDS 7.2 the text follows ALL_HEADERS, whose first
/// u32 is its total length; a batch sent before any login does not say which TDS version it
/// speaks, so the headers are skipped when they parse as headers (text starting with a
/// printable character never does: its first u32 is far above any message size).
pub fn sql_batch_text(payload: &[u8]) -> String {
    let skip = all_headers_len(payload).unwrap_or(0);
    decode_utf16le(&payload[skip..])
}

/// The length of a well-formed ALL_HEADERS at the start of `payload`: every header's own
/// length (u32, at least the 6 bytes of length and type) adds up to the total.
fn all_headers_len(payload: &[u8]) -> Option<usize> {
    let total = le32(payload.get(0..4)?) as usize;
    if total < 4 || total > payload.len() {
        return None;
    }
    let mut at = 4;
    while at < total {
        let len = le32(payload.get(at..at + 4)?) as usize;
        if len < 6 || at + len > total {
            return None;
        }
        at += len;
    }
    Some(total)
}

#[inline]
fn le16(b: &[u8]) -> u16 {
    u16::from_le_bytes([b[0], b[1]])
}

#[inline]
fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A LOGIN7 like pytds's, with a password outside the Basic Multilingual Plane.
    fn sample() -> Login7Repr {
        Login7Repr {
            tds_version: 0x7400_0004,
            packet_size: 4096,
            client_prog_ver: 0x0100_0000,
            client_pid: 4242,
            connection_id: 0,
            flags: [0xE0, 0x03, 0x00, 0x08],
            client_time_zone: -60,
            client_lcid: 0x0409,
            host_name: "scanner".into(),
            user_name: "sa".into(),
            password: "Пароль密码🔑x".into(),
            app_name: "pytds".into(),
            server_name: "10.0.0.1".into(),
            library: "Python TDS Library".into(),
            language: String::new(),
            database: "master".into(),
            client_id: [0x00, 0x50, 0x8b, 0xe3, 0xb7, 0x8f],
            sspi: Vec::new(),
            atch_db_file: String::new(),
            change_password: String::new(),
        }
    }

    #[test]
    fn password_round_trip_beyond_the_bmp() {
        let password = "Пароль密码🔑x";
        let wire = encode_password(password);
        // 6 Cyrillic + 2 CJK + 1 surrogate pair (2 units) + 1 = 11 code units.
        assert_eq!(wire.len(), 22);
        assert_eq!(decode_password(&wire), password);
        // Known bytes: 'a' (0x61 0x00) obfuscates to 0xB3 0xA5.
        assert_eq!(encode_password("a"), [0xB3, 0xA5]);
    }

    #[test]
    fn unpaired_surrogate_is_replaced() {
        let lone = [0x3D, 0xD8, 0x41, 0x00]; // high surrogate, then 'A'
        assert_eq!(decode_utf16le(&lone), "\u{FFFD}A");
        assert_eq!(decode_utf16le(&[0x41, 0x00, 0x42]), "A\u{FFFD}");
    }

    #[test]
    fn login7_round_trip() {
        let repr = sample();
        let mut bytes = Vec::new();
        repr.emit(&mut bytes);
        let view = Login7::new_checked(&bytes[..]).unwrap();
        assert_eq!(view.length() as usize, bytes.len());
        assert_eq!(view.tds_version(), 0x7400_0004);
        assert_eq!(view.client_pid(), 4242);
        assert_eq!(view.client_time_zone(), -60);
        assert_eq!(view.sspi_long(), Some(0));
        assert_eq!(Login7Repr::parse(&view).unwrap(), repr);
    }

    #[test]
    fn offsets_outside_the_message_are_errors() {
        let mut bytes = Vec::new();
        sample().emit(&mut bytes);
        // Point the user name far outside.
        bytes[field::USER_NAME..field::USER_NAME + 2].copy_from_slice(&0xFFF0u16.to_le_bytes());
        let view = Login7::new_checked(&bytes[..]).unwrap();
        assert_eq!(view.field(Login7Field::UserName), Err(Error::Malformed));
        assert!(Login7Repr::parse(&view).is_err());
        // A length field beyond the buffer.
        bytes[0..4].copy_from_slice(&100_000u32.to_le_bytes());
        assert_eq!(
            Login7::new_checked(&bytes[..]).err(),
            Some(Error::Truncated)
        );
        assert_eq!(
            Login7::new_checked(&bytes[..40]).err(),
            Some(Error::Truncated)
        );
    }

    #[test]
    fn version_names() {
        assert_eq!(tds_version_name(0x7400_0004), "7.4");
        assert_eq!(tds_version_name(0x730B_0003), "7.3B");
        assert_eq!(tds_version_name(0x1234_5678), "0x12345678");
        assert_eq!(prog_version_dotted(0x0100_0000), "1.0.0.0");
    }

    #[test]
    fn sql_batch_with_and_without_headers() {
        // ALL_HEADERS as pytds sends it: total 0x16, one transaction descriptor header.
        let mut payload = vec![0x16, 0, 0, 0, 0x12, 0, 0, 0, 2, 0];
        payload.extend_from_slice(&[0; 8]); // transaction descriptor
        payload.extend_from_slice(&[1, 0, 0, 0]); // outstanding requests
        payload.extend(utf16le("SELECT @@version"));
        assert_eq!(sql_batch_text(&payload), "SELECT @@version");
        assert_eq!(
            sql_batch_text(&utf16le("exec xp_cmdshell 'id'")),
            "exec xp_cmdshell 'id'"
        );
        assert_eq!(sql_batch_text(&[]), "");
    }
}
