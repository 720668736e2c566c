//! The report rendered from a hand-made quarter modelled on TSUBAME's Oct–Dec 2019: tables,
//! findings, charts, HTML structure and the files `write_all` leaves.

use std::collections::BTreeSet;
use std::path::PathBuf;

use chrono::NaiveDate;
use hirundo_analyze::model::*;
use hirundo_report::{charts, html, markdown, write_all, Lang};

fn date(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, month, day).unwrap()
}

fn period(label: &str, start: NaiveDate, end: NaiveDate) -> PeriodInfo {
    PeriodInfo {
        label: label.into(),
        start,
        end,
    }
}

fn totals(packets: u64, unique_sources: u64, malformed: u64) -> Totals {
    Totals {
        packets,
        unique_sources,
        malformed,
    }
}

fn port(
    rank: u32,
    port: u16,
    service: Option<&str>,
    packets: u64,
    previous_rank: Option<u32>,
) -> PortRank {
    PortRank {
        rank,
        proto: "tcp".into(),
        port,
        service: service.map(Into::into),
        packets,
        previous_rank,
        previous_packets: packets / 2,
    }
}

fn country(rank: u32, code: &str, packets: u64, previous_rank: Option<u32>) -> CountryRank {
    CountryRank {
        rank,
        country: code.into(),
        packets,
        previous_rank,
        previous_packets: packets / 2,
    }
}

/// A daily series over `days` days: `base` plus a weekly wobble, times `factor` on the days
/// in `span`.
fn series(key: &str, days: usize, base: u64, span: (usize, usize), factor: f64) -> KeyedSeries {
    let values = (0..days)
        .map(|d| {
            let value = base + base / 10 * (d as u64 % 7);
            if (span.0..=span.1).contains(&d) {
                (value as f64 * factor) as u64
            } else {
                value
            }
        })
        .collect();
    KeyedSeries {
        key: key.into(),
        values,
    }
}

fn flat(key: &str, days: usize, base: u64) -> KeyedSeries {
    series(key, days, base, (usize::MAX, usize::MAX), 1.0)
}

fn event(
    kind: EventKind,
    dimension: Dimension,
    key: &str,
    start: NaiveDate,
    end: Option<NaiveDate>,
) -> Event {
    let (magnitude, top_countries) = match kind {
        EventKind::Surge => (6.2, vec!["CN", "US", "IN", "VN", "RU"]),
        EventKind::Spike => (3.4, vec![]),
        EventKind::Drop => (0.12, vec![]),
    };
    Event {
        kind,
        dimension,
        key: key.into(),
        start,
        end,
        magnitude,
        baseline_per_day: 12_345.6,
        packets: 1_234_567,
        top_countries: top_countries.into_iter().map(Into::into).collect(),
    }
}

fn victim(n: u64) -> Victim {
    Victim {
        victim: format!("198.51.100.{n}"),
        packets: 10_000 * n,
        start: format!("2019-11-{:02}T03:04:05Z", n + 1),
        end: format!("2019-11-{:02}T09:30:00Z", n + 1),
        ports: vec![80, 443],
        country: (n != 3).then(|| "US".into()),
    }
}

/// A quarter like TSUBAME's 2019Q4: 1433/TCP surging from 10-04, a Romanian spike, an
/// Iranian drop, Dutch research scanners, Mirai on 23/TCP, six backscatter victims.
fn report() -> Report {
    let days: Vec<NaiveDate> = date(10, 1).iter_days().take(92).collect();
    let n = days.len();
    let mut top_ports = vec![
        port(1, 23, Some("telnet"), 9_876_543, Some(1)),
        port(2, 445, Some("microsoft-ds"), 5_432_100, Some(2)),
        port(3, 1433, Some("ms-sql-s"), 3_210_000, Some(14)),
        port(4, 80, Some("http"), 2_100_000, Some(5)),
        port(5, 22, None, 1_900_000, Some(3)),
        port(6, 3389, Some("ms-wbt-server"), 1_500_000, None),
    ];
    top_ports.extend((7..=22).map(|rank| {
        port(
            rank,
            8000 + rank as u16,
            None,
            1_000_000 - 10_000 * u64::from(rank),
            Some(rank),
        )
    }));
    let codes = [
        "NL", "RU", "US", "CN", "RO", "DE", "FR", "GB", "BR", "IN", "VN", "KR", "JP", "TW", "IR",
        "SG", "HK", "CA", "IT", "??",
    ];
    let previous = |rank: u32| match rank {
        5 => Some(25),
        9 => None,
        _ => Some(rank),
    };
    let top_countries = (1..)
        .zip(codes)
        .map(|(rank, code)| country(rank, code, 8_000_000 / u64::from(rank), previous(rank)))
        .collect();
    Report {
        period: period("2019Q4", date(10, 1), date(12, 31)),
        previous_period: period("2019Q3", date(7, 1), date(9, 30)),
        time_zone: "Asia/Tokyo".into(),
        home: Some("JP".into()),
        totals: totals(52_345_678, 1_234_567, 321),
        previous_totals: totals(48_000_000, 1_300_000, 0),
        top_ports,
        top_countries,
        events: vec![
            event(
                EventKind::Surge,
                Dimension::Port,
                "1433/tcp",
                date(10, 4),
                None,
            ),
            event(
                EventKind::Spike,
                Dimension::Country,
                "RO",
                date(12, 7),
                Some(date(12, 13)),
            ),
            event(
                EventKind::Drop,
                Dimension::Country,
                "IR",
                date(11, 17),
                Some(date(11, 23)),
            ),
        ],
        port_focus: vec![PortFocus {
            key: "1433/tcp".into(),
            countries: (1..)
                .zip(["CN", "US", "IN", "VN", "RU"])
                .map(|(rank, c)| FocusCountry {
                    rank,
                    country: c.into(),
                    packets: 900_000 / u64::from(rank),
                })
                .collect(),
            home: Some(FocusCountry {
                rank: 13,
                country: "JP".into(),
                packets: 4_321,
            }),
            by_country: (1..)
                .zip(["CN", "US", "IN", "VN", "RU", "other"])
                .map(|(i, c)| series(c, n, 4_000 / i, (3, n - 1), 6.0))
                .collect(),
            home_series: Some(series("JP", n, 40, (3, n - 1), 2.0)),
        }],
        scanners: vec![
            ScannerShare {
                country: "NL".into(),
                packets: 8_000_000,
                scanner_packets: 6_400_000,
                share: 0.8,
                names: vec!["Censys".into(), "Shodan".into(), "Rapid7".into()],
            },
            ScannerShare {
                country: "US".into(),
                packets: 2_666_666,
                scanner_packets: 933_333,
                share: 0.35,
                names: vec!["Shadowserver".into()],
            },
        ],
        fingerprints: vec![
            FingerprintShare {
                name: "mirai".into(),
                scope: "23/tcp".into(),
                packets: 6_123_456,
                share: 0.62,
            },
            FingerprintShare {
                name: "zmap".into(),
                scope: "all".into(),
                packets: 9_422_222,
                share: 0.18,
            },
            FingerprintShare {
                name: "masscan".into(),
                scope: "all".into(),
                packets: 3_664_197,
                share: 0.07,
            },
        ],
        backscatter: (1..=6).map(victim).collect(),
        honeypot: Some(honeypot()),
        series: Series {
            days,
            resolution: "day".into(),
            packets: flat("", n, 500_000).values,
            unique_sources: flat("", n, 20_000).values,
            ports: (1..)
                .zip(["23/tcp", "445/tcp", "1433/tcp", "80/tcp", "22/tcp"])
                .map(|(i, k)| flat(k, n, 100_000 / i))
                .collect(),
            countries: (1..)
                .zip(["NL", "RU", "US", "CN", "RO"])
                .map(|(i, k)| flat(k, n, 80_000 / i))
                .collect(),
            events: vec![
                series("1433/tcp", n, 12_000, (3, n - 1), 6.2),
                series("RO", n, 30_000, (67, 73), 3.4),
                series("IR", n, 9_000, (47, 53), 0.12),
            ],
        },
        method: Method {
            events: "Robust z-score of daily packets against a 14-day median baseline.".into(),
            backscatter: "SYN-ACK, RST and ICMP replies grouped by sender, 1-hour gaps.".into(),
            unique_sources: "Distinct source addresses over the period.".into(),
            scanners: "Sources in the networks of known research scanners.".into(),
        },
        generator: "hirundo 0.1.0".into(),
    }
}

fn honeypot() -> HoneypotSummary {
    let credential = |value: &str, logins| Credential {
        value: value.into(),
        logins,
    };
    HoneypotSummary {
        connections: 12_345,
        logins: 9_876,
        commands: 321,
        sources: 4_321,
        sources_in_darknet: 4_000,
        by_port: vec![
            HoneypotPort {
                protocol: "mssql".into(),
                port: 1433,
                connections: 10_000,
                logins: 9_000,
                sources: 3_000,
            },
            HoneypotPort {
                protocol: "telnet".into(),
                port: 23,
                connections: 2_345,
                logins: 876,
                sources: 1_321,
            },
        ],
        by_country: vec![HoneypotCountry {
            rank: 1,
            country: "CN".into(),
            logins: 5_000,
            sources: 2_000,
        }],
        top_usernames: vec![credential("sa", 8_000), credential("root", 800)],
        top_passwords: vec![credential("123456", 700), credential("пароль", 5)],
    }
}

/// The chart files and captions a full report has, in order.
const FIGURES: [&str; 6] = [
    "figure1-ports.svg",
    "figure2-countries.svg",
    "figure3-1-1433-tcp.svg",
    "figure4-1-1433-tcp-jp.svg",
    "figure5-1-ro.svg",
    "figure5-2-ir.svg",
];

#[test]
fn json_round_trip() {
    let report = report();
    let json = serde_json::to_string_pretty(&report).unwrap();
    assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
}

#[test]
fn honeypot_section_states_attempts_and_credentials() {
    let en = markdown(&report(), Lang::En, "charts/en");
    assert!(en.contains("## Honeypot"), "{en}");
    assert!(en.contains(
        "accepted 12,345 connections from 4,321 source addresses, which tried 9,876 logins"
    ));
    assert!(en.contains("4,000 of these addresses also sent packets to the darknet"));
    assert!(
        en.contains("| mssql 1433/tcp | 10,000 | 9,000 | 3,000 |"),
        "{en}"
    );
    assert!(en.contains("| 1 | sa | 8,000 |"));
    assert!(en.contains("| 2 | пароль | 5 |"));
    let ja = markdown(&report(), Lang::Ja, "charts/ja");
    assert!(ja.contains("## ハニーポット"));
    assert!(
        ja.contains("4,321個の送信元アドレスから12,345件の接続"),
        "{ja}"
    );
    let mut quiet = report();
    quiet.honeypot = None;
    assert!(!markdown(&quiet, Lang::En, "charts/en").contains("Honeypot"));
}

#[test]
fn languages_parse_and_name_themselves() {
    assert_eq!("ja".parse::<Lang>().unwrap(), Lang::Ja);
    assert_eq!("en".parse::<Lang>().unwrap().code(), "en");
    assert!("fr".parse::<Lang>().is_err());
}

#[test]
fn table_1_shows_the_top_10_ports_with_previous_ranks() {
    let en = markdown(&report(), Lang::En, "charts/en");
    assert!(
        en.contains("| 1 | 23/TCP (telnet) | 9,876,543 | 1 |"),
        "{en}"
    );
    assert!(en.contains("| 3 | 1433/TCP (ms-sql-s) | 3,210,000 | not in top 10 |"));
    assert!(en.contains("| 5 | 22/TCP | 1,900,000 | 3 |"));
    assert!(en.contains("| 6 | 3389/TCP (ms-wbt-server) | 1,500,000 | not in top 10 |"));
    assert!(en.contains("| 10 | 8010/TCP |"));
    assert!(!en.contains("| 11 | 8011/TCP |"));
    let ja = markdown(&report(), Lang::Ja, "charts/ja");
    assert!(ja.contains("| 3 | 1433/TCP (ms-sql-s) | 3,210,000 | TOP10外 |"));
    assert!(ja.contains("表1: 宛先ポート別パケット数 上位10"));
}

#[test]
fn table_2_names_countries_in_the_language() {
    let ja = markdown(&report(), Lang::Ja, "charts/ja");
    assert!(
        ja.contains("| 1 | オランダ（NL） | 8,000,000 | 1 |"),
        "{ja}"
    );
    assert!(ja.contains("| 5 | ルーマニア（RO） | 1,600,000 | TOP10外 |"));
    assert!(ja.contains("| 9 | ブラジル（BR） | 888,888 | TOP10外 |"));
    let en = markdown(&report(), Lang::En, "charts/en");
    assert!(en.contains("| 2 | Russia (RU) | 4,000,000 | 2 |"));
    assert!(en.contains("| 5 | Romania (RO) | 1,600,000 | not in top 10 |"));
}

#[test]
fn overview_compares_with_the_previous_period() {
    let en = markdown(&report(), Lang::En, "c");
    assert!(en.contains("Observation period: 2019-10-01 to 2019-12-31 (2019Q4)"));
    assert!(en.contains("2019-07-01 to 2019-09-30 (2019Q3)"));
    assert!(en.contains("Asia/Tokyo"));
    assert!(en.contains("| Packets | 52,345,678 | 48,000,000 | +9.1% |"));
    assert!(en.contains("| Malformed packets | 321 | 0 | — |"));
    let ja = markdown(&report(), Lang::Ja, "c");
    assert!(
        ja.contains("センサーは1,234,567個の送信元アドレスから52,345,678パケットを受信しました。")
    );
}

#[test]
fn every_event_has_a_sentence() {
    let en = markdown(&report(), Lang::En, "charts/en");
    for sentence in [
        "- Packets to 1433/TCP (ms-sql-s) rose from 2019-10-04 and had not returned to normal by the end of the period. They totalled 1,234,567 packets, 6.2 times what the baseline of 12,346 packets per day predicts. Most of the additional packets came from China (CN), United States (US), India (IN), Vietnam (VN) and Russia (RU).",
        "- Packets from Romania (RO) spiked from 2019-12-07 to 2019-12-13. They totalled 1,234,567 packets, 3.4 times",
        "- Packets from Iran (IR) dropped from 2019-11-17 to 2019-11-23. They totalled 1,234,567 packets, 12.0% of what",
    ] {
        assert!(en.contains(sentence), "missing {sentence:?} in\n{en}");
    }
    let ja = markdown(&report(), Lang::Ja, "charts/ja");
    for sentence in [
        "- 1433/TCP (ms-sql-s)宛てのパケットが2019-10-04から増加し、期間の終わりまで続きました。この間のパケット数は1,234,567で、平常時の水準（1日あたり12,346パケット）から見込まれる量の6.2倍でした。増加分の主な送信元は中華人民共和国（CN）、アメリカ合衆国（US）、インド（IN）、ベトナム（VN）、ロシア連邦（RU）です。",
        "- ルーマニア（RO）からのパケットが2019-12-07から2019-12-13にかけて急増しました。",
        "- イラン・イスラム共和国（IR）からのパケットが2019-11-17から2019-11-23にかけて減少しました。この間のパケット数は1,234,567で、平常時の水準（1日あたり12,346パケット）から見込まれる量の12.0%にとどまりました。",
    ] {
        assert!(ja.contains(sentence), "missing {sentence:?} in\n{ja}");
    }
}

#[test]
fn scanners_fingerprints_victims_and_home_have_sentences() {
    let en = markdown(&report(), Lang::En, "charts/en");
    assert!(en.contains("- 80.0% of the packets from Netherlands (NL), 6,400,000 of 8,000,000, came from known research scanners (Censys, Shodan and Rapid7)."));
    assert!(
        !en.contains("of the packets from United States (US)"),
        "share below one half"
    );
    assert!(en.contains("- Packets with the Mirai fingerprint made up 62.0% of packets to 23/TCP (telnet): 6,123,456 packets."));
    assert!(en.contains("- Packets with the ZMap fingerprint made up 18.0% of all packets"));
    assert!(en.contains("- 198.51.100.6 (United States) was likely the target of a DoS attack: 60,000 backscatter packets from it arrived between 2019-11-07 03:04 UTC and 2019-11-07 09:30 UTC (source ports 80, 443)."));
    assert!(en.contains("- 198.51.100.3 (unknown) was likely"));
    assert!(
        !en.contains("- 198.51.100.1 "),
        "only the five largest victims"
    );
    let table = en
        .find("| 198.51.100.6 | United States (US) | 60,000 | 2019-11-07 03:04 UTC |")
        .unwrap();
    assert!(
        table
            < en.find("| 198.51.100.1 | United States (US) | 10,000 |")
                .unwrap(),
        "most packets first"
    );
    assert!(en.contains("Japan (JP) ranked 13th among the sources of packets to 1433/TCP (ms-sql-s), with 4,321 packets."));
    let ja = markdown(&report(), Lang::Ja, "charts/ja");
    assert!(ja.contains("- オランダ（NL）からのパケットの80.0%（8,000,000パケット中6,400,000パケット）は、既知の調査目的のスキャナ（Censys、Shodan、Rapid7）によるものでした。"));
    assert!(ja.contains("- 23/TCP (telnet)宛てのパケットの62.0%（6,123,456パケット）はMiraiの特徴を持つパケットでした。"));
    assert!(ja.contains("1433/TCP (ms-sql-s)宛てのパケットの送信元のうち、日本（JP）は13位（4,321パケット）でした。"));
}

#[test]
fn markdown_fills_every_placeholder_and_links_every_chart() {
    for lang in Lang::ALL {
        let dir = format!("charts/{}", lang.code());
        let md = markdown(&report(), lang, &dir);
        assert!(
            !md.contains('{') && !md.contains('}'),
            "unfilled template in\n{md}"
        );
        for file in FIGURES {
            assert!(
                md.contains(&format!("]({dir}/{file})")),
                "no link to {file}"
            );
        }
        assert!(md.contains("## ") && md.contains("| ---: |"));
    }
}

#[test]
fn charts_are_numbered_and_captioned() {
    let ja = charts(&report(), Lang::Ja);
    let files: Vec<&str> = ja.iter().map(|c| c.file_name.as_str()).collect();
    assert_eq!(files, FIGURES);
    let titles: Vec<&str> = ja.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(titles[0], "図1: 宛先ポート上位5のパケット数の推移（日別）");
    assert_eq!(
        titles[2],
        "図3-1: 1433/TCP (ms-sql-s)宛てパケット数の送信元国・地域別内訳（日別）"
    );
    assert_eq!(
        titles[3],
        "図4-1: 日本（JP）から1433/TCP (ms-sql-s)宛てのパケット数（日別）"
    );
    assert_eq!(titles[5], "図5-2: イラン・イスラム共和国（IR）からのパケット数（日別）。網掛けは2019-11-17～2019-11-23の減少");
    let en = charts(&report(), Lang::En);
    assert_eq!(en[4].title, "Figure 5-1: Packets per day from Romania (RO); the shaded area is the spike (2019-12-07 to 2019-12-13)");
    assert!(
        en[2].svg.contains(">\nother\n</text>"),
        "legend of the stacked chart"
    );
}

/// The `<svg class="chart">` elements of an HTML report, checked as XML.
fn chart_elements(html: &str) -> Vec<(String, usize)> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: true,
        ..Default::default()
    };
    let doc = roxmltree::Document::parse_with_options(html, options).expect("well-formed HTML");
    let charts = doc
        .descendants()
        .filter(|n| n.has_tag_name("svg") && n.attribute("class") == Some("chart"));
    let data_points = |svg: roxmltree::Node| {
        let lines = svg
            .descendants()
            .filter(|n| n.has_tag_name("polyline") || n.has_tag_name("polygon"));
        lines
            .map(|n| {
                n.attribute("points")
                    .unwrap_or("")
                    .split_whitespace()
                    .count()
            })
            .max()
            .unwrap_or(0)
    };
    charts
        .map(|svg| {
            (
                svg.descendants()
                    .find(|n| n.has_tag_name("title"))
                    .unwrap()
                    .text()
                    .unwrap()
                    .to_owned(),
                data_points(svg),
            )
        })
        .collect()
}

#[test]
fn html_is_self_contained_and_has_every_chart_with_data() {
    for lang in Lang::ALL {
        let html = html(&report(), lang);
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\""));
        assert!(html.contains(&format!("<html lang=\"{}\">", lang.code())));
        let charts = chart_elements(&html);
        assert_eq!(charts.len(), FIGURES.len(), "{charts:?}");
        for (title, points) in charts {
            assert!(points >= 92, "{title}: a series of the 92 days");
        }
        assert!(!html.contains("<script") && !html.contains("src=") && !html.contains("href="));
        assert!(!html.contains("url("), "no fetched resource in CSS");
        let external = html.matches("http://").count() + html.matches("https://").count();
        assert_eq!(
            external,
            html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count(),
            "only SVG namespaces"
        );
    }
}

#[test]
fn html_escapes_text() {
    let mut report = report();
    report.generator = "hirundo <0.1> & \"friends\"".into();
    let html = html(&report, Lang::En);
    assert!(html.contains("Generated by hirundo &lt;0.1&gt; &amp; &quot;friends&quot;."));
    assert_eq!(chart_elements(&html).len(), FIGURES.len());
}

#[test]
fn weekly_series_a_missing_home_and_an_empty_quarter_render() {
    let mut weekly = report();
    weekly.series.resolution = "week".into();
    weekly.series.days = weekly.series.days.iter().step_by(7).copied().collect();
    let charts = charts(&weekly, Lang::En);
    assert!(charts[0].title.contains("per week") && charts[0].svg.contains("Packets per week"));

    let mut no_home = report();
    no_home.port_focus[0].home = None;
    no_home.port_focus[0].home_series = None;
    let md = markdown(&no_home, Lang::En, "charts/en");
    assert!(md.contains("No packets from Japan (JP) to 1433/TCP (ms-sql-s) were observed."));
    assert!(!md.contains("figure4-"));

    let mut empty = report();
    empty.events.clear();
    empty.port_focus.clear();
    empty.scanners.clear();
    empty.fingerprints.clear();
    empty.backscatter.clear();
    empty.series.ports.clear();
    empty.series.countries.clear();
    let md = markdown(&empty, Lang::Ja, "charts/ja");
    assert!(md.contains("特に注目すべき現象は検出されませんでした。") && md.contains("該当なし。"));
    assert!(chart_elements(&html(&empty, Lang::En)).is_empty());
}

#[test]
fn write_all_writes_json_markdown_html_and_charts() {
    let dir = tempfile::tempdir().unwrap();
    let report = report();
    let written = write_all(&report, dir.path()).unwrap();
    let relative: BTreeSet<PathBuf> = written
        .iter()
        .map(|p| p.strip_prefix(dir.path()).unwrap().to_owned())
        .collect();
    let mut expected: BTreeSet<PathBuf> = [
        "report.json",
        "report.en.md",
        "report.ja.md",
        "report.en.html",
        "report.ja.html",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    for lang in ["en", "ja"] {
        expected.extend(
            FIGURES
                .iter()
                .map(|f| PathBuf::from(format!("charts/{lang}/{f}"))),
        );
    }
    assert_eq!(relative, expected);
    assert!(written.iter().all(|p| p.is_file()));
    let json = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
    let svg = std::fs::read_to_string(dir.path().join("charts/ja/figure1-ports.svg")).unwrap();
    assert!(svg.starts_with("<svg class=\"chart\""));
}

#[test]
fn write_all_names_the_path_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, "").unwrap();
    let error = write_all(&report(), &blocker).unwrap_err();
    assert!(
        error
            .to_string()
            .contains(&blocker.join("report.json").display().to_string()),
        "{error}"
    );
}
