//! The senders that reach the darknet: scanning sources and DoS victims.

use std::collections::HashSet;

use rand::{Rng, RngCore};

use crate::weighted::Weighted;
use crate::Sender;

/// How many distinct scanning sources a capture draws from.
const SOURCES: usize = 50_000;
/// The most active sources are research scanners (ZMap and masscan); with the activity
/// curve of [`Population::pick_source`] these 500 send about a fifth of all probes.
const RESEARCH_SCANNERS: usize = 500;
/// How many hosts are under a spoofed-source DoS attack whose replies reach the darknet.
const VICTIMS: usize = 8;
/// Services whose SYN floods produce backscatter.
const VICTIM_PORTS: [u16; 5] = [80, 443, 22, 25, 3389];

/// Address blocks that never source Internet traffic (RFC 6890 and multicast up).
const RESERVED: [(u32, u8); 14] = [
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
    (0x0a00_0000, 8),  // 10.0.0.0/8
    (0x6440_0000, 10), // 100.64.0.0/10 shared address space
    (0x7f00_0000, 8),  // 127.0.0.0/8
    (0xa9fe_0000, 16), // 169.254.0.0/16
    (0xac10_0000, 12), // 172.16.0.0/12
    (0xc000_0000, 24), // 192.0.0.0/24
    (0xc000_0200, 24), // 192.0.2.0/24 TEST-NET-1
    (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay
    (0xc0a8_0000, 16), // 192.168.0.0/16
    (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xc633_6400, 24), // 198.51.100.0/24 TEST-NET-2
    (0xcb00_7100, 24), // 203.0.113.0/24 TEST-NET-3
    (0xe000_0000, 3),  // 224.0.0.0/3 multicast, reserved, broadcast
];

/// One scanning source.
#[derive(Clone, Copy)]
pub(crate) struct Source {
    pub addr: u32,
    pub sender: Sender,
    /// TTL as received: the tool's or OS's initial TTL less the hops to the sensor.
    pub ttl: u8,
    /// masscan picks one source port per run.
    pub masscan_port: u16,
    /// Offset of the host's TCP timestamp clock, which Linux randomises per host.
    pub clock_ms: u32,
}

impl Source {
    /// A source at `addr` sending as `sender`; its other traits are derived from the
    /// address, so that they are stable and unrelated between neighbours.
    pub(crate) fn new(addr: u32, sender: Sender) -> Source {
        let traits = mix(addr);
        let more_traits = mix(traits);
        Source {
            addr,
            sender,
            ttl: initial_ttl(sender) - 5 - (more_traits % 11) as u8, // 5..=15 hops
            masscan_port: 40_000 + (more_traits >> 16) as u16 % 20_001,
            clock_ms: traits,
        }
    }
}

/// The stack of an ordinary bot: Linux three times in five, else Windows, by address.
pub(crate) fn bot_stack(addr: u32) -> Sender {
    if mix(addr) % 5 < 3 {
        Sender::Linux
    } else {
        Sender::Windows
    }
}

/// A host whose replies to spoofed packets reach the darknet.
#[derive(Clone, Copy)]
pub(crate) struct Victim {
    pub addr: u32,
    pub ttl: u8,
    /// The attacked service, source port of its SYN-ACKs and RSTs.
    pub port: u16,
}

/// Sources are stored as bare addresses, in order of activity, and their other traits
/// derived from the address when picked: every probe reads a random source, and at 4
/// bytes each the 50,000 stay in cache, which makes generation markedly faster.
pub(crate) struct Population {
    addrs: Vec<u32>,
    ordinary: Weighted<Sender>,
    victims: Vec<Victim>,
}

impl Population {
    /// Draws distinct public addresses outside the darknet `(base, mask)`.
    pub fn new(rng: &mut impl Rng, darknet: (u32, u32)) -> Self {
        let mut taken = HashSet::with_capacity(SOURCES + VICTIMS);
        let mut address = |rng: &mut _| loop {
            let addr = public_address(rng);
            if addr & darknet.1 != darknet.0 && taken.insert(addr) {
                return addr;
            }
        };
        let addrs = (0..SOURCES).map(|_| address(rng)).collect();
        let victims = (0..VICTIMS)
            .map(|i| Victim {
                addr: address(rng),
                ttl: 64 - hops(rng),
                port: VICTIM_PORTS[i % VICTIM_PORTS.len()],
            })
            .collect();
        let ordinary = Weighted::new(&[
            (Sender::Mirai, 50),
            (Sender::Linux, 30),
            (Sender::Windows, 20),
        ]);
        Population {
            addrs,
            ordinary,
            victims,
        }
    }

    /// A source with Zipf-like activity: index `n * u^3` for uniform `u`, so the source
    /// of rank `r` sends in proportion to about `r^(-2/3)`, the heavy head of real
    /// darknets. Integer arithmetic keeps the choice identical on every platform.
    pub fn pick_source(&self, rng: &mut impl RngCore) -> Source {
        self.source(skewed_index(rng, self.addrs.len(), 3))
    }

    /// The source of activity rank `rank`.
    fn source(&self, rank: usize) -> Source {
        let addr = self.addrs[rank];
        let sender = match rank {
            r if r < RESEARCH_SCANNERS && r % 2 == 0 => Sender::Zmap,
            r if r < RESEARCH_SCANNERS => Sender::Masscan,
            _ => self.ordinary.at(mix(addr)),
        };
        Source::new(addr, sender)
    }

    /// A victim, the first ones under heavier attack.
    pub fn pick_victim(&self, rng: &mut impl RngCore) -> &Victim {
        &self.victims[skewed_index(rng, self.victims.len(), 2)]
    }

    #[cfg(test)]
    pub fn sources(&self) -> impl Iterator<Item = Source> + '_ {
        (0..self.addrs.len()).map(|rank| self.source(rank))
    }
}

/// `floor(len * u^power)` for uniform `u` in [0, 1), in 32-bit fixed point.
pub(crate) fn skewed_index(rng: &mut impl RngCore, len: usize, power: u32) -> usize {
    let u = u64::from(rng.next_u32());
    let scaled = (1..power).fold(u, |acc, _| (acc * u) >> 32);
    ((scaled * len as u64) >> 32) as usize
}

fn initial_ttl(sender: Sender) -> u8 {
    match sender {
        Sender::Zmap | Sender::Masscan => 255,
        Sender::Windows => 128,
        Sender::Mirai | Sender::Linux => 64,
    }
}

/// A bijective 32-bit mixer (the "lowbias32" constants), so that traits derived
/// from neighbouring addresses are unrelated.
fn mix(mut x: u32) -> u32 {
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^ (x >> 16)
}

/// Hops between a victim and the sensor.
pub(crate) fn hops(rng: &mut impl Rng) -> u8 {
    rng.random_range(5..=15)
}

fn public_address(rng: &mut impl Rng) -> u32 {
    loop {
        let addr: u32 = rng.random();
        if !is_reserved(addr) {
            return addr;
        }
    }
}

/// Whether `addr` lies in a block that never sources Internet traffic.
pub(crate) fn is_reserved(addr: u32) -> bool {
    RESERVED
        .iter()
        .any(|&(net, len)| addr >> (32 - len) == net >> (32 - len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::net::Ipv4Addr;

    #[test]
    fn sources_are_distinct_public_and_outside_the_darknet() {
        let darknet = (0x5db8_d800, 0xffff_ff00); // 93.184.216.0/24
        let population = Population::new(&mut ChaCha8Rng::seed_from_u64(7), darknet);
        let addrs: HashSet<u32> = population.sources().map(|s| s.addr).collect();
        assert_eq!(addrs.len(), SOURCES);
        for &addr in &addrs {
            let ip = Ipv4Addr::from(addr);
            assert!(
                !(ip.is_private() || ip.is_loopback() || ip.is_multicast()),
                "{ip}"
            );
            assert!(
                !(ip.is_documentation() || ip.is_link_local() || ip.is_broadcast()),
                "{ip}"
            );
            assert_ne!(addr & darknet.1, darknet.0, "{ip} is in the darknet");
        }
    }

    #[test]
    fn derived_traits_are_plausible() {
        let population = Population::new(&mut ChaCha8Rng::seed_from_u64(7), (0, u32::MAX));
        let mut senders = std::collections::BTreeMap::new();
        for source in population.sources() {
            *senders.entry(source.sender).or_insert(0) += 1;
            let hops = initial_ttl(source.sender) - source.ttl;
            assert!((5..=15).contains(&hops) && (40_000..=60_000).contains(&source.masscan_port));
        }
        let share = |sender| f64::from(senders[&sender]) / (SOURCES - RESEARCH_SCANNERS) as f64;
        assert_eq!(
            senders[&Sender::Zmap] + senders[&Sender::Masscan],
            RESEARCH_SCANNERS as u32
        );
        assert!((share(Sender::Mirai) - 0.5).abs() < 0.02, "{senders:?}");
        assert!((share(Sender::Windows) - 0.2).abs() < 0.02, "{senders:?}");
    }

    #[test]
    fn activity_is_heavy_headed() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let draws = 100_000;
        let head = (0..draws)
            .filter(|_| skewed_index(&mut rng, SOURCES, 3) < RESEARCH_SCANNERS)
            .count();
        // P(n u^3 < 500) = (500 / 50000)^(1/3) ~ 0.215
        assert!((20_000..23_000).contains(&head), "{head}");
    }
}
