//! Series and rankings of packets (the `traffic` rollup, UTC hours, scanned in memory from
//! the [`Cube`](crate::cube::Cube)) and of unique sources (the `sources` rollup, UTC days,
//! counted by SQL): this module cuts them into the request's local hours, days or weeks.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate};
use hirundo_analyze::period::LocalDays;
use hirundo_analyze::rank::rank;
use hirundo_report::Lang;
use hirundo_store::Reader;
use serde::Serialize;
use utoipa::ToSchema;

use crate::dimension::{ints, Dimension};
use crate::error::ApiError;
use crate::params::{Filters, Range};
use crate::state::ServeState;

/// The hasher of the per-request maps of key codes (std's SipHash costs more than the scan).
type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// The buckets of whole hours from `first` (hours since the epoch).
pub struct HourTable {
    first: i64,
    buckets: Vec<u32>,
}

impl HourTable {
    /// The bucket of every whole hour of `days` from the one holding their start (which is
    /// not on the hour in zones like Asia/Kolkata), `bucket` being given hours since the epoch.
    pub fn new(days: &LocalDays, bucket: impl Fn(i64) -> Option<usize>) -> HourTable {
        let first = days.utc_start_secs().div_euclid(3600);
        let end = (days.utc_end_secs() + 3599).div_euclid(3600);
        let buckets = (first..end)
            .map(|hour| bucket(hour).map_or(NO_BUCKET, |b| b as u32))
            .collect();
        HourTable { first, buckets }
    }

    /// The bucket of the hour starting at Unix second `secs`, if it has one.
    pub fn of(&self, secs: i64) -> Option<usize> {
        let index = usize::try_from(secs.div_euclid(3600) - self.first).ok()?;
        let bucket = *self.buckets.get(index)?;
        (bucket != NO_BUCKET).then_some(bucket as usize)
    }
}

/// An hour outside every bucket.
const NO_BUCKET: u32 = u32::MAX;

/// Hour series are limited to this many days (2,208 buckets).
const MAX_HOUR_DAYS: usize = 92;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    Packets,
    Sources,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::Packets => "packets",
            Metric::Sources => "sources",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    Hour,
    Day,
    Week,
}

impl Resolution {
    pub fn name(self) -> &'static str {
        match self {
            Resolution::Hour => "hour",
            Resolution::Day => "day",
            Resolution::Week => "week",
        }
    }
}

/// What a series or ranking request asks for, checked.
pub struct Question {
    pub range: Range,
    pub by: Dimension,
    pub metric: Metric,
    pub filters: Filters,
    pub lang: Lang,
}

impl Question {
    /// Refuses what the `sources` rollup cannot answer.
    pub fn check_sources(&self) -> Result<(), ApiError> {
        if self.metric != Metric::Sources {
            return Ok(());
        }
        if !self.by.in_sources() {
            let why = "unique sources are counted by total, country or sensor only";
            return Err(ApiError::parameter("by", self.by.name(), why));
        }
        if let Some(filter) = self.filters.beyond_sources() {
            let why =
                "unique sources are kept per country and sensor only, not per port, tool or kind";
            return Err(ApiError::BadRequest(format!(
                "{filter} with metric=sources: {why}"
            )));
        }
        Ok(())
    }

    fn group_columns(&self) -> String {
        self.by.columns().iter().map(|c| format!(", {c}")).collect()
    }

    /// The reader of the UTC days from the start of `first` to the end of the question's range.
    fn reader(&self, state: &ServeState, first: &Range) -> Result<Reader, ApiError> {
        let first_day = utc_day(first.days.utc_start_secs());
        let last_day = utc_day(self.range.days.utc_end_secs() - 1);
        Ok(state.store.reader(Some((&first_day, &last_day)))?)
    }
}

/// One series of a [`SeriesAnswer`].
#[derive(Serialize, ToSchema)]
pub struct SeriesEntry {
    pub key: String,
    pub label: String,
    pub values: Vec<u64>,
    /// The sum of `values`.
    pub total: u64,
}

/// `GET /api/v1/series`.
#[derive(Serialize, ToSchema)]
pub struct SeriesAnswer {
    pub by: String,
    pub metric: String,
    pub resolution: String,
    pub from: String,
    pub to: String,
    pub tz: String,
    /// Start of each bucket: `YYYY-MM-DD` for days and weeks (the Monday), local
    /// `YYYY-MM-DDTHH:MM+HH:MM` for hours.
    pub buckets: Vec<String>,
    pub series: Vec<SeriesEntry>,
}

/// The local buckets of a range.
struct Buckets {
    resolution: Resolution,
    labels: Vec<String>,
}

impl Buckets {
    fn new(range: &Range, resolution: Resolution) -> Result<Buckets, ApiError> {
        let labels = match resolution {
            Resolution::Day => range
                .first
                .iter_days()
                .take(range.len())
                .map(|d| d.to_string())
                .collect(),
            Resolution::Week => {
                let (first, last) = (Range::monday(range.first), Range::monday(range.last));
                first
                    .iter_weeks()
                    .take_while(|w| *w <= last)
                    .map(|d| d.to_string())
                    .collect()
            }
            Resolution::Hour => hour_labels(range)?,
        };
        Ok(Buckets { resolution, labels })
    }

    /// The bucket (or [`NO_BUCKET`]) of every hour of the range: a table, since scans ask
    /// for millions of hours. Index it with [`HourTable::of`].
    fn of_hours(&self, range: &Range) -> HourTable {
        HourTable::new(&range.days, |hour| self.of_hour(range, hour * 3600))
    }

    /// The bucket of the hour starting at Unix second `secs`.
    fn of_hour(&self, range: &Range, secs: i64) -> Option<usize> {
        match self.resolution {
            Resolution::Hour => {
                let start = range.days.utc_start_secs();
                (secs >= start && secs < range.days.utc_end_secs())
                    .then(|| ((secs - start) / 3600) as usize)
            }
            _ => self.of_date(
                range,
                range
                    .days
                    .date(range.days.day_of_hour(secs.div_euclid(3600))?)?,
            ),
        }
    }

    /// The bucket of local (or, for sources, UTC) day `date`.
    fn of_date(&self, range: &Range, date: NaiveDate) -> Option<usize> {
        if date < range.first || date > range.last {
            return None;
        }
        match self.resolution {
            Resolution::Week => {
                Some(((Range::monday(date) - Range::monday(range.first)).num_days() / 7) as usize)
            }
            _ => Some((date - range.first).num_days() as usize),
        }
    }
}

fn hour_labels(range: &Range) -> Result<Vec<String>, ApiError> {
    if range.len() > MAX_HOUR_DAYS {
        let why = format!("hour series are limited to {MAX_HOUR_DAYS} days");
        return Err(ApiError::parameter("resolution", "hour", why));
    }
    if !range.days.hour_aligned() {
        let why = "its midnights are not whole UTC hours, which the hourly rollup cannot cut";
        return Err(ApiError::parameter("tz", range.tz.name(), why));
    }
    let (start, end) = (range.days.utc_start_secs(), range.days.utc_end_secs());
    Ok((start..end)
        .step_by(3600)
        .map(|secs| {
            let utc = DateTime::from_timestamp(secs, 0).unwrap_or_default();
            utc.with_timezone(&range.tz)
                .format("%Y-%m-%dT%H:%M%:z")
                .to_string()
        })
        .collect())
}

/// The series of `keys` (or of the top `n` keys by their sums) at `resolution`.
pub fn series(
    state: &ServeState,
    question: &Question,
    resolution: Resolution,
    keys: Option<Vec<String>>,
    n: usize,
) -> Result<SeriesAnswer, ApiError> {
    let range = &question.range;
    let buckets = Buckets::new(range, resolution)?;
    if question.metric == Metric::Sources && resolution == Resolution::Hour {
        let why = "unique sources are kept per UTC day";
        return Err(ApiError::parameter("resolution", "hour", why));
    }
    let mut values: HashMap<String, Vec<u64>> = HashMap::new();
    match question.metric {
        Metric::Packets => values = packet_series(state, question, &buckets, keys.as_deref(), n)?,
        Metric::Sources => {
            let reader = question.reader(state, range)?;
            let columns = question.group_columns();
            let bucket = match resolution {
                Resolution::Week => format!("{EPOCH_DAY} - (({EPOCH_DAY} + 3) % 7)"),
                _ => EPOCH_DAY.to_owned(),
            };
            let sql = format!(
                "SELECT {bucket}{columns}, CAST(COUNT(DISTINCT src) AS BIGINT) FROM sources \
                 WHERE {} AND {} GROUP BY {bucket}{columns}",
                in_days(range.first, range.last),
                question.filters.sql()
            );
            for_each_row(&reader, &sql, question.by, |lead, key, value| {
                // A week bucket's Monday may lie before the range: count it in the first week.
                let date = epoch_date(lead).max(range.first);
                if let Some(b) = buckets.of_date(range, date) {
                    values
                        .entry(key.to_owned())
                        .or_insert_with(|| vec![0; buckets.labels.len()])[b] += value[0] as u64;
                }
            })?;
        }
    }
    let chosen = match keys {
        Some(keys) => keys,
        None => {
            let sums = values.iter().map(|(k, v)| (k.clone(), v.iter().sum()));
            top_keys(sums, n)
        }
    };
    let series = chosen
        .into_iter()
        .map(|key| {
            let values = values
                .remove(&key)
                .unwrap_or_else(|| vec![0; buckets.labels.len()]);
            SeriesEntry {
                label: question.by.label(&key, question.lang),
                total: values.iter().sum(),
                key,
                values,
            }
        })
        .collect();
    Ok(SeriesAnswer {
        by: question.by.name().into(),
        metric: question.metric.name().into(),
        resolution: resolution.name().into(),
        from: range.first.to_string(),
        to: range.last.to_string(),
        tz: range.tz.name().into(),
        buckets: buckets.labels,
        series,
    })
}

/// Packets per bucket of `keys` (or of the top `n` keys), from the cube: a first scan sums
/// every key when the top ones are asked for (a port ranking has tens of thousands of keys),
/// the second fills the buckets of the chosen few.
fn packet_series(
    state: &ServeState,
    question: &Question,
    buckets: &Buckets,
    keys: Option<&[String]>,
    n: usize,
) -> Result<HashMap<String, Vec<u64>>, ApiError> {
    let (cube, range, by) = (state.cube()?, &question.range, question.by);
    let span = (range.days.utc_start_secs(), range.days.utc_end_secs());
    let selection = cube.select(&question.filters);
    let chosen: Vec<(String, Option<u32>)> = match keys {
        Some(keys) => keys
            .iter()
            .map(|k| (k.clone(), cube.code_of(by, k)))
            .collect(),
        None => {
            let [mut totals, other] = cube.scan(span, by, &selection, FastMap::default, add_to);
            merge(&mut totals, other);
            let named = totals
                .into_iter()
                .map(|(code, total)| ((cube.key_name(by, code), Some(code)), total));
            top_keys(named, n)
        }
    };
    let slots: FastMap<u32, usize> = chosen
        .iter()
        .enumerate()
        .filter_map(|(i, (_, code))| Some(((*code)?, i)))
        .collect();
    let hour_buckets = buckets.of_hours(range);
    let empty = || vec![vec![0u64; buckets.labels.len()]; chosen.len()];
    let fill = |values: &mut Vec<Vec<u64>>, hour: i64, key: u32, packets: u64| {
        if let (Some(slot), Some(bucket)) = (slots.get(&key), hour_buckets.of(hour)) {
            values[*slot][bucket] += packets;
        }
    };
    let [mut values, other] = cube.scan(span, by, &selection, empty, fill);
    for (mine, theirs) in values.iter_mut().zip(other) {
        mine.iter_mut().zip(theirs).for_each(|(a, b)| *a += b);
    }
    Ok(chosen.into_iter().map(|(k, _)| k).zip(values).collect())
}

/// Adds a cell's packets to its key's sum.
fn add_to(sums: &mut FastMap<u32, u64>, _hour: i64, key: u32, packets: u64) {
    *sums.entry(key).or_default() += packets;
}

fn merge(into: &mut FastMap<u32, u64>, other: FastMap<u32, u64>) {
    for (key, n) in other {
        *into.entry(key).or_default() += n;
    }
}

/// The `n` keys with the largest sums, ties by key.
fn top_keys<K: Ord>(sums: impl Iterator<Item = (K, u64)>, n: usize) -> Vec<K> {
    let mut sums: Vec<(K, u64)> = sums.collect();
    sums.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    sums.into_iter().take(n).map(|(k, _)| k).collect()
}

/// One row of a [`TopAnswer`].
#[derive(Serialize, ToSchema)]
pub struct TopRow {
    pub key: String,
    pub label: String,
    pub value: u64,
    /// `value` over the range's total.
    pub share: f64,
    pub rank: u32,
    /// Rank in the previous range, null if the key had nothing then.
    pub previous_rank: Option<u32>,
    pub previous_value: u64,
}

/// `GET /api/v1/top`.
#[derive(Serialize, ToSchema)]
pub struct TopAnswer {
    pub by: String,
    pub metric: String,
    pub from: String,
    pub to: String,
    pub previous_from: String,
    pub previous_to: String,
    /// Packets, or distinct sources, of the whole range (with the filters).
    pub total: u64,
    pub rows: Vec<TopRow>,
}

/// The top `n` keys of the range with their previous ranks.
pub fn top(state: &ServeState, question: &Question, n: usize) -> Result<TopAnswer, ApiError> {
    let (range, previous) = (&question.range, question.range.previous()?);
    let (current, before, total) = match question.metric {
        Metric::Packets => packets_by_key(state, question, &previous)?,
        Metric::Sources => sources_by_key(state, question, &previous)?,
    };
    let rows = rank(&current, &before, n)
        .into_iter()
        .map(|r| TopRow {
            label: question.by.label(&r.key, question.lang),
            share: r.packets as f64 / total.max(1) as f64,
            value: r.packets,
            rank: r.rank,
            previous_rank: r.previous_rank,
            previous_value: r.previous_packets,
            key: r.key,
        })
        .collect();
    Ok(TopAnswer {
        by: question.by.name().into(),
        metric: question.metric.name().into(),
        from: range.first.to_string(),
        to: range.last.to_string(),
        previous_from: previous.first.to_string(),
        previous_to: previous.last.to_string(),
        total,
        rows,
    })
}

/// Counts per key of the range and of the previous range, and the range's total.
type ByKey = (HashMap<String, u64>, HashMap<String, u64>, u64);

/// Packets per key, from the cube.
fn packets_by_key(
    state: &ServeState,
    question: &Question,
    previous: &Range,
) -> Result<ByKey, ApiError> {
    let cube = state.cube()?;
    let boundary = question.range.days.utc_start_secs();
    let span = (
        previous.days.utc_start_secs(),
        question.range.days.utc_end_secs(),
    );
    let split = |sums: &mut [FastMap<u32, u64>; 2], hour: i64, key: u32, packets: u64| {
        add_to(&mut sums[usize::from(hour < boundary)], hour, key, packets);
    };
    let selection = cube.select(&question.filters);
    let [[mut current, mut before], [other_current, other_before]] =
        cube.scan(span, question.by, &selection, Default::default, split);
    merge(&mut current, other_current);
    merge(&mut before, other_before);
    let named = |counts: FastMap<u32, u64>| -> HashMap<String, u64> {
        counts
            .into_iter()
            .map(|(code, n)| (cube.key_name(question.by, code), n))
            .collect()
    };
    let total = current.values().sum();
    Ok((named(current), named(before), total))
}

/// Distinct sources per key, from the `sources` rollup (UTC days).
fn sources_by_key(
    state: &ServeState,
    question: &Question,
    previous: &Range,
) -> Result<ByKey, ApiError> {
    let range = &question.range;
    let reader = question.reader(state, previous)?;
    let columns = question.group_columns();
    let columns = columns.trim_start_matches(", ");
    let filters = question.filters.sql();
    let split = |op: &str| {
        format!(
            "CAST(COUNT(DISTINCT CASE WHEN day {op} DATE '{}' THEN src END) AS BIGINT)",
            range.first
        )
    };
    let sql = format!(
        "SELECT 0, {columns}, {}, {} FROM sources WHERE {} AND {filters} GROUP BY {columns}",
        split(">="),
        split("<"),
        in_days(previous.first, range.last),
    );
    let (mut current, mut before) = (HashMap::new(), HashMap::new());
    for_each_row(&reader, &sql, question.by, |_, key, values| {
        if values[0] > 0 {
            current.insert(key.to_owned(), values[0] as u64);
        }
        if values[1] > 0 {
            before.insert(key.to_owned(), values[1] as u64);
        }
    })?;
    let sql = format!(
        "SELECT 0, CAST(COUNT(DISTINCT src) AS BIGINT) FROM sources WHERE {} AND {filters}",
        in_days(range.first, range.last),
    );
    let mut total = 0;
    for_each_row(&reader, &sql, Dimension::Total, |_, _, v| {
        total = v[0] as u64
    })?;
    Ok((current, before, total))
}

/// The rollup's `day` (a Date32) as days since the epoch.
const EPOCH_DAY: &str = "CAST(CAST(day AS INT) AS BIGINT)";

fn epoch_date(days: i64) -> NaiveDate {
    NaiveDate::default() + chrono::Days::new(days.max(0) as u64)
}

fn in_days(first: NaiveDate, last: NaiveDate) -> String {
    format!("day BETWEEN DATE '{first}' AND DATE '{last}'")
}

pub fn utc_day(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// Runs `sql`, whose result is one integer column (the bucket), the dimension's columns,
/// then integer values, and hands each row to `each` as (bucket, key, values).
fn for_each_row(
    reader: &Reader,
    sql: &str,
    by: Dimension,
    mut each: impl FnMut(i64, &str, &[i64]),
) -> Result<(), ApiError> {
    let width = by.columns().len();
    reader.for_each_batch(sql, |batch| {
        let columns = batch.columns();
        let lead = ints(&columns[0])?;
        let keys = by.keys(&columns[1..1 + width], batch.num_rows())?;
        let values: Vec<Vec<i64>> = columns[1 + width..]
            .iter()
            .map(ints)
            .collect::<Result<_, _>>()?;
        let mut row = vec![0; values.len()];
        for i in 0..batch.num_rows() {
            row.iter_mut()
                .zip(&values)
                .for_each(|(cell, column)| *cell = column[i]);
            each(lead[i], &keys[i], &row);
        }
        Ok::<(), ApiError>(())
    })
}

impl From<arrow::error::ArrowError> for ApiError {
    fn from(e: arrow::error::ArrowError) -> ApiError {
        ApiError::Internal(format!("unexpected query result: {e}"))
    }
}
