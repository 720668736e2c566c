//! `hirundo sensor`: capture a darknet and deliver it to the collector; `hirundo sensor-token`:
//! make a sensor's credential.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use hirundo_sensor::SensorConfig;

use crate::config_file::{self, path, Overrides};

#[derive(Args)]
pub struct SensorArgs {
    /// TOML file with the same keys as the long options (iface, darknet, name, ...); options
    /// given here win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Interface to capture on (needs CAP_NET_RAW and CAP_NET_ADMIN).
    #[arg(long, value_name = "IF", conflicts_with = "read")]
    iface: Option<String>,
    /// Replay a capture file instead (pcap/pcapng, compressed or not), then deliver and exit.
    #[arg(long, value_name = "FILE")]
    read: Option<PathBuf>,
    /// A darknet prefix (repeat for several); only packets to them are kept.
    #[arg(long, value_name = "CIDR")]
    darknet: Vec<String>,
    /// This sensor's name, as the collector's sensors file knows it.
    #[arg(long)]
    name: Option<String>,
    /// The collector, https://HOST:PORT.
    #[arg(long, value_name = "URL")]
    collector: Option<String>,
    /// File holding this sensor's token.
    #[arg(long, value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// PEM CA certificate that signed the collector's certificate (default: public roots).
    #[arg(long, value_name = "FILE")]
    ca: Option<PathBuf>,
    /// Spool directory: batches wait here until the collector has them.
    #[arg(long, value_name = "DIR")]
    spool: Option<PathBuf>,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, value_name = "ADDR")]
    metrics: Option<String>,
    /// Spool size limit in bytes [default: 1 GiB].
    #[arg(long, value_name = "BYTES")]
    spool_max_bytes: Option<i64>,
    /// When the spool is full: drop-oldest or stop-capture [default: drop-oldest].
    #[arg(long, value_name = "POLICY")]
    when_full: Option<String>,
    /// Seal a batch at this many records [default: 65536]...
    #[arg(long, value_name = "N")]
    batch_records: Option<i64>,
    /// ...or this many milliseconds after its first packet [default: 1000].
    #[arg(long, value_name = "MS")]
    batch_ms: Option<i64>,
    /// Bytes captured per packet [default: 256].
    #[arg(long, value_name = "BYTES")]
    snaplen: Option<i64>,
    /// Kernel ring size in MiB [default: 256].
    #[arg(long, value_name = "MIB")]
    ring_mib: Option<i64>,
    /// Seconds between health lines in the log [default: 10].
    #[arg(long, value_name = "S")]
    log_every_s: Option<i64>,
    /// Batches in flight to the collector at once [default: 8].
    #[arg(long, value_name = "N")]
    upload_streams: Option<i64>,
}

impl SensorArgs {
    fn config(&self) -> anyhow::Result<SensorConfig> {
        let mut o = Overrides::default();
        o.set("iface", self.iface.clone())
            .set("read", path(&self.read))
            .set_list("darknet", &self.darknet)
            .set("name", self.name.clone())
            .set("collector", self.collector.clone())
            .set("token-file", path(&self.token_file))
            .set("ca", path(&self.ca))
            .set("spool", path(&self.spool))
            .set("metrics", self.metrics.clone())
            .set("spool-max-bytes", self.spool_max_bytes)
            .set("when-full", self.when_full.clone())
            .set("batch-records", self.batch_records)
            .set("batch-ms", self.batch_ms)
            .set("snaplen", self.snaplen)
            .set("ring-mib", self.ring_mib)
            .set("log-every-s", self.log_every_s)
            .set("upload-streams", self.upload_streams);
        config_file::load(self.config.as_deref(), o)
    }
}

pub fn run(args: SensorArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop)).context("signal handler")?;
    }
    hirundo_sensor::run(&config, stop)?;
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct TokenArgs {
    /// The sensor's name.
    name: String,
    /// Write the new token here (mode 0600; refuses to overwrite).
    #[arg(long, value_name = "FILE")]
    token_file: PathBuf,
}

/// Makes a random token for a sensor and prints the collector's sensors-file line for it.
pub fn token(args: TokenArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        hirundo_batch::valid_sensor_name(&args.name),
        "sensor name {:?}: use letters, digits, '.', '-' and '_' (at most 64)",
        args.name
    );
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).context("random token")?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::File::options()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&args.token_file)
        .with_context(|| format!("creating {}", args.token_file.display()))?;
    writeln!(file, "{token}").with_context(|| format!("writing {}", args.token_file.display()))?;
    println!("{} {}", args.name, hirundo_collector::token_hash(&token));
    Ok(ExitCode::SUCCESS)
}
