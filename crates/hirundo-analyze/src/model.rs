//! The report as data. Its JSON form (serde, field names as written here) is the contract of
//! DESIGN.md: the keys listed there keep their meaning; the others (series for the charts,
//! the home country, the rules used) are additions that renderers and dashboards read.
//! Dates are local dates of the report's time zone (`YYYY-MM-DD`); shares are fractions
//! (0.8 is 80%).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything a report says, in one object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub period: PeriodInfo,
    pub previous_period: PeriodInfo,
    /// IANA name of the zone whose midnights cut the days.
    pub time_zone: String,
    /// The country whose rank among each surging port's sources is reported (`--home`).
    pub home: Option<String>,
    pub totals: Totals,
    pub previous_totals: Totals,
    pub top_ports: Vec<PortRank>,
    pub top_countries: Vec<CountryRank>,
    pub events: Vec<Event>,
    pub port_focus: Vec<PortFocus>,
    pub scanners: Vec<ScannerShare>,
    pub fingerprints: Vec<FingerprintShare>,
    pub backscatter: Vec<Victim>,
    /// The honeypot's attempts, when the store holds honeypot events of the period.
    #[serde(default)]
    pub honeypot: Option<HoneypotSummary>,
    /// Daily (or weekly) series behind the figures.
    pub series: Series,
    /// How the numbers were made: the rules and their parameters, for the reader.
    pub method: Method,
    /// `hirundo <version>`.
    pub generator: String,
}

/// A period: `label` is what the user typed or its canonical form (`2019Q4`, `2019-11`,
/// `2019-W47`, `2019-10-01..2019-10-20`); `end` is inclusive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeriodInfo {
    pub label: String,
    #[serde(with = "date")]
    pub start: NaiveDate,
    #[serde(with = "date")]
    pub end: NaiveDate,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub packets: u64,
    pub unique_sources: u64,
    pub malformed: u64,
}

/// One row of Table 1. `port` is the destination port, or the ICMP type for `icmp`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortRank {
    pub rank: u32,
    pub proto: String,
    pub port: u16,
    /// IANA service name, if the registry has one for this protocol and port.
    pub service: Option<String>,
    pub packets: u64,
    /// Rank in the previous period, or null if the port was not seen then.
    pub previous_rank: Option<u32>,
    pub previous_packets: u64,
}

impl PortRank {
    /// The key of this port in events and fingerprints: `1433/tcp`.
    pub fn key(&self) -> String {
        port_key(&self.proto, self.port)
    }
}

/// `PORT/PROTO`, the key of a port in events, focus and fingerprint scopes.
pub fn port_key(proto: &str, port: u16) -> String {
    format!("{port}/{proto}")
}

/// The IP protocols that have names in port keys, by number.
const PROTOCOL_NAMES: [(u8, &str); 4] = [(6, "tcp"), (17, "udp"), (1, "icmp"), (58, "icmpv6")];

/// The report's name of an IP protocol (`ip` for those without ports).
pub fn protocol_name(protocol: u8) -> &'static str {
    PROTOCOL_NAMES
        .iter()
        .find(|(number, _)| *number == protocol)
        .map_or("ip", |(_, name)| name)
}

/// The protocol number and port of a key written by [`port_key`] (`1433/tcp`).
pub fn parse_port_key(key: &str) -> Option<(u8, u16)> {
    let (port, proto) = key.split_once('/')?;
    let (number, _) = PROTOCOL_NAMES.iter().find(|(_, name)| *name == proto)?;
    Some((*number, port.parse().ok()?))
}

/// One row of Table 2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountryRank {
    pub rank: u32,
    /// ISO 3166 alpha-2, or `??` for sources no database places.
    pub country: String,
    pub packets: u64,
    pub previous_rank: Option<u32>,
    pub previous_packets: u64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventKind {
    /// A sustained rise: lasts to the period's end or for weeks.
    Surge,
    /// A short rise, days, then back to the baseline.
    Spike,
    /// A short fall, such as an Internet shutdown.
    Drop,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dimension {
    Port,
    Country,
}

/// A detected event on a daily series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub dimension: Dimension,
    /// `1433/tcp` or `RO`.
    pub key: String,
    #[serde(with = "date")]
    pub start: NaiveDate,
    /// Last day of the event, or null if it still goes on at the period's end.
    #[serde(with = "optional_date")]
    pub end: Option<NaiveDate>,
    /// Packets during the event over what the baseline expected (below 1 for a drop).
    pub magnitude: f64,
    /// Expected packets per day (the baseline at the start).
    pub baseline_per_day: f64,
    /// Packets in the event's days.
    pub packets: u64,
    /// For a port, the countries that sent most of the extra packets, largest first.
    pub top_countries: Vec<String>,
}

/// Source countries of a surging port (Figure 3), and the home country's place (Figure 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortFocus {
    pub key: String,
    pub countries: Vec<FocusCountry>,
    /// The home country's row, if `--home` was given and it sent to this port.
    pub home: Option<FocusCountry>,
    /// Daily packets of the top countries (the rest summed as `other`), for the stacked chart.
    pub by_country: Vec<KeyedSeries>,
    /// The home country's daily packets to this port.
    pub home_series: Option<KeyedSeries>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FocusCountry {
    pub rank: u32,
    pub country: String,
    pub packets: u64,
}

/// Which share of a country's packets came from known research scanners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScannerShare {
    pub country: String,
    pub packets: u64,
    pub scanner_packets: u64,
    pub share: f64,
    /// The scanner organisations seen, largest first.
    pub names: Vec<String>,
}

/// A tool's share of all packets (`scope` = `all`) or of one port's (`23/tcp`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FingerprintShare {
    pub name: String,
    pub scope: String,
    pub packets: u64,
    pub share: f64,
}

/// A likely DoS victim: the sender of backscatter, one row per attack.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Victim {
    pub victim: String,
    pub packets: u64,
    /// RFC 3339, UTC.
    pub start: String,
    pub end: String,
    /// Source ports of the replies (the attacked services), most packets first.
    pub ports: Vec<u16>,
    pub country: Option<String>,
}

/// Values per day of the period (or per week when `resolution` is `week`), aligned with
/// [`Series::days`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyedSeries {
    pub key: String,
    pub values: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// First day of each point.
    #[serde(with = "dates")]
    pub days: Vec<NaiveDate>,
    /// `day` or `week`.
    pub resolution: String,
    pub packets: Vec<u64>,
    pub unique_sources: Vec<u64>,
    /// Top ports (Figure 1), keyed `23/tcp`, in rank order.
    pub ports: Vec<KeyedSeries>,
    /// Top countries (Figure 2), in rank order.
    pub countries: Vec<KeyedSeries>,
    /// The series of every port and country an event was found on (Figure 5).
    pub events: Vec<KeyedSeries>,
}

/// The rules behind the numbers, stated for the reader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Method {
    pub events: String,
    pub backscatter: String,
    pub unique_sources: String,
    pub scanners: String,
}

/// Dates as `YYYY-MM-DD` by hand: chrono's `serde` feature would change the feature set of
/// the chrono that Arrow and DataFusion share, and rebuild them (25 minutes in release).
mod date {
    use chrono::NaiveDate;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(date)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        parse(&String::deserialize(d)?)
    }

    pub fn parse<E: Error>(text: &str) -> Result<NaiveDate, E> {
        text.parse()
            .map_err(|_| E::custom(format!("`{text}` is not a YYYY-MM-DD date")))
    }
}

mod optional_date {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(date: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            Some(date) => s.collect_str(date),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|text| super::date::parse(&text))
            .transpose()
    }
}

mod dates {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(dates: &[NaiveDate], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(dates.iter().map(|d| d.to_string()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<NaiveDate>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| super::date::parse(text))
            .collect()
    }
}

/// What the honeypot saw in the period: attempts by port and country, the credentials tried
/// most, and how many of its sources the darknet also saw.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoneypotSummary {
    pub connections: u64,
    /// Logins tried (TDS LOGIN7, telnet user and password).
    pub logins: u64,
    /// Telnet command lines and SQL batches.
    pub commands: u64,
    /// Distinct source addresses.
    pub sources: u64,
    /// Of `sources`, those that sent the darknet packets in the same UTC days.
    pub sources_in_darknet: u64,
    pub by_port: Vec<HoneypotPort>,
    pub by_country: Vec<HoneypotCountry>,
    pub top_usernames: Vec<Credential>,
    /// Passwords as stored: clear, hashed (`sha256:`) or absent, by the honeypot's policy.
    pub top_passwords: Vec<Credential>,
}

/// A honeypot service: `protocol` is `mssql` or `telnet`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoneypotPort {
    pub protocol: String,
    pub port: u16,
    pub connections: u64,
    pub logins: u64,
    pub sources: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HoneypotCountry {
    pub rank: u32,
    /// ISO code, `??` when unknown.
    pub country: String,
    pub logins: u64,
    pub sources: u64,
}

/// A user name or password and how many logins tried it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub value: String,
    pub logins: u64,
}
