//! Sums over the `sources` rollup (packets per UTC day and source address), in one streamed
//! pass: exact distinct sources per period and per day, and each country's packets from
//! research scanners. Addresses are parsed once per row and given dense ids (so sets of them
//! are bit sets), and each address is looked up in the scanner registry once, whatever the
//! number of its days.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{Array, AsArray, Int32Array, Int64Array, RecordBatch, StringViewArray};
use arrow::datatypes::DataType;
use fixedbitset::FixedBitSet;
use hirundo_store::{AddressLookup, Reader};

use super::{Fast, Interner, Pair, ReportError};
use crate::period::{epoch_day, Period};

/// What the `sources` rollup gives a report.
#[derive(Default)]
pub struct SourceSums {
    /// Distinct sources in the previous and the current period.
    pub unique: Pair,
    /// Distinct sources per day of the current period.
    pub unique_days: Vec<u64>,
    /// Per country of the current period: packets, and packets per research-scanner name.
    pub countries: HashMap<String, (u64, BTreeMap<String, u64>)>,
}

/// The columns [`SourceRows`] reads, for a query of the `sources` rollup.
pub const SOURCE_COLUMNS: &str = "day, src, src_country, CAST(packets AS BIGINT)";

/// One batch of [`SOURCE_COLUMNS`], typed.
pub struct SourceRows {
    /// Days since the epoch.
    pub days: Int32Array,
    addresses: StringViewArray,
    countries: StringViewArray,
    packets: Int64Array,
}

impl SourceRows {
    pub fn of(batch: &RecordBatch) -> Result<SourceRows, arrow::error::ArrowError> {
        let column = |i: usize, to: &DataType| arrow::compute::cast(batch.column(i), to);
        Ok(SourceRows {
            days: column(0, &DataType::Int32)?.as_primitive().clone(),
            addresses: column(1, &DataType::Utf8View)?.as_string_view().clone(),
            countries: column(2, &DataType::Utf8View)?.as_string_view().clone(),
            packets: column(3, &DataType::Int64)?.as_primitive().clone(),
        })
    }

    /// The source address of row `i`, if it is one.
    pub fn address(&self, i: usize) -> Option<IpAddr> {
        self.addresses.value(i).parse().ok()
    }

    pub fn country(&self, i: usize) -> Option<&str> {
        self.countries.is_valid(i).then(|| self.countries.value(i))
    }

    pub fn packets(&self, i: usize) -> u64 {
        self.packets.value(i).max(0) as u64
    }
}

/// The pass over the UTC days of `previous` and `current` (the sources rollup is by UTC day).
pub(super) fn sum_sources(
    reader: &Reader,
    previous: &Period,
    current: &Period,
    scanners: &AddressLookup,
) -> Result<SourceSums, ReportError> {
    let (first, boundary, last) = (
        epoch_day(previous.start),
        epoch_day(current.start),
        epoch_day(current.end),
    );
    let sql = format!(
        "SELECT {SOURCE_COLUMNS} FROM sources WHERE day BETWEEN DATE '{}' AND DATE '{}'",
        previous.start, current.end
    );
    let mut addresses = Addresses::default();
    let mut previous_set = FixedBitSet::new();
    let mut current_set = FixedBitSet::new();
    let mut day_sets: Vec<FixedBitSet> = (0..current.len_days())
        .map(|_| FixedBitSet::new())
        .collect();
    let mut countries = Interner::default();
    let mut country_sums: Vec<(u64, BTreeMap<String, u64>)> = Vec::new();
    reader.for_each_batch(&sql, |batch: &RecordBatch| {
        let rows = SourceRows::of(batch)?;
        for i in 0..batch.num_rows() {
            let day = rows.days.value(i);
            if !(first..=last).contains(&day) {
                continue;
            }
            let Some(addr) = rows.address(i) else {
                continue;
            };
            let id = addresses.id(addr, scanners);
            if day < boundary {
                previous_set.grow_and_insert(id as usize);
                continue;
            }
            current_set.grow_and_insert(id as usize);
            day_sets[(day - boundary) as usize].grow_and_insert(id as usize);
            let country = countries.index(rows.country(i).unwrap_or("??"));
            if country == country_sums.len() {
                country_sums.push(Default::default());
            }
            let n = rows.packets(i);
            let sums = &mut country_sums[country];
            sums.0 += n;
            if let Some(name) = &addresses.scanner[id as usize] {
                match sums.1.get_mut(name.as_ref()) {
                    Some(sum) => *sum += n,
                    None => {
                        sums.1.insert(name.to_string(), n);
                    }
                }
            }
        }
        Ok::<(), ReportError>(())
    })?;
    Ok(SourceSums {
        unique: Pair {
            previous: previous_set.count_ones(..) as u64,
            current: current_set.count_ones(..) as u64,
        },
        unique_days: day_sets.iter().map(|s| s.count_ones(..) as u64).collect(),
        countries: countries.names.into_iter().zip(country_sums).collect(),
    })
}

/// Dense ids of the source addresses met, each one's research-scanner name looked up once:
/// a row then costs one look-up in a map of distinct addresses and a few bit sets, instead
/// of inserts into sets of addresses and of (day, address) pairs, which were most of the
/// report's time.
#[derive(Default)]
struct Addresses {
    ids: HashMap<IpAddr, u32, Fast>,
    scanner: Vec<Option<Arc<str>>>,
}

impl Addresses {
    fn id(&mut self, addr: IpAddr, scanners: &AddressLookup) -> u32 {
        if let Some(&id) = self.ids.get(&addr) {
            return id;
        }
        let id = self.scanner.len() as u32;
        self.scanner.push(scanners(addr));
        self.ids.insert(addr, id);
        id
    }
}
