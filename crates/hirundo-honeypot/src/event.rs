//! What the honeypot records, and the interface between protocol sessions and the server.

use std::net::SocketAddr;

/// The service a connection reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Mssql,
    Telnet,
}

impl Protocol {
    /// The name stored in the `protocol` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Mssql => "mssql",
            Protocol::Telnet => "telnet",
        }
    }
}

/// What happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A TCP connection was accepted.
    Connect,
    /// The client sent credentials (TDS LOGIN7, or a telnet user name and password).
    Login,
    /// A line typed at the telnet prompt.
    Command,
    /// An SQL batch sent over TDS.
    Sql,
}

impl EventKind {
    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Connect => "connect",
            EventKind::Login => "login",
            EventKind::Command => "command",
            EventKind::Sql => "sql",
        }
    }
}

/// What the client said about itself (TDS LOGIN7 fields; telnet terminal type).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientInfo {
    /// Client host name (LOGIN7 HostName).
    pub host: Option<String>,
    /// Application name (LOGIN7 AppName; telnet TERMINAL-TYPE).
    pub app: Option<String>,
    /// Client library name (LOGIN7 CltIntName, e.g. "DB-Library", "ODBC", "pytds").
    pub library: Option<String>,
    /// Client program version (LOGIN7 ClientProgVer, dotted).
    pub library_version: Option<String>,
    /// Protocol version the client asked for (LOGIN7 TDSVersion, e.g. "7.4").
    pub protocol_version: Option<String>,
}

/// What a session learned from the client's bytes: everything of an [`Event`] but the time
/// and the addresses, which the server knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: EventKind,
    pub username: Option<String>,
    /// The password in clear; the server applies the operator's policy (keep, hash, omit)
    /// before anything is stored.
    pub password: Option<String>,
    pub client: ClientInfo,
    /// Whether the bytes carrying this finding came over TLS.
    pub encrypted: bool,
    /// The SQL batch text or the telnet command line.
    pub text: Option<String>,
}

impl Finding {
    /// A finding of `kind` with nothing else known yet.
    pub fn new(kind: EventKind) -> Finding {
        Finding {
            kind,
            username: None,
            password: None,
            client: ClientInfo::default(),
            encrypted: false,
            text: None,
        }
    }
}

/// A finding with its time and addresses: one row of the store's `honeypot` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Nanoseconds since the Unix epoch, UTC.
    pub time_ns: i64,
    /// The client.
    pub src: SocketAddr,
    /// The honeypot address and port the client reached.
    pub dst: SocketAddr,
    pub protocol: Protocol,
    pub finding: Finding,
}

/// Whether a session wants more bytes or is done with the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Send what is in the output buffer, then close.
    Close,
}

/// One client connection's protocol state, without I/O: the server feeds it what it reads
/// and writes what it answers. A session bounds its own buffers; on bytes it cannot parse it
/// answers `Flow::Close` (never panics).
pub trait Session: Send {
    /// Bytes to send as soon as the connection is accepted (the telnet banner; nothing for
    /// TDS, whose client speaks first).
    fn start(&mut self, out: &mut Vec<u8>);

    /// Takes bytes read from the client; appends the reply to `out` and what was learned to
    /// `found`.
    fn receive(&mut self, input: &[u8], out: &mut Vec<u8>, found: &mut Vec<Finding>) -> Flow;
}

/// Where the server hands events: must not block (queue and return).
pub trait EventSink: Send + Sync {
    fn record(&self, event: Event);
}
