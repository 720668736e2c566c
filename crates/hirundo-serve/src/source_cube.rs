//! The `sources` rollup (packets per UTC day, sensor, source address and country) and the
//! `backscatter` rollup held in memory, for the report's sums of unique sources, research
//! scanners and DoS victims. Addresses get dense ids, so that a set of them is a bit set;
//! each day keeps its distinct addresses and its packets per country and research scanner,
//! summed at load (each address's research-scanner name is looked up once).

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::RecordBatch;
use fixedbitset::FixedBitSet;
use hirundo_analyze::gather::rollups::{
    Pair, Rollups, SourceRows, SourceSums, SqlRollups, SOURCE_COLUMNS,
};
use hirundo_analyze::period::{epoch_day, Period};
use hirundo_analyze::victims::BackscatterSample;
use hirundo_store::{AddressLookup, Store};

use crate::cube::Labels;
use crate::dimension::UNKNOWN_COUNTRY;
use crate::error::ApiError;

type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// One UTC day: while loading, its rows; then its distinct addresses and its sums.
#[derive(Default)]
struct SourceDay {
    /// Address ids: while loading, of each row (an address is on several rows when several
    /// sensors saw it); then the day's distinct ones, in order.
    address: Vec<u32>,
    /// Of each row while loading.
    country: Vec<u16>,
    packets: Vec<u64>,
    /// Packets per country.
    countries: Vec<(u16, u64)>,
    /// Packets per country and research-scanner name.
    scanners: Vec<((u16, u16), u64)>,
}

impl SourceDay {
    /// Sums the loaded rows and keeps only the distinct addresses: about a tenth of the
    /// memory of the rows.
    fn finish(&mut self, scanner_of: &[u16]) {
        let mut countries: FastMap<u16, u64> = FastMap::default();
        let mut scanners: FastMap<(u16, u16), u64> = FastMap::default();
        for ((id, country), n) in self.address.iter().zip(&self.country).zip(&self.packets) {
            *countries.entry(*country).or_default() += n;
            let scanner = scanner_of[*id as usize];
            if scanner != 0 {
                *scanners.entry((*country, scanner)).or_default() += n;
            }
        }
        self.countries = countries.into_iter().collect();
        self.scanners = scanners.into_iter().collect();
        self.address.sort_unstable();
        self.address.dedup();
        self.address.shrink_to_fit();
        (self.country, self.packets) = (Vec::new(), Vec::new());
    }
}

#[derive(Default)]
pub struct SourceCube {
    /// Days since the epoch.
    days: BTreeMap<i32, SourceDay>,
    ids: FastMap<IpAddr, u32>,
    /// By address id: the country of its first row, and its research-scanner name's index
    /// in `scanner_names` (0: none).
    country_of: Vec<u16>,
    scanner_of: Vec<u16>,
    scanner_names: Vec<Arc<str>>,
    countries: Labels,
    /// Sorted by second.
    backscatter: Vec<BackscatterSample>,
}

impl SourceCube {
    /// Reads the whole `sources` and `backscatter` rollups of `store`, with the addresses of
    /// research scanners named by `scanners`.
    pub fn load(store: &Store, scanners: &AddressLookup) -> Result<SourceCube, ApiError> {
        let started = std::time::Instant::now();
        let mut cube = SourceCube {
            scanner_names: vec![Arc::from("")],
            ..SourceCube::default()
        };
        let reader = store.reader(None)?;
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM sources");
        reader.for_each_batch(&sql, |batch| cube.add(batch, scanners))?;
        let scanner_of = &cube.scanner_of;
        cube.days
            .values_mut()
            .for_each(|day| day.finish(scanner_of));
        let sql = SqlRollups {
            reader: &reader,
            scanners: scanners.clone(),
        };
        cube.backscatter = sql.backscatter(i64::MIN, i64::MAX)?;
        cube.backscatter.sort_unstable_by_key(|s| s.second);
        tracing::info!(
            distinct_per_day = cube.days.values().map(|d| d.address.len()).sum::<usize>(),
            addresses = cube.ids.len(),
            backscatter = cube.backscatter.len(),
            seconds = started.elapsed().as_secs_f64(),
            "source cube loaded"
        );
        Ok(cube)
    }

    fn add(&mut self, batch: &RecordBatch, scanners: &AddressLookup) -> Result<(), ApiError> {
        let rows = SourceRows::of(batch)?;
        for i in 0..batch.num_rows() {
            let Some(addr) = rows.address(i) else {
                continue;
            };
            let country = self.countries.intern(rows.country(i))?;
            let id = self.id(addr, country, scanners)?;
            let day = self.days.entry(rows.days.value(i)).or_default();
            day.address.push(id);
            day.country.push(country);
            day.packets.push(rows.packets(i));
        }
        Ok(())
    }

    fn id(
        &mut self,
        addr: IpAddr,
        country: u16,
        scanners: &AddressLookup,
    ) -> Result<u32, ApiError> {
        if let Some(&id) = self.ids.get(&addr) {
            return Ok(id);
        }
        let id = self.country_of.len() as u32;
        self.ids.insert(addr, id);
        self.country_of.push(country);
        let scanner = match scanners(addr) {
            None => 0,
            Some(name) => match self.scanner_names.iter().position(|n| *n == name) {
                Some(index) => index,
                None => {
                    self.scanner_names.push(name);
                    self.scanner_names.len() - 1
                }
            },
        };
        let scanner = u16::try_from(scanner)
            .map_err(|_| ApiError::Internal("more than 65,535 research scanners".into()))?;
        self.scanner_of.push(scanner);
        Ok(id)
    }

    /// Distinct sources of both periods and per day of `current`, and each country's
    /// packets, from research scanners and in all, in `current`. The previous period's set
    /// is made on a second thread.
    pub fn sums(&self, previous: &Period, current: &Period) -> SourceSums {
        let end = epoch_day(current.end) + 1;
        let boundary = epoch_day(current.start);
        let ids = self.country_of.len();
        let distinct = |days: std::ops::Range<i32>| {
            let mut set = FixedBitSet::with_capacity(ids);
            for day in self.days.range(days).map(|(_, d)| d) {
                day.address.iter().for_each(|id| set.insert(*id as usize));
            }
            set.count_ones(..) as u64
        };
        let (previous_unique, current_unique, countries) = std::thread::scope(|scope| {
            let before = scope.spawn(|| distinct(epoch_day(previous.start)..boundary));
            let now = distinct(boundary..end);
            let countries = self.country_sums(boundary..end);
            let before = before.join().expect("source count thread");
            (before, now, countries)
        });
        let mut unique_days = vec![0; current.len_days()];
        for (day, sums) in self.days.range(boundary..end) {
            unique_days[(day - boundary) as usize] = sums.address.len() as u64;
        }
        SourceSums {
            unique: Pair {
                previous: previous_unique,
                current: current_unique,
            },
            unique_days,
            countries,
        }
    }

    /// Per country: packets, and packets per research-scanner name.
    fn country_sums(
        &self,
        days: std::ops::Range<i32>,
    ) -> HashMap<String, (u64, BTreeMap<String, u64>)> {
        let mut packets = vec![0u64; self.countries.names.len()];
        let mut scanners: FastMap<(u16, u16), u64> = FastMap::default();
        for day in self.days.range(days).map(|(_, d)| d) {
            for (country, n) in &day.countries {
                packets[usize::from(*country)] += n;
            }
            for (key, n) in &day.scanners {
                *scanners.entry(*key).or_default() += n;
            }
        }
        let name = |country: usize| {
            let name = self.countries.names[country].as_deref();
            name.unwrap_or(UNKNOWN_COUNTRY).to_owned()
        };
        let mut sums: HashMap<String, (u64, BTreeMap<String, u64>)> = packets
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(country, n)| (name(country), (*n, BTreeMap::new())))
            .collect();
        for ((country, scanner), n) in scanners {
            let names = &mut sums
                .get_mut(&name(usize::from(country)))
                .expect("counted")
                .1;
            names.insert(self.scanner_names[usize::from(scanner)].to_string(), n);
        }
        sums
    }

    /// Backscatter samples in `[start, end)` (Unix seconds).
    pub fn backscatter(&self, start: i64, end: i64) -> Vec<BackscatterSample> {
        let from = self.backscatter.partition_point(|s| s.second < start);
        let to = self.backscatter.partition_point(|s| s.second < end);
        self.backscatter[from..to.max(from)].to_vec()
    }

    /// The stored country of each of `addrs` that has one.
    pub fn countries_of(&self, addrs: &[&str]) -> HashMap<String, String> {
        addrs
            .iter()
            .filter_map(|a| {
                let id = self.ids.get(&a.parse::<IpAddr>().ok()?)?;
                let country =
                    self.countries.names[usize::from(self.country_of[*id as usize])].clone()?;
                Some((a.to_string(), country))
            })
            .collect()
    }
}
