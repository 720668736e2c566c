//! hirundo's embedded store: observed packets as Parquet files partitioned by UTC day, an
//! atomic commit log that says which files exist, and SQL over them through DataFusion.
//!
//! Layout of a store directory:
//!
//! ```text
//! DB/_log/00000000000000000001.json      one commit per ingest transaction
//! DB/packets/day=2019-10-01/<txn>-0.parquet
//! DB/honeypot/day=2019-10-01/<txn>.parquet     honeypot events (see [`HoneypotEvent`])
//! ```
//!
//! Writers stage data files under hidden `.pending` names and publish them by writing the
//! next commit of the log (see [`log`]): a reader sees a transaction wholly or not at all, a
//! killed writer leaves nothing visible, and the same capture file (by BLAKE3 of its bytes) is
//! never stored twice. The `packets` table's schema is [`packets_schema`].
//!
//! ```no_run
//! use hirundo_store::Store;
//! let store = Store::open("db".as_ref())?;
//! let batches = store.query("SELECT dst_port, count(*) FROM packets GROUP BY 1")?;
//! # Ok::<(), hirundo_store::StoreError>(())
//! ```

mod columns;
mod honeypot;
mod labels;
pub mod log;
mod query;
mod rollup;
mod schema;
mod stats;
mod writer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub use honeypot::{honeypot_schema, HoneypotEvent, HONEYPOT_TABLE};
pub use log::{AddFile, Commit, FileEntry, FileStatus};
pub use query::{print_batches, AddressLookup, OutputFormat, Reader, TextTable};
pub use rollup::{rollup_schema, ROLLUP_TABLES};
pub use schema::{packets_schema, PacketRow, RowContext, BATCH_ROWS};
pub use stats::{SensorStats, Stats};
pub use writer::{Committed, Transaction};

/// Errors of the store; each names the file it concerns.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Parquet {
        path: PathBuf,
        source: parquet::errors::ParquetError,
    },
    #[error("{path}: corrupt commit: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("query failed: {0}")]
    Query(#[from] datafusion::error::DataFusionError),
    #[error("output failed: {0}")]
    Output(#[from] arrow::error::ArrowError),
    #[error("capture file {hash} was committed by another writer first")]
    AlreadyIngested { hash: String },
    #[error("the Parquet encoder thread stopped unexpectedly")]
    EncoderGone,
}

impl StoreError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    fn parquet(path: &Path, source: parquet::errors::ParquetError) -> Self {
        StoreError::Parquet {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A store directory, open for reading and writing.
pub struct Store {
    root: PathBuf,
    log: log::Log,
    seen: Mutex<SeenFiles>,
}

/// The capture files in the log, kept up to date incrementally.
#[derive(Default)]
struct SeenFiles {
    version: u64,
    status: HashMap<String, FileStatus>,
}

impl Store {
    /// Opens (creating if needed) the store at `root` and finishes the file renames of any
    /// writer that died after publishing its commit.
    pub fn open(root: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(root).map_err(|e| StoreError::io(root, e))?;
        let log = log::Log::open(root)?;
        let store = Store {
            root: root.to_path_buf(),
            log,
            seen: Mutex::default(),
        };
        for commit in store.commits()? {
            writer::publish_data_files(&store.root, &commit.add)?;
        }
        Ok(store)
    }

    /// The store directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The latest published version (0 for an empty store): cheap, for callers that cache
    /// what they computed from a version.
    pub fn version(&self) -> Result<u64, StoreError> {
        self.log.latest()
    }

    /// Every commit in the log, oldest first.
    pub fn commits(&self) -> Result<Vec<Commit>, StoreError> {
        self.log.read_all()
    }

    /// How the capture file with BLAKE3 `hash` was ingested, if it was.
    pub fn ingested(&self, hash: &str) -> Result<Option<FileStatus>, StoreError> {
        let mut seen = self.seen.lock().expect("seen lock");
        self.refresh(&mut seen)?;
        Ok(seen.status.get(hash).copied())
    }

    fn refresh(&self, seen: &mut SeenFiles) -> Result<(), StoreError> {
        for commit in self.log.read_after(seen.version)? {
            for file in &commit.files {
                seen.status.insert(file.hash.clone(), file.status);
            }
            seen.version = commit.version;
        }
        Ok(())
    }

    /// Starts a write transaction whose rows share `context` (sensor, capture file, labels).
    pub fn begin(&self, context: RowContext) -> Transaction<'_> {
        Transaction::new(self, new_txn_id(), context)
    }

    /// Publishes `commit` at the next free version, unless one of its capture files was
    /// committed meanwhile. Returns the version.
    fn publish(&self, commit: &Commit) -> Result<u64, StoreError> {
        let mut seen = self.seen.lock().expect("seen lock");
        loop {
            self.refresh(&mut seen)?;
            if let Some(dup) = commit
                .files
                .iter()
                .find(|f| seen.status.contains_key(&f.hash))
            {
                return Err(StoreError::AlreadyIngested {
                    hash: dup.hash.clone(),
                });
            }
            let version = seen.version.max(self.log.latest()?) + 1;
            if self.log.try_publish(version, commit)? {
                return Ok(version);
            }
        }
    }
}

/// A transaction id unique across processes and machines writing the same store: time, pid
/// and a per-process counter.
fn new_txn_id() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{nanos:x}-{:x}-{n:x}", std::process::id())
}
