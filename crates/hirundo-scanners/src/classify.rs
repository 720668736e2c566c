//! Reading a web page the way the analysts of a darknet report did: does it declare that this
//! host scans the Internet for research, and who says so?
//!
//! Research scanners serve a page on their scanning hosts explaining the traffic ("Why am I
//! receiving connection attempts from this machine?"), usually with how to opt out. The page
//! declares research scanning when it talks about scanning *and* about research or opting
//! out; a page that only mentions scanning is a hint. Terms are matched in English, Japanese,
//! Chinese, German, French, Spanish, Portuguese and Russian.

use serde::Serialize;

/// What a matched term says about the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TermKind {
    /// The host scans or probes ("scan", "スキャン", "扫描", "сканирование").
    Scanning,
    /// Why: research or measurement ("research", "研究", "調査", "Forschung", "measurement").
    Research,
    /// How to be left out ("opt out", "exclude", "除外", "オプトアウト").
    OptOut,
}

impl TermKind {
    fn label(self) -> &'static str {
        match self {
            TermKind::Scanning => "scanning",
            TermKind::Research => "research",
            TermKind::OptOut => "opt-out",
        }
    }
}

/// How a term is matched in the page's words.
#[derive(Clone, Copy)]
enum Matching {
    /// Whole word or phrase (words separated by anything that is not a letter or digit).
    Word,
    /// The start of a word: `forschung` matches "Forschungsprojekt".
    Prefix,
    /// Anywhere, for scripts written without spaces (Japanese, Chinese).
    Anywhere,
}

struct Term {
    text: &'static str,
    kind: TermKind,
    matching: Matching,
    language: &'static str,
}

const fn term(
    text: &'static str,
    kind: TermKind,
    matching: Matching,
    language: &'static str,
) -> Term {
    Term {
        text,
        kind,
        matching,
        language,
    }
}

use Matching::{Anywhere, Prefix, Word};
use TermKind::{OptOut, Research, Scanning};

/// Lower case; `scann` covers scanner, scanning, scanned, scannen and scanné without matching
/// "scandal".
const TERMS: &[Term] = &[
    term("scan", Scanning, Word, "en"),
    term("scans", Scanning, Word, "en"),
    term("scann", Scanning, Prefix, "en"),
    term("connection attempts", Scanning, Word, "en"),
    term("internet wide", Scanning, Word, "en"),
    term("research", Research, Prefix, "en"),
    term("measur", Research, Prefix, "en"),
    term("study", Research, Word, "en"),
    term("survey", Research, Word, "en"),
    term("census", Research, Word, "en"),
    term("academic", Research, Word, "en"),
    term("opt out", OptOut, Word, "en"),
    term("optout", OptOut, Word, "en"),
    term("exclu", OptOut, Prefix, "en"),
    term("blocklist", OptOut, Prefix, "en"),
    term("blacklist", OptOut, Prefix, "en"),
    term("スキャン", Scanning, Anywhere, "ja"),
    term("走査", Scanning, Anywhere, "ja"),
    term("研究", Research, Anywhere, "ja/zh"),
    term("調査", Research, Anywhere, "ja"),
    term("計測", Research, Anywhere, "ja"),
    term("測定", Research, Anywhere, "ja"),
    term("観測", Research, Anywhere, "ja"),
    term("オプトアウト", OptOut, Anywhere, "ja"),
    term("除外", OptOut, Anywhere, "ja"),
    term("扫描", Scanning, Anywhere, "zh"),
    term("掃描", Scanning, Anywhere, "zh"),
    term("探测", Scanning, Anywhere, "zh"),
    term("测量", Research, Anywhere, "zh"),
    term("測量", Research, Anywhere, "zh"),
    term("调查", Research, Anywhere, "zh"),
    term("学术", Research, Anywhere, "zh"),
    term("排除", OptOut, Anywhere, "zh"),
    term("选择退出", OptOut, Anywhere, "zh"),
    term("選擇退出", OptOut, Anywhere, "zh"),
    term("gescannt", Scanning, Word, "de"),
    term("forschung", Research, Prefix, "de"),
    term("messung", Research, Prefix, "de"),
    term("wissenschaft", Research, Prefix, "de"),
    term("ausschl", OptOut, Prefix, "de"),
    term("balayage", Scanning, Word, "fr"),
    term("recherche", Research, Prefix, "fr"),
    term("mesure", Research, Prefix, "fr"),
    term("scientifique", Research, Prefix, "fr"),
    term("escane", Scanning, Prefix, "es"),
    term("investigaci", Research, Prefix, "es"),
    term("medici", Research, Prefix, "es"),
    term("varredura", Scanning, Prefix, "pt"),
    term("pesquisa", Research, Prefix, "pt"),
    term("investigaç", Research, Prefix, "pt"),
    term("mediç", Research, Prefix, "pt"),
    term("сканир", Scanning, Prefix, "ru"),
    term("исследова", Research, Prefix, "ru"),
    term("измерени", Research, Prefix, "ru"),
    term("научн", Research, Prefix, "ru"),
    term("исключ", OptOut, Prefix, "ru"),
    term("отказ", OptOut, Prefix, "ru"),
];

/// A term found in a page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub kind: TermKind,
    pub term: &'static str,
    pub language: &'static str,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} \"{}\" ({})",
            self.kind.label(),
            self.term,
            self.language
        )
    }
}

/// What a page says.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageFindings {
    pub title: Option<String>,
    /// Each term at most once, in the order of [`TERMS`].
    pub hits: Vec<Hit>,
}

impl PageFindings {
    fn has(&self, kind: TermKind) -> bool {
        self.hits.iter().any(|h| h.kind == kind)
    }

    /// Scanning, and research or opting out: what research scanners' pages say.
    pub fn declares_research_scanning(&self) -> bool {
        self.has(Scanning) && (self.has(Research) || self.has(OptOut))
    }

    /// Less than a declaration, more than nothing: scanning alone, or research with an opt-out.
    pub fn suggests_research_scanning(&self) -> bool {
        self.has(Scanning) || (self.has(Research) && self.has(OptOut))
    }
}

/// Reads an HTML (or plain text) page.
pub fn classify_page(html: &str) -> PageFindings {
    let words = words(&visible_text(html));
    let hits = TERMS
        .iter()
        .filter(|t| matches(t, &words))
        .map(|t| Hit {
            kind: t.kind,
            term: t.text,
            language: t.language,
        })
        .collect();
    PageFindings {
        title: title(html),
        hits,
    }
}

/// The text lowered, with every run of non-alphanumeric characters turned into one space and
/// a space at each end, so that ` word ` finds whole words.
fn words(text: &str) -> String {
    let mut out = String::from(" ");
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn matches(term: &Term, words: &str) -> bool {
    match term.matching {
        Word => words.contains(&format!(" {} ", term.text)),
        Prefix => words.contains(&format!(" {}", term.text)),
        Anywhere => words.contains(term.text),
    }
}

/// The page's `<title>`, whitespace collapsed, entities decoded; None if missing or empty.
pub fn title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let text = decode_entities(&html[start..end]);
    let title = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

/// What a reader sees: tags, comments, scripts and styles removed, entities decoded.
pub fn visible_text(html: &str) -> String {
    let lower = html.to_ascii_lowercase();
    let mut out = String::with_capacity(html.len());
    let mut i = 0;
    while let Some(offset) = lower[i..].find('<') {
        out.push_str(&html[i..i + offset]);
        out.push(' ');
        let tag = i + offset;
        i = skip_markup(&lower, tag);
    }
    out.push_str(&html[i..]);
    decode_entities(&out)
}

/// Where the markup starting at `tag` (a `<`) ends: past the whole element for scripts and
/// styles, past `-->` for comments, past `>` otherwise. Offsets are of `lower`, which has the
/// same byte layout as the page (ASCII lowering).
fn skip_markup(lower: &str, tag: usize) -> usize {
    let rest = &lower[tag..];
    let past = |needle: &str| {
        rest.find(needle)
            .map_or(lower.len(), |at| tag + at + needle.len())
    };
    if rest.starts_with("<!--") {
        past("-->")
    } else if rest.starts_with("<script") {
        past("</script>")
    } else if rest.starts_with("<style") {
        past("</style>")
    } else {
        past(">")
    }
}

/// Named entities that occur in such pages, and numeric ones.
fn decode_entities(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest
            .find(';')
            .filter(|&semi| semi <= 10)
            .and_then(|semi| entity(&rest[1..semi]).map(|c| (c, semi)));
        match decoded {
            Some((c, semi)) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if let Some(decimal) = name.strip_prefix('#') {
        decimal.parse().ok()?
    } else {
        return match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => None,
        };
    };
    char::from_u32(code)
}

/// Words in a reverse-DNS name that scanning hosts of research projects carry
/// (scanner-05.ch1.censys-scanner.com, scan-37-1d.shadowserver.org, researchscan541.eecs...).
const PTR_WORDS: &[&str] = &[
    "scan",
    "research",
    "measurement",
    "census",
    "probe",
    "survey",
];

/// The first scanning word in a PTR name, if any.
pub fn ptr_scanner_word(hostname: &str) -> Option<&'static str> {
    let host = hostname.to_ascii_lowercase();
    PTR_WORDS.iter().copied().find(|w| host.contains(w))
}

/// The registered domain of a host name, by a rule of thumb instead of the public suffix
/// list: the last two labels, or three when the second-to-last is a common second-level
/// label under a country code (`example.ac.jp`, `example.co.uk`).
pub fn registered_domain(hostname: &str) -> Option<String> {
    const SECOND_LEVEL: &[&str] = &[
        "ac", "co", "com", "edu", "go", "gov", "ne", "net", "or", "org",
    ];
    let host = hostname.trim_end_matches('.').to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let n = labels.len();
    if n < 2 {
        return None;
    }
    let country_code = labels[n - 1].len() == 2;
    let keep = if n >= 3 && country_code && SECOND_LEVEL.contains(&labels[n - 2]) {
        3
    } else {
        2
    };
    Some(labels[n - keep.min(n)..].join("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(html: &str) -> Vec<(TermKind, &'static str)> {
        classify_page(html)
            .hits
            .into_iter()
            .map(|h| (h.kind, h.term))
            .collect()
    }

    #[test]
    fn an_english_research_scanner_page_declares_itself() {
        let page = "<html><head><title>  Research\n Scan &amp; Measurement </title>\
            <style>.scanner{}</style></head><body><h1>Why am I receiving connection attempts \
            from this machine?</h1><p>These connections are part of an Internet-wide research \
            study. To opt-out, drop traffic from the subnets we use for scanning.</p></body></html>";
        let findings = classify_page(page);
        assert_eq!(
            findings.title.as_deref(),
            Some("Research Scan & Measurement")
        );
        assert!(findings.declares_research_scanning());
        let found = terms(page);
        for wanted in [
            (Scanning, "scann"),
            (Scanning, "connection attempts"),
            (Scanning, "internet wide"),
            (Research, "research"),
            (OptOut, "opt out"),
        ] {
            assert!(found.contains(&wanted), "{wanted:?} in {found:?}");
        }
    }

    #[test]
    fn pages_in_other_languages_declare_themselves() {
        let pages = [
            ("ja", "<p>本ホストは大学の研究のためにインターネット全体をスキャンしています。除外をご希望の方は…</p>"),
            ("zh", "<p>本主机为学术研究对互联网进行扫描。如需排除，请联系我们。</p>"),
            ("zh", "<p>本主機為研究進行網路掃描。</p>"),
            ("de", "<p>Dieser Rechner scannt das Internet für ein Forschungsprojekt der Universität.</p>"),
            ("fr", "<p>Ce serveur effectue un balayage d'Internet dans le cadre d'une recherche.</p>"),
            ("es", "<p>Este equipo realiza un escaneo de Internet para una investigación académica.</p>"),
            ("pt", "<p>Este servidor faz a varredura da Internet para uma pesquisa.</p>"),
            ("ru", "<p>Этот узел выполняет сканирование Интернета в рамках исследования.</p>"),
        ];
        for (language, page) in pages {
            let findings = classify_page(page);
            assert!(
                findings.declares_research_scanning(),
                "{language}: {:?}",
                findings.hits
            );
            assert!(
                findings.hits.iter().any(|h| h.language == language),
                "{language}: {:?}",
                findings.hits
            );
        }
    }

    #[test]
    fn ordinary_pages_declare_nothing() {
        let pages = [
            "<title>Welcome to nginx!</title><p>If you see this page, the nginx web server is successfully installed.</p>",
            "<title>Department of Physics</title><p>Our research groups study condensed matter.</p>",
            "<p>Scandinavian design, scandals and scandium.</p>",
            "<script>var scanner = 'research opt-out';</script><!-- scan research --><p>Shop</p>",
            "<a href=\"/scan-research\" title=\"scan\">Home</a>",
            "<p>Политический скандал: исследование журналистов</p>",
        ];
        for page in pages {
            let findings = classify_page(page);
            assert!(
                !findings.declares_research_scanning(),
                "{page}: {findings:?}"
            );
            assert!(
                !findings.suggests_research_scanning(),
                "{page}: {findings:?}"
            );
        }
    }

    #[test]
    fn a_lone_scanning_word_only_suggests() {
        let findings = classify_page("<p>Network scanning node 7.</p>");
        assert!(findings.suggests_research_scanning());
        assert!(!findings.declares_research_scanning());
    }

    #[test]
    fn text_and_entities() {
        assert_eq!(
            visible_text("a<b>b</b>&lt;c&gt;&#x41;&#66;&bogus;"),
            "a b <c>AB&bogus;"
        );
        assert_eq!(
            title("<TITLE>調査 &amp; 研究</TITLE>").as_deref(),
            Some("調査 & 研究")
        );
        assert_eq!(title("<title> </title>"), None);
        assert_eq!(title("<p>no title"), None);
    }

    #[test]
    fn ptr_names() {
        assert_eq!(
            ptr_scanner_word("scanner-05.ch1.censys-scanner.com."),
            Some("scan")
        );
        assert_eq!(ptr_scanner_word("sky.census.shodan.io"), Some("census"));
        assert_eq!(ptr_scanner_word("www.example.net"), None);
        assert_eq!(
            registered_domain("scan-01.lab.example.ac.jp.").as_deref(),
            Some("example.ac.jp")
        );
        assert_eq!(
            registered_domain("scanner-05.ch1.censys-scanner.com").as_deref(),
            Some("censys-scanner.com")
        );
        assert_eq!(registered_domain("localhost"), None);
    }
}
