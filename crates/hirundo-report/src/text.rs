//! The words of a report: one table of texts per language, read by one renderer.
//!
//! Sentences are templates whose `{name}` placeholders [`fill`] replaces, so that each
//! language keeps its own word order; grammar that a template cannot say (English ordinals,
//! list conjunctions) is a function in the table.

use hirundo_analyze::model::{EventKind, Report};

use crate::countries::country_name;
use crate::format::port_label;
use crate::Lang;

/// How a language names a kind of event: as a noun (figure captions) and as the verb of a
/// finding.
pub(crate) struct KindWords {
    pub noun: &'static str,
    pub verb: &'static str,
}

/// Every text of a report in one language.
pub(crate) struct Texts {
    pub title: &'static str,
    pub table: &'static str,
    pub figure: &'static str,
    pub labelled: &'static str,
    pub unknown: &'static str,
    pub other: &'static str,
    pub none: &'static str,
    pub not_in_top: &'static str,
    pub per_day: &'static str,
    pub per_week: &'static str,
    pub y_desc: &'static str,
    pub sentence_sep: &'static str,
    pub ordinal: fn(u32) -> String,
    pub join: fn(&[String]) -> String,

    pub h_overview: &'static str,
    pub period: &'static str,
    pub summary: &'static str,
    pub summary_change: &'static str,
    pub t_totals: &'static str,
    pub row_packets: &'static str,
    pub row_sources: &'static str,
    pub row_malformed: &'static str,
    pub col_this: &'static str,
    pub col_previous: &'static str,
    pub col_change: &'static str,

    pub h_ports: &'static str,
    pub t_ports: &'static str,
    pub fig_ports: &'static str,
    pub h_countries: &'static str,
    pub t_countries: &'static str,
    pub fig_countries: &'static str,
    pub col_rank: &'static str,
    pub col_port: &'static str,
    pub col_country: &'static str,
    pub col_packets: &'static str,
    pub col_previous_rank: &'static str,

    pub h_findings: &'static str,
    pub no_findings: &'static str,
    pub kinds: [KindWords; 3],
    pub subject_port: &'static str,
    pub subject_country: &'static str,
    pub event_open: &'static str,
    pub event_closed: &'static str,
    pub event_rise: &'static str,
    pub event_fall: &'static str,
    pub event_sources: &'static str,
    pub home_rank: &'static str,
    pub home_absent: &'static str,
    pub scanner_share: &'static str,
    pub scanner_names: &'static str,
    pub fingerprint: &'static str,
    pub scope_all: &'static str,
    pub scope_port: &'static str,
    pub backscatter: &'static str,
    pub fig_focus: &'static str,
    pub fig_home: &'static str,
    pub fig_event: &'static str,
    pub span_closed: &'static str,
    pub span_open: &'static str,

    pub h_scanners: &'static str,
    pub t_scanners: &'static str,
    pub col_scanner_packets: &'static str,
    pub col_share: &'static str,
    pub col_scanners: &'static str,
    pub h_fingerprints: &'static str,
    pub t_fingerprints: &'static str,
    pub col_tool: &'static str,
    pub col_scope: &'static str,
    pub h_backscatter: &'static str,
    pub t_backscatter: &'static str,
    pub col_victim: &'static str,
    pub col_start: &'static str,
    pub col_end: &'static str,
    pub col_ports: &'static str,
    pub h_honeypot: &'static str,
    pub honeypot_summary: &'static str,
    pub t_honeypot_ports: &'static str,
    pub t_honeypot_countries: &'static str,
    pub t_usernames: &'static str,
    pub t_passwords: &'static str,
    pub col_service: &'static str,
    pub col_connections: &'static str,
    pub col_logins: &'static str,
    pub col_sources: &'static str,
    pub col_username: &'static str,
    pub col_password: &'static str,

    pub h_method: &'static str,
    pub method_item: &'static str,
    pub m_events: &'static str,
    pub m_backscatter: &'static str,
    pub m_unique: &'static str,
    pub m_scanners: &'static str,
    pub generated: &'static str,
}

impl Texts {
    pub fn kind(&self, kind: EventKind) -> &KindWords {
        match kind {
            EventKind::Surge => &self.kinds[0],
            EventKind::Spike => &self.kinds[1],
            EventKind::Drop => &self.kinds[2],
        }
    }
}

impl Lang {
    pub(crate) fn texts(self) -> &'static Texts {
        match self {
            Lang::Ja => &JA,
            Lang::En => &EN,
        }
    }
}

/// `template` with each `{name}` replaced by its value in `args`, in one pass (values are
/// never searched for placeholders); unknown names stay as they are.
pub(crate) fn fill(template: &str, args: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let (_, value) = args.iter().find(|(name, _)| *name == &after[..close])?;
            Some((close, value))
        });
        match value {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A report in one language: its texts, and the names it gives countries and ports.
pub(crate) struct Ctx<'a> {
    pub report: &'a Report,
    pub lang: Lang,
    pub t: &'static Texts,
}

impl<'a> Ctx<'a> {
    pub fn new(report: &'a Report, lang: Lang) -> Self {
        Ctx {
            report,
            lang,
            t: lang.texts(),
        }
    }

    pub fn country_name(&self, code: &str) -> String {
        country_name(code, self.lang)
    }

    /// `Netherlands (NL)`, `オランダ（NL）`; just the name for unknown sources.
    pub fn country(&self, code: &str) -> String {
        let name = self.country_name(code);
        if name == code || name == self.t.unknown {
            return name;
        }
        fill(self.t.labelled, &[("name", &name), ("code", code)])
    }

    /// Several countries, joined as the language joins a list.
    pub fn countries(&self, codes: &[String]) -> String {
        let names: Vec<String> = codes.iter().map(|code| self.country(code)).collect();
        (self.t.join)(&names)
    }

    /// A port key (`1433/tcp`) as Table 1 writes it, with the service name Table 1 knows.
    pub fn port(&self, key: &str) -> String {
        let Some((port, proto)) = key.split_once('/') else {
            return key.to_uppercase();
        };
        let service = self.report.top_ports.iter().find(|p| p.key() == key);
        port_label(port, proto, service.and_then(|p| p.service.as_deref()))
    }

    /// `per day` or `per week`, after the series' resolution.
    pub fn per(&self) -> &'static str {
        match self.report.series.resolution.as_str() {
            "week" => self.t.per_week,
            _ => self.t.per_day,
        }
    }

    /// A previous rank as Tables 1 and 2 show it.
    pub fn previous_rank(&self, rank: Option<u32>) -> String {
        match rank {
            Some(rank) if rank <= 10 => rank.to_string(),
            _ => self.t.not_in_top.to_owned(),
        }
    }
}

fn ordinal_en(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

fn ordinal_ja(n: u32) -> String {
    format!("{n}位")
}

/// `A`, `A and B`, `A, B and C`.
fn join_en(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn join_ja(items: &[String]) -> String {
    items.join("、")
}

const EN: Texts = Texts {
    title: "Darknet observation report {label}",
    table: "Table {n}: {title}",
    figure: "Figure {n}: {title}",
    labelled: "{name} ({code})",
    unknown: "unknown",
    other: "other",
    none: "None observed.",
    not_in_top: "not in top 10",
    per_day: "per day",
    per_week: "per week",
    y_desc: "Packets {per}",
    sentence_sep: " ",
    ordinal: ordinal_en,
    join: join_en,

    h_overview: "Overview",
    period: "Observation period: {start} to {end} ({label}); previous period, for \
             comparison: {previous_start} to {previous_end} ({previous_label}). Days begin at \
             midnight in the {tz} time zone.",
    summary: "The sensors received {packets} packets from {sources} unique source \
              addresses; {malformed} packets were malformed.",
    summary_change: "Change from the previous period: packets {packets}, unique source \
                     addresses {sources}.",
    t_totals: "Totals",
    row_packets: "Packets",
    row_sources: "Unique source addresses",
    row_malformed: "Malformed packets",
    col_this: "This period",
    col_previous: "Previous period",
    col_change: "Change",

    h_ports: "Destination ports",
    t_ports: "Top {n} destination ports",
    fig_ports: "Packets {per} to the top {n} destination ports",
    h_countries: "Source countries and regions",
    t_countries: "Top {n} source countries and regions",
    fig_countries: "Packets {per} from the top {n} source countries and regions",
    col_rank: "Rank",
    col_port: "Port",
    col_country: "Country or region",
    col_packets: "Packets",
    col_previous_rank: "Previous rank",

    h_findings: "Notable phenomena",
    no_findings: "Nothing notable was detected.",
    kinds: [
        KindWords {
            noun: "surge",
            verb: "rose",
        },
        KindWords {
            noun: "spike",
            verb: "spiked",
        },
        KindWords {
            noun: "drop",
            verb: "dropped",
        },
    ],
    subject_port: "Packets to {port}",
    subject_country: "Packets from {country}",
    event_open: "{subject} {verb} from {start} and had not returned to normal by the end of \
                 the period.",
    event_closed: "{subject} {verb} from {start} to {end}.",
    event_rise: "They totalled {packets} packets, {magnitude} times what the baseline of \
                 {baseline} packets per day predicts.",
    event_fall: "They totalled {packets} packets, {percent} of what the baseline of \
                 {baseline} packets per day predicts.",
    event_sources: "Most of the additional packets came from {countries}.",
    home_rank: "{country} ranked {ordinal} among the sources of packets to {port}, with \
                {packets} packets.",
    home_absent: "No packets from {country} to {port} were observed.",
    scanner_share: "{percent} of the packets from {country}, {scanner_packets} of {packets}, \
                    came from known research scanners{names}.",
    scanner_names: " ({names})",
    fingerprint: "Packets with the {tool} fingerprint made up {percent} of {scope}: \
                  {packets} packets.",
    scope_all: "all packets",
    scope_port: "packets to {port}",
    backscatter: "{victim} ({country}) was likely the target of a DoS attack: {packets} \
                  backscatter packets from it arrived between {start} and {end} (source \
                  ports {ports}).",
    fig_focus: "Packets {per} to {port} by source country or region",
    fig_home: "Packets {per} from {country} to {port}",
    fig_event: "Packets {per} from {country}; the shaded area is the {kind} ({span})",
    span_closed: "{start} to {end}",
    span_open: "from {start}",

    h_scanners: "Research scanners",
    t_scanners: "Packets from known research scanners, by source country or region",
    col_scanner_packets: "Scanner packets",
    col_share: "Share",
    col_scanners: "Scanners",
    h_fingerprints: "Tool fingerprints",
    t_fingerprints: "Packets by sending tool",
    col_tool: "Tool",
    col_scope: "Scope",
    h_backscatter: "DoS backscatter",
    t_backscatter: "Likely DoS victims, by backscatter packets",
    col_victim: "Victim",
    col_start: "Start",
    col_end: "End",
    col_ports: "Ports",
    h_honeypot: "Honeypot",
    honeypot_summary: "The honeypot accepted {connections} connections from {sources} source \
                       addresses, which tried {logins} logins and sent {commands} commands or \
                       SQL batches. {in_darknet} of these addresses also sent packets to the \
                       darknet in the period.",
    t_honeypot_ports: "Honeypot connections and login attempts by service",
    t_honeypot_countries: "Honeypot login attempts by source country or region",
    t_usernames: "User names tried most",
    t_passwords: "Passwords tried most",
    col_service: "Service",
    col_connections: "Connections",
    col_logins: "Logins",
    col_sources: "Sources",
    col_username: "User name",
    col_password: "Password",

    h_method: "Method",
    method_item: "{name}: {text}",
    m_events: "Events",
    m_backscatter: "Backscatter",
    m_unique: "Unique sources",
    m_scanners: "Research scanners",
    generated: "Generated by {generator}.",
};

const JA: Texts = Texts {
    title: "ダークネット観測レポート {label}",
    table: "表{n}: {title}",
    figure: "図{n}: {title}",
    labelled: "{name}（{code}）",
    unknown: "不明",
    other: "その他",
    none: "該当なし。",
    not_in_top: "TOP10外",
    per_day: "日別",
    per_week: "週別",
    y_desc: "パケット数（{per}）",
    sentence_sep: "",
    ordinal: ordinal_ja,
    join: join_ja,

    h_overview: "概要",
    period: "観測期間は{start}～{end}（{label}）、比較対象の前期間は\
             {previous_start}～{previous_end}（{previous_label}）です。日付は{tz}の時刻で\
             区切っています。",
    summary: "センサーは{sources}個の送信元アドレスから{packets}パケットを受信しました。\
              不正な形式のパケットは{malformed}パケットでした。",
    summary_change: "前期間比は、パケット数が{packets}、送信元アドレス数が{sources}です。",
    t_totals: "観測数の概要",
    row_packets: "パケット数",
    row_sources: "送信元アドレス数（重複なし）",
    row_malformed: "不正な形式のパケット数",
    col_this: "今期",
    col_previous: "前期",
    col_change: "増減",

    h_ports: "宛先ポート",
    t_ports: "宛先ポート別パケット数 上位{n}",
    fig_ports: "宛先ポート上位{n}のパケット数の推移（{per}）",
    h_countries: "送信元の国・地域",
    t_countries: "送信元国・地域別パケット数 上位{n}",
    fig_countries: "送信元国・地域上位{n}からのパケット数の推移（{per}）",
    col_rank: "順位",
    col_port: "ポート",
    col_country: "国・地域",
    col_packets: "パケット数",
    col_previous_rank: "前期順位",

    h_findings: "注目すべき現象",
    no_findings: "特に注目すべき現象は検出されませんでした。",
    kinds: [
        KindWords {
            noun: "増加",
            verb: "増加",
        },
        KindWords {
            noun: "急増",
            verb: "急増",
        },
        KindWords {
            noun: "減少",
            verb: "減少",
        },
    ],
    subject_port: "{port}宛てのパケット",
    subject_country: "{country}からのパケット",
    event_open: "{subject}が{start}から{verb}し、期間の終わりまで続きました。",
    event_closed: "{subject}が{start}から{end}にかけて{verb}しました。",
    event_rise: "この間のパケット数は{packets}で、平常時の水準（1日あたり{baseline}\
                 パケット）から見込まれる量の{magnitude}倍でした。",
    event_fall: "この間のパケット数は{packets}で、平常時の水準（1日あたり{baseline}\
                 パケット）から見込まれる量の{percent}にとどまりました。",
    event_sources: "増加分の主な送信元は{countries}です。",
    home_rank: "{port}宛てのパケットの送信元のうち、{country}は{ordinal}（{packets}パケット）\
                でした。",
    home_absent: "{country}から{port}宛てのパケットは観測されませんでした。",
    scanner_share: "{country}からのパケットの{percent}（{packets}パケット中\
                    {scanner_packets}パケット）は、既知の調査目的のスキャナ{names}による\
                    ものでした。",
    scanner_names: "（{names}）",
    fingerprint: "{scope}の{percent}（{packets}パケット）は{tool}の特徴を持つパケットでした。",
    scope_all: "全パケット",
    scope_port: "{port}宛てのパケット",
    backscatter: "{victim}（{country}）はDoS攻撃を受けていたとみられます。{start}から{end}に\
                  かけて、このホストからのバックスキャッタを{packets}パケット観測しました\
                  （送信元ポート: {ports}）。",
    fig_focus: "{port}宛てパケット数の送信元国・地域別内訳（{per}）",
    fig_home: "{country}から{port}宛てのパケット数（{per}）",
    fig_event: "{country}からのパケット数（{per}）。網掛けは{span}の{kind}",
    span_closed: "{start}～{end}",
    span_open: "{start}以降",

    h_scanners: "調査目的のスキャナ",
    t_scanners: "送信元国・地域別の既知の調査目的スキャナからのパケット",
    col_scanner_packets: "スキャナのパケット数",
    col_share: "割合",
    col_scanners: "スキャナ",
    h_fingerprints: "送信ツールの識別",
    t_fingerprints: "送信ツール別のパケット数",
    col_tool: "ツール",
    col_scope: "対象",
    h_backscatter: "DoSバックスキャッタ",
    t_backscatter: "バックスキャッタから推定したDoS攻撃の被害ホスト",
    col_victim: "ホスト",
    col_start: "開始",
    col_end: "終了",
    col_ports: "ポート",
    h_honeypot: "ハニーポット",
    honeypot_summary: "ハニーポットは{sources}個の送信元アドレスから{connections}件の接続を受け、\
                       {logins}件のログイン試行と{commands}件のコマンドまたはSQLバッチを記録しました。\
                       これらのアドレスのうち{in_darknet}個は、同じ期間にダークネットにも\
                       パケットを送信していました。",
    t_honeypot_ports: "サービス別のハニーポットへの接続数とログイン試行数",
    t_honeypot_countries: "送信元国・地域別のハニーポットへのログイン試行数",
    t_usernames: "試行の多かったユーザー名",
    t_passwords: "試行の多かったパスワード",
    col_service: "サービス",
    col_connections: "接続数",
    col_logins: "ログイン試行数",
    col_sources: "送信元アドレス数",
    col_username: "ユーザー名",
    col_password: "パスワード",

    h_method: "手法",
    method_item: "{name}：{text}",
    m_events: "イベント検出",
    m_backscatter: "バックスキャッタ",
    m_unique: "送信元アドレス数",
    m_scanners: "調査目的のスキャナ",
    generated: "{generator}で作成しました。",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_named_placeholders_once() {
        assert_eq!(
            fill("{a} and {b}", &[("a", "{b}"), ("b", "x")]),
            "{b} and x"
        );
        assert_eq!(fill("{missing} {", &[]), "{missing} {");
    }

    #[test]
    fn ordinals_and_lists() {
        let ordinals: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 113].map(ordinal_en).into();
        assert_eq!(
            ordinals,
            ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "113th"]
        );
        assert_eq!(ordinal_ja(13), "13位");
        let items = ["A".to_owned(), "B".to_owned(), "C".to_owned()];
        assert_eq!(join_en(&items), "A, B and C");
        assert_eq!(join_en(&items[..2]), "A and B");
        assert_eq!(join_ja(&items), "A、B、C");
    }
}
