//! Which files an ingest reads, and which sensor each belongs to.

use std::path::{Path, PathBuf};

/// How files are assigned to sensors.
#[derive(Clone, Debug)]
pub enum SensorRule {
    /// Every file belongs to this sensor.
    Fixed(String),
    /// Every file under `ROOT/<sensor>/` belongs to `<sensor>`.
    FromDir(PathBuf),
}

/// One capture file to ingest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub path: PathBuf,
    pub sensor: String,
}

/// A path that could not be turned into inputs: unreadable directory, or outside the sensor
/// root.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct DiscoverError {
    pub path: PathBuf,
    pub reason: String,
}

/// Files found while walking a directory that are never captures: the metadata that archives
/// and `hirundo simulate` keep beside them (`truth.json`, READMEs, checksums). Files named
/// explicitly are always read, whatever their name.
const NOT_CAPTURES: [&str; 8] = ["json", "toml", "md", "txt", "csv", "sha256", "md5", "log"];

/// Expands `paths` (files, and directories walked recursively in name order; hidden entries
/// and [`NOT_CAPTURES`] skipped) into inputs with their sensors. Problems are returned beside the inputs so that
/// one bad path does not stop the others.
pub fn discover(paths: &[PathBuf], rule: &SensorRule) -> (Vec<Input>, Vec<DiscoverError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        walk(path, &mut files, &mut errors);
    }
    let mut inputs = Vec::new();
    for path in files {
        match sensor_of(&path, rule) {
            Ok(sensor) => inputs.push(Input { path, sensor }),
            Err(reason) => errors.push(DiscoverError { path, reason }),
        }
    }
    (inputs, errors)
}

fn walk(path: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<DiscoverError>) {
    let error = |e: std::io::Error| DiscoverError {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    if !path.is_dir() {
        // Files, and paths that do not exist: opening reports the latter with its reason.
        files.push(path.to_path_buf());
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => return errors.push(error(e)),
    };
    let mut children: Vec<PathBuf> = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry)
                if !entry.file_name().to_string_lossy().starts_with('.')
                    && !is_metadata(&entry.path()) =>
            {
                children.push(entry.path())
            }
            Ok(_) => {}
            Err(e) => errors.push(error(e)),
        }
    }
    children.sort();
    for child in children {
        walk(&child, files, errors);
    }
}

fn is_metadata(path: &Path) -> bool {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    extension.is_some_and(|e| NOT_CAPTURES.contains(&e.as_str())) && path.is_file()
}

fn sensor_of(path: &Path, rule: &SensorRule) -> Result<String, String> {
    match rule {
        SensorRule::Fixed(name) => Ok(name.clone()),
        SensorRule::FromDir(root) => {
            let relative = path
                .strip_prefix(root)
                .map_err(|_| format!("not under the sensor root {}", root.display()))?;
            let mut parts = relative.components();
            match (parts.next(), parts.next()) {
                (Some(sensor), Some(_)) => Ok(sensor.as_os_str().to_string_lossy().into_owned()),
                _ => Err(format!(
                    "not inside a sensor directory {}/<sensor>/",
                    root.display()
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sensors_come_from_the_first_directory_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let files = [
            "tokyo/a.pcap",
            "tokyo/2019/b.pcap",
            "osaka/c.pcap.gz",
            "loose.pcap",
            "osaka/.hidden",
            "truth.json",
        ];
        for f in files {
            let p = root.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, b"x").unwrap();
        }
        let (inputs, errors) = discover(&[root.to_path_buf()], &SensorRule::FromDir(root.into()));
        let got: Vec<(String, String)> = inputs
            .iter()
            .map(|i| {
                (
                    i.path.strip_prefix(root).unwrap().display().to_string(),
                    i.sensor.clone(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("osaka/c.pcap.gz".into(), "osaka".into()),
                ("tokyo/2019/b.pcap".into(), "tokyo".into()),
                ("tokyo/a.pcap".into(), "tokyo".into()),
            ]
        );
        assert_eq!(errors.len(), 1);
        assert!(
            errors[0].to_string().contains("loose.pcap"),
            "{}",
            errors[0]
        );
    }
}
