//! Numbers, dates, ports and markup escaping, written the same way in both languages.

use chrono::{DateTime, Utc};

/// `1234567` as `1,234,567`.
pub(crate) fn thousands(mut n: u64) -> String {
    let mut groups = Vec::new();
    while n >= 1000 {
        groups.push(format!("{:03}", n % 1000));
        n /= 1000;
    }
    groups.push(n.to_string());
    groups.reverse();
    groups.join(",")
}

/// A rate such as packets per day: one decimal below 10, whole numbers with separators above.
pub(crate) fn rate(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.1}")
    } else {
        thousands(x.round() as u64)
    }
}

/// A fraction as a percentage with one decimal: `0.8` is `80.0%`.
pub(crate) fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// A ratio with one decimal: `6.2`.
pub(crate) fn ratio(x: f64) -> String {
    format!("{x:.1}")
}

/// The relative change from `before` to `now`, signed (`+12.3%`, `-4.0%`), or `—` when there
/// is nothing to compare with.
pub(crate) fn change(now: u64, before: u64) -> String {
    if before == 0 {
        return "—".to_owned();
    }
    format!("{:+.1}%", (now as f64 / before as f64 - 1.0) * 100.0)
}

/// An RFC 3339 timestamp as `2019-11-02 03:04 UTC`; text that does not parse is kept.
pub(crate) fn timestamp(rfc3339: &str) -> String {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| {
            t.with_timezone(&Utc)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string()
        })
        .unwrap_or_else(|_| rfc3339.to_owned())
}

/// Table 1's label of a port: `23/TCP (telnet)`, or `22/TCP` without a service name.
pub(crate) fn port_label(port: &str, proto: &str, service: Option<&str>) -> String {
    let proto = proto.to_uppercase();
    match service {
        Some(service) => format!("{port}/{proto} ({service})"),
        None => format!("{port}/{proto}"),
    }
}

/// How a fingerprint's tool is usually written.
pub(crate) fn tool_name(name: &str) -> &str {
    match name {
        "mirai" => "Mirai",
        "zmap" => "ZMap",
        other => other,
    }
}

/// `text` safe in HTML and XML content and attribute values.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// `text` with Markdown's punctuation escaped, so it reads as plain text in a paragraph or
/// a table cell.
pub(crate) fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(123_456_789), "123,456,789");
    }

    #[test]
    fn rates_ratios_and_changes() {
        assert_eq!(rate(2.25), "2.2");
        assert_eq!(rate(12_345.6), "12,346");
        assert_eq!(percent(0.8), "80.0%");
        assert_eq!(ratio(6.24), "6.2");
        assert_eq!(change(110, 100), "+10.0%");
        assert_eq!(change(96, 100), "-4.0%");
        assert_eq!(change(5, 0), "—");
    }

    #[test]
    fn timestamps_in_utc() {
        assert_eq!(timestamp("2019-11-02T03:04:05Z"), "2019-11-02 03:04 UTC");
        assert_eq!(
            timestamp("2019-11-02T12:04:05+09:00"),
            "2019-11-02 03:04 UTC"
        );
        assert_eq!(timestamp("yesterday"), "yesterday");
    }

    #[test]
    fn labels_and_escapes() {
        assert_eq!(port_label("23", "tcp", Some("telnet")), "23/TCP (telnet)");
        assert_eq!(port_label("22", "tcp", None), "22/TCP");
        assert_eq!(tool_name("zmap"), "ZMap");
        assert_eq!(tool_name("masscan"), "masscan");
        assert_eq!(escape_html("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(escape_markdown("a|b_c"), "a\\|b\\_c");
    }
}
