//! The sensor's health: counters exported at `/metrics` (Prometheus text) and summarised in a
//! log line every few seconds.

use std::net::SocketAddr;
use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Every counter of a sensor.
pub struct Metrics {
    registry: Registry,
    pub captured: Counter,
    pub kernel_dropped: Counter,
    pub interface_dropped: Counter,
    pub records: Counter,
    pub malformed: Counter,
    pub non_ip: Counter,
    pub batches_spooled: Counter,
    pub records_spooled: Counter,
    pub spool_bytes: Gauge,
    pub spool_dropped_batches: Counter,
    pub spool_dropped_records: Counter,
    pub batches_sent: Counter,
    pub records_sent: Counter,
    pub duplicates: Counter,
    pub batches_rejected: Counter,
    pub send_errors: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hirundo_sensor");
        let m = Metrics {
            registry: Registry::default(),
            captured: Counter::default(),
            kernel_dropped: Counter::default(),
            interface_dropped: Counter::default(),
            records: Counter::default(),
            malformed: Counter::default(),
            non_ip: Counter::default(),
            batches_spooled: Counter::default(),
            records_spooled: Counter::default(),
            spool_bytes: Gauge::default(),
            spool_dropped_batches: Counter::default(),
            spool_dropped_records: Counter::default(),
            batches_sent: Counter::default(),
            records_sent: Counter::default(),
            duplicates: Counter::default(),
            batches_rejected: Counter::default(),
            send_errors: Counter::default(),
        };
        let counters: [(&str, &str, &Counter); 15] = [
            (
                "captured_packets",
                "Packets read from the interface or file",
                &m.captured,
            ),
            (
                "kernel_dropped_packets",
                "Packets the kernel dropped: the ring was full",
                &m.kernel_dropped,
            ),
            (
                "interface_dropped_packets",
                "Packets the interface or driver dropped",
                &m.interface_dropped,
            ),
            ("records", "IP packets decoded into records", &m.records),
            (
                "malformed_frames",
                "Frames whose headers were cut or inconsistent",
                &m.malformed,
            ),
            ("non_ip_frames", "Frames that were not IP", &m.non_ip),
            (
                "spooled_batches",
                "Batches written to the spool",
                &m.batches_spooled,
            ),
            (
                "spooled_records",
                "Records written to the spool",
                &m.records_spooled,
            ),
            (
                "spool_dropped_batches",
                "Batches deleted unsent because the spool was full",
                &m.spool_dropped_batches,
            ),
            (
                "spool_dropped_records",
                "Records deleted unsent because the spool was full",
                &m.spool_dropped_records,
            ),
            (
                "sent_batches",
                "Batches the collector acknowledged",
                &m.batches_sent,
            ),
            (
                "sent_records",
                "Records the collector acknowledged",
                &m.records_sent,
            ),
            (
                "duplicate_batches",
                "Acknowledged batches the collector already had",
                &m.duplicates,
            ),
            (
                "rejected_batches",
                "Batches the collector refused for good (kept in spool/rejected)",
                &m.batches_rejected,
            ),
            (
                "send_errors",
                "Failed deliveries (network, TLS, credential, collector busy): retried",
                &m.send_errors,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        registry.register(
            "spool_bytes",
            "Bytes waiting in the spool",
            m.spool_bytes.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    pub fn spooled(&self, records: u64, spool_bytes: u64) {
        self.batches_spooled.inc();
        self.records_spooled.inc_by(records);
        self.spool_bytes(spool_bytes);
    }

    pub fn spool_bytes(&self, bytes: u64) {
        self.spool_bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    pub fn spool_dropped(&self, records: u64) {
        self.spool_dropped_batches.inc();
        self.spool_dropped_records.inc_by(records);
    }

    pub fn spool_dropped_records(&self) -> u64 {
        self.spool_dropped_records.get()
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }

    /// The periodic health line.
    pub fn log(&self) {
        tracing::info!(
            captured = self.captured.get(),
            kernel_dropped = self.kernel_dropped.get(),
            records = self.records.get(),
            spooled = self.batches_spooled.get(),
            spool_bytes = self.spool_bytes.get(),
            spool_dropped = self.spool_dropped_batches.get(),
            sent = self.batches_sent.get(),
            sent_records = self.records_sent.get(),
            rejected = self.batches_rejected.get(),
            send_errors = self.send_errors.get(),
            "sensor health"
        );
    }
}

/// Serves `/metrics` on `addr` from a thread of its own (a one-thread async runtime).
pub fn serve(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind(addr)?;
    listener.set_nonblocking(true)?;
    std::thread::Builder::new()
        .name("metrics".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_io()
                .build()
                .expect("metrics runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                let app = axum::Router::new().route(
                    "/metrics",
                    axum::routing::get(move || {
                        let metrics = Arc::clone(&metrics);
                        async move { metrics.render() }
                    }),
                );
                let _ = axum::serve(listener, app).await;
            });
        })?;
    tracing::info!(%addr, "metrics listening (HTTP)");
    Ok(())
}
