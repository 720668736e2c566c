//! The `traffic` rollup held in memory, column by column per UTC day, so that the packet
//! series and rankings that every dashboard view asks for are one tight scan of the days
//! they cover instead of a SQL aggregation over tens of millions of Parquet rows (a quarter
//! of a 100-million-packet store is about 13 M rollup rows). Labels (sensor, country, tool,
//! kind) are interned; the cube is rebuilt when the store's version changes.

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::DataType;
use hirundo_analyze::model::{parse_port_key, port_key, protocol_name};
use hirundo_store::Store;

use crate::dimension::{ints, Dimension};
use crate::error::ApiError;
use crate::params::Filters;

const SECONDS_PER_DAY: i64 = 86_400;

/// The rollup cells of one UTC day.
#[derive(Default)]
struct DayCells {
    /// Hours since the epoch.
    hour: Vec<i32>,
    protocol: Vec<u8>,
    port: Vec<u16>,
    sensor: Vec<u16>,
    country: Vec<u16>,
    tool: Vec<u16>,
    kind: Vec<u16>,
    packets: Vec<u64>,
}

/// Interned labels of one column; index 0 is NULL.
struct Labels {
    names: Vec<Option<String>>,
    index: HashMap<String, u16>,
}

impl Default for Labels {
    fn default() -> Labels {
        Labels {
            names: vec![None],
            index: HashMap::new(),
        }
    }
}

impl Labels {
    fn intern(&mut self, name: Option<&str>) -> Result<u16, ApiError> {
        let Some(name) = name else { return Ok(0) };
        if let Some(i) = self.index.get(name) {
            return Ok(*i);
        }
        let i = u16::try_from(self.names.len()).map_err(|_| {
            ApiError::Internal("more than 65,535 distinct labels in a column".into())
        })?;
        self.names.push(Some(name.to_owned()));
        self.index.insert(name.to_owned(), i);
        Ok(i)
    }

    /// The index a filter asks for: `Some(None)` is NULL; a name never seen matches nothing.
    fn find(&self, wanted: &Option<Option<String>>) -> Wanted {
        match wanted {
            None => Wanted::Any,
            Some(None) => Wanted::Is(0),
            Some(Some(name)) => self
                .index
                .get(name)
                .map_or(Wanted::Nothing, |i| Wanted::Is(*i)),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Wanted {
    Any,
    Is(u16),
    Nothing,
}

impl Wanted {
    fn admits(self, value: u16) -> bool {
        match self {
            Wanted::Any => true,
            Wanted::Is(v) => v == value,
            Wanted::Nothing => false,
        }
    }
}

/// Filters resolved against the cube's labels.
pub struct Selection {
    port: Option<(u8, u16)>,
    sensor: Wanted,
    country: Wanted,
    tool: Wanted,
    kind: Wanted,
}

pub struct Cube {
    /// The store version it was built from.
    pub version: u64,
    /// Cells per UTC day (days since the epoch).
    days: BTreeMap<i64, DayCells>,
    sensors: Labels,
    countries: Labels,
    tools: Labels,
    kinds: Labels,
}

impl Cube {
    /// Reads the whole `traffic` rollup of `store` at `version`.
    pub fn load(store: &Store, version: u64) -> Result<Cube, ApiError> {
        let started = std::time::Instant::now();
        let mut cube = Cube {
            version,
            days: BTreeMap::new(),
            sensors: Labels::default(),
            countries: Labels::default(),
            tools: Labels::default(),
            kinds: Labels::default(),
        };
        let sql = "SELECT CAST(hour AS BIGINT), CAST(protocol AS BIGINT), CAST(port AS BIGINT), \
                   sensor, src_country, tool, traffic_kind, CAST(packets AS BIGINT) FROM traffic";
        let reader = store.reader(None)?;
        reader.for_each_batch(sql, |batch| cube.add(batch.columns()))?;
        let cells: usize = cube.days.values().map(|d| d.packets.len()).sum();
        tracing::info!(
            version,
            cells,
            seconds = started.elapsed().as_secs_f64(),
            "traffic cube loaded"
        );
        Ok(cube)
    }

    fn add(&mut self, columns: &[ArrayRef]) -> Result<(), ApiError> {
        let (seconds, protocols, ports) =
            (ints(&columns[0])?, ints(&columns[1])?, ints(&columns[2])?);
        let packets = ints(&columns[7])?;
        let texts: Vec<ArrayRef> = columns[3..7]
            .iter()
            .map(|c| arrow::compute::cast(c, &DataType::Utf8))
            .collect::<Result<_, _>>()?;
        let text = |column: usize, row: usize| {
            let array = texts[column].as_string::<i32>();
            array.is_valid(row).then(|| array.value(row))
        };
        for row in 0..packets.len() {
            let day = self
                .days
                .entry(seconds[row].div_euclid(SECONDS_PER_DAY))
                .or_default();
            day.hour.push(seconds[row].div_euclid(3600) as i32);
            day.protocol.push(protocols[row] as u8);
            day.port.push(ports[row] as u16);
            day.sensor.push(self.sensors.intern(text(0, row))?);
            day.country.push(self.countries.intern(text(1, row))?);
            day.tool.push(self.tools.intern(text(2, row))?);
            day.kind.push(self.kinds.intern(text(3, row))?);
            day.packets.push(packets[row] as u64);
        }
        Ok(())
    }

    pub fn select(&self, filters: &Filters) -> Selection {
        let sensor = filters.sensor.clone().map(Some);
        Selection {
            port: filters.port,
            sensor: self.sensors.find(&sensor),
            country: self.countries.find(&filters.country),
            tool: self.tools.find(&filters.tool),
            kind: self.kinds.find(&filters.kind),
        }
    }

    /// Hands `each` an accumulator, the hour (Unix seconds), the `by` key code and the
    /// packets of every cell in `[start, end)` (Unix seconds) that `selection` admits. The
    /// days are scanned in two halves on two threads, each with its own accumulator from
    /// `new`; both are returned, for the caller to merge.
    pub fn scan<A: Send>(
        &self,
        (start, end): (i64, i64),
        by: Dimension,
        selection: &Selection,
        new: impl Fn() -> A + Sync,
        each: impl Fn(&mut A, i64, u32, u64) + Sync,
    ) -> [A; 2] {
        let nothing = [
            selection.sensor,
            selection.country,
            selection.tool,
            selection.kind,
        ]
        .contains(&Wanted::Nothing);
        let days: Vec<&DayCells> = match nothing || end <= start {
            true => Vec::new(),
            false => {
                let range =
                    start.div_euclid(SECONDS_PER_DAY)..=(end - 1).div_euclid(SECONDS_PER_DAY);
                self.days.range(range).map(|(_, c)| c).collect()
            }
        };
        let (first, second) = days.split_at(days.len() / 2);
        let scan_half = |half: &[&DayCells]| {
            let mut sums = new();
            for cells in half {
                cells.scan((start, end), by, selection, |hour, key, packets| {
                    each(&mut sums, hour, key, packets)
                });
            }
            sums
        };
        std::thread::scope(|scope| {
            let other = scope.spawn(|| scan_half(second));
            let mine = scan_half(first);
            [mine, other.join().expect("cube scan thread")]
        })
    }

    /// The key code of the API's key `name` of dimension `by`, if the cube has it.
    pub fn code_of(&self, by: Dimension, name: &str) -> Option<u32> {
        let label = |labels: &Labels| match name == by.missing() {
            true => Some(0),
            false => labels.index.get(name).map(|i| u32::from(*i)),
        };
        match by {
            Dimension::Port => {
                parse_port_key(name).map(|(p, port)| u32::from(p) << 16 | u32::from(port))
            }
            Dimension::Country => label(&self.countries),
            Dimension::Sensor => label(&self.sensors),
            Dimension::Tool => label(&self.tools),
            Dimension::Kind => label(&self.kinds),
            Dimension::Total => Some(0),
        }
    }

    /// The API's key of a key code of dimension `by`.
    pub fn key_name(&self, by: Dimension, code: u32) -> String {
        let label = |labels: &Labels| {
            let name = labels.names.get(code as usize).cloned().flatten();
            name.unwrap_or_else(|| by.missing().to_owned())
        };
        match by {
            Dimension::Port => port_key(protocol_name((code >> 16) as u8), code as u16),
            Dimension::Country => label(&self.countries),
            Dimension::Sensor => label(&self.sensors),
            Dimension::Tool => label(&self.tools),
            Dimension::Kind => label(&self.kinds),
            Dimension::Total => "total".into(),
        }
    }
}

impl DayCells {
    fn scan(
        &self,
        (start, end): (i64, i64),
        by: Dimension,
        selection: &Selection,
        mut each: impl FnMut(i64, u32, u64),
    ) {
        for i in 0..self.packets.len() {
            let secs = i64::from(self.hour[i]) * 3600;
            let admitted = secs >= start
                && secs < end
                && selection
                    .port
                    .is_none_or(|p| p == (self.protocol[i], self.port[i]))
                && selection.sensor.admits(self.sensor[i])
                && selection.country.admits(self.country[i])
                && selection.tool.admits(self.tool[i])
                && selection.kind.admits(self.kind[i]);
            if admitted {
                each(secs, self.key(by, i), self.packets[i]);
            }
        }
    }

    fn key(&self, by: Dimension, i: usize) -> u32 {
        match by {
            Dimension::Port => u32::from(self.protocol[i]) << 16 | u32::from(self.port[i]),
            Dimension::Country => self.country[i].into(),
            Dimension::Sensor => self.sensor[i].into(),
            Dimension::Tool => self.tool[i].into(),
            Dimension::Kind => self.kind[i].into(),
            Dimension::Total => 0,
        }
    }
}
