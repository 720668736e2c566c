//! Sums over the `sources` rollup (packets per UTC day and source address), in one streamed
//! pass: exact distinct sources per period and per day, and each country's packets from
//! research scanners. Addresses are parsed once per row and hashed as addresses, and each
//! address is looked up in the scanner registry once, whatever the number of its days.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type, Int64Type};
use chrono::NaiveDate;
use hirundo_store::{AddressLookup, Reader};

use super::{Fast, Pair, ReportError};
use crate::period::Period;

/// Days since the epoch of a date (the rollup's `day` column is an Arrow Date32).
fn epoch_day(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

#[derive(Default)]
pub(super) struct SourceSums {
    /// Distinct sources in the previous and the current period.
    pub unique: Pair,
    /// Distinct sources per day of the current period.
    pub unique_days: Vec<u64>,
    /// Per country of the current period: packets, and packets per research-scanner name.
    pub countries: HashMap<String, (u64, BTreeMap<String, u64>)>,
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
        "SELECT day, src, src_country, CAST(packets AS BIGINT) FROM sources \
         WHERE day BETWEEN DATE '{}' AND DATE '{}'",
        previous.start, current.end
    );
    let mut previous_set: HashSet<IpAddr, Fast> = HashSet::default();
    let mut current_set: HashSet<IpAddr, Fast> = HashSet::default();
    let mut day_set: HashSet<(i32, IpAddr), Fast> = HashSet::default();
    let mut scanner_of: HashMap<IpAddr, Option<Arc<str>>, Fast> = HashMap::default();
    let mut sums = SourceSums::default();
    reader.for_each_batch(&sql, |batch: &RecordBatch| {
        let days = arrow::compute::cast(batch.column(0), &DataType::Int32)?;
        let days = days.as_primitive::<Int32Type>();
        let addresses = arrow::compute::cast(batch.column(1), &DataType::Utf8View)?;
        let addresses = addresses.as_string_view();
        let countries = arrow::compute::cast(batch.column(2), &DataType::Utf8View)?;
        let countries = countries.as_string_view();
        let packets = batch.column(3).as_primitive::<Int64Type>();
        for i in 0..batch.num_rows() {
            let day = days.value(i);
            let Ok(addr) = addresses.value(i).parse::<IpAddr>() else {
                continue;
            };
            if !(first..=last).contains(&day) {
                continue;
            }
            if day < boundary {
                previous_set.insert(addr);
                continue;
            }
            current_set.insert(addr);
            day_set.insert((day, addr));
            let country = if countries.is_valid(i) {
                countries.value(i)
            } else {
                "??"
            };
            let n = packets.value(i).max(0) as u64;
            let entry = match sums.countries.get_mut(country) {
                Some(entry) => entry,
                None => sums.countries.entry(country.to_owned()).or_default(),
            };
            entry.0 += n;
            let name = scanner_of.entry(addr).or_insert_with(|| scanners(addr));
            if let Some(name) = name {
                *entry.1.entry(name.to_string()).or_default() += n;
            }
        }
        Ok::<(), ReportError>(())
    })?;
    sums.unique = Pair {
        previous: previous_set.len() as u64,
        current: current_set.len() as u64,
    };
    let mut per_day = vec![0u64; current.len_days()];
    for (day, _) in day_set {
        if let Some(slot) = per_day.get_mut((day - boundary) as usize) {
            *slot += 1;
        }
    }
    sums.unique_days = per_day;
    Ok(sums)
}
