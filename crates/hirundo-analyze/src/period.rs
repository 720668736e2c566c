//! Report periods (a quarter, a month, an ISO week or a range of days) and the local days
//! they cover in the report's time zone, so that packets timed in UTC land on the right day.
//!
//! ```
//! use hirundo_analyze::period::{LocalDays, Period};
//!
//! let period = Period::parse("2019Q4").unwrap();
//! let previous = period.previous();
//! assert_eq!(previous.label, "2019Q3");
//! let days = LocalDays::new(previous.start, period.end, chrono_tz::Asia::Tokyo).unwrap();
//! assert_eq!(days.len(), previous.len_days() + period.len_days());
//! // 2019-07-01 00:00 in Tokyo is 2019-06-30 15:00 UTC.
//! assert_eq!(days.utc_start_secs(), 1_561_906_800);
//! assert_eq!(days.day_of_hour(1_561_906_800 / 3600), Some(0));
//! ```

use std::fmt;
use std::str::FromStr;

use chrono::{
    DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Weekday,
};
use chrono_tz::Tz;

use crate::model::PeriodInfo;

/// The forms [`Period::parse`] accepts, quoted in its error messages.
const FORMS: &str =
    "a quarter (2019Q4), a month (2019-11), an ISO week (2019-W47) or days (2019-10-01..2019-10-20)";

/// The longest span [`LocalDays`] accepts: a century is far beyond any report, and the bound
/// keeps its per-hour table (24 entries a day) small whatever dates it is given.
const MAX_SPAN_DAYS: i64 = 36_525;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("`{text}` is not a period: use {FORMS}")]
    Unrecognised { text: String },
    #[error("`{text}` is not a period: {reason}")]
    NoSuchPeriod { text: String, reason: String },
    #[error("the period ends on {to}, before it starts on {from}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("{from}..{to} spans {days} days; at most {MAX_SPAN_DAYS} are supported")]
    TooLong {
        from: NaiveDate,
        to: NaiveDate,
        days: i64,
    },
    #[error("{from}..{to} lies outside the years 1678 to 2261 that the store's nanosecond timestamps cover")]
    OutOfRange { from: NaiveDate, to: NaiveDate },
    #[error("the midnights of {from}..{to} cannot be placed in time zone {tz}")]
    OutOfTime {
        from: NaiveDate,
        to: NaiveDate,
        tz: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeriodKind {
    Quarter,
    Month,
    Week,
    Custom,
}

/// Days since the epoch of a date (as in an Arrow Date32, the rollups' `day` column).
pub fn epoch_day(date: NaiveDate) -> i32 {
    (date - NaiveDate::default()).num_days() as i32
}

/// A report period of whole local days; `end` is inclusive.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    /// Canonical form: `2019Q4`, `2019-11`, `2019-W47`, `2019-10-01..2019-10-20`.
    pub label: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Period {
    /// Reads `2019Q4` (or `2019q4`), `2019-11`, `2019-W47` (ISO week, Monday to Sunday) or
    /// `2019-10-01..2019-10-20` (both days included).
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let t = text.trim();
        if let Some((from, to)) = t.split_once("..") {
            let (from, to) = (parse_date(from), parse_date(to));
            return match (from, to) {
                (Some(from), Some(to)) => Period::custom(from, to),
                _ => Err(unrecognised(text)),
            };
        }
        // Checked first so that the byte positions below are character positions.
        if !t.is_ascii() {
            return Err(unrecognised(text));
        }
        let b = t.as_bytes();
        let year = t
            .get(..4)
            .filter(|y| all_digits(y))
            .and_then(|y| y.parse().ok());
        let number = |range: std::ops::Range<usize>| {
            t.get(range)
                .filter(|n| all_digits(n))
                .and_then(|n| n.parse::<u32>().ok())
        };
        let period = match (year, b.len(), b.get(4), b.get(5)) {
            (Some(y), 6, Some(b'Q' | b'q'), _) => number(5..6).map(|q| Period::quarter(y, q)),
            (Some(y), 7, Some(b'-'), _) => number(5..7).map(|m| Period::month(y, m)),
            (Some(y), 8, Some(b'-'), Some(b'W' | b'w')) => {
                number(6..8).map(|w| Period::iso_week(y, w))
            }
            _ => None,
        };
        period
            .unwrap_or_else(|| Err(unrecognised(text)))
            .map_err(|e| with_text(e, text))
    }

    /// Quarter `quarter` (1 to 4) of `year`.
    pub fn quarter(year: i32, quarter: u32) -> Result<Period, PeriodError> {
        let label = format!("{year:04}Q{quarter}");
        if !(1..=4).contains(&quarter) {
            return Err(no_such(&label, "a quarter is 1 to 4"));
        }
        let first_month = 3 * quarter - 2;
        let start = NaiveDate::from_ymd_opt(year, first_month, 1);
        let end = start.and_then(|s| last_day(s, 3));
        Period::whole(PeriodKind::Quarter, label, start, end)
    }

    /// Month `month` (1 to 12) of `year`.
    pub fn month(year: i32, month: u32) -> Result<Period, PeriodError> {
        let label = format!("{year:04}-{month:02}");
        if !(1..=12).contains(&month) {
            return Err(no_such(&label, "a month is 01 to 12"));
        }
        let start = NaiveDate::from_ymd_opt(year, month, 1);
        let end = start.and_then(|s| last_day(s, 1));
        Period::whole(PeriodKind::Month, label, start, end)
    }

    /// ISO week `week` of ISO week-year `year`: Monday to Sunday. Week 1 is the week with the
    /// year's first Thursday, so a year has 52 or 53 weeks.
    pub fn iso_week(year: i32, week: u32) -> Result<Period, PeriodError> {
        let label = format!("{year:04}-W{week:02}");
        if week == 0 {
            return Err(no_such(&label, "ISO weeks are numbered from 01"));
        }
        let start = NaiveDate::from_isoywd_opt(year, week, Weekday::Mon);
        let end = NaiveDate::from_isoywd_opt(year, week, Weekday::Sun);
        // 28 December is always in the last ISO week of its year.
        let weeks = NaiveDate::from_ymd_opt(year, 12, 28).map(|d| d.iso_week().week());
        if let (None, Some(weeks)) = (start, weeks) {
            let reason = format!("ISO week-year {year:04} has {weeks} weeks");
            return Err(no_such(&label, &reason));
        }
        Period::whole(PeriodKind::Week, label, start, end)
    }

    /// The days `from` to `to`, both included.
    pub fn custom(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed { from, to });
        }
        Ok(Period {
            kind: PeriodKind::Custom,
            label: format!("{from}..{to}"),
            start: from,
            end: to,
        })
    }

    fn whole(
        kind: PeriodKind,
        label: String,
        start: Option<NaiveDate>,
        end: Option<NaiveDate>,
    ) -> Result<Period, PeriodError> {
        match (start, end) {
            (Some(start), Some(end)) => Ok(Period {
                kind,
                label,
                start,
                end,
            }),
            _ => Err(no_such(&label, "it is outside the calendar")),
        }
    }

    /// The period of the same kind just before this one: 2019Q1 -> 2018Q4, 2019-01 ->
    /// 2018-12, 2020-W01 -> 2019-W52; for days, as many days ending the day before `start`.
    pub fn previous(&self) -> Period {
        let before = self.start.pred_opt();
        let same_kind = match self.kind {
            PeriodKind::Quarter => {
                let (y, q) = (self.start.year(), self.start.month0() / 3 + 1);
                let (y, q) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
                Period::quarter(y, q).ok()
            }
            PeriodKind::Month => before.and_then(|d| Period::month(d.year(), d.month()).ok()),
            PeriodKind::Week => before.and_then(|d| {
                let w = d.iso_week();
                Period::iso_week(w.year(), w.week()).ok()
            }),
            PeriodKind::Custom => None,
        };
        same_kind.unwrap_or_else(|| self.previous_days())
    }

    /// As many days as this period, ending the day before it; clamped at the calendar's first
    /// day, where there is nothing before.
    fn previous_days(&self) -> Period {
        let end = self.start.pred_opt().unwrap_or(NaiveDate::MIN);
        let back = Days::new(self.len_days().saturating_sub(1) as u64);
        let start = end.checked_sub_days(back).unwrap_or(NaiveDate::MIN);
        Period {
            kind: PeriodKind::Custom,
            label: format!("{start}..{end}"),
            start,
            end,
        }
    }

    /// Number of days, `start` and `end` included (0 if `end` is before `start`).
    pub fn len_days(&self) -> usize {
        usize::try_from((self.end - self.start).num_days() + 1).unwrap_or(0)
    }

    /// The days of the period in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> {
        self.start.iter_days().take(self.len_days())
    }

    pub fn to_info(&self) -> PeriodInfo {
        PeriodInfo {
            label: self.label.clone(),
            start: self.start,
            end: self.end,
        }
    }
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `YYYY-MM-DD` exactly: chrono alone would also take `2019-1-5`.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let shape = s.len() == 10 && s.is_ascii() && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-';
    shape
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

/// The last day of the `months` months starting at `first`.
fn last_day(first: NaiveDate, months: u32) -> Option<NaiveDate> {
    first.checked_add_months(Months::new(months))?.pred_opt()
}

fn unrecognised(text: &str) -> PeriodError {
    PeriodError::Unrecognised {
        text: text.to_string(),
    }
}

fn no_such(label: &str, reason: &str) -> PeriodError {
    PeriodError::NoSuchPeriod {
        text: label.to_string(),
        reason: reason.to_string(),
    }
}

/// Names the period as the user typed it rather than in canonical form.
fn with_text(error: PeriodError, text: &str) -> PeriodError {
    match error {
        PeriodError::NoSuchPeriod { reason, .. } => PeriodError::NoSuchPeriod {
            text: text.to_string(),
            reason,
        },
        other => other,
    }
}

/// Marks an hour of the table in [`LocalDays`] whose start is outside the span.
const OUTSIDE: u32 = u32::MAX;

/// A span of consecutive local days of a time zone, and where each begins in UTC.
///
/// A day runs from its local midnight to the next. Where a midnight does not exist (clocks
/// jumped over it), the day starts at the first instant after it; where it happens twice
/// (clocks went back over it), at the earlier. A day can therefore last 23, 25 or, where a
/// whole date was skipped (Pacific/Apia, 2011-12-30), 0 hours.
#[derive(Clone, Debug)]
pub struct LocalDays {
    first: NaiveDate,
    /// Unix seconds of the start of each day, then of the day after the last: `len() + 1`
    /// entries, never decreasing.
    bounds: Vec<i64>,
    /// The hour number (Unix seconds / 3600) of `hour_days[0]`.
    first_hour: i64,
    /// The day holding the start of each hour from `first_hour` on, or [`OUTSIDE`]; a table
    /// because rollups ask for tens of millions of hours.
    hour_days: Vec<u32>,
}

impl LocalDays {
    /// The local days `first` to `last` (both included) of `tz`.
    pub fn new(first: NaiveDate, last: NaiveDate, tz: Tz) -> Result<LocalDays, PeriodError> {
        if last < first {
            return Err(PeriodError::Reversed {
                from: first,
                to: last,
            });
        }
        let days = (last - first).num_days() + 1;
        if days > MAX_SPAN_DAYS {
            return Err(PeriodError::TooLong {
                from: first,
                to: last,
                days,
            });
        }
        let out_of_time = || PeriodError::OutOfTime {
            from: first,
            to: last,
            tz: tz.name().to_string(),
        };
        // `days` is at most MAX_SPAN_DAYS, so the casts are exact.
        let midnights = first.iter_days().take(days as usize + 1);
        let bounds: Vec<i64> = midnights
            .map(|day| day_start(&tz, day))
            .collect::<Option<_>>()
            .filter(|b: &Vec<i64>| b.len() == days as usize + 1)
            .ok_or_else(out_of_time)?;
        let in_nanoseconds = |secs: &i64| secs.checked_mul(1_000_000_000).is_some();
        if !bounds.iter().all(in_nanoseconds) {
            return Err(PeriodError::OutOfRange {
                from: first,
                to: last,
            });
        }
        let mut span = LocalDays {
            first,
            bounds,
            first_hour: 0,
            hour_days: Vec::new(),
        };
        span.fill_hours();
        Ok(span)
    }

    fn fill_hours(&mut self) {
        let (start, end) = (self.utc_start_secs(), self.utc_end_secs());
        if end <= start {
            return;
        }
        self.first_hour = start.div_euclid(3600);
        let last_hour = (end - 1).div_euclid(3600);
        self.hour_days = (self.first_hour..=last_hour)
            .map(|hour| {
                self.day_of_second(hour * 3600)
                    .map_or(OUTSIDE, |d| d as u32)
            })
            .collect();
    }

    /// Unix seconds of the start of the first day.
    pub fn utc_start_secs(&self) -> i64 {
        self.bounds.first().copied().unwrap_or(0)
    }

    /// Unix seconds of the start of the day after the last (the span's exclusive end).
    pub fn utc_end_secs(&self) -> i64 {
        self.bounds.last().copied().unwrap_or(0)
    }

    /// The index of the day holding the start of `hour` (Unix seconds / 3600), if in the span.
    #[inline]
    pub fn day_of_hour(&self, hour: i64) -> Option<usize> {
        let index = usize::try_from(hour.checked_sub(self.first_hour)?).ok()?;
        let day = *self.hour_days.get(index)?;
        (day != OUTSIDE).then_some(day as usize)
    }

    /// The index of the day holding `secs` (Unix seconds), if in the span.
    pub fn day_of_second(&self, secs: i64) -> Option<usize> {
        if secs < self.utc_start_secs() || secs >= self.utc_end_secs() {
            return None;
        }
        // The last start at or before `secs`; skipped (empty) days share their start with the
        // next day, which this picks.
        self.bounds.partition_point(|&b| b <= secs).checked_sub(1)
    }

    /// The date of day `index`.
    pub fn date(&self, index: usize) -> Option<NaiveDate> {
        if index >= self.len() {
            return None;
        }
        self.first.checked_add_days(Days::new(index as u64))
    }

    /// Number of days in the span.
    pub fn len(&self) -> usize {
        self.bounds.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether every local midnight of the span falls on a whole UTC hour, so that hourly
    /// rollups split exactly into days (false for Asia/Kolkata, +05:30).
    pub fn hour_aligned(&self) -> bool {
        self.bounds.iter().all(|b| b.rem_euclid(3600) == 0)
    }
}

/// Unix seconds at which local `day` begins in `tz`.
fn day_start(tz: &Tz, day: NaiveDate) -> Option<i64> {
    let midnight = day.and_time(NaiveTime::MIN);
    match tz.from_local_datetime(&midnight) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        LocalResult::None => first_instant_from(tz, midnight),
    }
}

/// The first instant whose local time is `local` or later: for a local time in a gap, the
/// instant the clocks jumped.
fn first_instant_from(tz: &Tz, local: NaiveDateTime) -> Option<i64> {
    let local_at = |secs: i64| {
        Some(
            DateTime::from_timestamp(secs, 0)?
                .with_timezone(tz)
                .naive_local(),
        )
    };
    // UTC offsets stay within ±26 hours and gaps last at most a day, so the instant is within
    // 36 hours of `local` read as UTC; binary search keeps local(lo) < local <= local(hi).
    let guess = local.and_utc().timestamp();
    let (mut lo, mut hi) = (guess - 36 * 3600, guess + 36 * 3600);
    if local_at(lo)? >= local || local_at(hi)? < local {
        return None;
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if local_at(mid)? >= local {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America, Asia, Europe, Pacific, UTC};

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn secs(utc: &str) -> i64 {
        NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp()
    }

    fn span(p: &Period) -> (NaiveDate, NaiveDate) {
        (p.start, p.end)
    }

    #[test]
    fn parses_quarters_in_either_case() {
        let p = Period::parse("2019Q4").unwrap();
        assert_eq!(p.kind, PeriodKind::Quarter);
        assert_eq!(p.label, "2019Q4");
        assert_eq!(span(&p), (date("2019-10-01"), date("2019-12-31")));
        let q = Period::parse(" 2020q1 ").unwrap();
        assert_eq!(q.label, "2020Q1");
        assert_eq!(span(&q), (date("2020-01-01"), date("2020-03-31")));
        assert_eq!(q.len_days(), 91);
    }

    #[test]
    fn parses_months() {
        let p = Period::parse("2019-11").unwrap();
        assert_eq!(p.kind, PeriodKind::Month);
        assert_eq!(span(&p), (date("2019-11-01"), date("2019-11-30")));
        assert_eq!(Period::parse("2020-02").unwrap().len_days(), 29);
        assert_eq!(Period::parse("2019-12").unwrap().end, date("2019-12-31"));
    }

    #[test]
    fn parses_iso_weeks() {
        let p = Period::parse("2019-W47").unwrap();
        assert_eq!(p.kind, PeriodKind::Week);
        assert_eq!(span(&p), (date("2019-11-18"), date("2019-11-24")));
        // Week 1 of 2019 starts in 2018; 2020 has 53 weeks, the last ending in 2021.
        let w1 = Period::parse("2019-w01").unwrap();
        assert_eq!(
            (w1.label.as_str(), w1.start),
            ("2019-W01", date("2018-12-31"))
        );
        let w53 = Period::parse("2020-W53").unwrap();
        assert_eq!(span(&w53), (date("2020-12-28"), date("2021-01-03")));
    }

    #[test]
    fn parses_ranges_of_days() {
        let p = Period::parse("2019-10-01..2019-10-20").unwrap();
        assert_eq!(p.kind, PeriodKind::Custom);
        assert_eq!(p.label, "2019-10-01..2019-10-20");
        assert_eq!(p.len_days(), 20);
        assert_eq!(
            "2019-10-05..2019-10-05"
                .parse::<Period>()
                .unwrap()
                .len_days(),
            1
        );
    }

    #[test]
    fn rejects_what_is_not_a_period_and_says_what_is() {
        for text in [
            "",
            "2019",
            "19Q4",
            "2019Q",
            "2019Q10",
            "2019-1",
            "2019-001",
            "2019-W1",
            "Q4 2019",
            "2019-11-05",
            "２０１９Q4",
            "2019Ｑ4",
            "2019-1x",
            "+2019-11",
            "2019-10-01..",
            "..",
            "2019-10-1..2019-10-20",
            "2019-10-01..2019-13-01",
        ] {
            let err = Period::parse(text).unwrap_err();
            assert!(
                matches!(err, PeriodError::Unrecognised { .. }),
                "{text}: {err}"
            );
            let message = err.to_string();
            assert!(message.contains(&format!("`{text}`")), "{message}");
            assert!(
                message.contains("2019Q4") && message.contains("2019-W47"),
                "{message}"
            );
        }
    }

    #[test]
    fn rejects_periods_that_do_not_exist() {
        for (text, why) in [
            ("2019Q5", "1 to 4"),
            ("2019q0", "1 to 4"),
            ("2019-13", "01 to 12"),
            ("2019-00", "01 to 12"),
            ("2019-W53", "has 52 weeks"),
            ("2019-W00", "from 01"),
            ("2019-W99", "has 52 weeks"),
        ] {
            let err = Period::parse(text).unwrap_err();
            let message = err.to_string();
            assert!(message.contains(&format!("`{text}`")), "{message}");
            assert!(message.contains(why), "{message}");
        }
    }

    #[test]
    fn custom_refuses_an_end_before_the_start() {
        let err = Period::custom(date("2019-10-20"), date("2019-10-01")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the period ends on 2019-10-01, before it starts on 2019-10-20"
        );
        assert!(Period::parse("2019-10-20..2019-10-01").is_err());
    }

    #[test]
    fn previous_is_the_period_of_the_same_kind_just_before() {
        let previous = |s: &str| Period::parse(s).unwrap().previous();
        assert_eq!(previous("2019Q1"), Period::parse("2018Q4").unwrap());
        assert_eq!(previous("2019Q4").label, "2019Q3");
        assert_eq!(previous("2019-01"), Period::parse("2018-12").unwrap());
        assert_eq!(previous("2019-03").label, "2019-02");
        assert_eq!(previous("2020-W01"), Period::parse("2019-W52").unwrap());
        assert_eq!(previous("2021-W01"), Period::parse("2020-W53").unwrap());
        assert_eq!(previous("2019-W47").label, "2019-W46");
        let custom = previous("2019-10-01..2019-10-20");
        assert_eq!(custom, Period::parse("2019-09-11..2019-09-30").unwrap());
        assert_eq!(
            previous("0000Q1").start,
            NaiveDate::from_ymd_opt(-1, 10, 1).unwrap()
        );
    }

    #[test]
    fn previous_never_leaves_the_calendar() {
        let p = Period::custom(NaiveDate::MIN, NaiveDate::MIN + Days::new(3)).unwrap();
        let before = p.previous();
        assert_eq!(before.start, NaiveDate::MIN);
        assert!(before.end <= before.start + Days::new(3));
    }

    #[test]
    fn days_lists_every_day_once() {
        let p = Period::parse("2019-W47").unwrap();
        let days: Vec<_> = p.days().collect();
        assert_eq!(days.len(), 7);
        assert_eq!(days.first(), Some(&date("2019-11-18")));
        assert_eq!(days.last(), Some(&date("2019-11-24")));
        assert_eq!(Period::parse("2019Q4").unwrap().days().count(), 92);
        let reversed = Period {
            kind: PeriodKind::Custom,
            label: "x".into(),
            start: date("2019-10-02"),
            end: date("2019-10-01"),
        };
        assert_eq!((reversed.len_days(), reversed.days().count()), (0, 0));
    }

    #[test]
    fn to_info_and_display_use_the_label() {
        let p = Period::parse("2019q4").unwrap();
        let info = p.to_info();
        assert_eq!(info.label, "2019Q4");
        assert_eq!((info.start, info.end), span(&p));
        assert_eq!(p.to_string(), "2019Q4");
    }

    /// Hours (Unix seconds / 3600) whose start falls in each day, via the hour table.
    fn hours_per_day(days: &LocalDays) -> Vec<usize> {
        let mut counts = vec![0; days.len()];
        let (from, to) = (
            days.utc_start_secs() / 3600 - 48,
            days.utc_end_secs() / 3600 + 48,
        );
        for hour in from..to {
            if let Some(d) = days.day_of_hour(hour) {
                counts[d] += 1;
            }
        }
        counts
    }

    /// The hour table agrees with the day boundaries, second by second around each boundary.
    fn assert_consistent(days: &LocalDays) {
        let (from, to) = (days.utc_start_secs() - 7200, days.utc_end_secs() + 7200);
        for hour in from.div_euclid(3600)..=to.div_euclid(3600) {
            assert_eq!(
                days.day_of_hour(hour),
                days.day_of_second(hour * 3600),
                "hour {hour}"
            );
        }
        for &b in &days.bounds {
            for s in b - 2..b + 2 {
                let day = days.day_of_second(s);
                if let Some(d) = day {
                    assert!(days.bounds[d] <= s && s < days.bounds[d + 1]);
                } else {
                    assert!(s < days.utc_start_secs() || s >= days.utc_end_secs());
                }
            }
        }
    }

    #[test]
    fn tokyo_days_start_at_15_utc() {
        let q = Period::parse("2019Q4").unwrap();
        let days = LocalDays::new(q.start, q.end, Asia::Tokyo).unwrap();
        assert_eq!(days.len(), 92);
        assert_eq!(days.utc_start_secs(), secs("2019-09-30 15:00"));
        assert_eq!(days.utc_end_secs(), secs("2019-12-31 15:00"));
        assert_eq!(days.day_of_hour(secs("2019-09-30 14:00") / 3600), None);
        assert_eq!(days.day_of_hour(secs("2019-09-30 15:00") / 3600), Some(0));
        assert_eq!(days.day_of_hour(secs("2019-10-01 14:00") / 3600), Some(0));
        assert_eq!(days.day_of_hour(secs("2019-10-01 15:00") / 3600), Some(1));
        assert_eq!(days.day_of_hour(secs("2019-12-31 14:00") / 3600), Some(91));
        assert_eq!(days.day_of_hour(secs("2019-12-31 15:00") / 3600), None);
        assert_eq!(days.day_of_second(secs("2019-10-01 14:59") + 59), Some(0));
        assert!(days.hour_aligned());
        assert!(hours_per_day(&days).iter().all(|&h| h == 24));
        assert_eq!(days.date(0), Some(date("2019-10-01")));
        assert_eq!(days.date(91), Some(date("2019-12-31")));
        assert_eq!(days.date(92), None);
        assert_consistent(&days);
    }

    #[test]
    fn utc_days_are_utc_days() {
        let days = LocalDays::new(date("1970-01-01"), date("1970-01-02"), UTC).unwrap();
        assert_eq!(
            (days.utc_start_secs(), days.utc_end_secs()),
            (0, 2 * 86_400)
        );
        assert_eq!(days.day_of_hour(-1), None);
        assert_eq!(days.day_of_hour(0), Some(0));
        assert_eq!(days.day_of_hour(24), Some(1));
        assert_eq!(days.day_of_hour(48), None);
        assert_eq!(days.day_of_hour(i64::MIN), None);
        assert_eq!(days.day_of_hour(i64::MAX), None);
        assert_eq!(days.day_of_second(i64::MIN), None);
        assert_eq!(days.day_of_second(86_399), Some(0));
        assert_consistent(&days);
    }

    #[test]
    fn berlin_has_a_23_hour_day_in_march_and_a_25_hour_day_in_october() {
        let days = LocalDays::new(date("2019-03-30"), date("2019-04-01"), Europe::Berlin).unwrap();
        assert_eq!(hours_per_day(&days), vec![24, 23, 24]);
        assert_eq!(days.bounds[1], secs("2019-03-30 23:00"));
        assert_eq!(days.bounds[2], secs("2019-03-31 22:00"));
        assert_consistent(&days);

        let days = LocalDays::new(date("2019-10-26"), date("2019-10-28"), Europe::Berlin).unwrap();
        assert_eq!(hours_per_day(&days), vec![24, 25, 24]);
        assert_eq!(days.bounds[2], secs("2019-10-27 23:00"));
        assert!(days.hour_aligned());
        assert_consistent(&days);
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_when_the_clocks_jump() {
        // São Paulo went from 00:00 -03 straight to 01:00 -02 on 2018-11-04.
        let days =
            LocalDays::new(date("2018-11-03"), date("2018-11-05"), America::Sao_Paulo).unwrap();
        assert_eq!(days.bounds[1], secs("2018-11-04 03:00"));
        assert_eq!(days.bounds[2], secs("2018-11-05 02:00"));
        assert_eq!(hours_per_day(&days), vec![24, 23, 24]);
        assert_consistent(&days);
        // Starting on that very day.
        let from = LocalDays::new(date("2018-11-04"), date("2018-11-04"), America::Sao_Paulo);
        assert_eq!(from.unwrap().utc_start_secs(), secs("2018-11-04 03:00"));
    }

    #[test]
    fn an_ambiguous_midnight_starts_the_day_at_its_first_occurrence() {
        // Havana went back from 01:00 -04 to 00:00 -05 on 2019-11-03: midnight came twice.
        let days = LocalDays::new(date("2019-11-03"), date("2019-11-03"), America::Havana).unwrap();
        assert_eq!(days.utc_start_secs(), secs("2019-11-03 04:00"));
        assert_eq!(days.utc_end_secs(), secs("2019-11-04 05:00"));
        assert_eq!(hours_per_day(&days), vec![25]);
        assert_consistent(&days);
    }

    #[test]
    fn a_skipped_date_is_a_day_of_no_hours() {
        // Samoa skipped 2011-12-30 when it moved west of the date line.
        let days = LocalDays::new(date("2011-12-29"), date("2011-12-31"), Pacific::Apia).unwrap();
        assert_eq!(hours_per_day(&days), vec![24, 0, 24]);
        assert_eq!(days.date(1), Some(date("2011-12-30")));
        assert_consistent(&days);
    }

    #[test]
    fn kolkata_midnights_are_not_on_the_hour() {
        let days = LocalDays::new(date("2019-10-01"), date("2019-10-02"), Asia::Kolkata).unwrap();
        assert_eq!(days.utc_start_secs(), secs("2019-09-30 18:30"));
        assert!(!days.hour_aligned());
        // The hour 18:00-19:00 starts before the span; 19:00 is the first hour in it.
        assert_eq!(days.day_of_hour(secs("2019-09-30 18:00") / 3600), None);
        assert_eq!(days.day_of_hour(secs("2019-09-30 19:00") / 3600), Some(0));
        assert_eq!(days.day_of_second(secs("2019-09-30 18:30")), Some(0));
        assert_eq!(days.day_of_second(secs("2019-10-01 18:29") + 59), Some(0));
        assert_eq!(days.day_of_second(secs("2019-10-01 18:30")), Some(1));
        assert_eq!(days.day_of_hour(secs("2019-10-02 18:00") / 3600), Some(1));
        assert_eq!(days.day_of_hour(secs("2019-10-02 19:00") / 3600), None);
        assert_consistent(&days);
    }

    #[test]
    fn the_hour_table_agrees_with_the_boundaries_over_a_year_in_many_zones() {
        for tz in [
            UTC,
            Asia::Tokyo,
            Asia::Kolkata,
            Europe::Berlin,
            America::Sao_Paulo,
            Asia::Kathmandu,
        ] {
            let days = LocalDays::new(date("2018-01-01"), date("2019-12-31"), tz).unwrap();
            assert_eq!(days.len(), 730);
            assert_consistent(&days);
            let total: usize = hours_per_day(&days).iter().sum();
            let whole = (days.utc_end_secs() - days.utc_start_secs()) / 3600;
            assert!(
                (total as i64 - whole).abs() <= 1,
                "{tz}: {total} vs {whole}"
            );
        }
    }

    #[test]
    fn refuses_reversed_huge_and_timeless_spans() {
        let err = LocalDays::new(date("2019-10-02"), date("2019-10-01"), UTC).unwrap_err();
        assert!(matches!(err, PeriodError::Reversed { .. }));
        let err = LocalDays::new(NaiveDate::MIN, NaiveDate::MAX, UTC).unwrap_err();
        assert!(matches!(err, PeriodError::TooLong { .. }), "{err}");
        let end = NaiveDate::MAX;
        let err = LocalDays::new(end - Days::new(2), end, Asia::Tokyo).unwrap_err();
        assert!(err.to_string().contains("Asia/Tokyo"), "{err}");
    }

    #[test]
    fn refuses_days_that_nanosecond_timestamps_cannot_hold() {
        for (first, last) in [("0000-01-01", "0000-03-31"), ("2262-04-10", "2262-04-12")] {
            let err = LocalDays::new(date(first), date(last), UTC).unwrap_err();
            assert!(matches!(err, PeriodError::OutOfRange { .. }), "{err}");
        }
        assert!(LocalDays::new(date("1678-01-01"), date("2261-12-31"), UTC).is_err());
        assert!(LocalDays::new(date("1970-01-01"), date("2026-12-31"), UTC).is_ok());
    }
}
