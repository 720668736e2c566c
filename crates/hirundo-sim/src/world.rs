//! The senders of a scenario: every population's sources, placed in the countries (or the
//! research networks) the scenario names, the extra sources of port surges, and the DoS
//! victims of backscatter episodes. Built once per run from the seed.

use std::collections::{BTreeMap, HashSet};
use std::ops::RangeInclusive;

use hirundo_geo::{CountryCode, GeoDb};
use rand::{Rng, RngCore};

use crate::population::{bot_stack, hops, is_reserved, Source, Victim};
use crate::scenario::{
    EventKind, PopulationKind, PopulationSpec, Reply, Scenario, Target, Victim as VictimSpec,
};
use crate::weighted::Cumulative;
use crate::Sender;

/// Bots behind a port surge: enough that no few addresses dominate it.
const SURGE_SOURCES: usize = 3000;

/// A population's sources in one country.
pub(crate) struct Pool {
    pub country: CountryCode,
    /// The population's weight for the country (research: the pool's size).
    pub weight: f64,
    /// Sources in order of activity (picked with a Zipf-like skew).
    pub sources: Vec<Source>,
}

/// Where a population's probes go.
pub(crate) enum Targets {
    Mix(Cumulative<Target>),
    /// Uniform TCP ports: research scanners sweeping.
    Sweep(RangeInclusive<u16>),
}

impl Targets {
    pub fn pick(&self, rng: &mut impl RngCore) -> Target {
        match self {
            Targets::Mix(mix) => mix.pick(rng),
            Targets::Sweep(range) => Target::Tcp(rng.random_range(range.clone())),
        }
    }

    /// The share of probes that go to `target`.
    pub fn share_of(&self, target: Target, mix: &[(Target, f64)]) -> f64 {
        match self {
            Targets::Mix(_) => {
                let total: f64 = mix.iter().map(|(_, w)| w).sum();
                mix.iter()
                    .filter(|(t, _)| *t == target)
                    .map(|(_, w)| w / total)
                    .sum()
            }
            Targets::Sweep(_) => 0.0,
        }
    }
}

/// A population ready to send.
pub(crate) struct Pop {
    pub name: String,
    pub research: bool,
    /// The event that created it (port surges), if any.
    pub surge_of: Option<usize>,
    pub share: f64,
    pub pools: Vec<Pool>,
    pub targets: Targets,
    /// The mix `targets` was built from (for surge baselines).
    pub mix: Vec<(Target, f64)>,
}

/// A backscatter episode's victim.
pub(crate) struct VictimHost {
    pub event: usize,
    pub victim: Victim,
    pub country: Option<CountryCode>,
    pub reply: Reply,
}

pub(crate) struct World {
    pub pops: Vec<Pop>,
    pub victims: Vec<VictimHost>,
}

/// A set of IPv4 ranges to draw addresses from uniformly: a country's, or a sensor's
/// prefixes.
pub(crate) struct AddressSpace {
    starts: Vec<u32>,
    /// Addresses in the ranges up to and including each one.
    ends: Vec<u64>,
}

impl AddressSpace {
    /// `ranges` must not be empty.
    pub fn new(ranges: impl IntoIterator<Item = RangeInclusive<u32>>) -> Self {
        let mut total = 0u64;
        let (starts, ends) = ranges
            .into_iter()
            .map(|r| {
                total += u64::from(r.end() - r.start()) + 1;
                (*r.start(), total)
            })
            .unzip();
        AddressSpace { starts, ends }
    }

    pub fn draw(&self, rng: &mut impl Rng) -> u32 {
        let total = *self.ends.last().expect("an address space has addresses");
        let u = rng.random_range(0..total);
        let i = self.ends.partition_point(|&end| end <= u);
        let before = if i == 0 { 0 } else { self.ends[i - 1] };
        self.starts[i] + (u - before) as u32
    }
}

/// Addresses of each country, for uniform draws.
pub(crate) struct CountrySpace {
    spaces: BTreeMap<CountryCode, AddressSpace>,
}

impl CountrySpace {
    pub fn new(geo: &GeoDb) -> Result<CountrySpace, hirundo_geo::GeoError> {
        let spaces = geo
            .country_ranges_v4()?
            .into_iter()
            .map(|(country, ranges)| (country, AddressSpace::new(ranges)))
            .collect();
        Ok(CountrySpace { spaces })
    }

    pub fn has(&self, country: CountryCode) -> bool {
        self.spaces.contains_key(&country)
    }

    /// A uniformly drawn address of `country` (which must be known).
    fn draw(&self, country: CountryCode, rng: &mut impl Rng) -> u32 {
        self.spaces[&country].draw(rng)
    }
}

/// Draws addresses that are public, outside every sensor's prefixes, and not yet used.
struct Addresses<'a> {
    space: &'a CountrySpace,
    darknets: Vec<ipnet::Ipv4Net>,
    taken: HashSet<u32>,
}

impl Addresses<'_> {
    fn usable(&mut self, addr: u32) -> bool {
        let ip = std::net::Ipv4Addr::from(addr);
        !is_reserved(addr)
            && !self.darknets.iter().any(|n| n.contains(&ip))
            && self.taken.insert(addr)
    }

    /// A new address in `country`; None if the country seems exhausted.
    fn in_country(&mut self, country: CountryCode, rng: &mut impl Rng) -> Option<u32> {
        (0..1000)
            .map(|_| self.space.draw(country, rng))
            .find(|&a| self.usable(a))
    }
}

impl World {
    pub fn build(
        scenario: &Scenario,
        space: &CountrySpace,
        geo: &GeoDb,
        rng: &mut impl Rng,
    ) -> World {
        let darknets = scenario
            .sensors
            .iter()
            .flat_map(|s| s.prefixes.iter().copied())
            .collect();
        let mut addresses = Addresses {
            space,
            darknets,
            taken: HashSet::new(),
        };
        let mut pops: Vec<Pop> = scenario
            .populations
            .iter()
            .map(|spec| population(spec, scenario, &mut addresses, geo, rng))
            .collect();
        let mut victims = Vec::new();
        for (i, event) in scenario.events.iter().enumerate() {
            match &event.what {
                EventKind::PortSurge {
                    target, countries, ..
                } => {
                    let spec = PopulationSpec {
                        name: format!("surge {}", target_label(*target)),
                        kind: PopulationKind::Bot,
                        tool: PopulationKind::Bot,
                        share: 0.0,
                        sources: SURGE_SOURCES,
                        ports: Some(vec![(*target, 1.0)]),
                        countries: Some(countries.clone()),
                        networks: Vec::new(),
                        sweep: 1..=65535,
                    };
                    let mut pop = population(&spec, scenario, &mut addresses, geo, rng);
                    pop.surge_of = Some(i);
                    pops.push(pop);
                }
                EventKind::Backscatter {
                    victim,
                    reply,
                    service_port,
                    ..
                } => {
                    let (addr, country) = match *victim {
                        VictimSpec::Address(a) => (u32::from(a), geo.country(a.into())),
                        VictimSpec::Country(c) => {
                            (addresses.in_country(c, rng).unwrap_or(0), Some(c))
                        }
                    };
                    let victim = Victim {
                        addr,
                        ttl: 64 - hops(rng),
                        port: *service_port,
                    };
                    victims.push(VictimHost {
                        event: i,
                        victim,
                        country,
                        reply: *reply,
                    });
                }
                EventKind::CountrySpike { .. } | EventKind::Outage { .. } => {}
            }
        }
        World { pops, victims }
    }
}

fn population(
    spec: &PopulationSpec,
    scenario: &Scenario,
    addresses: &mut Addresses,
    geo: &GeoDb,
    rng: &mut impl Rng,
) -> Pop {
    let sender_for = |addr: u32| match spec.kind {
        PopulationKind::Mirai => Sender::Mirai,
        PopulationKind::Zmap => Sender::Zmap,
        PopulationKind::Masscan => Sender::Masscan,
        PopulationKind::Bot => bot_stack(addr),
        PopulationKind::Research if spec.tool == PopulationKind::Masscan => Sender::Masscan,
        PopulationKind::Research => Sender::Zmap,
    };
    let research = spec.kind == PopulationKind::Research;
    let pools = if research {
        research_pools(spec, addresses, geo, rng, sender_for)
    } else {
        let countries = spec.countries.as_ref().unwrap_or(&scenario.countries);
        country_pools(spec.sources, countries, addresses, rng, sender_for)
    };
    let default_mirai = [(Target::Tcp(23), 90.0), (Target::Tcp(2323), 10.0)];
    let mix: Vec<(Target, f64)> = match (&spec.ports, spec.kind) {
        (Some(ports), _) => ports.clone(),
        (None, PopulationKind::Mirai) => default_mirai.to_vec(),
        (None, _) => scenario.ports.clone(),
    };
    let targets = if research {
        Targets::Sweep(spec.sweep.clone())
    } else {
        Targets::Mix(
            Cumulative::new(mix.iter().copied()).expect("the scenario checked the mix has weight"),
        )
    };
    Pop {
        name: spec.name.clone(),
        research,
        surge_of: None,
        share: spec.share,
        pools,
        targets,
        mix,
    }
}

/// Sources spread over countries in proportion to the weights.
fn country_pools(
    sources: usize,
    countries: &[(CountryCode, f64)],
    addresses: &mut Addresses,
    rng: &mut impl Rng,
    sender_for: impl Fn(u32) -> Sender,
) -> Vec<Pool> {
    let total: f64 = countries.iter().map(|(_, w)| w).sum();
    countries
        .iter()
        .filter(|(_, w)| *w > 0.0)
        .map(|&(country, weight)| {
            let n = ((sources as f64 * weight / total).round() as usize).max(1);
            let sources = (0..n)
                .filter_map(|_| addresses.in_country(country, rng))
                .map(|addr| Source::new(addr, sender_for(addr)))
                .collect();
            Pool {
                country,
                weight,
                sources,
            }
        })
        .filter(|pool| !pool.sources.is_empty())
        .collect()
}

/// Hosts of the research networks, grouped by the country the database gives them.
fn research_pools(
    spec: &PopulationSpec,
    addresses: &mut Addresses,
    geo: &GeoDb,
    rng: &mut impl Rng,
    sender_for: impl Fn(u32) -> Sender,
) -> Vec<Pool> {
    let mut hosts: Vec<u32> = spec
        .networks
        .iter()
        .flat_map(|n| n.hosts().map(u32::from))
        .collect();
    // A seeded partial shuffle picks `sources` distinct hosts.
    let n = spec.sources.min(hosts.len());
    for i in 0..n {
        let j = rng.random_range(i..hosts.len());
        hosts.swap(i, j);
    }
    let mut by_country: BTreeMap<CountryCode, Vec<Source>> = BTreeMap::new();
    for &addr in &hosts[..n] {
        if !addresses.usable(addr) {
            continue;
        }
        if let Some(country) = geo.country(std::net::Ipv4Addr::from(addr).into()) {
            by_country
                .entry(country)
                .or_default()
                .push(Source::new(addr, sender_for(addr)));
        }
    }
    by_country
        .into_iter()
        .map(|(country, sources)| Pool {
            country,
            weight: sources.len() as f64,
            sources,
        })
        .collect()
}

/// `tcp/445`, `udp/53`, `tcp/random`, `icmp/echo`: how targets are written in scenarios
/// and truth.json.
pub(crate) fn target_label(target: Target) -> String {
    match target {
        Target::Tcp(port) => format!("tcp/{port}"),
        Target::TcpRandom => "tcp/random".into(),
        Target::Udp(port) => format!("udp/{port}"),
        Target::IcmpEcho => "icmp/echo".into(),
    }
}
