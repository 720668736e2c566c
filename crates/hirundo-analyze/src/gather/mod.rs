//! The report from the store: sums over the rollup tables (see `hirundo_store`'s rollups),
//! by SQL or from a copy in memory (see [`rollups`]), and the rest of this crate ranks
//! them, finds events and victims. The sources and the traffic rollups are read at once,
//! one on each core.
//!
//! Every SQL query reads only the rollup files of the UTC days that overlap the report's span
//! (the previous period and the period), so a quarter over 100 million packets reads a few
//! million rollup rows. Hours are cut into local days with [`LocalDays`]; unique sources and
//! research-scanner shares come from the per-UTC-day `sources` rollup, so for them a "day"
//! is a UTC day (stated in the report's `method`).

use std::collections::{BTreeMap, HashMap};

use arrow::array::{AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;
use hirundo_store::{AddressLookup, Reader, Store, StoreError};

use crate::events::{detect, rule_text, DetectorConfig};
use crate::model::*;
use crate::period::{LocalDays, Period};
use crate::rank::{rank, Ranked};
use crate::victims::{attacks, VictimRule};

mod honeypot;
pub mod rollups;
mod sources;
mod traffic;

use rollups::{Rollups, SqlRollups};
use traffic::{port_days, Days, PortCountryDays, TrafficSums, WatchedPorts};

/// What to report on and how.
pub struct ReportOptions {
    pub period: Period,
    pub time_zone: Tz,
    /// The home country (ISO code) whose rank among each surging port's sources is given.
    pub home: Option<String>,
    /// Research-scanner organisation of an address, if any (the registry).
    pub scanners: AddressLookup,
    /// Rows of the rankings (at least 20, the contract).
    pub top: usize,
    /// Ports and countries whose daily series are searched for events.
    pub watch: usize,
    /// Series drawn in Figures 1 and 2.
    pub figure_series: usize,
    pub detector: DetectorConfig,
    pub victims: VictimRule,
}

impl ReportOptions {
    /// The report's usual settings: rankings of `top` rows (at least 20), the top 50 ports
    /// and countries watched for events, five series per figure, the default rules.
    pub fn standard(
        period: Period,
        time_zone: Tz,
        home: Option<String>,
        scanners: AddressLookup,
        top: usize,
    ) -> ReportOptions {
        ReportOptions {
            period,
            time_zone,
            home: home.map(|h| h.to_ascii_uppercase()),
            scanners,
            top: top.max(20),
            watch: 50,
            figure_series: 5,
            detector: DetectorConfig::default(),
            victims: VictimRule::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("unexpected query result: {0}")]
    Shape(#[from] arrow::error::ArrowError),
    #[error(transparent)]
    Period(#[from] crate::period::PeriodError),
}

/// The hasher of the maps that take a row of a rollup each: several times faster than the
/// default SipHash, which dominated a report's profile; seeded randomly all the same, since
/// the keys (source addresses) are chosen by whoever sends packets.
pub type Fast = foldhash::fast::RandomState;

/// A port: IP protocol number and destination port (ICMP type for ICMP).
pub type PortId = (u8, u16);

/// Builds the report of `options.period` from the store, its sums read with SQL.
pub fn build_report(store: &Store, options: &ReportOptions) -> Result<Report, ReportError> {
    build_report_from(store, options, None)
}

/// Builds the report of `options.period` with the sums of `rollups` (SQL over the store's
/// rollups when None); the honeypot section and malformed counts are read from the store.
pub fn build_report_from(
    store: &Store,
    options: &ReportOptions,
    rollups: Option<&dyn Rollups>,
) -> Result<Report, ReportError> {
    let previous = options.period.previous();
    let span = LocalDays::new(previous.start, options.period.end, options.time_zone)?;
    let current = LocalDays::new(options.period.start, options.period.end, options.time_zone)?;
    if !span.hour_aligned() {
        tracing::warn!(
            zone = %options.time_zone,
            "local midnights are not on whole UTC hours: days are cut at the hour before"
        );
    }
    let scope = Scope {
        start: span.utc_start_secs(),
        current: current.utc_start_secs(),
        end: span.utc_end_secs(),
        first_current_day: previous.len_days(),
    };
    let first_utc = utc_date(scope.start);
    let last_utc = utc_date(scope.end - 1);
    let reader = timed("reader", || store.reader(Some((&first_utc, &last_utc))))?;
    let sql = SqlRollups {
        reader: &reader,
        scanners: options.scanners.clone(),
    };
    Gatherer {
        store,
        reader: &reader,
        rollups: rollups.unwrap_or(&sql),
        options,
        span,
        scope,
        previous,
    }
    .report()
}

/// The report's span in UTC seconds: `[start, end)`, the current period from `current`.
#[derive(Clone, Copy)]
struct Scope {
    start: i64,
    current: i64,
    end: i64,
    /// Index of the current period's first day in the span.
    first_current_day: usize,
}

struct Gatherer<'a> {
    store: &'a Store,
    /// For the honeypot section.
    reader: &'a Reader,
    rollups: &'a dyn Rollups,
    options: &'a ReportOptions,
    span: LocalDays,
    scope: Scope,
    previous: Period,
}

/// Packets of one key in the previous and the current period.
#[derive(Default, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pair {
    pub previous: u64,
    pub current: u64,
}

impl Pair {
    /// Adds `n` packets to the current period's count, or to the previous one's.
    pub fn add(&mut self, current: bool, n: u64) {
        if current {
            self.current += n;
        } else {
            self.previous += n;
        }
    }

    /// Adds both counts of `other`.
    pub fn merge(&mut self, other: Pair) {
        self.previous += other.previous;
        self.current += other.current;
    }
}

/// Top ports whose fingerprint shares are given.
const FINGERPRINT_PORTS: usize = 10;

/// Rows of the honeypot's country and credential tables.
const HONEYPOT_TOP: usize = 10;

impl Gatherer<'_> {
    fn report(&self) -> Result<Report, ReportError> {
        let days = Days {
            span: &self.span,
            first_current_day: self.scope.first_current_day,
        };
        // The sources rollup and the traffic rollup are read at once, one on each core.
        let (traffic, sources) = std::thread::scope(|scope| {
            let sources = scope.spawn(|| {
                timed("sources", || {
                    self.rollups.sources(&self.previous, &self.options.period)
                })
            });
            let traffic = self.traffic_passes(&days);
            let sources = sources
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (traffic, sources)
        });
        let (sums, watched_ports, watched) = traffic?;
        let by_port = &watched.countries;
        let sources = sources?;
        let top_ports = self.top_ports(&sums.ports);
        let top_countries = top_countries(&sums.countries, self.options.top);
        let watched_countries: Vec<String> = ranked_keys(&sums.countries, self.options.watch);
        let port_days: Vec<Vec<u64>> = watched_ports
            .iter()
            .map(|p| port_days(&by_port[p], self.span.len()))
            .collect();
        let no_days = vec![0; self.span.len()];
        let country_days: Vec<Vec<u64>> = watched_countries
            .iter()
            .map(|c| sums.country_days.get(c).unwrap_or(&no_days).clone())
            .collect();
        // Days before the store's first packet are unknown, not quiet: they are no history.
        let known = sums
            .days
            .iter()
            .position(|&n| n > 0)
            .unwrap_or(0)
            .min(self.scope.first_current_day);
        let mut events = Vec::new();
        for (port, days) in watched_ports.iter().zip(&port_days) {
            events.extend(self.events(Dimension::Port, &port_label(*port), &days[known..]));
        }
        for (country, days) in watched_countries.iter().zip(&country_days) {
            events.extend(self.events(Dimension::Country, country, &days[known..]));
        }
        let focus = self.focus(by_port, &watched_ports, &mut events);
        let unique = sources.unique;
        let malformed = timed("malformed", || self.malformed());
        let current_days = self.scope.first_current_day..self.span.len();
        let series = Series {
            days: self.options.period.days().collect(),
            resolution: "day".into(),
            packets: sums.days[current_days.clone()].to_vec(),
            unique_sources: sources.unique_days,
            ports: self.figure(&watched_ports, &port_days, |p| port_label(*p)),
            countries: self.figure(&watched_countries, &country_days, String::clone),
            events: self.event_series(
                &events,
                &watched_ports,
                &port_days,
                &watched_countries,
                &country_days,
            ),
        };
        Ok(Report {
            period: self.options.period.to_info(),
            previous_period: self.previous.to_info(),
            time_zone: self.options.time_zone.name().to_owned(),
            home: self.options.home.clone(),
            totals: Totals {
                packets: sums.days[current_days.clone()].iter().sum(),
                unique_sources: unique.current,
                malformed: malformed.current,
            },
            previous_totals: Totals {
                packets: sums.days[..self.scope.first_current_day].iter().sum(),
                unique_sources: unique.previous,
                malformed: malformed.previous,
            },
            top_ports,
            top_countries,
            events,
            port_focus: focus,
            scanners: self.scanner_shares(&sources.countries),
            fingerprints: self.fingerprints(&sums, &watched.tools),
            backscatter: timed("victims", || self.victims())?,
            honeypot: timed("honeypot", || {
                honeypot::summarise(self.reader, &self.scope, HONEYPOT_TOP)
            })?,
            series,
            method: Method {
                events: format!(
                    "{} Searched on the daily series of the top {} ports and countries; a \
                     country's series counts its probes (backscatter, a DoS victim's replies, \
                     is left out and reported as victims).",
                    rule_text(&self.options.detector),
                    self.options.watch
                ),
                backscatter: self.options.victims.rule_text(),
                unique_sources: "Exact counts of distinct source addresses (no sketch: no \
                    error), over the UTC days from the period's first to its last date."
                    .into(),
                scanners: "A packet is a research scanner's when its source lies in a network \
                    of the research-scanner registry given to the report; shares are over the \
                    UTC days from the period's first to its last date."
                    .into(),
            },
            generator: concat!("hirundo ", env!("CARGO_PKG_VERSION")).into(),
        })
    }

    /// The traffic rollup's two passes: every sum, then the daily series of the watched
    /// ports (the top ones, known after the first pass) per country.
    fn traffic_passes(
        &self,
        days: &Days,
    ) -> Result<(TrafficSums, Vec<PortId>, WatchedPorts), ReportError> {
        let sums = timed("traffic", || self.rollups.traffic(days))?;
        // The fingerprint shares of the top ports are counted among the watched ones.
        let watch = self.options.watch.max(FINGERPRINT_PORTS);
        let ports: Vec<PortId> = ranked_keys(&sums.ports, watch);
        let watched = timed("watched ports", || self.rollups.watched_ports(days, &ports))?;
        Ok((sums, ports, watched))
    }

    fn top_ports(&self, ports: &HashMap<PortId, Pair, Fast>) -> Vec<PortRank> {
        let (current, previous) = split_pairs(ports);
        rank(&current, &previous, self.options.top)
            .into_iter()
            .map(|r| PortRank {
                rank: r.rank,
                proto: protocol_name(r.key.0).into(),
                port: r.key.1,
                service: hirundo_enrich::services::name(r.key.0, r.key.1).map(str::to_owned),
                packets: r.packets,
                previous_rank: r.previous_rank,
                previous_packets: r.previous_packets,
            })
            .collect()
    }

    /// Events of one series, whose end is the period's end: the days before the period
    /// are the detector's history.
    fn events(&self, dimension: Dimension, key: &str, days: &[u64]) -> Vec<Event> {
        let period_days = self.span.len() - self.scope.first_current_day;
        let (history, current) = days.split_at(days.len() - period_days);
        let at = |d: usize| self.options.period.start + chrono::Days::new(d as u64);
        detect(history, current, &self.options.detector)
            .into_iter()
            .map(|e| Event {
                kind: e.kind,
                dimension,
                key: key.to_owned(),
                start: at(e.start),
                end: e.end.map(at),
                magnitude: round2(e.magnitude),
                baseline_per_day: round2(e.baseline_per_day),
                packets: e.packets,
                top_countries: Vec::new(),
            })
            .collect()
    }

    /// The source countries of every port with an event: the focus of each surging port,
    /// and the countries behind each port event.
    fn focus(
        &self,
        by_port: &PortCountryDays,
        ports: &[PortId],
        events: &mut [Event],
    ) -> Vec<PortFocus> {
        let mut focus = Vec::new();
        for port in ports {
            let key = port_label(*port);
            let port_events: Vec<&mut Event> = events
                .iter_mut()
                .filter(|e| e.dimension == Dimension::Port && e.key == key)
                .collect();
            if port_events.is_empty() {
                continue;
            }
            let by_country = &by_port[port];
            let mut surged = false;
            for event in port_events {
                event.top_countries = self.event_countries(event, by_country);
                surged |= event.kind == EventKind::Surge;
            }
            if surged {
                focus.push(self.port_focus(key, by_country));
            }
        }
        focus
    }

    /// Countries that sent most of an event's extra (or, for a drop, missing) packets: the
    /// event's days against the four weeks before it.
    fn event_countries(
        &self,
        event: &Event,
        by_country: &BTreeMap<String, Vec<u64>>,
    ) -> Vec<String> {
        let first = self.scope.first_current_day + self.span_index(event.start);
        let last = event.end.map_or(self.span.len() - 1, |end| {
            self.scope.first_current_day + self.span_index(end)
        });
        let before = first.saturating_sub(28)..first;
        let mut changes: Vec<(i64, &String)> = by_country
            .iter()
            .map(|(country, days)| {
                let during: u64 = days[first..=last].iter().sum();
                let per_day_before =
                    days[before.clone()].iter().sum::<u64>() as f64 / before.len().max(1) as f64;
                let expected = per_day_before * (last + 1 - first) as f64;
                let change = during as f64 - expected;
                let signed = if event.kind == EventKind::Drop {
                    -change
                } else {
                    change
                };
                (signed as i64, country)
            })
            .filter(|(change, _)| *change > 0)
            .collect();
        changes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
        changes
            .into_iter()
            .take(5)
            .map(|(_, c)| c.clone())
            .collect()
    }

    fn span_index(&self, date: NaiveDate) -> usize {
        (date - self.options.period.start).num_days().max(0) as usize
    }

    fn port_focus(&self, key: String, by_country: &BTreeMap<String, Vec<u64>>) -> PortFocus {
        let current = self.scope.first_current_day..self.span.len();
        let totals: HashMap<String, u64> = by_country
            .iter()
            .map(|(c, days)| (c.clone(), days[current.clone()].iter().sum()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let ranked = rank(&totals, &HashMap::new(), totals.len());
        let countries: Vec<FocusCountry> = ranked
            .iter()
            .map(|r| FocusCountry {
                rank: r.rank,
                country: r.key.clone(),
                packets: r.packets,
            })
            .collect();
        let home = self
            .options
            .home
            .as_ref()
            .and_then(|h| countries.iter().find(|c| &c.country == h).cloned());
        let stacked = 5;
        let mut series: Vec<KeyedSeries> = countries
            .iter()
            .take(stacked)
            .map(|c| KeyedSeries {
                key: c.country.clone(),
                values: by_country[&c.country][current.clone()].to_vec(),
            })
            .collect();
        let mut other = vec![0u64; current.len()];
        for c in countries.iter().skip(stacked) {
            for (sum, v) in other
                .iter_mut()
                .zip(&by_country[&c.country][current.clone()])
            {
                *sum += v;
            }
        }
        series.push(KeyedSeries {
            key: "other".into(),
            values: other,
        });
        let home_series = self.options.home.as_ref().map(|h| KeyedSeries {
            key: h.clone(),
            values: by_country
                .get(h)
                .map(|days| days[current.clone()].to_vec())
                .unwrap_or_else(|| vec![0; current.len()]),
        });
        PortFocus {
            key,
            countries,
            home,
            by_country: series,
            home_series,
        }
    }

    /// The current period's part of the first `figure_series` series.
    fn figure<K>(
        &self,
        keys: &[K],
        days: &[Vec<u64>],
        label: impl Fn(&K) -> String,
    ) -> Vec<KeyedSeries> {
        keys.iter()
            .zip(days)
            .take(self.options.figure_series)
            .map(|(k, d)| KeyedSeries {
                key: label(k),
                values: d[self.scope.first_current_day..].to_vec(),
            })
            .collect()
    }

    fn event_series(
        &self,
        events: &[Event],
        ports: &[PortId],
        port_days: &[Vec<u64>],
        countries: &[String],
        country_days: &[Vec<u64>],
    ) -> Vec<KeyedSeries> {
        let mut keys: Vec<&Event> = events.iter().collect();
        keys.dedup_by(|a, b| a.key == b.key);
        let lookup = |e: &Event| match e.dimension {
            Dimension::Port => ports
                .iter()
                .position(|p| port_label(*p) == e.key)
                .map(|i| &port_days[i]),
            Dimension::Country => countries
                .iter()
                .position(|c| *c == e.key)
                .map(|i| &country_days[i]),
        };
        keys.into_iter()
            .filter_map(|e| {
                lookup(e).map(|days| KeyedSeries {
                    key: e.key.clone(),
                    values: days[self.scope.first_current_day..].to_vec(),
                })
            })
            .collect()
    }

    /// Malformed frames of both periods, from the capture files' per-hour counts.
    fn malformed(&self) -> Pair {
        let mut pair = Pair::default();
        let Ok(commits) = self.store.commits() else {
            return pair;
        };
        for (hour, n) in commits
            .iter()
            .flat_map(|c| &c.files)
            .flat_map(|f| &f.malformed_hours)
        {
            let second = hour * 3600;
            if (self.scope.start..self.scope.end).contains(&second) {
                pair.add(second >= self.scope.current, *n);
            }
        }
        pair
    }

    /// Research-scanner share of each country with scanners, and of the top countries.
    fn scanner_shares(
        &self,
        shares: &HashMap<String, (u64, BTreeMap<String, u64>)>,
    ) -> Vec<ScannerShare> {
        let totals: HashMap<String, u64> =
            shares.iter().map(|(c, (n, _))| (c.clone(), *n)).collect();
        rank(&totals, &HashMap::new(), totals.len())
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| {
                let (packets, names) = &shares[&r.key];
                let scanner_packets: u64 = names.values().sum();
                (i < self.options.top || scanner_packets > 0).then(|| ScannerShare {
                    country: r.key.clone(),
                    packets: *packets,
                    scanner_packets,
                    share: round4(scanner_packets as f64 / (*packets).max(1) as f64),
                    names: by_value_desc(names),
                })
            })
            .collect()
    }

    /// Each tool's share of all packets and of each of the top ten ports (which are among
    /// the watched ones, whose `tool_ports` the second pass counts).
    fn fingerprints(
        &self,
        sums: &TrafficSums,
        tool_ports: &HashMap<(String, PortId), u64, Fast>,
    ) -> Vec<FingerprintShare> {
        let all: u64 = sums.days[self.scope.first_current_day..].iter().sum();
        let mut shares: Vec<FingerprintShare> = sums
            .tools
            .iter()
            .map(|(tool, n)| share(tool, "all", *n, all))
            .collect();
        let (current, _) = split_pairs(&sums.ports);
        for top in rank(&current, &HashMap::new(), FINGERPRINT_PORTS) {
            for tool in sums.tools.keys() {
                let key = (tool.clone(), top.key);
                if let Some(&n) = tool_ports.get(&key) {
                    shares.push(share(tool, &port_label(top.key), n, top.packets));
                }
            }
        }
        shares
    }

    /// DoS victims of the current period from the per-second backscatter rollup.
    fn victims(&self) -> Result<Vec<Victim>, ReportError> {
        let samples = self
            .rollups
            .backscatter(self.scope.current, self.scope.end)?;
        let found = attacks(&samples, &self.options.victims);
        let victims: Vec<&str> = found.iter().map(|a| a.victim.as_str()).collect();
        let countries = self.rollups.countries_of(&victims)?;
        Ok(found
            .iter()
            .map(|a| a.to_victim(countries.get(&a.victim).cloned()))
            .collect())
    }
}

/// Dense indices of the labels of a column (country codes, tool names), in order of first
/// appearance.
#[derive(Default)]
pub(super) struct Interner {
    index: HashMap<String, usize, Fast>,
    pub names: Vec<String>,
}

impl Interner {
    pub fn index(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(name.to_owned());
        self.index.insert(name.to_owned(), i);
        i
    }
}

/// The time a pass of the report took, in the debug log.
fn timed<T>(pass: &str, run: impl FnOnce() -> T) -> T {
    let started = std::time::Instant::now();
    let result = run();
    tracing::debug!(
        pass,
        ms = started.elapsed().as_millis() as u64,
        "report pass done"
    );
    result
}

fn top_countries(countries: &HashMap<String, Pair, Fast>, top: usize) -> Vec<CountryRank> {
    let (current, previous) = split_pairs(countries);
    rank(&current, &previous, top)
        .into_iter()
        .map(|r: Ranked<String>| CountryRank {
            rank: r.rank,
            country: r.key,
            packets: r.packets,
            previous_rank: r.previous_rank,
            previous_packets: r.previous_packets,
        })
        .collect()
}

/// The `n` keys with most packets in the current period, in rank order.
fn ranked_keys<K: Ord + std::hash::Hash + Clone>(
    totals: &HashMap<K, Pair, Fast>,
    n: usize,
) -> Vec<K> {
    let (current, _) = split_pairs(totals);
    rank(&current, &HashMap::new(), n)
        .into_iter()
        .map(|r| r.key)
        .collect()
}

fn split_pairs<K: Clone + Eq + std::hash::Hash>(
    pairs: &HashMap<K, Pair, Fast>,
) -> (HashMap<K, u64>, HashMap<K, u64>) {
    let pick = |f: fn(&Pair) -> u64| {
        pairs
            .iter()
            .filter(|(_, p)| f(p) > 0)
            .map(|(k, p)| (k.clone(), f(p)))
            .collect()
    };
    (pick(|p| p.current), pick(|p| p.previous))
}

fn share(name: &str, scope: &str, packets: u64, of: u64) -> FingerprintShare {
    FingerprintShare {
        name: name.to_owned(),
        scope: scope.to_owned(),
        packets,
        share: round4(packets as f64 / of.max(1) as f64),
    }
}

fn by_value_desc(counts: &BTreeMap<String, u64>) -> Vec<String> {
    let mut names: Vec<(&String, &u64)> = counts.iter().collect();
    names.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    names.into_iter().map(|(n, _)| n.clone()).collect()
}

fn port_label((protocol, port): PortId) -> String {
    port_key(protocol_name(protocol), port)
}

fn utc_date(seconds: i64) -> String {
    DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// Column `i` as 64-bit integers (NULL as 0).
fn ints(batch: &RecordBatch, i: usize) -> Result<Vec<i64>, ReportError> {
    Ok(nullable_ints(batch, i)?
        .into_iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

fn nullable_ints(batch: &RecordBatch, i: usize) -> Result<Vec<Option<i64>>, ReportError> {
    let column = arrow::compute::cast(batch.column(i), &DataType::Int64)?;
    Ok(column.as_primitive::<Int64Type>().iter().collect())
}

/// Column `i` as text.
fn texts(batch: &RecordBatch, i: usize) -> Result<Vec<Option<String>>, ReportError> {
    let column = arrow::compute::cast(batch.column(i), &DataType::Utf8)?;
    Ok(column
        .as_string::<i32>()
        .iter()
        .map(|s| s.map(str::to_owned))
        .collect())
}
