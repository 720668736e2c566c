//! What the analysts of a darknet report did by hand for a busy source address: look up its
//! reverse-DNS name, open `http://ADDRESS/` and `https://ADDRESS/`, and read whether the page
//! says the host scans the Internet for research.

use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::Serialize;
use ureq::http::Uri;

use crate::classify::{self, PageFindings};
use crate::dns;
use crate::registry::Registry;

/// How far a probe goes.
#[derive(Clone, Debug)]
pub struct ProbeConfig {
    /// The DNS server for PTR lookups; None skips them.
    pub dns_server: Option<SocketAddr>,
    pub http_port: u16,
    pub https_port: u16,
    /// For each of the DNS question and the two page fetches (which run at the same time).
    pub timeout: Duration,
    /// Bytes of a page read at most; the rest is ignored.
    pub body_limit: u64,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        ProbeConfig {
            dns_server: dns::system_resolver(),
            http_port: 80,
            https_port: 443,
            timeout: Duration::from_secs(3),
            body_limit: 256 * 1024,
        }
    }
}

/// Redirects followed at most, and only while they stay on the probed address.
const MAX_REDIRECTS: usize = 3;

const USER_AGENT: &str = concat!(
    "hirundo/",
    env!("CARGO_PKG_VERSION"),
    " (scanners probe: reads the page of an address seen scanning a darknet)"
);

/// The outcome for one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A page on the address declares research scanning.
    Confirmed,
    /// Hints only: a scanner-like reverse-DNS name, or a page that mentions scanning.
    Likely,
    /// Something answered, but nothing suggests research scanning.
    NoEvidence,
    /// No web server answered and the address has no reverse-DNS name.
    Unreachable,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Confirmed => "research scanner confirmed",
            Verdict::Likely => "research scanner likely",
            Verdict::NoEvidence => "no evidence",
            Verdict::Unreachable => "unreachable",
        })
    }
}

/// One fetch of `http://ADDRESS/` or `https://ADDRESS/`, with the redirects it followed.
#[derive(Clone, Debug, Serialize)]
pub struct PageReport {
    /// The URL asked first.
    pub url: String,
    /// Where the page was finally read, if a redirect was followed.
    pub final_url: Option<String>,
    pub status: Option<u16>,
    /// Why there is no page: connection refused, timeout, a redirect off the host...
    pub error: Option<String>,
    /// HTTPS only: always false, because the probe connects to a bare address, which no
    /// certificate names; the page is evidence to read, not a verified identity.
    pub certificate_verified: Option<bool>,
    pub findings: PageFindings,
}

impl PageReport {
    fn answered(&self) -> bool {
        self.status.is_some()
    }

    /// Where the page was read.
    pub fn read_at(&self) -> &str {
        self.final_url.as_deref().unwrap_or(&self.url)
    }
}

/// Everything learnt about one address.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    pub address: IpAddr,
    pub verdict: Verdict,
    /// Best guess of who runs it: the registry's name, the page's title, or the PTR domain.
    pub organisation: Option<String>,
    /// The page that declares research scanning, if any.
    pub declaration_url: Option<String>,
    /// The registry row that already covers the address (`Censys (162.142.125.0/24, line 3)`).
    pub listed_as: Option<String>,
    pub ptr: Vec<String>,
    pub ptr_error: Option<String>,
    pub pages: Vec<PageReport>,
    /// Why the verdict is what it is, one line per fact.
    pub evidence: Vec<String>,
}

/// Probes one address: PTR lookup and both page fetches at once, then the verdict.
pub fn probe(address: IpAddr, config: &ProbeConfig, registry: &Registry) -> ProbeReport {
    let (ptr, http, https) = std::thread::scope(|s| {
        let ptr = s.spawn(|| lookup_names(address, config));
        let https = s.spawn(|| fetch_page(address, Scheme::Https, config));
        let http = fetch_page(address, Scheme::Http, config);
        let join = "probe threads do not panic";
        (ptr.join().expect(join), http, https.join().expect(join))
    });
    let (ptr, ptr_error) = match ptr {
        Ok(names) => (names, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    judge(address, ptr, ptr_error, vec![http, https], registry)
}

fn lookup_names(address: IpAddr, config: &ProbeConfig) -> Result<Vec<String>, String> {
    let server = config.dns_server.ok_or("no DNS server configured")?;
    tracing::debug!("PTR {address} from {server}");
    dns::lookup_ptr(server, address, config.timeout).map_err(|e| e.to_string())
}

/// The verdict and its evidence from what the lookups and fetches found.
pub fn judge(
    address: IpAddr,
    ptr: Vec<String>,
    ptr_error: Option<String>,
    pages: Vec<PageReport>,
    registry: &Registry,
) -> ProbeReport {
    let mut evidence = Vec::new();
    let listed = registry.lookup(address);
    let listed_as = listed.map(|e| format!("{} ({}, line {})", e.name, e.target, e.line));
    if let Some(listed) = &listed_as {
        evidence.push(format!("listed in {} as {listed}", registry.file()));
    }
    let ptr_hint = ptr_evidence(&ptr, ptr_error.as_deref(), registry, &mut evidence);
    evidence.extend(pages.iter().map(page_evidence));
    let declaration = pages
        .iter()
        .find(|p| p.findings.declares_research_scanning());
    let verdict = decide(&pages, &ptr, &ptr_hint);
    // The registry knows names best; a declaring page's title is what its authors call
    // themselves; a PTR domain is a last resort.
    let organisation = listed
        .map(|e| e.name.to_string())
        .or(match ptr_hint {
            PtrHint::Listed(name) => Some(name),
            PtrHint::Nothing | PtrHint::ScannerWord => None,
        })
        .or_else(|| declaration.and_then(|p| p.findings.title.clone()))
        .or_else(|| ptr.first().and_then(|h| classify::registered_domain(h)));
    ProbeReport {
        address,
        verdict,
        organisation,
        declaration_url: declaration.map(|p| p.read_at().to_owned()),
        listed_as,
        ptr,
        ptr_error,
        pages,
        evidence,
    }
}

fn decide(pages: &[PageReport], ptr: &[String], ptr_hint: &PtrHint) -> Verdict {
    if pages
        .iter()
        .any(|p| p.findings.declares_research_scanning())
    {
        Verdict::Confirmed
    } else if pages
        .iter()
        .any(|p| p.findings.suggests_research_scanning())
        || !matches!(ptr_hint, PtrHint::Nothing)
    {
        Verdict::Likely
    } else if pages.iter().any(PageReport::answered) || !ptr.is_empty() {
        Verdict::NoEvidence
    } else {
        Verdict::Unreachable
    }
}

/// What the reverse-DNS names say about who runs an address.
enum PtrHint {
    Nothing,
    /// A name carries a scanning word ("scan", "research", ...).
    ScannerWord,
    /// A name ends with a registry suffix: the organisation of that row.
    Listed(String),
}

/// Adds the PTR facts to `evidence` and returns the strongest hint among the names.
fn ptr_evidence(
    ptr: &[String],
    error: Option<&str>,
    registry: &Registry,
    evidence: &mut Vec<String>,
) -> PtrHint {
    if let Some(error) = error {
        evidence.push(format!("PTR lookup failed: {error}"));
    } else if ptr.is_empty() {
        evidence.push("no PTR record".to_owned());
    }
    let mut hint = PtrHint::Nothing;
    for host in ptr {
        if let Some(entry) = registry.lookup_ptr(host) {
            evidence.push(format!(
                "PTR {host} ends with {} listed for {} (line {})",
                entry.target, entry.name, entry.line
            ));
            hint = PtrHint::Listed(entry.name.to_string());
        } else if let Some(word) = classify::ptr_scanner_word(host) {
            evidence.push(format!("PTR {host} contains \"{word}\""));
            if matches!(hint, PtrHint::Nothing) {
                hint = PtrHint::ScannerWord;
            }
        } else {
            evidence.push(format!("PTR {host}"));
        }
    }
    hint
}

fn page_evidence(page: &PageReport) -> String {
    let mut line = page.url.clone();
    if let Some(status) = page.status {
        line.push_str(&format!(" answered {status}"));
    }
    if let Some(final_url) = &page.final_url {
        line.push_str(&format!(" at {final_url}"));
    }
    if page.certificate_verified == Some(false) && page.answered() {
        line.push_str(" (certificate not verified)");
    }
    if let Some(error) = &page.error {
        line.push_str(&format!(": {error}"));
    }
    if let Some(title) = &page.findings.title {
        line.push_str(&format!("; title \"{title}\""));
    }
    if !page.findings.hits.is_empty() {
        let hits: Vec<String> = page.findings.hits.iter().map(|h| h.to_string()).collect();
        line.push_str(&format!("; {}", hits.join(", ")));
    }
    line
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

fn start_url(address: IpAddr, scheme: Scheme, config: &ProbeConfig) -> String {
    let host = match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    };
    match scheme {
        Scheme::Http if config.http_port == 80 => format!("http://{host}/"),
        Scheme::Http => format!("http://{host}:{}/", config.http_port),
        Scheme::Https if config.https_port == 443 => format!("https://{host}/"),
        Scheme::Https => format!("https://{host}:{}/", config.https_port),
    }
}

fn agent(config: &ProbeConfig) -> ureq::Agent {
    // Certificates name hosts, not the bare address the probe connects to: verifying would
    // refuse nearly every scanner's page, so the page is read and reported as unverified.
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(true)
        .build();
    ureq::Agent::config_builder()
        .timeout_global(Some(config.timeout))
        .max_redirects(0)
        .http_status_as_error(false)
        .user_agent(USER_AGENT)
        .tls_config(tls)
        .build()
        .new_agent()
}

/// Fetches the root page, following redirects only while they stay on `address`.
fn fetch_page(address: IpAddr, scheme: Scheme, config: &ProbeConfig) -> PageReport {
    let agent = agent(config);
    let url = start_url(address, scheme, config);
    let mut report = PageReport {
        url: url.clone(),
        final_url: None,
        status: None,
        error: None,
        certificate_verified: (scheme == Scheme::Https).then_some(false),
        findings: PageFindings::default(),
    };
    let mut current = url;
    for _ in 0..=MAX_REDIRECTS {
        tracing::debug!("GET {current}");
        let mut response = match agent.get(&current).call() {
            Ok(response) => response,
            Err(e) => {
                report.error = Some(describe(&e));
                return report;
            }
        };
        report.status = Some(response.status().as_u16());
        if !response.status().is_redirection() {
            report.findings = read_findings(response.body_mut(), config.body_limit);
            return report;
        }
        match next_location(&current, &response, address) {
            Ok(next) => {
                report.final_url = Some(next.clone());
                current = next;
            }
            Err(why) => {
                report.error = Some(why);
                return report;
            }
        }
    }
    report.error = Some(format!("more than {MAX_REDIRECTS} redirects"));
    report
}

fn read_findings(body: &mut ureq::Body, limit: u64) -> PageFindings {
    let mut bytes = Vec::new();
    // A read error midway still leaves the part read, which is evidence enough.
    let _ = body
        .with_config()
        .reader()
        .take(limit)
        .read_to_end(&mut bytes);
    classify::classify_page(&String::from_utf8_lossy(&bytes))
}

/// The redirect target if it stays on `address`, or why it is not followed.
fn next_location(
    current: &str,
    response: &ureq::http::Response<ureq::Body>,
    address: IpAddr,
) -> Result<String, String> {
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or("redirect without a Location")?;
    let next = resolve_location(current, location)
        .ok_or_else(|| format!("redirect to unreadable location {location}"))?;
    if same_host(&next, address) {
        Ok(next)
    } else {
        Err(format!("redirect to {next} not followed (leaves the host)"))
    }
}

/// An absolute URL for `location` relative to `base`.
fn resolve_location(base: &str, location: &str) -> Option<String> {
    let base: Uri = base.parse().ok()?;
    let scheme = base.scheme_str()?;
    let authority = base.authority()?.as_str();
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(location.to_owned());
    }
    if let Some(rest) = location.strip_prefix("//") {
        return Some(format!("{scheme}://{rest}"));
    }
    if location.starts_with('/') {
        return Some(format!("{scheme}://{authority}{location}"));
    }
    let dir = base.path().rsplit_once('/').map_or("", |(dir, _)| dir);
    Some(format!("{scheme}://{authority}{dir}/{location}"))
}

fn same_host(url: &str, address: IpAddr) -> bool {
    let Ok(uri) = url.parse::<Uri>() else {
        return false;
    };
    let host = uri.host().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.parse::<IpAddr>()
        .is_ok_and(|h| h.to_canonical() == address.to_canonical())
}

/// A short reason a person can act on.
fn describe(error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => "timed out".to_owned(),
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused".to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classify::classify_page;

    fn page(url: &str, status: Option<u16>, html: &str) -> PageReport {
        PageReport {
            url: url.to_owned(),
            final_url: None,
            status,
            error: status.is_none().then(|| "connection refused".to_owned()),
            certificate_verified: url.starts_with("https").then_some(false),
            findings: classify_page(html),
        }
    }

    fn verdict(ptr: &[&str], pages: Vec<PageReport>) -> ProbeReport {
        let ptr = ptr.iter().map(|s| s.to_string()).collect();
        judge(
            "192.0.2.7".parse().unwrap(),
            ptr,
            None,
            pages,
            &Registry::builtin(),
        )
    }

    const DECLARATION: &str =
        "<title>Example Lab</title><p>This host scans the Internet for research. To opt out...</p>";

    #[test]
    fn verdicts() {
        let declared = verdict(
            &[],
            vec![page("https://192.0.2.7/", Some(200), DECLARATION)],
        );
        assert_eq!(declared.verdict, Verdict::Confirmed);
        assert_eq!(declared.organisation.as_deref(), Some("Example Lab"));
        assert_eq!(
            declared.declaration_url.as_deref(),
            Some("https://192.0.2.7/")
        );
        assert!(
            declared
                .evidence
                .iter()
                .any(|e| e.contains("certificate not verified")
                    && e.contains("scanning \"scans\" (en)")),
            "{:?}",
            declared.evidence
        );

        let by_name = verdict(&["scanner-05.ch1.censys-scanner.com"], vec![]);
        assert_eq!(by_name.verdict, Verdict::Likely);
        assert_eq!(by_name.organisation.as_deref(), Some("Censys"));

        let scan_word = verdict(&["scan-7.lab.example.ac.jp"], vec![]);
        assert_eq!(scan_word.verdict, Verdict::Likely);
        assert_eq!(scan_word.organisation.as_deref(), Some("example.ac.jp"));

        let ordinary = verdict(
            &["www.example.net"],
            vec![page("http://192.0.2.7/", Some(200), "<title>Shop</title>")],
        );
        assert_eq!(ordinary.verdict, Verdict::NoEvidence);

        let silent = verdict(&[], vec![page("http://192.0.2.7/", None, "")]);
        assert_eq!(silent.verdict, Verdict::Unreachable);
        assert!(silent
            .evidence
            .iter()
            .any(|e| e.contains("connection refused")));
    }

    #[test]
    fn listed_addresses_take_the_registry_name() {
        let report = judge(
            "162.142.125.7".parse().unwrap(),
            vec![],
            None,
            vec![page("http://162.142.125.7/", Some(200), DECLARATION)],
            &Registry::builtin(),
        );
        assert_eq!(report.organisation.as_deref(), Some("Censys"));
        assert!(report
            .listed_as
            .as_deref()
            .unwrap()
            .starts_with("Censys (162.142.125.0/24, line "));
    }

    #[test]
    fn redirects_stay_on_the_host() {
        let base = "http://192.0.2.7:8080/a/b";
        let resolve = |l: &str| resolve_location(base, l).unwrap();
        assert_eq!(resolve("/scan.html"), "http://192.0.2.7:8080/scan.html");
        assert_eq!(resolve("c.html"), "http://192.0.2.7:8080/a/c.html");
        assert_eq!(resolve("//192.0.2.7/x"), "http://192.0.2.7/x");
        assert_eq!(resolve("https://192.0.2.7/"), "https://192.0.2.7/");
        let addr: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(same_host("https://192.0.2.7:8443/", addr));
        assert!(!same_host("https://www.example.com/", addr));
        assert!(!same_host("https://192.0.2.8/", addr));
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        assert!(same_host("http://[2001:db8::7]/about", v6));
        assert_eq!(
            start_url(
                v6,
                Scheme::Https,
                &ProbeConfig {
                    https_port: 8443,
                    ..ProbeConfig::default()
                }
            ),
            "https://[2001:db8::7]:8443/"
        );
    }
}
