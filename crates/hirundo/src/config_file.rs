//! Config files for the long-running commands: a TOML file holds the same keys as the long
//! options, and options given on the command line win. Both go through one deserialisation,
//! so a bad value gets the same message wherever it came from.

use std::path::Path;

use anyhow::Context;
use serde::de::DeserializeOwned;

/// Options given on the command line, as TOML values under their config keys.
#[derive(Default)]
pub struct Overrides(toml::Table);

impl Overrides {
    /// Sets `key` if the option was given.
    pub fn set(&mut self, key: &str, value: Option<impl Into<toml::Value>>) -> &mut Self {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Sets `key` to a list if any value was given.
    pub fn set_list(&mut self, key: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            let list = values.iter().cloned().map(toml::Value::from).collect();
            self.0.insert(key.to_owned(), toml::Value::Array(list));
        }
        self
    }
}

/// The file's keys (if a file is given) overlaid with the command line's.
pub fn load<T: DeserializeOwned>(file: Option<&Path>, overrides: Overrides) -> anyhow::Result<T> {
    let mut table = match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            text.parse::<toml::Table>()
                .with_context(|| format!("{}: not valid TOML", path.display()))?
        }
        None => toml::Table::new(),
    };
    table.extend(overrides.0);
    let source = file.map_or("the command line".to_owned(), |p| {
        format!("{} and the command line", p.display())
    });
    T::deserialize(table).with_context(|| format!("configuration from {source}"))
}

/// A path option as a TOML string.
pub fn path(p: &Option<std::path::PathBuf>) -> Option<String> {
    p.as_ref().map(|p| p.display().to_string())
}
