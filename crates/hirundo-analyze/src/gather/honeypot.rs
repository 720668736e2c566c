//! The report's honeypot section, from the `honeypot` table (a few rows per connection, so
//! plain SQL over the period is quick) and the `sources` rollup for the darknet overlap.

use hirundo_store::Reader;

use super::{ints, texts, ReportError, Scope};
use crate::model::{Credential, HoneypotCountry, HoneypotPort, HoneypotSummary};

const TS: &str = "CAST(ts AS BIGINT)";
const NS_PER_SECOND: i64 = 1_000_000_000;

/// The honeypot's period `[scope.current, scope.end)`, or None when it recorded nothing then.
pub(super) fn summarise(
    reader: &Reader,
    scope: &Scope,
    top: usize,
) -> Result<Option<HoneypotSummary>, ReportError> {
    let period = format!(
        "{TS} >= {} AND {TS} < {}",
        scope.current * NS_PER_SECOND,
        scope.end * NS_PER_SECOND
    );
    let totals = counts(
        reader,
        &format!(
            "SELECT count(*) FILTER (WHERE kind = 'connect'), \
             count(*) FILTER (WHERE kind = 'login'), \
             count(*) FILTER (WHERE kind IN ('command', 'sql')), count(DISTINCT src) \
             FROM honeypot WHERE {period}"
        ),
    )?;
    let [connections, logins, commands, sources] = totals[..] else {
        return Ok(None);
    };
    if connections + logins + commands == 0 {
        return Ok(None);
    }
    Ok(Some(HoneypotSummary {
        connections,
        logins,
        commands,
        sources,
        sources_in_darknet: in_darknet(reader, scope, &period)?,
        by_port: by_port(reader, &period)?,
        by_country: by_country(reader, &period, top)?,
        top_usernames: top_values(reader, &period, "username", top)?,
        top_passwords: top_values(reader, &period, "password", top)?,
    }))
}

/// The one row of `sql`, as counts.
fn counts(reader: &Reader, sql: &str) -> Result<Vec<u64>, ReportError> {
    let mut row = Vec::new();
    for batch in reader.sql(sql)? {
        for i in 0..batch.num_columns() {
            row.extend(ints(&batch, i)?.first().map(|&n| n.max(0) as u64));
        }
    }
    Ok(row)
}

/// Honeypot sources of the period that the darknet saw in the period's UTC days (the
/// `sources` rollup is per UTC day).
fn in_darknet(reader: &Reader, scope: &Scope, period: &str) -> Result<u64, ReportError> {
    let day = |secs: i64| format!("CAST(to_timestamp_seconds({secs}) AS DATE)");
    let sql = format!(
        "SELECT count(DISTINCT src) FROM sources WHERE day BETWEEN {} AND {} \
         AND src IN (SELECT src FROM honeypot WHERE {period})",
        day(scope.current),
        day(scope.end - 1)
    );
    Ok(counts(reader, &sql)?.first().copied().unwrap_or(0))
}

fn by_port(reader: &Reader, period: &str) -> Result<Vec<HoneypotPort>, ReportError> {
    let sql = format!(
        "SELECT protocol, CAST(dst_port AS BIGINT), count(*) FILTER (WHERE kind = 'connect'), \
         count(*) FILTER (WHERE kind = 'login'), count(DISTINCT src) AS sources \
         FROM honeypot WHERE {period} GROUP BY 1, 2 ORDER BY 4 DESC, 3 DESC, 1, 2"
    );
    let mut ports = Vec::new();
    for batch in reader.sql(&sql)? {
        let protocols = texts(&batch, 0)?;
        let [port, connections, logins, sources] = [1, 2, 3, 4].map(|i| ints(&batch, i));
        let (port, connections, logins, sources) = (port?, connections?, logins?, sources?);
        for (i, protocol) in protocols.into_iter().enumerate() {
            ports.push(HoneypotPort {
                protocol: protocol.unwrap_or_default(),
                port: port[i] as u16,
                connections: connections[i] as u64,
                logins: logins[i] as u64,
                sources: sources[i] as u64,
            });
        }
    }
    Ok(ports)
}

fn by_country(
    reader: &Reader,
    period: &str,
    top: usize,
) -> Result<Vec<HoneypotCountry>, ReportError> {
    let sql = format!(
        "SELECT coalesce(src_country, '??'), count(*) FILTER (WHERE kind = 'login') AS logins, \
         count(DISTINCT src) AS sources FROM honeypot WHERE {period} \
         GROUP BY 1 ORDER BY 2 DESC, 3 DESC, 1 LIMIT {top}"
    );
    let mut countries = Vec::new();
    for batch in reader.sql(&sql)? {
        let (names, logins, sources) = (texts(&batch, 0)?, ints(&batch, 1)?, ints(&batch, 2)?);
        for (i, country) in names.into_iter().enumerate() {
            countries.push(HoneypotCountry {
                rank: countries.len() as u32 + 1,
                country: country.unwrap_or_default(),
                logins: logins[i] as u64,
                sources: sources[i] as u64,
            });
        }
    }
    Ok(countries)
}

/// The `top` values of `column` tried most in logins.
fn top_values(
    reader: &Reader,
    period: &str,
    column: &str,
    top: usize,
) -> Result<Vec<Credential>, ReportError> {
    let sql = format!(
        "SELECT {column}, count(*) FROM honeypot WHERE {period} AND kind = 'login' \
         AND {column} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {top}"
    );
    let mut values = Vec::new();
    for batch in reader.sql(&sql)? {
        let (names, logins) = (texts(&batch, 0)?, ints(&batch, 1)?);
        for (value, n) in names.into_iter().zip(logins) {
            values.push(Credential {
                value: value.unwrap_or_default(),
                logins: n as u64,
            });
        }
    }
    Ok(values)
}
