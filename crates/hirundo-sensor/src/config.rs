//! The sensor's configuration: `sensor.toml` holds the same keys as the command line's long
//! options (`iface`, `darknet`, `name`, `collector`, ...).

use std::net::SocketAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use serde::Deserialize;

use crate::SensorError;

/// What a sensor does when its spool is full (the collector has been away for long).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WhenFull {
    /// Delete the oldest spooled batches to make room (counted as `spool_dropped`).
    #[default]
    DropOldest,
    /// Stop reading packets until there is room: the kernel then drops them (counted as
    /// kernel drops), and the oldest data is kept.
    StopCapture,
}

/// Where packets come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// A live interface.
    Interface(String),
    /// A capture file read once, as fast as it goes (replays and benchmarks).
    File(PathBuf),
}

/// Everything a sensor needs.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SensorConfig {
    /// Interface to capture on.
    #[serde(default)]
    pub iface: Option<String>,
    /// Read this capture file instead of an interface.
    #[serde(default)]
    pub read: Option<PathBuf>,
    /// The darknet prefixes: only packets to them are kept (kernel BPF filter).
    pub darknet: Vec<IpNet>,
    pub name: String,
    /// `https://HOST:PORT` of the collector.
    pub collector: String,
    pub token_file: PathBuf,
    /// PEM CA certificate(s) that signed the collector's certificate; default: the system's
    /// web roots.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    pub spool: PathBuf,
    /// Address of the Prometheus `/metrics` endpoint.
    #[serde(default)]
    pub metrics: Option<SocketAddr>,
    /// Spool size limit in bytes.
    #[serde(default = "default_spool_max_bytes")]
    pub spool_max_bytes: u64,
    #[serde(default)]
    pub when_full: WhenFull,
    /// A batch is sealed at this many records...
    #[serde(default = "default_batch_records")]
    pub batch_records: usize,
    /// ...or this many milliseconds after its first packet.
    #[serde(default = "default_batch_ms")]
    pub batch_ms: u64,
    /// Bytes captured per packet: headers are all the decoder reads.
    #[serde(default = "default_snaplen")]
    pub snaplen: u32,
    /// Kernel ring size in MiB.
    #[serde(default = "default_ring_mib")]
    pub ring_mib: u32,
    /// Seconds between the log's health lines.
    #[serde(default = "default_log_every_s")]
    pub log_every_s: u64,
    /// Batches in flight to the collector at once (each on its own connection).
    #[serde(default = "default_upload_streams")]
    pub upload_streams: usize,
}

fn default_spool_max_bytes() -> u64 {
    1 << 30
}
fn default_batch_records() -> usize {
    1 << 16
}
fn default_batch_ms() -> u64 {
    1000
}
fn default_snaplen() -> u32 {
    // Ethernet + two VLAN tags + IPv6 with extension headers + TCP with options, and the
    // first 32 payload bytes the decoder hashes.
    256
}
fn default_ring_mib() -> u32 {
    256
}
fn default_log_every_s() -> u64 {
    10
}
/// Measured with two sensors delivering 10 M records each to one collector on two cores:
/// 4 streams 1.97 M records/s, 8 streams 2.11 M, 16 streams 2.16 M at twice the
/// collector's memory (scripts/bench-network.sh).
fn default_upload_streams() -> usize {
    8
}

impl SensorConfig {
    /// The packet source; exactly one of `iface` and `read` must be set.
    pub fn input(&self) -> Result<Input, SensorError> {
        match (&self.iface, &self.read) {
            (Some(iface), None) => Ok(Input::Interface(iface.clone())),
            (None, Some(path)) => Ok(Input::File(path.clone())),
            _ => Err(SensorError::Invalid(
                "give either an interface (iface) or a capture file to read (read)".into(),
            )),
        }
    }

    /// Checks what serde cannot: a darknet, a plain name, an https collector.
    pub fn validate(&self) -> Result<(), SensorError> {
        self.input()?;
        if self.darknet.is_empty() {
            return Err(SensorError::Invalid(
                "at least one darknet prefix is needed".into(),
            ));
        }
        if !hirundo_batch::valid_sensor_name(&self.name) {
            return Err(SensorError::Invalid(format!(
                "sensor name {:?}: use letters, digits, '.', '-' and '_' (at most 64)",
                self.name
            )));
        }
        if !self.collector.starts_with("https://") {
            return Err(SensorError::Invalid(format!(
                "collector {:?} must be an https:// URL",
                self.collector
            )));
        }
        if self.batch_records == 0 || self.upload_streams == 0 {
            return Err(SensorError::Invalid(
                "batch-records and upload-streams must be positive".into(),
            ));
        }
        Ok(())
    }
}

/// The kernel filter: packets to any darknet prefix, also inside one VLAN tag.
pub fn bpf_filter(darknet: &[IpNet]) -> String {
    let nets = darknet
        .iter()
        .map(|net| format!("dst net {net}"))
        .collect::<Vec<_>>()
        .join(" or ");
    format!("({nets}) or (vlan and ({nets}))")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_names_every_prefix() {
        let nets: Vec<IpNet> = vec![
            "198.18.7.0/24".parse().unwrap(),
            "2001:db8:7::/48".parse().unwrap(),
        ];
        assert_eq!(
            bpf_filter(&nets),
            "(dst net 198.18.7.0/24 or dst net 2001:db8:7::/48) or \
             (vlan and (dst net 198.18.7.0/24 or dst net 2001:db8:7::/48))"
        );
    }

    #[test]
    fn toml_keys_are_the_long_options() {
        let config: SensorConfig = toml::from_str(
            r#"
            iface = "dark0"
            darknet = ["198.18.7.0/24"]
            name = "tokyo-1"
            collector = "https://127.0.0.1:8443"
            token-file = "/etc/hirundo/token"
            spool = "/var/spool/hirundo"
            when-full = "stop-capture"
            "#,
        )
        .unwrap();
        config.validate().unwrap();
        assert_eq!(config.when_full, WhenFull::StopCapture);
        assert_eq!(config.batch_records, 1 << 16);
        let bad: Result<SensorConfig, _> = toml::from_str("iface = \"x\"\ncolour = 1\n");
        assert!(bad.unwrap_err().to_string().contains("colour"));
    }
}
