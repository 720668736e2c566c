//! The MSSQL honeypot: enough of TDS ([MS-TDS]) to look like SQL Server 2019 to scanners and
//! brute-forcers, record every login they try, and fail it.
//!
//! - [`wire`]: packet header, message reassembly, PRELOGIN, the ERROR and DONE tokens.
//! - [`login`]: LOGIN7 (with the password de-obfuscation) and SQL batch text.
//! - [`session`]: [`MssqlSession`], the sans-I/O [`crate::Session`] for one connection.
//! - [`tls`]: the rustls configuration and its self-signed "SSL_Self_Signed_Fallback"
//!   certificate, made at first start.
//!
//! ```
//! use hirundo_honeypot::{tds::MssqlSession, Flow, Session};
//!
//! let mut session = MssqlSession::new(None);
//! let (mut out, mut found) = (Vec::new(), Vec::new());
//! // Junk is not TDS: the session asks to close, without panicking.
//! assert_eq!(session.receive(b"GET / HTTP/1.0\r\n\r\n", &mut out, &mut found), Flow::Close);
//! assert!(found.is_empty());
//! ```

pub mod login;
pub mod session;
pub mod tls;
pub mod wire;

/// The TLS configuration [`server_config`] makes, so that callers need not depend on rustls.
pub use rustls::ServerConfig as TlsConfig;
pub use session::MssqlSession;
pub use tls::{server_config, TlsError};
