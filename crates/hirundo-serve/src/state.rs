//! What every request shares: the store, the research-scanner registry, the token, and the
//! reports already built for the store's current version.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use hirundo_analyze::model::Report;

use crate::cube::Cube;
use hirundo_store::{AddressLookup, Store};

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
    /// The traffic cube of the latest version read; the lock also makes concurrent
    /// requests wait for one load rather than each loading.
    cube: Mutex<Option<Arc<Cube>>>,
}

impl ServeState {
    pub fn new(store: Store, scanners: AddressLookup, token: Option<String>) -> ServeState {
        ServeState {
            store,
            scanners,
            token,
            reports: Mutex::default(),
            cube: Mutex::default(),
        }
    }

    /// The traffic cube of the store's current version, loaded if it is not yet.
    pub fn cube(&self) -> Result<Arc<Cube>, ApiError> {
        let version = self.store.version()?;
        let mut cached = self.cube.lock().expect("cube lock");
        match &*cached {
            Some(cube) if cube.version == version => Ok(cube.clone()),
            _ => {
                let cube = Arc::new(Cube::load(&self.store, version)?);
                *cached = Some(cube.clone());
                Ok(cube)
            }
        }
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
