//! Sums over the `traffic` rollup, in one streamed pass each: a quarter over 100 million
//! packets is tens of millions of rollup rows, and one pass that feeds every sum costs a
//! fraction of one SQL aggregation per sum (each would re-read and re-hash every row).

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, AsArray, Int64Array, RecordBatch, StringViewArray};
use arrow::datatypes::{DataType, Int64Type};
use hirundo_store::Reader;

use super::{Fast, Interner, Pair, PortId, ReportError};
use crate::period::LocalDays;

/// The rollup's columns, as the passes read them.
const COLUMNS: &str = "CAST(hour AS BIGINT), CAST(protocol AS BIGINT), CAST(port AS BIGINT), \
    src_country, tool, traffic_kind, CAST(packets AS BIGINT)";

/// Where the days of a pass lie: local days of the span (the previous period and the
/// period), the period from `first_current_day`.
pub struct Days<'a> {
    pub span: &'a LocalDays,
    pub first_current_day: usize,
}

impl Days<'_> {
    /// SQL condition selecting the rollup rows of the span's hours.
    fn in_span(&self) -> String {
        let hour = "CAST(hour AS BIGINT)";
        let (start, end) = (self.span.utc_start_secs(), self.span.utc_end_secs());
        format!("{hour} >= {start} AND {hour} < {end}")
    }
}

/// Every sum of the `traffic` rollup that the rankings, series and fingerprints need.
#[derive(Default)]
pub struct TrafficSums {
    /// Packets per port (or ICMP type), previous and current period.
    pub ports: HashMap<PortId, Pair, Fast>,
    /// Packets per source country (`??` unknown), previous and current period.
    pub countries: HashMap<String, Pair, Fast>,
    /// Packets per day of the span.
    pub days: Vec<u64>,
    /// Probes per country and day of the span (backscatter left out: a DoS victim's replies
    /// are not its country's activity).
    pub country_days: HashMap<String, Vec<u64>, Fast>,
    /// Packets per tool in the current period.
    pub tools: BTreeMap<String, u64>,
}

/// Packets per day of the span, per watched port and source country.
pub type PortCountryDays = HashMap<PortId, BTreeMap<String, Vec<u64>>>;

/// What the second pass gives: the watched ports in detail.
#[derive(Default)]
pub struct WatchedPorts {
    /// Every watched port, with its countries' daily packets.
    pub countries: PortCountryDays,
    /// Packets per tool and watched port in the current period.
    pub tools: HashMap<(String, PortId), u64, Fast>,
}

/// The first pass: every sum the rankings, series and fingerprints need.
pub(super) fn sum_traffic(reader: &Reader, days: &Days) -> Result<TrafficSums, ReportError> {
    let mut pass = Pass {
        days: vec![0; days.span.len()],
        ..Pass::default()
    };
    let sql = format!("SELECT {COLUMNS} FROM traffic WHERE {}", days.in_span());
    reader.for_each_batch(&sql, |batch| {
        let rows = Rows::of(batch)?;
        for i in 0..batch.num_rows() {
            let Some(day) = days.span.day_of_hour(rows.hour(i)) else {
                continue;
            };
            pass.add(&rows, i, day, day >= days.first_current_day);
        }
        Ok::<(), ReportError>(())
    })?;
    Ok(pass.finish())
}

/// The first pass's sums while it runs: countries and tools by dense index, so that a row
/// costs one short hash per label instead of a string-keyed map look-up per sum.
#[derive(Default)]
struct Pass {
    countries: Interner,
    tools: Interner,
    days: Vec<u64>,
    ports: HashMap<PortId, Pair, Fast>,
    country_pairs: Vec<Pair>,
    country_days: Vec<Vec<u64>>,
    tool_packets: Vec<u64>,
}

impl Pass {
    fn add(&mut self, rows: &Rows, i: usize, day: usize, current: bool) {
        let n = rows.packets.value(i).max(0) as u64;
        self.days[day] += n;
        let country = self.countries.index(rows.country(i));
        if country == self.country_pairs.len() {
            self.country_pairs.push(Pair::default());
            self.country_days.push(vec![0; self.days.len()]);
        }
        self.country_pairs[country].add(current, n);
        let port = rows.port(i);
        if let Some(port) = port {
            self.ports.entry(port).or_default().add(current, n);
        }
        if rows.text(&rows.kinds, i) != Some("backscatter") {
            self.country_days[country][day] += n;
        }
        if let (true, Some(tool)) = (current, rows.text(&rows.tools, i)) {
            let tool = self.tools.index(tool);
            if tool == self.tool_packets.len() {
                self.tool_packets.push(0);
            }
            self.tool_packets[tool] += n;
        }
    }

    fn finish(self) -> TrafficSums {
        let countries = &self.countries.names;
        let tools = &self.tools.names;
        TrafficSums {
            ports: self.ports,
            countries: countries.iter().cloned().zip(self.country_pairs).collect(),
            days: self.days,
            country_days: countries.iter().cloned().zip(self.country_days).collect(),
            tools: tools.iter().cloned().zip(self.tool_packets).collect(),
        }
    }
}

/// The second pass: daily packets of the `ports` per source country, and their packets
/// per tool in the current period.
pub(super) fn watched_ports(
    reader: &Reader,
    days: &Days,
    ports: &[PortId],
) -> Result<WatchedPorts, ReportError> {
    let mut found = WatchedPorts {
        countries: ports.iter().map(|p| (*p, BTreeMap::new())).collect(),
        tools: HashMap::default(),
    };
    if ports.is_empty() {
        return Ok(found);
    }
    let ids: Vec<String> = ports
        .iter()
        .map(|(proto, port)| (u32::from(*proto) << 16 | u32::from(*port)).to_string())
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM traffic WHERE {} AND \
         CAST(protocol AS BIGINT) * 65536 + CAST(port AS BIGINT) IN ({})",
        days.in_span(),
        ids.join(",")
    );
    let len = days.span.len();
    reader.for_each_batch(&sql, |batch| {
        let rows = Rows::of(batch)?;
        for i in 0..batch.num_rows() {
            let (Some(day), Some(port)) = (days.span.day_of_hour(rows.hour(i)), rows.port(i))
            else {
                continue;
            };
            let Some(countries) = found.countries.get_mut(&port) else {
                continue;
            };
            let n = rows.packets.value(i).max(0) as u64;
            let series = entry_with(countries, rows.country(i), || vec![0; len]);
            series[day] += n;
            let tool = rows.text(&rows.tools, i);
            if let (true, Some(tool)) = (day >= days.first_current_day, tool) {
                *found.tools.entry((tool.to_owned(), port)).or_default() += n;
            }
        }
        Ok::<(), ReportError>(())
    })?;
    Ok(found)
}

/// Daily packets of a port: the sum over its countries.
pub(super) fn port_days(by_country: &BTreeMap<String, Vec<u64>>, len: usize) -> Vec<u64> {
    let mut days = vec![0; len];
    for series in by_country.values() {
        for (sum, n) in days.iter_mut().zip(series) {
            *sum += n;
        }
    }
    days
}

/// One batch of [`COLUMNS`], typed.
struct Rows {
    hours: Int64Array,
    protocols: Int64Array,
    ports: Int64Array,
    countries: StringViewArray,
    tools: StringViewArray,
    kinds: StringViewArray,
    packets: Int64Array,
}

impl Rows {
    fn of(batch: &RecordBatch) -> Result<Rows, ReportError> {
        let int = |i: usize| -> Result<Int64Array, ReportError> {
            let column = arrow::compute::cast(batch.column(i), &DataType::Int64)?;
            Ok(column.as_primitive::<Int64Type>().clone())
        };
        // DataFusion reads Parquet strings as views: asking for views copies nothing.
        let text = |i: usize| -> Result<StringViewArray, ReportError> {
            let column = arrow::compute::cast(batch.column(i), &DataType::Utf8View)?;
            Ok(column.as_string_view().clone())
        };
        Ok(Rows {
            hours: int(0)?,
            protocols: int(1)?,
            ports: int(2)?,
            countries: text(3)?,
            tools: text(4)?,
            kinds: text(5)?,
            packets: int(6)?,
        })
    }

    /// Hours since the epoch.
    fn hour(&self, i: usize) -> i64 {
        self.hours.value(i).div_euclid(3600)
    }

    fn port(&self, i: usize) -> Option<PortId> {
        let port = self.ports.is_valid(i).then(|| self.ports.value(i))?;
        Some((self.protocols.value(i) as u8, port as u16))
    }

    fn country(&self, i: usize) -> &str {
        self.text(&self.countries, i).unwrap_or("??")
    }

    fn text<'a>(&self, column: &'a StringViewArray, i: usize) -> Option<&'a str> {
        column.is_valid(i).then(|| column.value(i))
    }
}

/// The value of `key`, inserted if missing, without allocating a key for every row.
fn entry_with<'m, V>(
    map: &'m mut BTreeMap<String, V>,
    key: &str,
    new: impl FnOnce() -> V,
) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_owned(), new());
    }
    map.get_mut(key).expect("just inserted")
}
