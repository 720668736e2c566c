//! The API's query parameters, taken as text and checked here, so that every refusal is a
//! 400 naming the parameter and the value (axum's own rejections say neither clearly).
//! Filters become SQL conditions only from values checked against a strict shape, or quoted.

use std::str::FromStr;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use chrono::{Datelike, Days, NaiveDate};
use chrono_tz::Tz;
use hirundo_analyze::model::parse_port_key;
use hirundo_analyze::period::LocalDays;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

/// The longest range a request may ask for: ten years of days.
const MAX_DAYS: u64 = 3_660;
/// The default range: this many days, ending on the store's last day.
const DEFAULT_DAYS: u64 = 30;

/// `Query<T>` whose rejection is a JSON 400.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(value) = Query::<T>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        Ok(Params(value))
    }
}

/// The days a request is about.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// First local day, `YYYY-MM-DD` (default: 29 days before `to`).
    #[param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-07-01")]
    pub from: Option<String>,
    /// Last local day, inclusive (default: the store's last day).
    #[param(format = Date, pattern = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", example = "2026-09-30")]
    pub to: Option<String>,
    /// IANA time zone whose midnights cut the days (default `UTC`).
    #[param(example = "Asia/Tokyo")]
    pub tz: Option<String>,
}

/// Local days `first..=last` of zone `tz`.
#[derive(Clone, Debug)]
pub struct Range {
    pub first: NaiveDate,
    pub last: NaiveDate,
    pub tz: Tz,
    pub days: LocalDays,
}

impl RangeParams {
    /// The range asked for; `last_day` (the store's, if any) gives the defaults.
    pub fn resolve(&self, last_day: Option<NaiveDate>) -> Result<Range, ApiError> {
        let tz = parse_zone(self.tz.as_deref())?;
        let last = match &self.to {
            Some(text) => parse_date("to", text)?,
            None => last_day.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        };
        let first = match &self.from {
            Some(text) => parse_date("from", text)?,
            None => last
                .checked_sub_days(Days::new(DEFAULT_DAYS - 1))
                .ok_or_else(|| {
                    ApiError::parameter("to", &last.to_string(), "too early for a range before it")
                })?,
        };
        if first > last {
            let why = format!("after to={last}");
            return Err(ApiError::parameter("from", &first.to_string(), why));
        }
        if (last - first).num_days() as u64 >= MAX_DAYS {
            let why = format!("ranges are limited to {MAX_DAYS} days");
            return Err(ApiError::parameter("from", &first.to_string(), why));
        }
        Range::new(first, last, tz)
    }
}

impl Range {
    pub fn new(first: NaiveDate, last: NaiveDate, tz: Tz) -> Result<Range, ApiError> {
        let days =
            LocalDays::new(first, last, tz).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(Range {
            first,
            last,
            tz,
            days,
        })
    }

    /// The range of the same length just before this one.
    pub fn previous(&self) -> Result<Range, ApiError> {
        let length = Days::new(self.len() as u64);
        let before = |date: NaiveDate| {
            date.checked_sub_days(length).ok_or_else(|| {
                ApiError::parameter(
                    "from",
                    &self.first.to_string(),
                    "too early for a previous range",
                )
            })
        };
        Range::new(before(self.first)?, before(self.last)?, self.tz)
    }

    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// The Monday of the ISO week of `date`.
    pub fn monday(date: NaiveDate) -> NaiveDate {
        date - Days::new(date.weekday().num_days_from_monday().into())
    }
}

fn parse_date(parameter: &str, text: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|e| ApiError::parameter(parameter, text, format!("not a date YYYY-MM-DD ({e})")))
}

fn parse_zone(text: Option<&str>) -> Result<Tz, ApiError> {
    let text = text.unwrap_or("UTC");
    Tz::from_str(text).map_err(|_| ApiError::parameter("tz", text, "not an IANA time zone name"))
}

/// Filters on the traffic (every one optional).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// A port as the report writes it: `23/tcp`, `53/udp`, `8/icmp` (ICMP: the type).
    #[param(pattern = r"^[0-9]{1,5}/(tcp|udp|icmp|icmpv6)$", example = "23/tcp")]
    pub port: Option<String>,
    /// ISO 3166 alpha-2 code of the source country, `??` for unknown.
    #[param(pattern = r"^([A-Za-z]{2}|\?\?)$", example = "CN")]
    pub country: Option<String>,
    /// Sensor name.
    pub sensor: Option<String>,
    /// Tool fingerprint (`mirai`, `zmap`, `masscan`, ...), `none` for packets without one.
    #[param(pattern = r"^[A-Za-z0-9_.-]{1,64}$", example = "mirai")]
    pub tool: Option<String>,
    /// Traffic kind (`syn_probe`, `backscatter`, ...), `unknown` for packets without one.
    #[param(pattern = r"^[A-Za-z0-9_.-]{1,64}$", example = "syn_probe")]
    pub kind: Option<String>,
}

/// Checked filters. For country, tool and kind, `Some(None)` asks for packets without one.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub port: Option<(u8, u16)>,
    pub country: Option<Option<String>>,
    pub sensor: Option<String>,
    pub tool: Option<Option<String>>,
    pub kind: Option<Option<String>>,
}

impl FilterParams {
    pub fn check(&self) -> Result<Filters, ApiError> {
        let port = match &self.port {
            None => None,
            Some(text) => Some(parse_port_key(text).ok_or_else(|| {
                ApiError::parameter("port", text, "not a port like 23/tcp, 53/udp or 8/icmp")
            })?),
        };
        Ok(Filters {
            port,
            country: self.country.as_deref().map(country).transpose()?,
            sensor: self.sensor.clone(),
            tool: self
                .tool
                .as_deref()
                .map(|t| label("tool", t, "none"))
                .transpose()?,
            kind: self
                .kind
                .as_deref()
                .map(|k| label("kind", k, "unknown"))
                .transpose()?,
        })
    }
}

impl Filters {
    /// The filters as SQL conditions on the rollups' columns (`TRUE` for none). Every value
    /// but the sensor's was checked to be plain letters; the sensor's is quoted.
    pub fn sql(&self) -> String {
        let mut conditions = vec!["TRUE".to_owned()];
        if let Some((protocol, port)) = self.port {
            conditions.push(format!("protocol = {protocol} AND port = {port}"));
        }
        let labels = [
            ("src_country", &self.country),
            ("tool", &self.tool),
            ("traffic_kind", &self.kind),
        ];
        for (column, value) in labels {
            match value {
                Some(Some(text)) => conditions.push(format!("{column} = '{text}'")),
                Some(None) => conditions.push(format!("{column} IS NULL")),
                None => {}
            }
        }
        if let Some(text) = &self.sensor {
            conditions.push(format!("sensor = '{}'", text.replace('\'', "''")));
        }
        conditions.join(" AND ")
    }

    /// The first filter that the `sources` rollup cannot apply (it has no port, tool or kind).
    pub fn beyond_sources(&self) -> Option<&'static str> {
        [
            ("port", self.port.is_some()),
            ("tool", self.tool.is_some()),
            ("kind", self.kind.is_some()),
        ]
        .into_iter()
        .find(|(_, given)| *given)
        .map(|(name, _)| name)
    }
}

/// An upper-case country code, or `None` for `??` (unknown).
fn country(text: &str) -> Result<Option<String>, ApiError> {
    if text == crate::dimension::UNKNOWN_COUNTRY {
        return Ok(None);
    }
    country_code("country", text).map(Some)
}

/// Parameter `parameter`'s ISO 3166 alpha-2 code `text`, upper-cased.
pub fn country_code(parameter: &str, text: &str) -> Result<String, ApiError> {
    let code = text.to_ascii_uppercase();
    match code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        true => Ok(code),
        false => Err(ApiError::parameter(
            parameter,
            text,
            "not an ISO 3166 alpha-2 code",
        )),
    }
}

/// A plain name, or `None` for the word that stands for no value.
fn label(parameter: &str, text: &str, none: &str) -> Result<Option<String>, ApiError> {
    let plain = |b: u8| b.is_ascii_alphanumeric() || b"_-.".contains(&b);
    if text.is_empty() || text.len() > 64 || !text.bytes().all(plain) {
        return Err(ApiError::parameter(
            parameter,
            text,
            "not a name of letters, digits, _ - .",
        ));
    }
    Ok((text != none).then(|| text.to_owned()))
}

/// A count in `1..=max` with a default.
pub fn count(
    parameter: &str,
    text: Option<&str>,
    default: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.parse::<usize>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(ApiError::parameter(
            parameter,
            text,
            format!("not a whole number from 1 to {max}"),
        )),
    }
}

/// One of `choices` (the first is the default).
pub fn choice<'a>(
    parameter: &str,
    text: Option<&str>,
    choices: &[&'a str],
) -> Result<&'a str, ApiError> {
    let Some(text) = text else {
        return Ok(choices[0]);
    };
    choices
        .iter()
        .find(|c| **c == text)
        .copied()
        .ok_or_else(|| {
            ApiError::parameter(
                parameter,
                text,
                format!("not one of {}", choices.join(", ")),
            )
        })
}
