//! What the API splits traffic by: the dimensions of the `traffic` rollup (and the two the
//! `sources` rollup has), the SQL columns that group each, and the key and label of a group.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use hirundo_analyze::model::{port_key, protocol_name};
use hirundo_report::{country_name, Lang};

use crate::error::ApiError;

/// The key of packets whose source country is unknown, as in the report.
pub const UNKNOWN_COUNTRY: &str = "??";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Port,
    Country,
    Sensor,
    Tool,
    Kind,
    /// Everything as one series.
    Total,
}

/// Parameter spellings of the dimensions, in the order the API documents them.
pub const DIMENSIONS: [(&str, Dimension); 6] = [
    ("port", Dimension::Port),
    ("country", Dimension::Country),
    ("sensor", Dimension::Sensor),
    ("tool", Dimension::Tool),
    ("kind", Dimension::Kind),
    ("total", Dimension::Total),
];

impl Dimension {
    /// `by=`; `total` only where `allow_total`.
    pub fn parse(text: Option<&str>, allow_total: bool) -> Result<Dimension, ApiError> {
        let text = text.unwrap_or("port");
        DIMENSIONS
            .iter()
            .filter(|(_, d)| allow_total || *d != Dimension::Total)
            .find(|(name, _)| *name == text)
            .map(|(_, d)| *d)
            .ok_or_else(|| {
                ApiError::parameter(
                    "by",
                    text,
                    "not a dimension: port, country, sensor, tool, kind or total",
                )
            })
    }

    pub fn name(self) -> &'static str {
        DIMENSIONS
            .iter()
            .find(|(_, d)| *d == self)
            .map_or("", |(n, _)| n)
    }

    /// The rollup columns that group this dimension (none for `total`).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Dimension::Port => &["protocol", "port"],
            Dimension::Country => &["src_country"],
            Dimension::Sensor => &["sensor"],
            Dimension::Tool => &["tool"],
            Dimension::Kind => &["traffic_kind"],
            Dimension::Total => &[],
        }
    }

    /// Whether the `sources` rollup (UTC day, sensor, source, country) can split by it.
    pub fn in_sources(self) -> bool {
        matches!(
            self,
            Dimension::Country | Dimension::Sensor | Dimension::Total
        )
    }

    /// What a group's key is when its column is NULL.
    pub fn missing(self) -> &'static str {
        match self {
            Dimension::Country => UNKNOWN_COUNTRY,
            Dimension::Tool => "none",
            Dimension::Kind => "unknown",
            _ => "",
        }
    }

    /// The keys of the `rows` rows of `columns` (this dimension's, in order).
    pub fn keys(
        self,
        columns: &[ArrayRef],
        rows: usize,
    ) -> Result<Vec<String>, arrow::error::ArrowError> {
        match self {
            Dimension::Total => Ok(vec!["total".into(); rows]),
            Dimension::Port => {
                let protocols = ints(&columns[0])?;
                let ports = ints(&columns[1])?;
                Ok((0..rows)
                    .map(|i| port_key(protocol_name(protocols[i] as u8), ports[i] as u16))
                    .collect())
            }
            _ => {
                let text = arrow::compute::cast(&columns[0], &DataType::Utf8)?;
                let text = text.as_string::<i32>();
                Ok((0..rows)
                    .map(|i| match text.is_valid(i) {
                        true => text.value(i).to_owned(),
                        false => self.missing().to_owned(),
                    })
                    .collect())
            }
        }
    }

    /// What people read for `key`: service names for ports, country names in `lang`.
    pub fn label(self, key: &str, lang: Lang) -> String {
        match self {
            Dimension::Port => match hirundo_analyze::model::parse_port_key(key)
                .and_then(|(protocol, port)| hirundo_enrich::services::name(protocol, port))
            {
                Some(service) => format!("{key} {service}"),
                None => key.to_owned(),
            },
            Dimension::Country => country_name(key, lang),
            _ => key.to_owned(),
        }
    }
}

/// An integer column as i64s (NULL as 0).
pub fn ints(column: &ArrayRef) -> Result<Vec<i64>, arrow::error::ArrowError> {
    let column = arrow::compute::cast(column, &DataType::Int64)?;
    Ok(column
        .as_primitive::<arrow::datatypes::Int64Type>()
        .iter()
        .map(|v| v.unwrap_or(0))
        .collect())
}

/// `lang=`.
pub fn parse_lang(text: Option<&str>) -> Result<Lang, ApiError> {
    let text = text.unwrap_or("en");
    text.parse::<Lang>()
        .map_err(|e| ApiError::parameter("lang", text, e))
}
