//! The report's sums (see `hirundo_analyze::gather::rollups`) from the rollups held in
//! memory: the traffic [`Cube`] and the [`SourceCube`]. A report of any range then costs
//! scans of memory by label index instead of SQL passes over the rollup files; the report's
//! tests hold both ways to the same figures.

use std::collections::{BTreeMap, HashMap};

use hirundo_analyze::gather::rollups::{
    Days, Pair, PortId, Rollups, SourceSums, TrafficSums, WatchedPorts,
};
use hirundo_analyze::gather::ReportError;
use hirundo_analyze::period::Period;
use hirundo_analyze::victims::BackscatterSample;

use crate::cube::{port_code, Cube, DayCells, Labels, NO_PORT};
use crate::dimension::UNKNOWN_COUNTRY;
use crate::source_cube::SourceCube;
use crate::traffic::HourTable;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

pub struct MemoryRollups<'a> {
    pub cube: &'a Cube,
    pub sources: &'a SourceCube,
}

impl Rollups for MemoryRollups<'_> {
    fn traffic(&self, days: &Days) -> Result<TrafficSums, ReportError> {
        Ok(traffic_sums(self.cube, days))
    }

    fn watched_ports(&self, days: &Days, ports: &[PortId]) -> Result<WatchedPorts, ReportError> {
        Ok(watched_ports(self.cube, days, ports))
    }

    fn sources(&self, previous: &Period, current: &Period) -> Result<SourceSums, ReportError> {
        Ok(self.sources.sums(previous, current))
    }

    fn backscatter(&self, start: i64, end: i64) -> Result<Vec<BackscatterSample>, ReportError> {
        Ok(self.sources.backscatter(start, end))
    }

    fn countries_of(&self, addrs: &[&str]) -> Result<HashMap<String, String>, ReportError> {
        Ok(self.sources.countries_of(addrs))
    }
}

/// Ports of the protocols that have many by dense index: a quarter holds tens of thousands
/// of ports, and an array indexed by port costs a cell far less than a hash map. Every TCP
/// and UDP port, and ICMP and ICMPv6 types: 131,584 indices, about 1 MB of counts per
/// period, which stays in a core's cache.
const DENSE_PORTS: usize = 2 * 65_536 + 2 * 256;

/// The dense index of a port code (see [`port_code`]), if it has one.
#[inline]
fn dense_port(code: u32) -> Option<usize> {
    let port = (code & 0xFFFF) as usize;
    match (code & NO_PORT != 0, (code >> 16) as u8) {
        (true, _) => None,
        (false, 6) => Some(port),
        (false, 17) => Some(65_536 + port),
        (false, 1) if port < 256 => Some(131_072 + port),
        (false, 58) if port < 256 => Some(131_328 + port),
        _ => None,
    }
}

/// The port code of a dense index.
fn dense_code(index: usize) -> u32 {
    let (protocol, port) = match index {
        0..65_536 => (6, index),
        65_536..131_072 => (17, index - 65_536),
        131_072..131_328 => (1, index - 131_072),
        _ => (58, index - 131_328),
    };
    port_code(protocol, Some(port as u16))
}

/// Packets per port, the previous and the current period's apart (each thread of a scan
/// mostly adds to one of them): dense where [`dense_port`] can, in a map for the rest.
struct PortSums {
    previous: Vec<u64>,
    current: Vec<u64>,
    other: FastMap<u32, Pair>,
}

impl PortSums {
    fn new() -> PortSums {
        PortSums {
            previous: vec![0; DENSE_PORTS],
            current: vec![0; DENSE_PORTS],
            other: FastMap::default(),
        }
    }

    #[inline]
    fn add(&mut self, code: u32, current: bool, n: u64) {
        match (dense_port(code), current) {
            (Some(index), true) => self.current[index] += n,
            (Some(index), false) => self.previous[index] += n,
            (None, _) => self.other.entry(code).or_default().add(current, n),
        }
    }

    fn merge(&mut self, other: PortSums) {
        add_all(&mut self.previous, &other.previous);
        add_all(&mut self.current, &other.current);
        for (code, pair) in other.other {
            self.other.entry(code).or_default().merge(pair);
        }
    }

    fn into_ports(self) -> impl Iterator<Item = (PortId, Pair)> {
        let dense = self.previous.into_iter().zip(self.current).enumerate();
        let used = dense.filter(|(_, (previous, current))| previous + current > 0);
        used.map(|(i, (previous, current))| (dense_code(i), Pair { previous, current }))
            .chain(self.other)
            .map(|(code, pair)| (port_id(code), pair))
    }
}

/// One scan thread's share of [`TrafficSums`], by label index.
struct Sums {
    days: Vec<u64>,
    ports: PortSums,
    countries: Vec<Pair>,
    country_days: Vec<Vec<u64>>,
    tools: Vec<u64>,
}

impl Sums {
    fn new(cube: &Cube, days: usize) -> Sums {
        let countries = cube.countries.names.len();
        Sums {
            days: vec![0; days],
            ports: PortSums::new(),
            countries: vec![Pair::default(); countries],
            country_days: vec![vec![0; days]; countries],
            tools: vec![0; cube.tools.names.len()],
        }
    }

    fn merge(mut self, other: Sums) -> Sums {
        add_all(&mut self.days, &other.days);
        self.ports.merge(other.ports);
        for (mine, theirs) in self.countries.iter_mut().zip(other.countries) {
            mine.merge(theirs);
        }
        for (mine, theirs) in self.country_days.iter_mut().zip(&other.country_days) {
            add_all(mine, theirs);
        }
        add_all(&mut self.tools, &other.tools);
        self
    }
}

fn add_all(into: &mut [u64], from: &[u64]) {
    into.iter_mut().zip(from).for_each(|(a, b)| *a += b);
}

/// The cube's [`TrafficSums`] over the span's days.
fn traffic_sums(cube: &Cube, days: &Days) -> TrafficSums {
    let table = HourTable::new(days.span, |hour| days.span.day_of_hour(hour));
    let backscatter = cube.kinds.code("backscatter");
    let first_current_day = days.first_current_day;
    let add_labels = |sums: &mut Sums, cells: &DayCells| {
        for cell in &cells.sums.labels {
            let Some(day) = table.of(i64::from(cell.hour) * 3600) else {
                continue;
            };
            let (n, current) = (cell.packets, day >= first_current_day);
            let country = usize::from(cell.country);
            sums.days[day] += n;
            sums.countries[country].add(current, n);
            if Some(cell.kind) != backscatter {
                sums.country_days[country][day] += n;
            }
            if current && cell.tool != 0 {
                sums.tools[usize::from(cell.tool)] += n;
            }
        }
    };
    // A UTC day wholly in one period adds its ports' sums; a day cut by the span's start or
    // end or by the period's start adds its cells, hour by hour.
    let add_ports = |sums: &mut Sums, cells: &DayCells| {
        let period_of = |secs: i64| table.of(secs).map(|day| day >= first_current_day);
        let midnight = cells.day * 86_400;
        match (period_of(midnight), period_of(midnight + 23 * 3600)) {
            (Some(first), Some(last)) if first == last => {
                let ports = cells.sums.ports.iter().zip(&cells.sums.port_packets);
                for (code, n) in ports.filter(|(code, _)| **code & NO_PORT == 0) {
                    sums.ports.add(*code, first, *n);
                }
            }
            _ => {
                for i in (0..cells.packets.len()).filter(|i| cells.port[*i] & NO_PORT == 0) {
                    if let Some(current) = period_of(cells.hour_secs(i)) {
                        sums.ports.add(cells.port[i], current, cells.packets[i]);
                    }
                }
            }
        }
    };
    let span = (days.span.utc_start_secs(), days.span.utc_end_secs());
    let add = |sums: &mut Sums, cells: &DayCells| {
        add_labels(sums, cells);
        add_ports(sums, cells);
    };
    let [mine, theirs] = cube.scan_days(span, || Sums::new(cube, days.span.len()), add);
    let sums = mine.merge(theirs);
    let tool_name = |tool: u16| cube.tools.names[usize::from(tool)].clone();
    TrafficSums {
        ports: sums.ports.into_ports().collect(),
        countries: labelled(&cube.countries, sums.countries.into_iter(), |p| {
            p.previous + p.current > 0
        })
        .collect(),
        days: sums.days,
        country_days: labelled(&cube.countries, sums.country_days.into_iter(), |d| {
            d.iter().any(|n| *n > 0)
        })
        .collect(),
        tools: sums
            .tools
            .into_iter()
            .enumerate()
            .filter_map(|(tool, n)| Some((tool_name(tool as u16)?, n)).filter(|_| n > 0))
            .collect(),
    }
}

/// Values by country index, named (`??` for unknown), those that `keep` keeps.
fn labelled<'a, V: 'a>(
    countries: &'a Labels,
    values: impl Iterator<Item = V> + 'a,
    keep: impl Fn(&V) -> bool + 'a,
) -> impl Iterator<Item = (String, V)> + 'a {
    values
        .enumerate()
        .filter(move |(_, v)| keep(v))
        .map(|(i, v)| {
            let name = countries.names[i].as_deref().unwrap_or(UNKNOWN_COUNTRY);
            (name.to_owned(), v)
        })
}

fn port_id(code: u32) -> PortId {
    ((code >> 16) as u8, code as u16)
}

/// One scan thread's share of [`WatchedPorts`], by watched port's index and label index:
/// `countries[port * countries + country]` (empty until the first cell), and
/// `tools[port * tools + tool]`.
struct Watched {
    countries: Vec<Vec<u64>>,
    tools: Vec<u64>,
}

impl Watched {
    fn new(cube: &Cube, ports: usize) -> Watched {
        Watched {
            countries: vec![Vec::new(); ports * cube.countries.names.len()],
            tools: vec![0; ports * cube.tools.names.len()],
        }
    }

    fn merge(mut self, other: Watched) -> Watched {
        for (mine, theirs) in self.countries.iter_mut().zip(other.countries) {
            match mine.is_empty() {
                true => *mine = theirs,
                false => add_all(mine, &theirs),
            }
        }
        add_all(&mut self.tools, &other.tools);
        self
    }
}

/// Daily packets of each of `ports` per source country, over the span's days, and their
/// packets per tool in the current period.
fn watched_ports(cube: &Cube, days: &Days, ports: &[PortId]) -> WatchedPorts {
    let codes: Vec<u32> = ports
        .iter()
        .map(|(protocol, port)| port_code(*protocol, Some(*port)))
        .collect();
    let table = HourTable::new(days.span, |hour| days.span.day_of_hour(hour));
    let span = (days.span.utc_start_secs(), days.span.utc_end_secs());
    let len = days.span.len();
    let (countries, tools) = (cube.countries.names.len(), cube.tools.names.len());
    // A port's cells of a day are one run, found by binary search.
    let add = |sums: &mut Watched, cells: &DayCells| {
        for (slot, code) in codes.iter().enumerate() {
            for i in cells.port_cells(*code) {
                let Some(day) = table.of(cells.hour_secs(i)) else {
                    continue;
                };
                let n = cells.packets[i];
                let series = &mut sums.countries[slot * countries + usize::from(cells.country[i])];
                if series.is_empty() {
                    series.resize(len, 0);
                }
                series[day] += n;
                if day >= days.first_current_day {
                    sums.tools[slot * tools + usize::from(cells.tool[i])] += n;
                }
            }
        }
    };
    let [mine, theirs] = cube.scan_days(span, || Watched::new(cube, ports.len()), add);
    let sums = mine.merge(theirs);
    let mut found = WatchedPorts {
        countries: ports.iter().map(|p| (*p, BTreeMap::new())).collect(),
        tools: Default::default(),
    };
    for (index, series) in sums.countries.into_iter().enumerate() {
        if series.is_empty() {
            continue;
        }
        let (port, country) = (ports[index / countries], index % countries);
        let name = cube.countries.names[country].as_deref();
        let by_country = found.countries.get_mut(&port).expect("a watched port");
        by_country.insert(name.unwrap_or(UNKNOWN_COUNTRY).to_owned(), series);
    }
    for (index, n) in sums.tools.into_iter().enumerate() {
        if let (true, Some(name)) = (n > 0, &cube.tools.names[index % tools]) {
            found.tools.insert((name.clone(), ports[index / tools]), n);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dense_port_indices_are_one_to_one() {
        let dense = [(6, 0), (6, 65_535), (17, 53), (1, 8), (1, 255), (58, 128)];
        for (protocol, port) in dense {
            let code = port_code(protocol, Some(port));
            let index = dense_port(code).expect("dense");
            assert!(index < DENSE_PORTS);
            assert_eq!(dense_code(index), code, "{protocol}/{port}");
        }
        let sparse = [
            port_code(1, Some(256)),
            port_code(47, Some(5)),
            port_code(6, None),
        ];
        for code in sparse {
            assert_eq!(dense_port(code), None, "{code:#x}");
        }
    }
}
