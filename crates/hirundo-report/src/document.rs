//! The report as a sequence of blocks (headings, paragraphs, lists, tables, figures), built
//! once per language and written out by the Markdown and HTML writers.

use hirundo_analyze::model::{Dimension, Event, EventKind, KeyedSeries, PortFocus, Report};

use crate::chart::{self, Chart, Figure, Line};
use crate::findings;
use crate::format::{change, percent, thousands, timestamp, tool_name};
use crate::text::{fill, Ctx};
use crate::Lang;

/// Rows shown in a table (the model ranks more).
const TABLE_ROWS: usize = 10;

pub(crate) struct Document {
    pub lang: Lang,
    pub title: String,
    pub blocks: Vec<Block>,
}

pub(crate) enum Block {
    /// A section's heading (the document's title is above them all).
    Heading(String),
    Paragraph(String),
    List(Vec<String>),
    Table(Table),
    Figure(Chart),
}

pub(crate) struct Table {
    pub title: String,
    pub head: Vec<&'static str>,
    /// Which columns hold numbers (aligned right).
    pub numeric: Vec<bool>,
    pub rows: Vec<Vec<String>>,
}

impl Document {
    pub fn build(report: &Report, lang: Lang) -> Document {
        let ctx = Ctx::new(report, lang);
        let sections = [
            overview,
            ports,
            countries,
            phenomena,
            scanners,
            fingerprints,
            backscatter,
            honeypot,
            method,
        ];
        Document {
            lang,
            title: fill(ctx.t.title, &[("label", &report.period.label)]),
            blocks: sections.iter().flat_map(|section| section(&ctx)).collect(),
        }
    }

    /// The figures, in the order of the document.
    pub fn into_charts(self) -> Vec<Chart> {
        let figures = self.blocks.into_iter().filter_map(|block| match block {
            Block::Figure(chart) => Some(chart),
            _ => None,
        });
        figures.collect()
    }
}

fn overview(ctx: &Ctx) -> Vec<Block> {
    let (t, r) = (ctx.t, ctx.report);
    let (now, before) = (&r.totals, &r.previous_totals);
    let period = fill(
        t.period,
        &[
            ("start", &r.period.start.to_string()),
            ("end", &r.period.end.to_string()),
            ("label", &r.period.label),
            ("previous_start", &r.previous_period.start.to_string()),
            ("previous_end", &r.previous_period.end.to_string()),
            ("previous_label", &r.previous_period.label),
            ("tz", &r.time_zone),
        ],
    );
    let summary = fill(
        t.summary,
        &[
            ("packets", &thousands(now.packets)),
            ("sources", &thousands(now.unique_sources)),
            ("malformed", &thousands(now.malformed)),
        ],
    );
    let summary_change = fill(
        t.summary_change,
        &[
            ("packets", &change(now.packets, before.packets)),
            (
                "sources",
                &change(now.unique_sources, before.unique_sources),
            ),
        ],
    );
    let row = |name: &str, now: u64, before: u64| {
        vec![
            name.to_owned(),
            thousands(now),
            thousands(before),
            change(now, before),
        ]
    };
    let totals = Table {
        title: t.t_totals.to_owned(),
        head: vec!["", t.col_this, t.col_previous, t.col_change],
        numeric: vec![false, true, true, true],
        rows: vec![
            row(t.row_packets, now.packets, before.packets),
            row(t.row_sources, now.unique_sources, before.unique_sources),
            row(t.row_malformed, now.malformed, before.malformed),
        ],
    };
    vec![
        Block::Heading(t.h_overview.to_owned()),
        Block::Paragraph(period),
        Block::Paragraph([summary, summary_change].join(t.sentence_sep)),
        Block::Table(totals),
    ]
}

fn ports(ctx: &Ctx) -> Vec<Block> {
    let t = ctx.t;
    let top = &ctx.report.top_ports[..ctx.report.top_ports.len().min(TABLE_ROWS)];
    let rows = top.iter().map(|p| {
        let previous = ctx.previous_rank(p.previous_rank);
        vec![
            p.rank.to_string(),
            ctx.port(&p.key()),
            thousands(p.packets),
            previous,
        ]
    });
    let table = Table {
        title: table_title(ctx, 1, fill(t.t_ports, &[("n", &top.len().to_string())])),
        head: vec![t.col_rank, t.col_port, t.col_packets, t.col_previous_rank],
        numeric: vec![true, false, true, true],
        rows: rows.collect(),
    };
    let series = &ctx.report.series.ports;
    let title = fill(
        t.fig_ports,
        &[("per", ctx.per()), ("n", &series.len().to_string())],
    );
    let lines = series.iter().map(|s| line(ctx.port(&s.key), s)).collect();
    let figure = figure(
        ctx,
        "1",
        "figure1-ports.svg".into(),
        title,
        figure_of(ctx, lines),
    );
    section(ctx, t.h_ports, table)
        .into_iter()
        .chain(figure)
        .collect()
}

fn countries(ctx: &Ctx) -> Vec<Block> {
    let t = ctx.t;
    let top = &ctx.report.top_countries[..ctx.report.top_countries.len().min(TABLE_ROWS)];
    let rows = top.iter().map(|c| {
        let previous = ctx.previous_rank(c.previous_rank);
        vec![
            c.rank.to_string(),
            ctx.country(&c.country),
            thousands(c.packets),
            previous,
        ]
    });
    let table = Table {
        title: table_title(
            ctx,
            2,
            fill(t.t_countries, &[("n", &top.len().to_string())]),
        ),
        head: vec![
            t.col_rank,
            t.col_country,
            t.col_packets,
            t.col_previous_rank,
        ],
        numeric: vec![true, false, true, true],
        rows: rows.collect(),
    };
    let series = &ctx.report.series.countries;
    let title = fill(
        t.fig_countries,
        &[("per", ctx.per()), ("n", &series.len().to_string())],
    );
    let lines = series
        .iter()
        .map(|s| line(ctx.country_name(&s.key), s))
        .collect();
    let figure = figure(
        ctx,
        "2",
        "figure2-countries.svg".into(),
        title,
        figure_of(ctx, lines),
    );
    section(ctx, t.h_countries, table)
        .into_iter()
        .chain(figure)
        .collect()
}

/// The findings; Figures 3-k and 4-k, with the home country's rank, for each surging port;
/// Figure 5-k for each country that spiked or dropped.
fn phenomena(ctx: &Ctx) -> Vec<Block> {
    let t = ctx.t;
    let sentences = findings::sentences(ctx);
    let findings = match sentences.is_empty() {
        true => Block::Paragraph(t.no_findings.to_owned()),
        false => Block::List(sentences),
    };
    let mut blocks = vec![Block::Heading(t.h_findings.to_owned()), findings];
    for (k, focus) in (1..).zip(&ctx.report.port_focus) {
        blocks.extend(focus_figures(ctx, k, focus));
        blocks.extend(findings::home(ctx, focus).map(Block::Paragraph));
    }
    for (k, (event, series)) in (1..).zip(country_events(ctx)) {
        blocks.extend(event_figure(ctx, k, event, series));
    }
    blocks
}

/// Figure 3-k, a port's packets stacked by source country, and Figure 4-k, the home
/// country's packets to it.
fn focus_figures(ctx: &Ctx, k: u32, focus: &PortFocus) -> Vec<Block> {
    let t = ctx.t;
    let port = ctx.port(&focus.key);
    let slug = slug(&focus.key);
    let title = fill(t.fig_focus, &[("per", ctx.per()), ("port", &port)]);
    let lines = focus
        .by_country
        .iter()
        .map(|s| line(country_or_other(ctx, &s.key), s));
    let stacked = Figure {
        stacked: true,
        ..figure_of(ctx, lines.collect())
    };
    let mut blocks: Vec<Block> = figure(
        ctx,
        &format!("3-{k}"),
        format!("figure3-{k}-{slug}.svg"),
        title,
        stacked,
    )
    .into_iter()
    .collect();
    if let (Some(home), Some(series)) = (&ctx.report.home, &focus.home_series) {
        let country = ctx.country(home);
        let title = fill(
            t.fig_home,
            &[("per", ctx.per()), ("country", &country), ("port", &port)],
        );
        let file_name = format!("figure4-{k}-{slug}-{}.svg", self::slug(home));
        let lines = vec![line(ctx.country_name(home), series)];
        blocks.extend(figure(
            ctx,
            &format!("4-{k}"),
            file_name,
            title,
            figure_of(ctx, lines),
        ));
    }
    blocks
}

/// The countries that spiked or dropped, with their series.
fn country_events<'a>(ctx: &Ctx<'a>) -> impl Iterator<Item = (&'a Event, &'a KeyedSeries)> {
    let report = ctx.report;
    let shown = |e: &&Event| {
        e.dimension == Dimension::Country && matches!(e.kind, EventKind::Spike | EventKind::Drop)
    };
    report
        .events
        .iter()
        .filter(shown)
        .filter_map(|e| Some((e, report.series.events.iter().find(|s| s.key == e.key)?)))
}

/// Figure 5-k: a country's packets, the days of its event shaded.
fn event_figure(ctx: &Ctx, k: u32, event: &Event, series: &KeyedSeries) -> Option<Block> {
    let t = ctx.t;
    let start = event.start.to_string();
    let span = match event.end {
        Some(end) => fill(
            t.span_closed,
            &[("start", &start), ("end", &end.to_string())],
        ),
        None => fill(t.span_open, &[("start", &start)]),
    };
    let country = ctx.country(&event.key);
    let kind = t.kind(event.kind).noun;
    let title = fill(
        t.fig_event,
        &[
            ("per", ctx.per()),
            ("country", &country),
            ("kind", kind),
            ("span", &span),
        ],
    );
    let lines = vec![line(ctx.country_name(&event.key), series)];
    let shaded = Figure {
        shade: Some((event.start, event.end)),
        ..figure_of(ctx, lines)
    };
    figure(
        ctx,
        &format!("5-{k}"),
        format!("figure5-{k}-{}.svg", slug(&event.key)),
        title,
        shaded,
    )
}

fn scanners(ctx: &Ctx) -> Vec<Block> {
    let t = ctx.t;
    let rows = ctx.report.scanners.iter().take(TABLE_ROWS).map(|s| {
        let names = s.names.join(", ");
        vec![
            ctx.country(&s.country),
            thousands(s.packets),
            thousands(s.scanner_packets),
            percent(s.share),
            names,
        ]
    });
    let table = Table {
        title: table_title(ctx, 3, t.t_scanners.to_owned()),
        head: vec![
            t.col_country,
            t.col_packets,
            t.col_scanner_packets,
            t.col_share,
            t.col_scanners,
        ],
        numeric: vec![false, true, true, true, false],
        rows: rows.collect(),
    };
    section(ctx, t.h_scanners, table)
}

fn fingerprints(ctx: &Ctx) -> Vec<Block> {
    let t = ctx.t;
    let rows = ctx.report.fingerprints.iter().take(TABLE_ROWS).map(|f| {
        let scope = findings::scope(ctx, &f.scope);
        vec![
            tool_name(&f.name).to_owned(),
            scope,
            thousands(f.packets),
            percent(f.share),
        ]
    });
    let table = Table {
        title: table_title(ctx, 4, t.t_fingerprints.to_owned()),
        head: vec![t.col_tool, t.col_scope, t.col_packets, t.col_share],
        numeric: vec![false, false, true, true],
        rows: rows.collect(),
    };
    section(ctx, t.h_fingerprints, table)
}

fn backscatter(ctx: &Ctx) -> Vec<Block> {
    let t = ctx.t;
    let rows = findings::victims(ctx)
        .into_iter()
        .take(TABLE_ROWS)
        .map(|v| {
            vec![
                v.victim.clone(),
                ctx.country(findings::victim_country(v)),
                thousands(v.packets),
                timestamp(&v.start),
                timestamp(&v.end),
                findings::ports(&v.ports),
            ]
        });
    let table = Table {
        title: table_title(ctx, 5, t.t_backscatter.to_owned()),
        head: vec![
            t.col_victim,
            t.col_country,
            t.col_packets,
            t.col_start,
            t.col_end,
            t.col_ports,
        ],
        numeric: vec![false, false, true, false, false, false],
        rows: rows.collect(),
    };
    section(ctx, t.h_backscatter, table)
}

/// What the honeypot recorded: a summary sentence, then attempts by service and country and
/// the credentials tried most (nothing when the period has no honeypot events).
fn honeypot(ctx: &Ctx) -> Vec<Block> {
    let Some(h) = &ctx.report.honeypot else {
        return Vec::new();
    };
    let t = ctx.t;
    let summary = fill(
        t.honeypot_summary,
        &[
            ("connections", &thousands(h.connections)),
            ("sources", &thousands(h.sources)),
            ("logins", &thousands(h.logins)),
            ("commands", &thousands(h.commands)),
            ("in_darknet", &thousands(h.sources_in_darknet)),
        ],
    );
    let ports = Table {
        title: table_title(ctx, 6, t.t_honeypot_ports.to_owned()),
        head: vec![
            t.col_service,
            t.col_connections,
            t.col_logins,
            t.col_sources,
        ],
        numeric: vec![false, true, true, true],
        rows: h
            .by_port
            .iter()
            .map(|p| {
                let service = format!("{} {}/tcp", p.protocol, p.port);
                let counts = [p.connections, p.logins, p.sources].map(thousands);
                std::iter::once(service).chain(counts).collect()
            })
            .collect(),
    };
    let countries = Table {
        title: table_title(ctx, 7, t.t_honeypot_countries.to_owned()),
        head: vec![t.col_rank, t.col_country, t.col_logins, t.col_sources],
        numeric: vec![true, false, true, true],
        rows: h
            .by_country
            .iter()
            .map(|c| {
                let (logins, sources) = (thousands(c.logins), thousands(c.sources));
                vec![c.rank.to_string(), ctx.country(&c.country), logins, sources]
            })
            .collect(),
    };
    let mut blocks = vec![
        Block::Heading(t.h_honeypot.to_owned()),
        Block::Paragraph(summary),
        Block::Table(ports),
        Block::Table(countries),
    ];
    let credentials = [
        (8, t.t_usernames, t.col_username, &h.top_usernames),
        (9, t.t_passwords, t.col_password, &h.top_passwords),
    ];
    for (n, title, column, values) in credentials {
        if values.is_empty() {
            continue;
        }
        blocks.push(Block::Table(Table {
            title: table_title(ctx, n, title.to_owned()),
            head: vec![t.col_rank, column, t.col_logins],
            numeric: vec![true, false, true],
            rows: (1..)
                .zip(values)
                .map(|(rank, c)| vec![u32::to_string(&rank), c.value.clone(), thousands(c.logins)])
                .collect(),
        }));
    }
    blocks
}

fn method(ctx: &Ctx) -> Vec<Block> {
    let (t, m) = (ctx.t, &ctx.report.method);
    let rules = [
        (t.m_events, &m.events),
        (t.m_backscatter, &m.backscatter),
        (t.m_unique, &m.unique_sources),
        (t.m_scanners, &m.scanners),
    ];
    let items = rules
        .iter()
        .map(|(name, text)| fill(t.method_item, &[("name", name), ("text", text)]));
    vec![
        Block::Heading(t.h_method.to_owned()),
        Block::List(items.collect()),
        Block::Paragraph(fill(t.generated, &[("generator", &ctx.report.generator)])),
    ]
}

/// A heading and its table, or "none" instead of an empty table.
fn section(ctx: &Ctx, heading: &str, table: Table) -> Vec<Block> {
    let body = match table.rows.is_empty() {
        true => Block::Paragraph(ctx.t.none.to_owned()),
        false => Block::Table(table),
    };
    vec![Block::Heading(heading.to_owned()), body]
}

fn table_title(ctx: &Ctx, n: u32, title: String) -> String {
    fill(ctx.t.table, &[("n", &n.to_string()), ("title", &title)])
}

fn line(label: String, series: &KeyedSeries) -> Line<'_> {
    Line {
        label,
        values: &series.values,
    }
}

fn country_or_other(ctx: &Ctx, key: &str) -> String {
    match key {
        "other" => ctx.t.other.to_owned(),
        code => ctx.country_name(code),
    }
}

/// A line chart of `lines` over the period's days.
fn figure_of<'a>(ctx: &Ctx<'a>, lines: Vec<Line<'a>>) -> Figure<'a> {
    let y_desc = fill(ctx.t.y_desc, &[("per", ctx.per())]);
    Figure {
        days: &ctx.report.series.days,
        y_desc,
        lines,
        stacked: false,
        shade: None,
    }
}

/// Figure `n`, if it has anything to show.
fn figure(ctx: &Ctx, n: &str, file_name: String, title: String, figure: Figure) -> Option<Block> {
    let title = fill(ctx.t.figure, &[("n", n), ("title", &title)]);
    (!figure.lines.is_empty()).then(|| Block::Figure(chart::draw(file_name, title, &figure)))
}

/// A key as part of a file name: `1433/tcp` is `1433-tcp`, `RO` is `ro`.
fn slug(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}
