//! The registry: which organisation runs the scanners of which network, loaded from a CSV
//! file `cidr,name[,url]` (or the built-in list), with longest-prefix lookups.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ipnet::IpNet;

/// The built-in list (`data/scanners/default.csv`); its header says when and from where it
/// was compiled.
pub const DEFAULT_CSV: &str = include_str!("../data/scanners/default.csv");

/// The name errors in the built-in list are reported under.
pub const DEFAULT_SOURCE: &str = "built-in default.csv";

/// What a registry row attributes to an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Every address in this network.
    Network(IpNet),
    /// Hosts whose reverse-DNS (PTR) name ends with this suffix, kept with its leading dot
    /// and in lower case (`.censys-scanner.com`).
    PtrSuffix(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Network(net) => write!(f, "{net}"),
            Target::PtrSuffix(suffix) => f.write_str(suffix),
        }
    }
}

/// One row of the registry.
#[derive(Clone, Debug)]
pub struct Entry {
    pub target: Target,
    /// The organisation, as queries report it.
    pub name: Arc<str>,
    /// Where the organisation describes its scanning, if the row gives it.
    pub url: Option<String>,
    /// Line of the row in its file (1-based).
    pub line: u64,
}

/// A registry that could not be read; each names the file and, for bad rows, the line.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{file}, line {line}: {problem}")]
    Line {
        file: String,
        line: u64,
        problem: LineProblem,
    },
}

/// What is wrong with one line of a registry file.
#[derive(Debug, thiserror::Error)]
pub enum LineProblem {
    #[error(
        "`{0}` is neither a network (162.142.125.0/24), an address, nor a reverse-DNS suffix (.censys-scanner.com)"
    )]
    BadTarget(String),
    #[error("`{given}` has host bits set: the network is {network}")]
    HostBits { given: String, network: IpNet },
    #[error("the organisation name (second field) is missing")]
    MissingName,
    #[error("{0} fields, expected cidr,name[,url]")]
    FieldCount(usize),
    #[error("{target} is already listed on line {first}")]
    Duplicate { target: Target, first: u64 },
    #[error("not CSV: {0}")]
    Csv(String),
}

/// Research scanners by network and by reverse-DNS suffix.
#[derive(Clone, Debug)]
pub struct Registry {
    file: String,
    entries: Vec<Entry>,
    networks: PrefixTable,
    /// Indexes of suffix rows, longest suffix first so that the most specific one wins.
    suffixes: Vec<usize>,
}

impl Registry {
    /// The built-in list.
    pub fn builtin() -> Registry {
        Registry::from_csv(DEFAULT_CSV, DEFAULT_SOURCE).expect("the built-in list is valid")
    }

    /// Reads a registry file.
    pub fn load(path: &Path) -> Result<Registry, RegistryError> {
        let text = std::fs::read_to_string(path).map_err(|source| RegistryError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Registry::from_csv(&text, &path.display().to_string())
    }

    /// Parses registry text; `file` names it in errors. One row per line; blank lines and
    /// lines starting with `#` are skipped; a first row `cidr,name[,url]` is a header.
    pub fn from_csv(text: &str, file: &str) -> Result<Registry, RegistryError> {
        let mut registry = Registry {
            file: file.to_owned(),
            entries: Vec::new(),
            networks: PrefixTable::default(),
            suffixes: Vec::new(),
        };
        let mut first_line_of: HashMap<Target, u64> = HashMap::new();
        let rows = text
            .lines()
            .zip(1..)
            .filter(|(l, _)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        for (index, (row, line)) in rows.enumerate() {
            let fields = split_row(row).map_err(|p| registry.line_error(line, p))?;
            if index == 0 && is_header(&fields) {
                continue;
            }
            let entry = parse_row(&fields, line).map_err(|p| registry.line_error(line, p))?;
            if let Some(&first) = first_line_of.get(&entry.target) {
                let target = entry.target;
                return Err(registry.line_error(line, LineProblem::Duplicate { target, first }));
            }
            first_line_of.insert(entry.target.clone(), line);
            registry.push(entry);
        }
        registry
            .suffixes
            .sort_by_key(|&i| std::cmp::Reverse(suffix_len(&registry.entries[i])));
        Ok(registry)
    }

    fn push(&mut self, entry: Entry) {
        let index = self.entries.len();
        match &entry.target {
            Target::Network(net) => self.networks.insert(*net, index),
            Target::PtrSuffix(_) => self.suffixes.push(index),
        }
        self.entries.push(entry);
    }

    fn line_error(&self, line: u64, problem: LineProblem) -> RegistryError {
        RegistryError::Line {
            file: self.file.clone(),
            line,
            problem,
        }
    }

    /// Where the registry came from: a path or [`DEFAULT_SOURCE`].
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Every row, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The row of the most specific network that holds `addr`.
    pub fn lookup(&self, addr: IpAddr) -> Option<&Entry> {
        self.networks
            .longest_match(addr.to_canonical())
            .map(|i| &self.entries[i])
    }

    /// The row of the longest reverse-DNS suffix that `hostname` ends with (or equals, without
    /// its dot).
    pub fn lookup_ptr(&self, hostname: &str) -> Option<&Entry> {
        let host = hostname.trim_end_matches('.').to_ascii_lowercase();
        let dotted = format!(".{host}");
        self.suffixes
            .iter()
            .map(|&i| &self.entries[i])
            .find(|e| matches!(&e.target, Target::PtrSuffix(s) if dotted.ends_with(s.as_str())))
    }
}

fn suffix_len(entry: &Entry) -> usize {
    match &entry.target {
        Target::PtrSuffix(s) => s.len(),
        Target::Network(_) => 0,
    }
}

/// The fields of one CSV line, trimmed, quotes removed. The csv crate reads an unclosed
/// quote to the end of its input without complaint, so an odd number of quotes is caught here.
fn split_row(row: &str) -> Result<csv::StringRecord, LineProblem> {
    if row.matches('"').count() % 2 == 1 {
        return Err(LineProblem::Csv("a quote is not closed".into()));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .trim(csv::Trim::All)
        .from_reader(row.as_bytes());
    let mut record = csv::StringRecord::new();
    reader
        .read_record(&mut record)
        .map_err(|e| LineProblem::Csv(e.to_string()))?;
    Ok(record)
}

fn is_header(record: &csv::StringRecord) -> bool {
    let fields: Vec<String> = record.iter().map(str::to_ascii_lowercase).collect();
    fields == ["cidr", "name"] || fields == ["cidr", "name", "url"]
}

fn parse_row(record: &csv::StringRecord, line: u64) -> Result<Entry, LineProblem> {
    if !(2..=3).contains(&record.len()) {
        return Err(LineProblem::FieldCount(record.len()));
    }
    let target = parse_target(&record[0])?;
    let name = &record[1];
    if name.is_empty() {
        return Err(LineProblem::MissingName);
    }
    let url = record.get(2).filter(|u| !u.is_empty()).map(str::to_owned);
    Ok(Entry {
        target,
        name: name.into(),
        url,
        line,
    })
}

/// A network (`198.51.100.0/24`, `2001:db8::/32`), a single address (a /32 or /128), or a
/// reverse-DNS suffix (`.example.net`).
pub fn parse_target(field: &str) -> Result<Target, LineProblem> {
    let bad = || LineProblem::BadTarget(field.to_owned());
    if let Some(domain) = field.strip_prefix('.') {
        let valid_label =
            |l: &str| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !domain.split('.').all(valid_label) {
            return Err(bad());
        }
        return Ok(Target::PtrSuffix(format!(
            ".{}",
            domain.to_ascii_lowercase()
        )));
    }
    if let Ok(addr) = field.parse::<IpAddr>() {
        return Ok(Target::Network(IpNet::from(addr)));
    }
    let net: IpNet = field.parse().map_err(|_| bad())?;
    if net.trunc() != net {
        return Err(LineProblem::HostBits {
            given: field.to_owned(),
            network: net.trunc(),
        });
    }
    Ok(Target::Network(net))
}

/// Longest-prefix match over a handful of prefix lengths: one map per length, probed from the
/// longest down. Registries hold few distinct lengths, so a lookup is a few hash probes, cheap
/// enough to run for every packet of a query.
#[derive(Clone, Debug, Default)]
struct PrefixTable {
    /// Sorted by prefix length, longest first.
    by_length: Vec<(u8, HashMap<IpNet, usize>)>,
}

impl PrefixTable {
    fn insert(&mut self, net: IpNet, index: usize) {
        let len = net.prefix_len();
        let slot = match self.by_length.iter().position(|(l, _)| *l <= len) {
            Some(i) if self.by_length[i].0 == len => i,
            Some(i) => {
                self.by_length.insert(i, (len, HashMap::new()));
                i
            }
            None => {
                self.by_length.push((len, HashMap::new()));
                self.by_length.len() - 1
            }
        };
        self.by_length[slot].1.insert(net, index);
    }

    fn longest_match(&self, addr: IpAddr) -> Option<usize> {
        self.by_length.iter().find_map(|(len, nets)| {
            // An IPv6 length does not fit an IPv4 address: that length is skipped.
            let net = IpNet::new(addr, *len).ok()?.trunc();
            nets.get(&net).copied()
        })
    }
}

/// A row to add to a registry file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRow {
    pub network: IpNet,
    pub name: String,
    pub url: Option<String>,
}

/// Appends `rows` to the registry file at `path` after the comment line `# {comment}`,
/// creating the file with a header if it does not exist. Fields are quoted as CSV needs.
pub fn append_rows(path: &Path, comment: &str, rows: &[NewRow]) -> Result<(), RegistryError> {
    let io = |source| RegistryError::Io {
        path: path.to_path_buf(),
        source,
    };
    let existing = match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    let mut text = String::new();
    match &existing {
        None => text.push_str("cidr,name,url\n"),
        Some(bytes) if !bytes.is_empty() && !bytes.ends_with(b"\n") => text.push('\n'),
        Some(_) => {}
    }
    text.push_str(&format!("# {}\n", comment.replace('\n', " ")));
    text.push_str(&csv_rows(rows));
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

fn csv_rows(rows: &[NewRow]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for row in rows {
        let network = row.network.to_string();
        let mut record = vec![network.as_str(), row.name.as_str()];
        record.extend(row.url.as_deref());
        writer.write_record(&record).expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory")).expect("UTF-8 fields")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(text: &str) -> Registry {
        Registry::from_csv(text, "test.csv").unwrap()
    }

    fn error(text: &str) -> String {
        Registry::from_csv(text, "scanners.csv")
            .unwrap_err()
            .to_string()
    }

    fn name_of(r: &Registry, addr: &str) -> Option<String> {
        r.lookup(addr.parse().unwrap()).map(|e| e.name.to_string())
    }

    #[test]
    fn the_builtin_list_holds_the_simulators_research_networks() {
        let r = Registry::builtin();
        for addr in [
            "162.142.125.7",
            "167.94.138.1",
            "167.94.145.255",
            "167.94.146.9",
        ] {
            assert_eq!(name_of(&r, addr).as_deref(), Some("Censys"), "{addr}");
        }
        for addr in ["184.105.139.64", "184.105.247.255", "74.82.47.63"] {
            assert_eq!(name_of(&r, addr).as_deref(), Some("Shadowserver"), "{addr}");
        }
        assert_eq!(name_of(&r, "74.82.47.64"), None, "just past the /26");
        assert_eq!(
            name_of(&r, "2602:80d:1000:b0cc:e::1").as_deref(),
            Some("Censys")
        );
        assert!(r.entries().iter().all(|e| e.url.is_some()));
    }

    #[test]
    fn longest_prefix_wins_whatever_the_order() {
        let text = "cidr,name\n10.0.0.0/8,Wide\n10.1.2.0/24,Narrow\n10.1.0.0/16,Middle\n10.1.2.3,Host\n2001:db8::/32,Six\n2001:db8:1::/48,Six narrow\n";
        let r = registry(text);
        assert_eq!(name_of(&r, "10.1.2.3").as_deref(), Some("Host"));
        assert_eq!(name_of(&r, "10.1.2.4").as_deref(), Some("Narrow"));
        assert_eq!(name_of(&r, "10.1.3.4").as_deref(), Some("Middle"));
        assert_eq!(name_of(&r, "10.2.0.0").as_deref(), Some("Wide"));
        assert_eq!(name_of(&r, "11.0.0.0"), None);
        assert_eq!(name_of(&r, "2001:db8:1::5").as_deref(), Some("Six narrow"));
        assert_eq!(name_of(&r, "2001:db8:2::5").as_deref(), Some("Six"));
        assert_eq!(
            name_of(&r, "::ffff:10.1.2.3").as_deref(),
            Some("Host"),
            "IPv4-mapped IPv6 addresses are IPv4"
        );
    }

    #[test]
    fn rows_take_comments_urls_quotes_and_suffixes() {
        let text = "# a comment\n\n198.51.100.0/24,\"Example, Inc.\",https://example.net/scan\n.Scan.Example.NET,Example\n";
        let r = registry(text);
        let row = &r.entries()[0];
        assert_eq!(&*row.name, "Example, Inc.");
        assert_eq!(row.url.as_deref(), Some("https://example.net/scan"));
        assert_eq!(row.line, 3);
        assert_eq!(r.entries()[1].line, 4);
        let by_ptr = |h: &str| r.lookup_ptr(h).map(|e| e.name.to_string());
        assert_eq!(by_ptr("a1.scan.example.net.").as_deref(), Some("Example"));
        assert_eq!(by_ptr("SCAN.example.net").as_deref(), Some("Example"));
        assert_eq!(by_ptr("notscan.example.net"), None);
    }

    #[test]
    fn errors_name_the_file_the_line_and_the_problem() {
        let cases = [
            (
                "cidr,name\n# ok\n162.142.125.300/24,X\n",
                "line 3",
                "162.142.125.300/24",
            ),
            (
                "10.0.0.1/8,X\n",
                "line 1",
                "host bits set: the network is 10.0.0.0/8",
            ),
            ("\n\n10.0.0.0/8,\n", "line 3", "organisation name"),
            ("10.0.0.0/8,X,u,extra\n", "line 1", "4 fields"),
            ("10.0.0.0/8\n", "line 1", "1 fields"),
            (
                "10.0.0.0/8,X\n# c\n10.0.0.0/8,Y\n",
                "line 3",
                "already listed on line 1",
            ),
            ("..example,X\n", "line 1", "reverse-DNS suffix"),
            ("# c\n10.0.0.0/8,\"X\n", "line 2", "quote is not closed"),
        ];
        for (text, line, problem) in cases {
            let e = error(text);
            assert!(e.starts_with("scanners.csv, "), "{e}");
            assert!(e.contains(line), "{line} in {e}");
            assert!(e.contains(problem), "{problem} in {e}");
        }
    }

    #[test]
    fn appended_rows_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mine.csv");
        let row = |net: &str, name: &str| NewRow {
            network: net.parse().unwrap(),
            name: name.into(),
            url: Some("http://192.0.2.1/".into()),
        };
        append_rows(&path, "first", &[row("192.0.2.1/32", "Lab, \"A\"")]).unwrap();
        std::fs::write(&path, std::fs::read_to_string(&path).unwrap().trim_end()).unwrap();
        append_rows(&path, "second", &[row("2001:db8::1/128", "B")]).unwrap();
        let r = Registry::load(&path).unwrap();
        assert_eq!(r.entries().len(), 2);
        assert_eq!(name_of(&r, "192.0.2.1").as_deref(), Some("Lab, \"A\""));
        assert_eq!(name_of(&r, "2001:db8::1").as_deref(), Some("B"));
        let missing = Registry::load(&dir.path().join("none.csv")).unwrap_err();
        assert!(missing.to_string().contains("none.csv"), "{missing}");
    }
}
