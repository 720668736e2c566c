//! The notable phenomena, one sentence (or two) per finding, as an analyst writes them: what
//! happened, when, from where, and how much.

use hirundo_analyze::model::{
    Dimension, Event, EventKind, FingerprintShare, PortFocus, ScannerShare, Victim,
};

use crate::countries::UNKNOWN;
use crate::format::{percent, rate, ratio, thousands, timestamp, tool_name};
use crate::text::{fill, Ctx};

/// Countries whose research-scanner share is at least this are worth a sentence.
const SCANNER_SHARE: f64 = 0.5;
/// Backscatter victims written about, the largest first.
const VICTIMS: usize = 5;

/// The findings listed at the head of the section: events, research scanners, fingerprints
/// and backscatter victims. (The home country's rank goes with its figure.)
pub(crate) fn sentences(ctx: &Ctx) -> Vec<String> {
    let report = ctx.report;
    let events = report.events.iter().map(|e| event(ctx, e));
    let scanners = report
        .scanners
        .iter()
        .filter(|s| s.share >= SCANNER_SHARE)
        .map(|s| scanner(ctx, s));
    let fingerprints = report.fingerprints.iter().map(|f| fingerprint(ctx, f));
    let victims = victims(ctx)
        .into_iter()
        .take(VICTIMS)
        .map(|v| victim(ctx, v));
    events
        .chain(scanners)
        .chain(fingerprints)
        .chain(victims)
        .collect()
}

/// What rose or fell, when, how much, and (for a rise on a port) from where. Each template
/// takes the placeholders it needs from the same arguments.
fn event(ctx: &Ctx, event: &Event) -> String {
    let t = ctx.t;
    let subject = match event.dimension {
        Dimension::Port => fill(t.subject_port, &[("port", &ctx.port(&event.key))]),
        Dimension::Country => fill(t.subject_country, &[("country", &ctx.country(&event.key))]),
    };
    let args = [
        ("subject", subject),
        ("verb", t.kind(event.kind).verb.to_owned()),
        ("start", event.start.to_string()),
        (
            "end",
            event.end.map(|end| end.to_string()).unwrap_or_default(),
        ),
        ("packets", thousands(event.packets)),
        ("baseline", rate(event.baseline_per_day)),
        ("magnitude", ratio(event.magnitude)),
        ("percent", percent(event.magnitude)),
        ("countries", ctx.countries(&event.top_countries)),
    ];
    let args: Vec<(&str, &str)> = args
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let rise = event.kind != EventKind::Drop;
    let what = if event.end.is_some() {
        t.event_closed
    } else {
        t.event_open
    };
    let how_much = if rise { t.event_rise } else { t.event_fall };
    let mut parts = vec![fill(what, &args), fill(how_much, &args)];
    if rise && !event.top_countries.is_empty() {
        parts.push(fill(t.event_sources, &args));
    }
    parts.join(t.sentence_sep)
}

/// The home country's place among a surging port's sources, if the report has a home.
pub(crate) fn home(ctx: &Ctx, focus: &PortFocus) -> Option<String> {
    let country = ctx.country(ctx.report.home.as_deref()?);
    let port = ctx.port(&focus.key);
    Some(match &focus.home {
        Some(home) => fill(
            ctx.t.home_rank,
            &[
                ("country", &country),
                ("port", &port),
                ("ordinal", &(ctx.t.ordinal)(home.rank)),
                ("packets", &thousands(home.packets)),
            ],
        ),
        None => fill(ctx.t.home_absent, &[("country", &country), ("port", &port)]),
    })
}

fn scanner(ctx: &Ctx, share: &ScannerShare) -> String {
    let names = match share.names.as_slice() {
        [] => String::new(),
        names => fill(ctx.t.scanner_names, &[("names", &(ctx.t.join)(names))]),
    };
    fill(
        ctx.t.scanner_share,
        &[
            ("percent", &percent(share.share)),
            ("country", &ctx.country(&share.country)),
            ("scanner_packets", &thousands(share.scanner_packets)),
            ("packets", &thousands(share.packets)),
            ("names", &names),
        ],
    )
}

/// What a fingerprint's scope covers, in a sentence: all packets, or a port's.
pub(crate) fn scope(ctx: &Ctx, scope: &str) -> String {
    match scope {
        "all" => ctx.t.scope_all.to_owned(),
        port => fill(ctx.t.scope_port, &[("port", &ctx.port(port))]),
    }
}

fn fingerprint(ctx: &Ctx, share: &FingerprintShare) -> String {
    fill(
        ctx.t.fingerprint,
        &[
            ("tool", tool_name(&share.name)),
            ("percent", &percent(share.share)),
            ("scope", &scope(ctx, &share.scope)),
            ("packets", &thousands(share.packets)),
        ],
    )
}

fn victim(ctx: &Ctx, victim: &Victim) -> String {
    fill(
        ctx.t.backscatter,
        &[
            ("victim", &victim.victim),
            ("country", &ctx.country_name(victim_country(victim))),
            ("packets", &thousands(victim.packets)),
            ("start", &timestamp(&victim.start)),
            ("end", &timestamp(&victim.end)),
            ("ports", &ports(&victim.ports)),
        ],
    )
}

/// The backscatter victims, most packets first.
pub(crate) fn victims<'a>(ctx: &Ctx<'a>) -> Vec<&'a Victim> {
    let mut victims: Vec<&Victim> = ctx.report.backscatter.iter().collect();
    victims.sort_by_key(|v| std::cmp::Reverse(v.packets));
    victims
}

/// A victim's country code, `??` when the model has none.
pub(crate) fn victim_country(victim: &Victim) -> &str {
    victim.country.as_deref().unwrap_or(UNKNOWN)
}

/// Port numbers as a list: `80, 443`.
pub(crate) fn ports(ports: &[u16]) -> String {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    if ports.is_empty() {
        "—".to_owned()
    } else {
        ports.join(", ")
    }
}
