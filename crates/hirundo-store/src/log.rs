//! The commit log: the single source of truth for what the store holds.
//!
//! Each commit is one JSON file `_log/<version>.json` (20-digit, zero-padded), written to a
//! temporary name, synced, then published with `link(2)`, which fails if that version already
//! exists. Publishing is therefore atomic (a commit is either wholly there or not at all) and
//! exclusive (two writers racing for the same version cannot both win: the loser re-reads the
//! log and retries at the next version). This is the same optimistic protocol as Delta Lake's
//! log on a local file system; we write our own because the `deltalake` crate would double
//! the clean build time (see docs/STORE.md) and we need per-capture-file bookkeeping in the log.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// One published commit.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Commit {
    /// Position in the log (1-based); filled in when read back.
    #[serde(default)]
    pub version: u64,
    /// Unique id of the transaction that wrote the commit's data files.
    pub txn: String,
    /// RFC 3339 UTC time of publication.
    pub committed_at: String,
    /// The program that wrote it.
    pub writer: String,
    /// Capture files this commit ingests.
    pub files: Vec<FileEntry>,
    /// Data files this commit adds to the `packets` table and the rollups.
    pub add: Vec<AddFile>,
}

/// How a capture file was ingested.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FileStatus {
    /// Every record was read.
    Complete,
    /// The file is damaged: the records before the damage are stored, `error` says where.
    Partial,
}

/// A capture file's bookkeeping: what was read from it and what became of each frame.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileEntry {
    /// BLAKE3 of the file's bytes, hex: the idempotency key.
    pub hash: String,
    /// Path as given at ingest.
    pub path: String,
    /// File size in bytes.
    pub bytes: u64,
    /// Sensor the file belongs to.
    pub sensor: String,
    pub status: FileStatus,
    /// For partial files, the error that stopped reading (path, offset, reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Container and compression, e.g. "pcapng+gzip".
    pub format: String,
    /// Frames read from the file.
    pub frames: u64,
    /// Rows stored in `packets` (IP packets, including later fragments).
    pub packets: u64,
    /// Of `packets`, non-first fragments (no transport header).
    pub later_fragments: u64,
    /// Frames that were not IP, per link-level type ("ethernet/0x0806").
    pub non_ip: BTreeMap<String, u64>,
    /// Malformed IP frames per reason.
    pub malformed: BTreeMap<String, u64>,
    /// Malformed IP frames per UTC hour (hours since the epoch), so that a report counts
    /// those of its period; absent in stores written before reports.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub malformed_hours: BTreeMap<i64, u64>,
    /// Frames on link types we do not decode, per link type ("linktype 105").
    pub unsupported_link: BTreeMap<String, u64>,
    /// Timestamps of the first and last stored packets (ns since the epoch, UTC).
    pub first_ts_ns: Option<i64>,
    pub last_ts_ns: Option<i64>,
    /// The geolocation database that gave `src_country` ("embedded geo-whois-asn-country
    /// 2.3.2026061719, built 2026-06-17"); absent in stores written before enrichment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub geoip: Option<String>,
    /// The ASN database that gave `src_asn` and `src_as_name`, when one was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
}

impl FileEntry {
    /// The entry of a capture file or sensor batch (`hash` its idempotency key) whose frames
    /// `accounting` counts; `error` is the damage that stopped reading a partial file.
    pub fn counted(
        hash: String,
        path: String,
        bytes: u64,
        sensor: String,
        format: String,
        accounting: hirundo_batch::Accounting,
        error: Option<String>,
    ) -> FileEntry {
        let hirundo_batch::Accounting {
            frames,
            packets,
            later_fragments,
            first_ts_ns,
            last_ts_ns,
            non_ip,
            malformed,
            malformed_hours,
            unsupported_link,
        } = accounting;
        FileEntry {
            hash,
            path,
            bytes,
            sensor,
            status: if error.is_some() {
                FileStatus::Partial
            } else {
                FileStatus::Complete
            },
            error,
            format,
            frames,
            packets,
            later_fragments,
            non_ip,
            malformed,
            malformed_hours,
            unsupported_link,
            first_ts_ns,
            last_ts_ns,
            geoip: None,
            asn: None,
        }
    }

    /// Total malformed frames.
    pub fn malformed_total(&self) -> u64 {
        self.malformed.values().sum()
    }

    /// Records which databases labelled the rows (`None`: stored without labels).
    pub fn set_enricher(&mut self, enricher: Option<&hirundo_enrich::Enricher>) {
        self.geoip = enricher.map(|e| e.geo_info().to_string());
        self.asn = enricher.and_then(|e| e.asn_info());
    }
}

/// A data file of a table (`packets` or a rollup): the table is the path's first component.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AddFile {
    /// Path relative to the store root, e.g. `packets/day=2019-10-01/<txn>-0.parquet`.
    pub path: String,
    /// UTC day of every row in the file (the partition).
    pub day: String,
    pub rows: u64,
    pub bytes: u64,
    pub min_ts_ns: i64,
    pub max_ts_ns: i64,
}

/// The log directory of a store.
pub struct Log {
    dir: PathBuf,
}

impl Log {
    /// The log under `root/_log`, created if missing.
    pub fn open(root: &Path) -> Result<Log, StoreError> {
        let dir = root.join("_log");
        fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        Ok(Log { dir })
    }

    /// Every published commit, in version order.
    pub fn read_all(&self) -> Result<Vec<Commit>, StoreError> {
        let mut commits = Vec::new();
        for version in self.versions()? {
            commits.push(self.read(version)?);
        }
        Ok(commits)
    }

    /// Commits published after `version`.
    pub fn read_after(&self, version: u64) -> Result<Vec<Commit>, StoreError> {
        let mut commits = Vec::new();
        for v in self.versions()?.into_iter().filter(|v| *v > version) {
            commits.push(self.read(v)?);
        }
        Ok(commits)
    }

    fn read(&self, version: u64) -> Result<Commit, StoreError> {
        let path = self.commit_path(version);
        let text = fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
        let mut commit: Commit = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        commit.version = version;
        Ok(commit)
    }

    fn versions(&self) -> Result<Vec<u64>, StoreError> {
        let entries = fs::read_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        let mut versions = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if let Some(v) = name
                .strip_suffix(".json")
                .and_then(|s| s.parse::<u64>().ok())
            {
                versions.push(v);
            }
        }
        versions.sort_unstable();
        Ok(versions)
    }

    /// The highest published version, 0 for an empty log.
    pub fn latest(&self) -> Result<u64, StoreError> {
        Ok(self.versions()?.last().copied().unwrap_or(0))
    }

    fn commit_path(&self, version: u64) -> PathBuf {
        self.dir.join(format!("{version:020}.json"))
    }

    /// Publishes `commit` as `version` if nobody has; `Ok(false)` when another writer won.
    pub fn try_publish(&self, version: u64, commit: &Commit) -> Result<bool, StoreError> {
        let tmp = self.dir.join(format!(".tmp-{}-{version}", commit.txn));
        let json = serde_json::to_vec_pretty(commit).expect("commit serialises");
        write_synced(&tmp, &json).map_err(|e| StoreError::io(&tmp, e))?;
        let target = self.commit_path(version);
        let published = match fs::hard_link(&tmp, &target) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => false,
            Err(e) => return Err(StoreError::io(&target, e)),
        };
        let _ = fs::remove_file(&tmp);
        sync_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        Ok(published)
    }
}

/// Writes `bytes` to a new file at `path` and syncs it to disk.
pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Syncs a directory so that the names created in it survive a crash.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}
