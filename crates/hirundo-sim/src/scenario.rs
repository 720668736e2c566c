//! Scenario files: what a simulated darknet sees, in TOML a user can read and edit (the
//! format is documented in docs/SCENARIO.md; [`DEFAULT_SCENARIO`] is the built-in one).
//!
//! Parsing has two steps: serde reads the text into the raw `*Spec` structs (unknown keys
//! and wrong types are refused there, with toml's line and column), then [`Scenario::parse`]
//! checks meanings (dates, prefixes, countries, ports) and turns the specs into typed values;
//! its errors name the key and line too, from the spans toml records.

use std::collections::BTreeMap;
use std::ops::{Range, RangeInclusive};
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use hirundo_geo::CountryCode;
use ipnet::Ipv4Net;
use serde::Deserialize;
use toml::Spanned;

/// The built-in scenario: two quarters of 2026 seen by two sensors.
pub const DEFAULT_SCENARIO: &str = include_str!("../scenarios/default.toml");

/// A scenario file that cannot be used: the message names the key and the line.
#[derive(Debug, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct ScenarioError {
    /// The file (or "default scenario").
    pub origin: String,
    /// What is wrong, where.
    pub message: String,
}

/// A checked scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub time_zone: Tz,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub traffic: Traffic,
    pub sensors: Vec<SensorSpec>,
    /// The general port mix.
    pub ports: Vec<(Target, f64)>,
    /// The general country mix.
    pub countries: Vec<(CountryCode, f64)>,
    pub populations: Vec<PopulationSpec>,
    pub events: Vec<Event>,
    pub junk: Junk,
    pub formats: Vec<(FileFormat, f64)>,
}

/// Daily volume and its modulations.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Traffic {
    pub packets_per_day: f64,
    #[serde(default)]
    pub daily_noise: f64,
    #[serde(default)]
    pub weekly_ripple: f64,
    #[serde(default)]
    pub trend_per_quarter: f64,
}

/// A sensor and the prefixes it watches.
#[derive(Clone, Debug)]
pub struct SensorSpec {
    pub name: String,
    pub prefixes: Vec<Ipv4Net>,
    pub volume: f64,
}

/// Where a probe goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Tcp(u16),
    /// A uniformly random TCP port: the long tail.
    TcpRandom,
    Udp(u16),
    IcmpEcho,
}

impl FromStr for Target {
    type Err = String;

    fn from_str(s: &str) -> Result<Target, String> {
        let port = |p: &str| p.parse::<u16>().ok().filter(|&p| p > 0);
        match s.split_once('/') {
            Some(("tcp", "random")) => Ok(Target::TcpRandom),
            Some(("icmp", "echo")) => Ok(Target::IcmpEcho),
            Some(("tcp", p)) if port(p).is_some() => Ok(Target::Tcp(port(p).unwrap_or(0))),
            Some(("udp", p)) if port(p).is_some() => Ok(Target::Udp(port(p).unwrap_or(0))),
            _ => Err(format!(
                "`{s}` is not a probe target: write tcp/PORT, udp/PORT, tcp/random or icmp/echo"
            )),
        }
    }
}

/// How a population's senders build their packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PopulationKind {
    Mirai,
    Zmap,
    Masscan,
    Bot,
    Research,
}

/// A population of senders.
#[derive(Clone, Debug)]
pub struct PopulationSpec {
    pub name: String,
    pub kind: PopulationKind,
    /// The tool research scanners use: Zmap or Masscan.
    pub tool: PopulationKind,
    pub share: f64,
    pub sources: usize,
    /// Its own port mix, or None for the general one.
    pub ports: Option<Vec<(Target, f64)>>,
    /// Its own country mix, or None for the general one.
    pub countries: Option<Vec<(CountryCode, f64)>>,
    /// Research scanners' networks.
    pub networks: Vec<Ipv4Net>,
    /// Ports research scanners sweep.
    pub sweep: RangeInclusive<u16>,
}

/// A planted phenomenon, active on the days `from..=to`.
#[derive(Clone, Debug)]
pub struct Event {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub what: EventKind,
}

#[derive(Clone, Debug)]
pub enum EventKind {
    PortSurge {
        target: Target,
        factor: f64,
        countries: Vec<(CountryCode, f64)>,
    },
    CountrySpike {
        country: CountryCode,
        factor: f64,
    },
    Outage {
        country: CountryCode,
        remaining: f64,
    },
    Backscatter {
        victim: Victim,
        reply: Reply,
        service_port: u16,
        packets_per_day: f64,
    },
}

impl EventKind {
    /// The `kind` key's value.
    pub fn label(&self) -> &'static str {
        match self {
            EventKind::PortSurge { .. } => "port_surge",
            EventKind::CountrySpike { .. } => "country_spike",
            EventKind::Outage { .. } => "outage",
            EventKind::Backscatter { .. } => "backscatter",
        }
    }
}

/// A DoS victim: a given address or one drawn from a country.
#[derive(Clone, Copy, Debug)]
pub enum Victim {
    Address(std::net::Ipv4Addr),
    Country(CountryCode),
}

/// What a DoS victim answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    SynAck,
    Rst,
    IcmpUnreachable,
}

/// Frames that are not clean probes.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Junk {
    #[serde(default)]
    pub non_ip_per_day: f64,
    #[serde(default)]
    pub malformed_per_day: f64,
    #[serde(default)]
    pub truncated_share: f64,
}

/// A capture file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileFormat {
    Pcap,
    PcapNg,
    PcapGz,
    PcapNgGz,
}

impl FileFormat {
    /// The file name extension, which is also the format's name in scenarios.
    pub fn extension(self) -> &'static str {
        match self {
            FileFormat::Pcap => "pcap",
            FileFormat::PcapNg => "pcapng",
            FileFormat::PcapGz => "pcap.gz",
            FileFormat::PcapNgGz => "pcapng.gz",
        }
    }
}

// ---- raw specs, as serde reads them ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSpec {
    name: String,
    #[serde(default = "default_seed")]
    seed: u64,
    time_zone: Spanned<String>,
    start: Spanned<String>,
    end: Spanned<String>,
    traffic: Spanned<Traffic>,
    sensors: Vec<RawSensor>,
    ports: Spanned<BTreeMap<String, f64>>,
    countries: Spanned<BTreeMap<String, f64>>,
    populations: Vec<RawPopulation>,
    #[serde(default)]
    events: Vec<RawEvent>,
    #[serde(default)]
    junk: Option<Spanned<Junk>>,
    output: Option<RawOutput>,
}

fn default_seed() -> u64 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSensor {
    name: Spanned<String>,
    prefixes: Spanned<Vec<String>>,
    #[serde(default)]
    volume: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    name: Spanned<String>,
    kind: Spanned<String>,
    tool: Option<Spanned<String>>,
    share: Spanned<f64>,
    sources: Option<Spanned<usize>>,
    ports: Option<Spanned<BTreeMap<String, f64>>>,
    countries: Option<Spanned<BTreeMap<String, f64>>>,
    networks: Option<Spanned<Vec<String>>>,
    sweep: Option<Spanned<String>>,
}

/// One struct for every kind of event, so that toml keeps the spans (it cannot through
/// serde's internally tagged enums); [`Parser::event`] checks which keys a kind needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    kind: Spanned<String>,
    from: Spanned<String>,
    to: Option<Spanned<String>>,
    port: Option<Spanned<String>>,
    factor: Option<Spanned<f64>>,
    countries: Option<Spanned<BTreeMap<String, f64>>>,
    country: Option<Spanned<String>>,
    remaining: Option<Spanned<f64>>,
    victim: Option<Spanned<String>>,
    victim_country: Option<Spanned<String>>,
    reply: Option<Spanned<String>>,
    service_port: Option<Spanned<u16>>,
    packets_per_day: Option<Spanned<f64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    formats: Spanned<BTreeMap<String, f64>>,
}

impl Scenario {
    /// Every day of the period, `start` to `end` inclusive.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(|d| *d <= self.end)
    }

    /// Parses and checks a scenario; `origin` names it in errors. `known_country` says
    /// whether the geolocation database has addresses of a country.
    pub fn parse(
        text: &str,
        origin: &str,
        known_country: &dyn Fn(CountryCode) -> bool,
    ) -> Result<Scenario, ScenarioError> {
        let fail = |message: String| ScenarioError {
            origin: origin.to_owned(),
            message,
        };
        let spec: ScenarioSpec =
            toml::from_str(text).map_err(|e| fail(e.to_string().trim_end().to_owned()))?;
        let parser = Parser {
            text,
            known_country,
        };
        parser.scenario(spec).map_err(fail)
    }
}

/// Turns raw specs into a [`Scenario`]; errors are messages naming key and line.
struct Parser<'a> {
    text: &'a str,
    known_country: &'a dyn Fn(CountryCode) -> bool,
}

type Checked<T> = Result<T, String>;

impl Parser<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }

    fn err<T>(&self, key: &str, span: Range<usize>, message: impl std::fmt::Display) -> Checked<T> {
        Err(format!("line {}: `{key}`: {message}", self.line(span)))
    }

    fn scenario(&self, spec: ScenarioSpec) -> Checked<Scenario> {
        let time_zone = spec.time_zone.get_ref().parse::<Tz>().or_else(|_| {
            self.err(
                "time_zone",
                spec.time_zone.span(),
                "not an IANA time zone name such as Asia/Tokyo or UTC",
            )
        })?;
        let start = self.date("start", &spec.start)?;
        let end = self.date("end", &spec.end)?;
        if end < start {
            return self.err(
                "end",
                spec.end.span(),
                format!("{end} is before start {start}"),
            );
        }
        let traffic = self.traffic(&spec.traffic)?;
        if spec.sensors.is_empty() {
            return Err("`sensors`: at least one [[sensors]] is needed".into());
        }
        let sensors = spec
            .sensors
            .iter()
            .map(|s| self.sensor(s))
            .collect::<Checked<Vec<_>>>()?;
        self.distinct("sensors.name", spec.sensors.iter().map(|s| &s.name))?;
        let ports = self.targets("ports", &spec.ports)?;
        let countries = self.countries("countries", &spec.countries)?;
        if spec.populations.is_empty() {
            return Err("`populations`: at least one [[populations]] is needed".into());
        }
        let populations = spec
            .populations
            .iter()
            .map(|p| self.population(p))
            .collect::<Checked<Vec<_>>>()?;
        self.distinct("populations.name", spec.populations.iter().map(|p| &p.name))?;
        let events = spec
            .events
            .iter()
            .map(|e| self.event(e, start, end))
            .collect::<Checked<Vec<_>>>()?;
        let junk = match &spec.junk {
            Some(junk) => self.junk(junk)?,
            None => Junk::default(),
        };
        let formats = match &spec.output {
            Some(output) => self.formats(&output.formats)?,
            None => vec![(FileFormat::Pcap, 1.0)],
        };
        Ok(Scenario {
            name: spec.name,
            seed: spec.seed,
            time_zone,
            start,
            end,
            traffic,
            sensors,
            ports,
            countries,
            populations,
            events,
            junk,
            formats,
        })
    }

    fn date(&self, key: &str, value: &Spanned<String>) -> Checked<NaiveDate> {
        NaiveDate::parse_from_str(value.get_ref(), "%Y-%m-%d").or_else(|_| {
            self.err(
                key,
                value.span(),
                format!("`{}` is not a date like 2026-04-01", value.get_ref()),
            )
        })
    }

    fn traffic(&self, traffic: &Spanned<Traffic>) -> Checked<Traffic> {
        let t = traffic.get_ref();
        let span = traffic.span();
        if !(t.packets_per_day.is_finite() && t.packets_per_day >= 0.0) {
            return self.err("traffic.packets_per_day", span, "must be a number >= 0");
        }
        if !(0.0..=2.0).contains(&t.daily_noise) {
            return self.err("traffic.daily_noise", span, "must be between 0 and 2");
        }
        if !(0.0..1.0).contains(&t.weekly_ripple) {
            return self.err(
                "traffic.weekly_ripple",
                span,
                "must be at least 0 and below 1",
            );
        }
        if !(t.trend_per_quarter > -1.0 && t.trend_per_quarter <= 10.0) {
            return self.err(
                "traffic.trend_per_quarter",
                span,
                "must be above -1 and at most 10",
            );
        }
        Ok(t.clone())
    }

    fn sensor(&self, sensor: &RawSensor) -> Checked<SensorSpec> {
        let name = sensor.name.get_ref();
        let valid_name = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !name.starts_with('.');
        if !valid_name {
            return self.err(
                "sensors.name",
                sensor.name.span(),
                "use letters, digits, '-', '_' and '.' (it names a directory)",
            );
        }
        let prefixes = self.networks("sensors.prefixes", &sensor.prefixes)?;
        let volume = match &sensor.volume {
            Some(v) if !(v.get_ref().is_finite() && *v.get_ref() >= 0.0) => {
                return self.err("sensors.volume", v.span(), "must be a number >= 0")
            }
            Some(v) => *v.get_ref(),
            None => 1.0,
        };
        Ok(SensorSpec {
            name: name.clone(),
            prefixes,
            volume,
        })
    }

    fn networks(&self, key: &str, list: &Spanned<Vec<String>>) -> Checked<Vec<Ipv4Net>> {
        if list.get_ref().is_empty() {
            return self.err(key, list.span(), "at least one IPv4 prefix is needed");
        }
        list.get_ref()
            .iter()
            .map(|p| {
                p.parse::<Ipv4Net>().map(|net| net.trunc()).or_else(|_| {
                    self.err(
                        key,
                        list.span(),
                        format!("`{p}` is not an IPv4 prefix like 192.0.2.0/24"),
                    )
                })
            })
            .collect()
    }

    fn distinct<'s>(
        &self,
        key: &str,
        names: impl Iterator<Item = &'s Spanned<String>>,
    ) -> Checked<()> {
        let mut seen = std::collections::HashSet::new();
        for name in names {
            if !seen.insert(name.get_ref()) {
                return self.err(
                    key,
                    name.span(),
                    format!("`{}` is used twice", name.get_ref()),
                );
            }
        }
        Ok(())
    }

    fn weights<T>(
        &self,
        key: &str,
        table: &Spanned<BTreeMap<String, f64>>,
        item: impl Fn(&str) -> Result<T, String>,
    ) -> Checked<Vec<(T, f64)>> {
        let mut out = Vec::new();
        for (name, &weight) in table.get_ref() {
            let value = item(name).or_else(|e| self.err(key, table.span(), e))?;
            if !(weight.is_finite() && weight >= 0.0) {
                return self.err(
                    &format!("{key}.{name}"),
                    table.span(),
                    "a weight must be a number >= 0",
                );
            }
            out.push((value, weight));
        }
        if out.iter().all(|&(_, w)| w == 0.0) {
            return self.err(key, table.span(), "needs at least one weight above 0");
        }
        Ok(out)
    }

    fn targets(
        &self,
        key: &str,
        table: &Spanned<BTreeMap<String, f64>>,
    ) -> Checked<Vec<(Target, f64)>> {
        self.weights(key, table, |name| name.parse::<Target>())
    }

    fn country(&self, name: &str) -> Result<CountryCode, String> {
        let code = name
            .parse::<CountryCode>()
            .map_err(|_| format!("`{name}` is not a two-letter country code such as JP"))?;
        if (self.known_country)(code) {
            Ok(code)
        } else {
            Err(format!(
                "the geolocation database has no IPv4 addresses for country `{name}`"
            ))
        }
    }

    fn countries(
        &self,
        key: &str,
        table: &Spanned<BTreeMap<String, f64>>,
    ) -> Checked<Vec<(CountryCode, f64)>> {
        self.weights(key, table, |name| self.country(name))
    }

    fn population(&self, p: &RawPopulation) -> Checked<PopulationSpec> {
        let kind = self.population_kind("populations.kind", &p.kind)?;
        let tool = match (&p.tool, kind) {
            (Some(tool), PopulationKind::Research) => {
                let tool_kind = self.population_kind("populations.tool", tool)?;
                if !matches!(tool_kind, PopulationKind::Zmap | PopulationKind::Masscan) {
                    return self.err(
                        "populations.tool",
                        tool.span(),
                        "research scanners use zmap or masscan",
                    );
                }
                tool_kind
            }
            (Some(tool), _) => {
                return self.err(
                    "populations.tool",
                    tool.span(),
                    "only research populations take a tool",
                )
            }
            (None, PopulationKind::Research) => PopulationKind::Zmap,
            (None, kind) => kind,
        };
        let share = *p.share.get_ref();
        if !(share.is_finite() && share >= 0.0) {
            return self.err("populations.share", p.share.span(), "must be a number >= 0");
        }
        let research = kind == PopulationKind::Research;
        let networks = match (&p.networks, research) {
            (Some(n), true) => self.networks("populations.networks", n)?,
            (None, true) => {
                return self.err(
                    "populations.kind",
                    p.kind.span(),
                    "a research population needs `networks`",
                )
            }
            (Some(n), false) => {
                return self.err(
                    "populations.networks",
                    n.span(),
                    "only research populations have networks",
                )
            }
            (None, false) => Vec::new(),
        };
        let sources = match &p.sources {
            Some(s) if *s.get_ref() == 0 || *s.get_ref() > 10_000_000 => {
                return self.err(
                    "populations.sources",
                    s.span(),
                    "must be between 1 and 10000000",
                )
            }
            Some(s) => *s.get_ref(),
            None if research => networks
                .iter()
                .map(|n| n.hosts().count())
                .sum::<usize>()
                .min(4096),
            None => {
                return self.err(
                    "populations.kind",
                    p.kind.span(),
                    "this population needs `sources`",
                )
            }
        };
        let sweep = match &p.sweep {
            Some(s) if research => self.port_range("populations.sweep", s)?,
            Some(s) => {
                return self.err(
                    "populations.sweep",
                    s.span(),
                    "only research populations sweep",
                )
            }
            None => 1..=65535,
        };
        let ports = match &p.ports {
            Some(t) if research => {
                return self.err(
                    "populations.ports",
                    t.span(),
                    "research populations sweep instead (`sweep`)",
                )
            }
            Some(t) => Some(self.targets("populations.ports", t)?),
            None => None,
        };
        let countries = match &p.countries {
            Some(t) if research => {
                return self.err(
                    "populations.countries",
                    t.span(),
                    "research scanners are where their networks are",
                )
            }
            Some(t) => Some(self.countries("populations.countries", t)?),
            None => None,
        };
        Ok(PopulationSpec {
            name: p.name.get_ref().clone(),
            kind,
            tool,
            share,
            sources,
            ports,
            countries,
            networks,
            sweep,
        })
    }

    fn population_kind(&self, key: &str, value: &Spanned<String>) -> Checked<PopulationKind> {
        match value.get_ref().as_str() {
            "mirai" => Ok(PopulationKind::Mirai),
            "zmap" => Ok(PopulationKind::Zmap),
            "masscan" => Ok(PopulationKind::Masscan),
            "bot" => Ok(PopulationKind::Bot),
            "research" => Ok(PopulationKind::Research),
            other => self.err(
                key,
                value.span(),
                format!("`{other}` is none of mirai, zmap, masscan, bot, research"),
            ),
        }
    }

    fn port_range(&self, key: &str, value: &Spanned<String>) -> Checked<RangeInclusive<u16>> {
        let parsed = value.get_ref().split_once('-').and_then(|(a, b)| {
            Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
        });
        match parsed {
            Some((a, b)) if 0 < a && a <= b => Ok(a..=b),
            _ => self.err(
                key,
                value.span(),
                format!("`{}` is not a port range like 1-1024", value.get_ref()),
            ),
        }
    }

    fn event(&self, e: &RawEvent, start: NaiveDate, end: NaiveDate) -> Checked<Event> {
        let kind = e.kind.get_ref().as_str();
        let need = |name: &str| format!("a {kind} event needs `{name}`");
        let from = self.date("events.from", &e.from)?;
        let to = match &e.to {
            Some(to) => self.date("events.to", to)?,
            None => end,
        };
        if from < start || to > end || to < from {
            return self.err(
                "events.from",
                e.from.span(),
                format!("the days {from}..{to} must lie within {start}..{end}"),
            );
        }
        let factor = |min: f64| -> Checked<f64> {
            match &e.factor {
                Some(f) if f.get_ref().is_finite() && *f.get_ref() >= min => Ok(*f.get_ref()),
                Some(f) => self.err(
                    "events.factor",
                    f.span(),
                    format!("must be a number >= {min}"),
                ),
                None => self.err("events.kind", e.kind.span(), need("factor")),
            }
        };
        let country = || -> Checked<CountryCode> {
            match &e.country {
                Some(c) => self
                    .country(c.get_ref())
                    .or_else(|m| self.err("events.country", c.span(), m)),
                None => self.err("events.kind", e.kind.span(), need("country")),
            }
        };
        let what = match kind {
            "port_surge" => {
                let target = match &e.port {
                    Some(p) => p
                        .get_ref()
                        .parse::<Target>()
                        .or_else(|m| self.err("events.port", p.span(), m))?,
                    None => return self.err("events.kind", e.kind.span(), need("port")),
                };
                let countries = match &e.countries {
                    Some(c) => self.countries("events.countries", c)?,
                    None => return self.err("events.kind", e.kind.span(), need("countries")),
                };
                EventKind::PortSurge {
                    target,
                    factor: factor(1.0)?,
                    countries,
                }
            }
            "country_spike" => EventKind::CountrySpike {
                country: country()?,
                factor: factor(1.0)?,
            },
            "outage" => {
                let remaining = match &e.remaining {
                    Some(r) if (0.0..=1.0).contains(r.get_ref()) => *r.get_ref(),
                    Some(r) => {
                        return self.err("events.remaining", r.span(), "must be between 0 and 1")
                    }
                    None => 0.0,
                };
                EventKind::Outage {
                    country: country()?,
                    remaining,
                }
            }
            "backscatter" => self.backscatter(e)?,
            other => {
                return self.err(
                    "events.kind",
                    e.kind.span(),
                    format!("`{other}` is none of port_surge, country_spike, outage, backscatter"),
                )
            }
        };
        Ok(Event { from, to, what })
    }

    fn backscatter(&self, e: &RawEvent) -> Checked<EventKind> {
        let victim = match (&e.victim, &e.victim_country) {
            (Some(v), None) => Victim::Address(
                v.get_ref()
                    .parse()
                    .or_else(|_| self.err("events.victim", v.span(), "not an IPv4 address"))?,
            ),
            (None, Some(c)) => Victim::Country(
                self.country(c.get_ref())
                    .or_else(|m| self.err("events.victim_country", c.span(), m))?,
            ),
            _ => {
                return self.err(
                    "events.kind",
                    e.kind.span(),
                    "a backscatter event needs one of `victim` or `victim_country`",
                )
            }
        };
        let reply = match &e.reply {
            Some(r) => match r.get_ref().as_str() {
                "syn-ack" => Reply::SynAck,
                "rst" => Reply::Rst,
                "icmp-unreachable" => Reply::IcmpUnreachable,
                other => {
                    return self.err(
                        "events.reply",
                        r.span(),
                        format!("`{other}` is none of syn-ack, rst, icmp-unreachable"),
                    )
                }
            },
            None => Reply::SynAck,
        };
        let service_port = match &e.service_port {
            Some(p) if *p.get_ref() > 0 => *p.get_ref(),
            Some(p) => return self.err("events.service_port", p.span(), "must be 1-65535"),
            None => 80,
        };
        let packets_per_day = match &e.packets_per_day {
            Some(n) if n.get_ref().is_finite() && *n.get_ref() >= 0.0 => *n.get_ref(),
            Some(n) => {
                return self.err("events.packets_per_day", n.span(), "must be a number >= 0")
            }
            None => {
                return self.err(
                    "events.kind",
                    e.kind.span(),
                    "a backscatter event needs `packets_per_day`",
                )
            }
        };
        Ok(EventKind::Backscatter {
            victim,
            reply,
            service_port,
            packets_per_day,
        })
    }

    fn junk(&self, junk: &Spanned<Junk>) -> Checked<Junk> {
        let j = junk.get_ref();
        let counts_ok = [j.non_ip_per_day, j.malformed_per_day]
            .iter()
            .all(|v| v.is_finite() && *v >= 0.0);
        if !counts_ok {
            return self.err("junk", junk.span(), "per-day counts must be numbers >= 0");
        }
        if !(0.0..=1.0).contains(&j.truncated_share) {
            return self.err(
                "junk.truncated_share",
                junk.span(),
                "must be between 0 and 1",
            );
        }
        Ok(j.clone())
    }

    fn formats(&self, table: &Spanned<BTreeMap<String, f64>>) -> Checked<Vec<(FileFormat, f64)>> {
        self.weights("output.formats", table, |name| {
            [
                FileFormat::Pcap,
                FileFormat::PcapNg,
                FileFormat::PcapGz,
                FileFormat::PcapNgGz,
            ]
            .into_iter()
            .find(|f| f.extension() == name)
            .ok_or_else(|| format!("`{name}` is none of pcap, pcapng, pcap.gz, pcapng.gz"))
        })
    }
}
