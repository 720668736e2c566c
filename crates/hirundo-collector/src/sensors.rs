//! The sensors file: who may send, and with which credential.
//!
//! ```text
//! # name        SHA-256 of the sensor's token (hex)                              state
//! tokyo-1       9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
//! osaka-2       60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752 revoked
//! ```
//!
//! Only hashes are kept, so the file is no secret; a token is 32 random bytes, so an unsalted
//! SHA-256 is as strong as a password hash here (`hirundo sensor token` makes both). The file
//! is re-read when it changes, so adding or revoking a sensor needs no restart.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

/// A sensor the collector knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sensor {
    pub name: String,
    pub revoked: bool,
}

/// Why a request was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("no bearer token")]
    Missing,
    #[error("unknown token")]
    Unknown,
    #[error("the credential of sensor {0} is revoked")]
    Revoked(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SensorsFileError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {reason}")]
    Line {
        path: PathBuf,
        line: usize,
        reason: String,
    },
}

/// The SHA-256 of a token, hex: what the sensors file holds.
pub fn token_hash(token: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, token.trim().as_bytes());
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// The sensors file, re-read whenever its modification time changes.
pub struct Sensors {
    path: PathBuf,
    loaded: Mutex<Loaded>,
}

struct Loaded {
    modified: Option<SystemTime>,
    by_hash: HashMap<String, Sensor>,
}

impl Sensors {
    /// Reads `path`; fails on any bad line, naming it.
    pub fn open(path: &Path) -> Result<Sensors, SensorsFileError> {
        let (modified, by_hash) = read(path)?;
        Ok(Sensors {
            path: path.to_path_buf(),
            loaded: Mutex::new(Loaded { modified, by_hash }),
        })
    }

    /// The sensor whose token is `token`. A file that became unreadable or invalid keeps the
    /// last good list (and says so in the log) rather than locking every sensor out.
    pub fn authenticate(&self, token: Option<&str>) -> Result<Sensor, AuthError> {
        let token = token.filter(|t| !t.is_empty()).ok_or(AuthError::Missing)?;
        let mut loaded = self.loaded.lock().expect("sensors lock");
        self.reload_if_changed(&mut loaded);
        match loaded.by_hash.get(&token_hash(token)) {
            None => Err(AuthError::Unknown),
            Some(sensor) if sensor.revoked => Err(AuthError::Revoked(sensor.name.clone())),
            Some(sensor) => Ok(sensor.clone()),
        }
    }

    fn reload_if_changed(&self, loaded: &mut Loaded) {
        let modified = std::fs::metadata(&self.path)
            .and_then(|m| m.modified())
            .ok();
        if modified == loaded.modified {
            return;
        }
        match read(&self.path) {
            Ok((modified, by_hash)) => {
                tracing::info!(path = %self.path.display(), sensors = by_hash.len(), "sensors file reloaded");
                *loaded = Loaded { modified, by_hash };
            }
            Err(e) => tracing::error!("{e}; keeping the previous sensors"),
        }
    }
}

type Parsed = (Option<SystemTime>, HashMap<String, Sensor>);

fn read(path: &Path) -> Result<Parsed, SensorsFileError> {
    let io = |source| SensorsFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(io)?;
    let text = std::fs::read_to_string(path).map_err(io)?;
    let by_hash = parse(&text).map_err(|(line, reason)| SensorsFileError::Line {
        path: path.to_path_buf(),
        line,
        reason,
    })?;
    Ok((Some(modified), by_hash))
}

/// Parses the file's text; an error is (1-based line, reason).
fn parse(text: &str) -> Result<HashMap<String, Sensor>, (usize, String)> {
    let mut by_hash = HashMap::new();
    let mut names = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let (hash, sensor) = parse_line(line).map_err(|reason| (line_no, reason))?;
        if let Some(first) = names.insert(sensor.name.clone(), line_no) {
            return Err((
                line_no,
                format!("sensor {} is already on line {first}", sensor.name),
            ));
        }
        if by_hash.insert(hash, sensor).is_some() {
            return Err((line_no, "the same token hash is on an earlier line".into()));
        }
    }
    Ok(by_hash)
}

fn parse_line(line: &str) -> Result<(String, Sensor), String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let (name, hash, state) = match fields[..] {
        [name, hash] => (name, hash, None),
        [name, hash, state] => (name, hash, Some(state)),
        _ => return Err("expected: NAME SHA256-HEX [revoked]".into()),
    };
    if !hirundo_batch::valid_sensor_name(name) {
        return Err(format!(
            "sensor name {name:?}: use letters, digits, '.', '-' and '_' (at most 64)"
        ));
    }
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("{hash:?} is not a SHA-256 in hex (64 digits)"));
    }
    let revoked = match state {
        None => false,
        Some("revoked") => true,
        Some(other) => return Err(format!("unknown state {other:?} (only \"revoked\")")),
    };
    let sensor = Sensor {
        name: name.to_owned(),
        revoked,
    };
    Ok((hash.to_ascii_lowercase(), sensor))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_revoked_and_unknown_tokens() {
        let text = format!(
            "# sensors\n\ntokyo-1 {}\nosaka-2 {}  revoked # since 2026-11\n",
            token_hash("alpha"),
            token_hash("beta")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sensors");
        std::fs::write(&path, text).unwrap();
        let sensors = Sensors::open(&path).unwrap();
        assert_eq!(sensors.authenticate(Some("alpha")).unwrap().name, "tokyo-1");
        assert_eq!(
            sensors.authenticate(Some("beta")),
            Err(AuthError::Revoked("osaka-2".into()))
        );
        assert_eq!(sensors.authenticate(Some("gamma")), Err(AuthError::Unknown));
        assert_eq!(sensors.authenticate(None), Err(AuthError::Missing));
    }

    #[test]
    fn bad_lines_are_named() {
        let hash = token_hash("x");
        let cases = [
            (
                format!("a {hash}\na {}\n", token_hash("y")),
                2,
                "already on line 1",
            ),
            (format!("a {hash}\nb {hash}\n"), 2, "same token hash"),
            ("a 1234\n".to_string(), 1, "not a SHA-256"),
            (format!("a/b {hash}\n"), 1, "sensor name"),
            (format!("a {hash} gone\n"), 1, "unknown state"),
            (format!("\n\na {hash} revoked extra\n"), 3, "expected"),
        ];
        for (text, line, reason) in cases {
            let (got_line, got_reason) = parse(&text).unwrap_err();
            assert_eq!(got_line, line, "{text}");
            assert!(got_reason.contains(reason), "{got_reason}");
        }
    }

    #[test]
    fn revocation_takes_effect_without_restart() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sensors");
        std::fs::write(&path, format!("tokyo-1 {}\n", token_hash("alpha"))).unwrap();
        let sensors = Sensors::open(&path).unwrap();
        assert!(sensors.authenticate(Some("alpha")).is_ok());
        // A different mtime even on file systems with coarse timestamps.
        std::fs::write(&path, format!("tokyo-1 {} revoked\n", token_hash("alpha"))).unwrap();
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(matches!(
            sensors.authenticate(Some("alpha")),
            Err(AuthError::Revoked(_))
        ));
    }
}
