//! The honeypot's configuration: the keys of `honeypot.toml`, which are also the long options
//! of `hirundo honeypot` (the command line wins).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::server::{Limits, PasswordPolicy};

/// Everything `hirundo honeypot` needs besides the store.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct HoneypotConfig {
    /// The name stored with every event (the `honeypot` column), like a sensor's name.
    #[serde(default = "default_name")]
    pub name: String,
    /// Where the MSSQL (TDS) service listens, e.g. 0.0.0.0:1433.
    #[serde(default)]
    pub mssql: Option<SocketAddr>,
    /// Where the telnet service listens, e.g. 0.0.0.0:23.
    #[serde(default)]
    pub telnet: Option<SocketAddr>,
    /// The server name in SQL Server's error messages (SQL Server says its machine name).
    #[serde(default = "default_server_name")]
    pub server_name: String,
    /// Directory of the TLS certificate offered to TDS clients (made at first start).
    #[serde(default)]
    pub tls_dir: Option<PathBuf>,
    /// The user to become once the ports are bound (when started as root).
    #[serde(default)]
    pub user: Option<String>,
    /// Passwords in stored events: keep, hash (sha256:...) or omit.
    #[serde(default = "default_passwords")]
    pub passwords: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    #[serde(default = "default_max_per_source")]
    pub max_per_source: usize,
    /// Seconds to wait for a client's next bytes.
    #[serde(default = "default_idle_timeout_s")]
    pub idle_timeout_s: u64,
    /// Seconds a connection may last at most.
    #[serde(default = "default_session_timeout_s")]
    pub session_timeout_s: u64,
    #[serde(default = "default_max_input_bytes")]
    pub max_input_bytes: usize,
    /// Milliseconds between commits of the events to the store.
    #[serde(default = "default_flush_ms")]
    pub flush_ms: u64,
}

impl HoneypotConfig {
    /// The connection limits these settings give.
    pub fn limits(&self) -> Limits {
        Limits {
            max_connections: self.max_connections,
            max_per_source: self.max_per_source,
            idle_timeout: Duration::from_secs(self.idle_timeout_s),
            session_timeout: Duration::from_secs(self.session_timeout_s),
            max_input_bytes: self.max_input_bytes,
            ..Limits::default()
        }
    }

    /// The password policy, or an error naming the bad value.
    pub fn password_policy(&self) -> Result<PasswordPolicy, crate::server::UnknownPasswordPolicy> {
        self.passwords.parse()
    }
}

fn default_name() -> String {
    "honeypot".into()
}
fn default_server_name() -> String {
    crate::tds::session::DEFAULT_SERVER_NAME.into()
}
fn default_passwords() -> String {
    PasswordPolicy::Keep.as_str().into()
}
fn default_max_connections() -> usize {
    Limits::default().max_connections
}
fn default_max_per_source() -> usize {
    Limits::default().max_per_source
}
fn default_idle_timeout_s() -> u64 {
    Limits::default().idle_timeout.as_secs()
}
fn default_session_timeout_s() -> u64 {
    Limits::default().session_timeout.as_secs()
}
fn default_max_input_bytes() -> usize {
    Limits::default().max_input_bytes
}
fn default_flush_ms() -> u64 {
    1000
}
