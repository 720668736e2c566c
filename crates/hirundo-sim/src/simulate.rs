//! Runs a scenario: for every sensor and day, works out how many packets each population,
//! event and kind of junk sends that day, draws them in random order over the local day,
//! writes them to that day's capture file, and tallies what was written as ground truth.

use std::path::{Path, PathBuf};

use chrono::{Datelike, Days, NaiveDate, TimeZone, Weekday};
use hirundo_geo::GeoDb;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::capture;
use crate::clock::Clock;
use crate::frame::{self, Ipv4, ICMP, TCP, UDP};
use crate::population::skewed_index;
use crate::scenario::{EventKind, FileFormat, Reply as ReplySpec, Scenario, SensorSpec, Target};
use crate::traffic::{build_icmp_echo, build_reply, build_syn, build_udp, udp_probe_for, Reply};
use crate::truth::{DayTally, PacketFacts, Truth};
use crate::weighted::Cumulative;
use crate::world::{AddressSpace, CountrySpace, Pop, World};

/// A snaplen that cuts SYNs with options and UDP payloads: tcpdump's old default.
const SHORT_SNAPLEN: usize = 68;
const NS_PER_S: i64 = 1_000_000_000;

/// How to run a scenario.
#[derive(Clone, Debug)]
pub struct SimulateOptions {
    /// Directory for `<sensor>/` capture files and `truth.json`.
    pub out: PathBuf,
    /// Replaces the scenario's seed.
    pub seed: Option<u64>,
    /// Multiplies every daily volume.
    pub scale: f64,
}

/// Why a simulation stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The geolocation database is damaged.
    #[error(transparent)]
    Geo(#[from] hirundo_geo::GeoError),
    /// `--scale` is not a positive number.
    #[error("scale {0} must be a number above 0")]
    Scale(f64),
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> SimulateError + '_ {
    move |source| SimulateError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The geolocation database and each country's addresses, which sources are drawn from.
pub struct Geography {
    db: GeoDb,
    space: CountrySpace,
}

impl Geography {
    /// Reads every country's IPv4 ranges out of `db`.
    pub fn new(db: GeoDb) -> Result<Geography, hirundo_geo::GeoError> {
        let space = CountrySpace::new(&db)?;
        Ok(Geography { db, space })
    }

    /// Whether the database has IPv4 addresses of `country` (for [`Scenario::parse`]).
    pub fn knows(&self, country: hirundo_geo::CountryCode) -> bool {
        self.space.has(country)
    }
}

/// Writes the scenario's capture files and `truth.json`; `on_file` hears of each file
/// written. Returns the ground truth.
pub fn simulate(
    scenario: &Scenario,
    geography: &Geography,
    options: &SimulateOptions,
    on_file: &mut dyn FnMut(&crate::truth::FileTruth),
) -> Result<Truth, SimulateError> {
    if !(options.scale.is_finite() && options.scale > 0.0) {
        return Err(SimulateError::Scale(options.scale));
    }
    let seed = options.seed.unwrap_or(scenario.seed);
    let mut world_rng = ChaCha8Rng::seed_from_u64(seed);
    let world = World::build(scenario, &geography.space, &geography.db, &mut world_rng);
    let mut truth = Truth::new(scenario, seed, options.scale, &world);
    for (s, sensor) in scenario.sensors.iter().enumerate() {
        let dir = options.out.join(&sensor.name);
        std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        for (d, day) in scenario.days().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(((s as u64) << 32) | (d as u64 + 1));
            let run = DayRun {
                scenario,
                world: &world,
                sensor,
                day,
                day_index: d,
                scale: options.scale,
            };
            let file = run.write(&dir, &mut rng, &mut truth)?;
            on_file(&file);
        }
    }
    truth.finish();
    let path = options.out.join("truth.json");
    let json = serde_json::to_vec_pretty(&truth).expect("truth serialises");
    std::fs::write(&path, json).map_err(io_error(&path))?;
    Ok(truth)
}

/// One sensor's day.
struct DayRun<'a> {
    scenario: &'a Scenario,
    world: &'a World,
    sensor: &'a SensorSpec,
    day: NaiveDate,
    day_index: usize,
    scale: f64,
}

/// What a packet of the day comes from.
#[derive(Clone, Copy)]
enum Component {
    /// A probe from population `i` (scenario populations, then surge populations).
    Probe(usize),
    /// Backscatter from victim `i`.
    Backscatter(usize),
    NonIp,
    Malformed,
}

impl DayRun<'_> {
    fn write(
        &self,
        dir: &Path,
        rng: &mut ChaCha8Rng,
        truth: &mut Truth,
    ) -> Result<crate::truth::FileTruth, SimulateError> {
        let format = self.format(rng);
        let path = dir.join(format!(
            "{}-{}.{}",
            self.sensor.name,
            self.day,
            format.extension()
        ));
        let mut sink = capture::create(&path, format).map_err(io_error(&path))?;
        let mut counts = self.plan(rng);
        let total: u64 = counts.iter().map(|(n, _)| n).sum();
        let (start_ns, end_ns) = self.bounds();
        let mut clock = Clock::new(start_ns, end_ns - start_ns, total);
        let country_factor = |c| self.country_factor(c);
        let pool_tables: Vec<Option<Cumulative<usize>>> = self
            .world
            .pops
            .iter()
            .map(|pop| {
                let weight = |(i, pool): (usize, &crate::world::Pool)| {
                    let factor = if pop.research {
                        1.0
                    } else {
                        country_factor(pool.country)
                    };
                    (i, pool.weight * factor)
                };
                Cumulative::new(pop.pools.iter().enumerate().map(weight))
            })
            .collect();
        let space = AddressSpace::new(
            self.sensor
                .prefixes
                .iter()
                .map(|n| u32::from(n.network())..=u32::from(n.broadcast())),
        );
        let mut tally = DayTally::new(
            &self.sensor.name,
            self.day,
            &path,
            format,
            self.world.pops.len(),
            self.world.victims.len(),
        );
        let mut buf = Vec::with_capacity(2048);
        let mut remaining = total;
        while remaining > 0 {
            let component = take_component(&mut counts, remaining, rng);
            remaining -= 1;
            let ts_ns = clock.tick(rng);
            let dst = space.draw(rng);
            buf.clear();
            let facts = match component {
                Component::Probe(p) => {
                    let table = pool_tables[p]
                        .as_ref()
                        .expect("a planned population has a pool");
                    self.probe(&mut buf, rng, p, table, dst, ts_ns)
                }
                Component::Backscatter(v) => self.backscatter(&mut buf, rng, v, dst),
                Component::NonIp => {
                    frame::arp_request(&mut buf, dst, space.draw(rng));
                    PacketFacts::NonIp
                }
                Component::Malformed => {
                    let ip = Ipv4 {
                        src: rng.random(),
                        dst,
                        id: rng.random(),
                        dont_fragment: false,
                        ttl: 50,
                        proto: TCP,
                    };
                    frame::malformed_ipv4(&mut buf, &ip);
                    PacketFacts::Malformed
                }
            };
            let cut = matches!(facts, PacketFacts::Probe { .. })
                && buf.len() > SHORT_SNAPLEN
                && rng.random_bool(self.scenario.junk.truncated_share);
            let captured = if cut { &buf[..SHORT_SNAPLEN] } else { &buf[..] };
            sink.record(ts_ns, captured, buf.len())
                .map_err(io_error(&path))?;
            tally.add(ts_ns, &facts, cut);
        }
        sink.finish().map_err(io_error(&path))?;
        Ok(truth.add_day(tally))
    }

    /// The day's file format, by the scenario's weights.
    fn format(&self, rng: &mut impl RngCore) -> FileFormat {
        Cumulative::new(self.scenario.formats.iter().copied())
            .map_or(FileFormat::Pcap, |t| t.pick(rng))
    }

    /// UTC nanoseconds of the local day's first instant and of the next day's.
    fn bounds(&self) -> (i64, i64) {
        let midnight = |date: NaiveDate| {
            let local = date.and_hms_opt(0, 0, 0).expect("midnight exists");
            // A zone whose clocks skip midnight starts that day at the first valid instant.
            let utc = self
                .scenario
                .time_zone
                .from_local_datetime(&local)
                .earliest()
                .map_or_else(|| local.and_utc().timestamp(), |t| t.timestamp());
            utc * NS_PER_S
        };
        (midnight(self.day), midnight(self.day + Days::new(1)))
    }

    /// Packets per component for the day.
    fn plan(&self, rng: &mut impl Rng) -> Vec<(u64, Component)> {
        let base = self.base_volume(rng);
        let pops = &self.world.pops;
        let share_total: f64 = pops
            .iter()
            .filter(|p| p.surge_of.is_none())
            .map(|p| p.share)
            .sum();
        let mut volume_of = vec![0.0; pops.len()];
        for (i, pop) in pops
            .iter()
            .enumerate()
            .filter(|(_, p)| p.surge_of.is_none())
        {
            volume_of[i] = base * pop.share / share_total * self.country_modulation(pop);
        }
        for (i, pop) in pops.iter().enumerate() {
            let Some(event) = pop.surge_of else { continue };
            let EventKind::PortSurge { target, factor, .. } = self.scenario.events[event].what
            else {
                continue;
            };
            if self.active(event) {
                let baseline: f64 = pops
                    .iter()
                    .zip(&volume_of)
                    .map(|(p, v)| v * p.targets.share_of(target, &p.mix))
                    .sum();
                volume_of[i] = (factor - 1.0) * baseline;
            }
        }
        let mut plan: Vec<(u64, Component)> = volume_of
            .iter()
            .enumerate()
            .map(|(i, &v)| (round_randomly(v, rng), Component::Probe(i)))
            .collect();
        for (i, victim) in self.world.victims.iter().enumerate() {
            if let EventKind::Backscatter {
                packets_per_day, ..
            } = self.scenario.events[victim.event].what
            {
                let volume = if self.active(victim.event) {
                    packets_per_day * self.scale * self.sensor.volume
                } else {
                    0.0
                };
                plan.push((round_randomly(volume, rng), Component::Backscatter(i)));
            }
        }
        let junk = &self.scenario.junk;
        let per_day = |n: f64| n * self.scale * self.sensor.volume;
        plan.push((
            round_randomly(per_day(junk.non_ip_per_day), rng),
            Component::NonIp,
        ));
        plan.push((
            round_randomly(per_day(junk.malformed_per_day), rng),
            Component::Malformed,
        ));
        plan
    }

    /// The day's probe volume before country events: base rate, trend, weekly ripple, noise.
    fn base_volume(&self, rng: &mut impl Rng) -> f64 {
        let t = &self.scenario.traffic;
        let trend = (1.0 + t.trend_per_quarter).powf(self.day_index as f64 / 91.0);
        let weekend = matches!(self.day.weekday(), Weekday::Sat | Weekday::Sun);
        let ripple = if weekend { 1.0 - t.weekly_ripple } else { 1.0 };
        let noise =
            (t.daily_noise * standard_normal(rng) - t.daily_noise * t.daily_noise / 2.0).exp();
        t.packets_per_day * self.sensor.volume * self.scale * trend * ripple * noise
    }

    /// How much country events raise or lower a population's volume today: the mean of
    /// the day's country factors, weighted as the population is.
    fn country_modulation(&self, pop: &Pop) -> f64 {
        if pop.research {
            return 1.0;
        }
        let total: f64 = pop.pools.iter().map(|p| p.weight).sum();
        let modulated: f64 = pop
            .pools
            .iter()
            .map(|p| p.weight * self.country_factor(p.country))
            .sum();
        if total > 0.0 {
            modulated / total
        } else {
            0.0
        }
    }

    fn country_factor(&self, country: hirundo_geo::CountryCode) -> f64 {
        self.scenario
            .events
            .iter()
            .enumerate()
            .filter(|&(i, _)| self.active(i))
            .map(|(_, e)| match e.what {
                EventKind::CountrySpike { country: c, factor } if c == country => factor,
                EventKind::Outage {
                    country: c,
                    remaining,
                } if c == country => remaining,
                _ => 1.0,
            })
            .product()
    }

    fn active(&self, event: usize) -> bool {
        let e = &self.scenario.events[event];
        (e.from..=e.to).contains(&self.day)
    }

    fn probe(
        &self,
        buf: &mut Vec<u8>,
        rng: &mut ChaCha8Rng,
        p: usize,
        pools: &Cumulative<usize>,
        dst: u32,
        ts_ns: i64,
    ) -> PacketFacts {
        let pop = &self.world.pops[p];
        let pool = &pop.pools[pools.pick(rng)];
        let source = pool.sources[skewed_index(rng, pool.sources.len(), 3)];
        let target = pop.targets.pick(rng);
        let (proto, port) = match target {
            Target::Tcp(port) => (TCP, port),
            Target::TcpRandom => (TCP, rng.random_range(1..=u16::MAX)),
            Target::Udp(port) => (UDP, port),
            Target::IcmpEcho => (ICMP, 0),
        };
        match proto {
            TCP => build_syn(buf, rng, &source, dst, port, ts_ns),
            UDP => {
                let probe = udp_probe_for(port, rng);
                build_udp(buf, rng, &source, dst, port, probe)
            }
            _ => build_icmp_echo(buf, rng, &source, dst),
        };
        PacketFacts::Probe {
            pop: p,
            country: pool.country,
            sender: source.sender,
            proto,
            port,
        }
    }

    fn backscatter(
        &self,
        buf: &mut Vec<u8>,
        rng: &mut ChaCha8Rng,
        v: usize,
        dst: u32,
    ) -> PacketFacts {
        let host = &self.world.victims[v];
        let reply = match host.reply {
            ReplySpec::SynAck => Reply::SynAck,
            ReplySpec::Rst => Reply::Rst,
            ReplySpec::IcmpUnreachable => Reply::PortUnreachable,
        };
        let (proto, port, _) = build_reply(buf, rng, &host.victim, dst, reply);
        PacketFacts::Backscatter {
            victim: v,
            country: host.country,
            proto,
            port,
        }
    }
}

/// Picks the next packet's component in proportion to what each still has to send, so
/// that the day's counts are exact and their order random.
fn take_component(
    counts: &mut [(u64, Component)],
    remaining: u64,
    rng: &mut impl Rng,
) -> Component {
    let mut u = rng.random_range(0..remaining);
    for (n, component) in counts.iter_mut() {
        if u < *n {
            *n -= 1;
            return *component;
        }
        u -= *n;
    }
    unreachable!("remaining is the sum of the counts")
}

/// `floor(x)` or `floor(x) + 1`, the latter with probability `x - floor(x)`: unbiased
/// whole counts, so small scales keep their proportions on average.
fn round_randomly(x: f64, rng: &mut impl Rng) -> u64 {
    let whole = x.floor();
    whole as u64 + u64::from(rng.random_bool((x - whole).clamp(0.0, 1.0)))
}

/// A standard normal draw (Box-Muller).
fn standard_normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>();
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
