//! Ground truth: what the simulator wrote, counted packet by packet as it wrote them, and
//! what it planted. Serialised as `truth.json` (documented in docs/SCENARIO.md).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use hirundo_geo::CountryCode;
use serde::Serialize;

use crate::frame::{ICMP, TCP, UDP};
use crate::scenario::{EventKind, FileFormat, Scenario, Target, Victim};
use crate::world::{target_label, World};
use crate::Sender;

/// What one frame was.
pub(crate) enum PacketFacts {
    Probe {
        pop: usize,
        country: CountryCode,
        sender: Sender,
        proto: u8,
        port: u16,
    },
    Backscatter {
        victim: usize,
        country: Option<CountryCode>,
        proto: u8,
        port: u16,
    },
    NonIp,
    Malformed,
}

/// Frame counts, the way `hirundo stats` counts them.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    /// Every frame in the file(s).
    pub frames: u64,
    /// Well-formed IPv4 packets (probes and backscatter).
    pub ip_packets: u64,
    /// ARP frames.
    pub non_ip: u64,
    /// IPv4 frames with impossible headers.
    pub malformed: u64,
    /// IP packets whose capture was cut by a 68-byte snaplen.
    pub snaplen_cut: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.frames += other.frames;
        self.ip_packets += other.ip_packets;
        self.non_ip += other.non_ip;
        self.malformed += other.malformed;
        self.snaplen_cut += other.snaplen_cut;
    }
}

/// One capture file written.
#[derive(Clone, Debug, Serialize)]
pub struct FileTruth {
    /// Relative to the output directory.
    pub path: String,
    pub sensor: String,
    pub day: String,
    pub format: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Nanoseconds since the epoch of the first and last frame (None when empty).
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
}

/// Totals over every file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Totals {
    #[serde(flatten)]
    pub counts: Counts,
    /// IP packets by protocol: tcp, udp, icmp.
    pub per_protocol: BTreeMap<String, u64>,
    /// TCP and UDP packets by destination, as `tcp/445`.
    pub per_dst_port: BTreeMap<String, u64>,
    /// IP packets by the source's country (ISO code).
    pub per_country: BTreeMap<String, u64>,
    /// TCP SYN probes by the tool or stack that sent them.
    pub per_tool: BTreeMap<String, u64>,
    /// Packets of DoS victims.
    pub backscatter: u64,
}

/// A population and what it sent.
#[derive(Clone, Debug, Serialize)]
pub struct PopulationTruth {
    pub name: String,
    pub research: bool,
    /// Source addresses it has.
    pub sources: usize,
    pub packets: u64,
    pub per_country: BTreeMap<String, u64>,
}

/// A planted event and its effect.
#[derive(Clone, Debug, Serialize)]
pub struct EventTruth {
    pub kind: String,
    pub from: String,
    pub to: String,
    /// The event's parameters as the scenario gave them.
    pub planted: serde_json::Value,
    /// Packets the event itself added (surge probes, backscatter); 0 for spikes and outages,
    /// which scale existing traffic.
    pub packets: u64,
    /// The metric the event moves, every day of the period, all sensors: packets to the
    /// surging port, from the spiking or dark country, from the victim.
    pub daily: BTreeMap<String, u64>,
}

/// One sensor-day.
#[derive(Clone, Debug, Serialize)]
pub struct DayTruth {
    pub sensor: String,
    pub day: String,
    pub ip_packets: u64,
    pub per_country: BTreeMap<String, u64>,
}

/// Everything `truth.json` holds.
#[derive(Clone, Debug, Serialize)]
pub struct Truth {
    pub scenario: String,
    pub seed: u64,
    pub scale: f64,
    pub time_zone: String,
    pub start: String,
    pub end: String,
    pub totals: Totals,
    pub per_sensor: BTreeMap<String, Counts>,
    pub populations: Vec<PopulationTruth>,
    pub events: Vec<EventTruth>,
    pub files: Vec<FileTruth>,
    pub days: Vec<DayTruth>,
    #[serde(skip)]
    event_of_pop: Vec<Option<usize>>,
    #[serde(skip)]
    event_of_victim: Vec<usize>,
    #[serde(skip)]
    metrics: Vec<Metric>,
    /// Totals kept in flat arrays while writing; the maps above are filled by [`finish`](Self::finish).
    #[serde(skip)]
    port_totals: Vec<u64>,
    #[serde(skip)]
    country_totals: Vec<u64>,
    #[serde(skip)]
    pop_countries: Vec<Vec<u64>>,
    #[serde(skip)]
    syn_totals: [u64; Sender::ALL.len()],
}

/// Slots of a per-port array: TCP ports, UDP ports, then one for ICMP.
const PORT_SLOTS: usize = 2 * 65_536 + 1;
/// Slots of a per-country array: one per pair of letters.
const COUNTRY_SLOTS: usize = 26 * 26;

fn port_slot(proto: u8, port: u16) -> usize {
    match proto {
        TCP => usize::from(port),
        UDP => 65_536 + usize::from(port),
        _ => 2 * 65_536,
    }
}

fn slot_port(slot: usize) -> (u8, u16) {
    match slot {
        s if s < 65_536 => (TCP, s as u16),
        s if s < 2 * 65_536 => (UDP, (s - 65_536) as u16),
        _ => (ICMP, 0),
    }
}

fn country_slot(country: CountryCode) -> usize {
    let [a, b] = country.as_bytes();
    usize::from(a - b'A') * 26 + usize::from(b - b'A')
}

fn slot_country(slot: usize) -> CountryCode {
    CountryCode::from_bytes([b'A' + (slot / 26) as u8, b'A' + (slot % 26) as u8])
        .expect("two letters")
}

/// The non-zero entries of a per-country array, by code.
fn countries_of(counts: &[u64]) -> BTreeMap<String, u64> {
    counts
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(i, &n)| (slot_country(i).to_string(), n))
        .collect()
}

fn add_into(total: &mut [u64], day: &[u64]) {
    total.iter_mut().zip(day).for_each(|(t, d)| *t += d);
}

/// What an event's daily series counts.
#[derive(Clone, Copy, Debug)]
enum Metric {
    Port(u8, u16),
    Country(CountryCode),
    Victim(usize),
}

impl Truth {
    pub(crate) fn new(scenario: &Scenario, seed: u64, scale: f64, world: &World) -> Truth {
        let populations = world
            .pops
            .iter()
            .map(|p| PopulationTruth {
                name: p.name.clone(),
                research: p.research,
                sources: p.pools.iter().map(|pool| pool.sources.len()).sum(),
                packets: 0,
                per_country: BTreeMap::new(),
            })
            .collect();
        let event_of_victim = world.victims.iter().map(|v| v.event).collect();
        let metrics = scenario
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| match &e.what {
                EventKind::PortSurge { target, .. } => match *target {
                    Target::Tcp(port) => Metric::Port(TCP, port),
                    Target::Udp(port) => Metric::Port(UDP, port),
                    Target::TcpRandom | Target::IcmpEcho => Metric::Port(ICMP, 0),
                },
                EventKind::CountrySpike { country, .. } | EventKind::Outage { country, .. } => {
                    Metric::Country(*country)
                }
                EventKind::Backscatter { .. } => Metric::Victim(
                    world
                        .victims
                        .iter()
                        .position(|v| v.event == i)
                        .expect("every backscatter event has a victim"),
                ),
            })
            .collect();
        let events = scenario
            .events
            .iter()
            .enumerate()
            .map(|(i, e)| EventTruth {
                kind: e.what.label().into(),
                from: e.from.to_string(),
                to: e.to.to_string(),
                planted: planted(&e.what, world, i),
                packets: 0,
                daily: scenario.days().map(|d| (d.to_string(), 0)).collect(),
            })
            .collect();
        Truth {
            scenario: scenario.name.clone(),
            seed,
            scale,
            time_zone: scenario.time_zone.name().into(),
            start: scenario.start.to_string(),
            end: scenario.end.to_string(),
            totals: Totals::default(),
            per_sensor: BTreeMap::new(),
            populations,
            events,
            files: Vec::new(),
            days: Vec::new(),
            event_of_pop: world.pops.iter().map(|p| p.surge_of).collect(),
            event_of_victim,
            metrics,
            port_totals: vec![0; PORT_SLOTS],
            country_totals: vec![0; COUNTRY_SLOTS],
            pop_countries: vec![vec![0; COUNTRY_SLOTS]; world.pops.len()],
            syn_totals: [0; Sender::ALL.len()],
        }
    }

    /// Turns the running totals into the maps of truth.json.
    pub(crate) fn finish(&mut self) {
        let t = &mut self.totals;
        for (slot, &n) in self.port_totals.iter().enumerate().filter(|(_, &n)| n > 0) {
            let (proto, port) = slot_port(slot);
            *t.per_protocol
                .entry(protocol_name(proto).into())
                .or_default() += n;
            if proto != ICMP {
                t.per_dst_port
                    .insert(format!("{}/{port}", protocol_name(proto)), n);
            }
        }
        t.per_country = countries_of(&self.country_totals);
        t.per_tool = Sender::ALL
            .iter()
            .zip(self.syn_totals)
            .filter(|&(_, n)| n > 0)
            .map(|(sender, n)| (format!("{sender:?}").to_lowercase(), n))
            .collect();
        for (pop, counts) in self.populations.iter_mut().zip(&self.pop_countries) {
            pop.per_country = countries_of(counts);
            pop.packets = counts.iter().sum();
        }
    }

    /// Folds a finished day into the totals; returns its file's entry.
    pub(crate) fn add_day(&mut self, day: DayTally) -> FileTruth {
        self.totals.counts.add(&day.file.counts);
        self.per_sensor
            .entry(day.file.sensor.clone())
            .or_default()
            .add(&day.file.counts);
        add_into(&mut self.port_totals, &day.ports);
        add_into(&mut self.country_totals, &day.countries);
        add_into(&mut self.syn_totals, &day.syn_by_sender);
        self.totals.backscatter += day.by_victim.iter().sum::<u64>();
        for (p, counts) in day.by_pop.iter().enumerate() {
            add_into(&mut self.pop_countries[p], counts);
            if let Some(e) = self.event_of_pop[p] {
                self.events[e].packets += counts.iter().sum::<u64>();
            }
        }
        for (v, &n) in day.by_victim.iter().enumerate() {
            self.events[self.event_of_victim[v]].packets += n;
        }
        let day_label = day.file.day.clone();
        for (event, metric) in self.events.iter_mut().zip(&self.metrics) {
            let n = match *metric {
                Metric::Port(proto, port) => day.ports[port_slot(proto, port)],
                Metric::Country(c) => day.countries[country_slot(c)],
                Metric::Victim(v) => day.by_victim[v],
            };
            *event.daily.entry(day_label.clone()).or_default() += n;
        }
        self.days.push(DayTruth {
            sensor: day.file.sensor.clone(),
            day: day_label,
            ip_packets: day.file.counts.ip_packets,
            per_country: countries_of(&day.countries),
        });
        self.files.push(day.file.clone());
        day.file
    }
}

fn protocol_name(proto: u8) -> &'static str {
    match proto {
        TCP => "tcp",
        UDP => "udp",
        _ => "icmp",
    }
}

/// The event's parameters; a backscatter victim drawn from a country gets its address.
fn planted(what: &EventKind, world: &World, event: usize) -> serde_json::Value {
    use serde_json::json;
    let countries = |list: &[(CountryCode, f64)]| -> BTreeMap<String, f64> {
        list.iter().map(|(c, w)| (c.to_string(), *w)).collect()
    };
    match what {
        EventKind::PortSurge {
            target,
            factor,
            countries: c,
        } => {
            json!({ "port": target_label(*target), "factor": factor, "countries": countries(c) })
        }
        EventKind::CountrySpike { country, factor } => {
            json!({ "country": country.to_string(), "factor": factor })
        }
        EventKind::Outage { country, remaining } => {
            json!({ "country": country.to_string(), "remaining": remaining })
        }
        EventKind::Backscatter {
            victim,
            reply,
            service_port,
            packets_per_day,
        } => {
            let host = world.victims.iter().find(|v| v.event == event);
            let addr = host.map(|h| std::net::Ipv4Addr::from(h.victim.addr).to_string());
            let asked = match victim {
                Victim::Address(a) => json!({ "address": a.to_string() }),
                Victim::Country(c) => json!({ "country": c.to_string() }),
            };
            json!({
                "victim": addr,
                "victim_country": host.and_then(|h| h.country).map(|c| c.to_string()),
                "asked": asked,
                "reply": format!("{reply:?}"),
                "service_port": service_port,
                "packets_per_day": packets_per_day,
            })
        }
    }
}

/// Counts of one sensor-day as it is written, in flat arrays: a packet costs a few
/// increments, not hash-map look-ups.
pub(crate) struct DayTally {
    file: FileTruth,
    ports: Vec<u64>,
    countries: Vec<u64>,
    syn_by_sender: [u64; Sender::ALL.len()],
    by_pop: Vec<Vec<u64>>,
    by_victim: Vec<u64>,
}

impl DayTally {
    pub(crate) fn new(
        sensor: &str,
        day: NaiveDate,
        path: &Path,
        format: FileFormat,
        pops: usize,
        victims: usize,
    ) -> Self {
        let relative = Path::new(sensor).join(path.file_name().expect("a capture file has a name"));
        DayTally {
            file: FileTruth {
                path: relative.display().to_string(),
                sensor: sensor.into(),
                day: day.to_string(),
                format: format.extension().into(),
                counts: Counts::default(),
                first_ts_ns: None,
                last_ts_ns: None,
            },
            ports: vec![0; PORT_SLOTS],
            countries: vec![0; COUNTRY_SLOTS],
            syn_by_sender: [0; Sender::ALL.len()],
            by_pop: vec![vec![0; COUNTRY_SLOTS]; pops],
            by_victim: vec![0; victims],
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, ts_ns: i64, facts: &PacketFacts, cut: bool) {
        let file = &mut self.file;
        file.counts.frames += 1;
        file.first_ts_ns.get_or_insert(ts_ns);
        file.last_ts_ns = Some(ts_ns);
        file.counts.snaplen_cut += u64::from(cut);
        match *facts {
            PacketFacts::Probe {
                pop,
                country,
                sender,
                proto,
                port,
            } => {
                self.ip(proto, port, Some(country));
                self.by_pop[pop][country_slot(country)] += 1;
                if proto == TCP {
                    self.syn_by_sender[sender as usize] += 1;
                }
            }
            PacketFacts::Backscatter {
                victim,
                country,
                proto,
                port,
            } => {
                self.ip(proto, port, country);
                self.by_victim[victim] += 1;
            }
            PacketFacts::NonIp => self.file.counts.non_ip += 1,
            PacketFacts::Malformed => self.file.counts.malformed += 1,
        }
    }

    #[inline]
    fn ip(&mut self, proto: u8, port: u16, country: Option<CountryCode>) {
        self.file.counts.ip_packets += 1;
        self.ports[port_slot(proto, port)] += 1;
        if let Some(country) = country {
            self.countries[country_slot(country)] += 1;
        }
    }
}
