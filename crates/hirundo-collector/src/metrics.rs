//! The collector's Prometheus metrics, per sensor.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SensorLabel {
    sensor: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BatchLabels {
    sensor: String,
    outcome: Outcome,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    sensor: String,
    reason: Reject,
}

/// What became of an accepted batch.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)] // label values as Prometheus users write them
pub enum Outcome {
    stored,
    duplicate,
}

/// Why a batch was refused.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Reject {
    unauthenticated,
    revoked,
    wrong_sensor,
    oversized,
    malformed,
    store_error,
}

/// Every metric the collector exports.
pub struct Metrics {
    registry: Registry,
    batches: Family<BatchLabels, Counter>,
    records: Family<SensorLabel, Counter>,
    bytes: Family<SensorLabel, Counter>,
    rejects: Family<RejectLabels, Counter>,
    last_seen: Family<SensorLabel, Gauge>,
    commits: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("hirundo_collector");
        let metrics = Metrics {
            batches: Family::default(),
            records: Family::default(),
            bytes: Family::default(),
            rejects: Family::default(),
            last_seen: Family::default(),
            commits: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "batches",
            "Batches accepted, stored or acknowledged as duplicates",
            metrics.batches.clone(),
        );
        registry.register("records", "Packet records stored", metrics.records.clone());
        registry.register("bytes", "Encoded batch bytes stored", metrics.bytes.clone());
        registry.register(
            "rejects",
            "Requests refused, by reason",
            metrics.rejects.clone(),
        );
        registry.register(
            "last_seen_seconds",
            "Unix time of the sensor's last accepted batch",
            metrics.last_seen.clone(),
        );
        registry.register("commits", "Store commits written", metrics.commits.clone());
        Metrics {
            registry,
            ..metrics
        }
    }
}

impl Metrics {
    pub fn accepted(&self, sensor: &str, outcome: Outcome, records: u64, bytes: u64) {
        let sensor = sensor.to_owned();
        self.batches
            .get_or_create(&BatchLabels {
                sensor: sensor.clone(),
                outcome,
            })
            .inc();
        let label = SensorLabel { sensor };
        if outcome == Outcome::stored {
            self.records.get_or_create(&label).inc_by(records);
            self.bytes.get_or_create(&label).inc_by(bytes);
        }
        self.last_seen
            .get_or_create(&label)
            .set(chrono::Utc::now().timestamp());
    }

    /// A refused request; `sensor` is "unknown" when the token named none.
    pub fn rejected(&self, sensor: &str, reason: Reject) {
        self.rejects
            .get_or_create(&RejectLabels {
                sensor: sensor.to_owned(),
                reason,
            })
            .inc();
    }

    pub fn committed(&self) {
        self.commits.inc();
    }

    /// The OpenMetrics text exposition.
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
