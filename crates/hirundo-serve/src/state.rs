//! What every request shares: the store, the research-scanner registry, the token, and the
//! reports already built for the store's current version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hirundo_analyze::model::Report;

use crate::cube::Cube;
use crate::source_cube::SourceCube;
use hirundo_store::{AddressLookup, Stats, Store};

use crate::error::ApiError;

/// Reports kept at most; a dashboard asks for a few ranges at a time.
const REPORT_CACHE: usize = 32;

pub struct ServeState {
    pub store: Store,
    /// The research-scanner organisation of an address (the registry of `--scanners`).
    pub scanners: AddressLookup,
    /// The bearer token `/api/` requires, if any.
    pub token: Option<String>,
    reports: Mutex<HashMap<String, (u64, Arc<Report>)>>,
    /// The `traffic` rollup in memory.
    cube: Versioned<Cube>,
    /// The `sources` and `backscatter` rollups in memory, for reports.
    sources: Versioned<SourceCube>,
    /// The store's totals at a version: every range defaults to its last day, and reading
    /// them means reading every commit.
    stats: Versioned<Stats>,
}

impl ServeState {
    pub fn new(store: Store, scanners: AddressLookup, token: Option<String>) -> ServeState {
        ServeState {
            store,
            scanners,
            token,
            reports: Mutex::default(),
            cube: Versioned::default(),
            sources: Versioned::default(),
            stats: Versioned::default(),
        }
    }

    /// The traffic cube of the store's current version, loaded if it is not yet.
    pub fn cube(&self) -> Result<Arc<Cube>, ApiError> {
        let version = self.store.version()?;
        self.cube.get(version, || Cube::load(&self.store, version))
    }

    /// The source cube of the store's current version, loaded if it is not yet.
    pub fn source_cube(&self) -> Result<Arc<SourceCube>, ApiError> {
        let version = self.store.version()?;
        self.sources
            .get(version, || SourceCube::load(&self.store, &self.scanners))
    }

    /// The store's totals at its current version.
    pub fn stats(&self) -> Result<Arc<Stats>, ApiError> {
        let version = self.store.version()?;
        self.stats.get(version, || Ok(self.store.stats()?))
    }

    /// The report cached under `key` for the store's current version, or `build`'s.
    pub fn report(
        &self,
        key: String,
        build: impl FnOnce() -> Result<Report, ApiError>,
    ) -> Result<Arc<Report>, ApiError> {
        let version = self.store.version()?;
        if let Some((v, report)) = self.reports.lock().expect("report cache").get(&key) {
            if *v == version {
                return Ok(report.clone());
            }
        }
        let report = Arc::new(build()?);
        let mut cache = self.reports.lock().expect("report cache");
        if cache.len() >= REPORT_CACHE {
            cache.clear();
        }
        cache.insert(key, (version, report.clone()));
        Ok(report)
    }
}

/// One value computed from the store at a version, recomputed when the version changes. The
/// lock is held while computing, so that concurrent requests wait for one computation
/// rather than each making its own.
pub struct Versioned<T>(Mutex<Option<(u64, Arc<T>)>>);

impl<T> Default for Versioned<T> {
    fn default() -> Self {
        Versioned(Mutex::new(None))
    }
}

impl<T> Versioned<T> {
    fn get(
        &self,
        version: u64,
        compute: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<Arc<T>, ApiError> {
        let mut cached = self.0.lock().expect("cache lock");
        match &*cached {
            Some((v, value)) if *v == version => Ok(value.clone()),
            _ => {
                let value = Arc::new(compute()?);
                *cached = Some((version, value.clone()));
                Ok(value)
            }
        }
    }
}

/// Runs `work` on the blocking pool: the store's readers run their own runtime.
pub async fn blocking<T: Send + 'static>(
    state: &Arc<ServeState>,
    work: impl FnOnce(&ServeState) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || work(&state))
        .await
        .map_err(|e| ApiError::Internal(format!("request task failed: {e}")))?
}
