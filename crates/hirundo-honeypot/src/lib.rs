//! hirundo's honeypot: services that look like an MSSQL server and a small telnet device, so
//! that the scanners the darknet sees knocking on 1433/tcp and 23/tcp show what they want.
//!
//! Each protocol is a sans-I/O [`Session`]: bytes in, reply bytes and [`Finding`]s out, no
//! sockets and no clock, so that the parsers are unit-tested on captured bytes and fuzzed. The
//! [`server`] drives sessions over TCP with caps on connections, time and memory, and hands
//! every [`Event`] (a finding with its time and addresses) to an [`EventSink`]: the store, in
//! `hirundo honeypot`.
//!
//! Nothing a client sends is ever executed: replies are fixed or derived from the protocol
//! state only.

pub mod config;
mod event;
pub mod privileges;
mod run;
pub mod server;
pub mod tds;
pub mod telnet;

pub use config::HoneypotConfig;
pub use event::{ClientInfo, Event, EventKind, EventSink, Finding, Flow, Protocol, Session};
pub use privileges::{drop_privileges, PrivilegeError};
pub use run::{run, RunError};
pub use server::{serve, Limits, PasswordPolicy, ServerStats, Service};
pub use telnet::TelnetSession;
