//! The `traffic` rollup held in memory, column by column per UTC day, so that the packet
//! series and rankings that every dashboard view asks for are one tight scan of the days
//! they cover instead of a SQL aggregation over tens of millions of Parquet rows (a quarter
//! of a 100-million-packet store is about 13 M rollup rows). Labels (sensor, country, tool,
//! kind) are interned; the cube is rebuilt when the store's version changes. Each day's
//! cells are in port order, with the day's sums per port and per hour and label beside them
//! ([`DaySums`]), so that the report's sums read a few cells per day instead of all.

use std::collections::{BTreeMap, HashMap};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, UInt16Type};
use hirundo_analyze::model::{parse_port_key, port_key, protocol_name};
use hirundo_store::Store;

use crate::dimension::{ints, Dimension};
use crate::error::ApiError;
use crate::params::Filters;

const SECONDS_PER_DAY: i64 = 86_400;

/// Marks the port code of a cell without a port (a later fragment, a protocol without
/// ports), which no port filter matches.
pub const NO_PORT: u32 = 1 << 24;

/// A cell's protocol and port in one code: `protocol << 16 | port`, or with [`NO_PORT`] set.
pub fn port_code(protocol: u8, port: Option<u16>) -> u32 {
    let code = u32::from(protocol) << 16;
    port.map_or(code | NO_PORT, |p| code | u32::from(p))
}

/// The rollup cells of one UTC day, in port order (see [`DayCells::finish`]); labels are
/// indices into the cube's [`Labels`].
#[derive(Default)]
pub struct DayCells {
    /// Days since the epoch.
    pub day: i64,
    /// Hours since the epoch.
    hour: Vec<i32>,
    /// See [`port_code`].
    pub port: Vec<u32>,
    sensor: Vec<u16>,
    pub country: Vec<u16>,
    pub tool: Vec<u16>,
    pub kind: Vec<u16>,
    pub packets: Vec<u64>,
    pub sums: DaySums,
}

/// What a day's cells sum to, kept beside them for the report, whose sums would otherwise
/// visit every cell of a range (most cells are the long tail of ports: one port, one hour).
#[derive(Default)]
pub struct DaySums {
    /// Each port code of the day, in order, with its packets.
    pub ports: Vec<u32>,
    pub port_packets: Vec<u64>,
    /// The packets by hour, country, kind and tool, over all ports and sensors: a few
    /// thousand a day.
    pub labels: Vec<LabelCell>,
}

pub struct LabelCell {
    /// Hours since the epoch.
    pub hour: i32,
    pub country: u16,
    pub kind: u16,
    pub tool: u16,
    pub packets: u64,
}

/// Interned labels of one column; index 0 is NULL.
pub struct Labels {
    pub names: Vec<Option<String>>,
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
    /// The index of label `name`, if the column has it.
    pub fn code(&self, name: &str) -> Option<u16> {
        self.index.get(name).copied()
    }

    pub fn intern(&mut self, name: Option<&str>) -> Result<u16, ApiError> {
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
    pub countries: Labels,
    pub tools: Labels,
    pub kinds: Labels,
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
        // Each day is sorted and summed once, on two threads.
        let mut days: Vec<&mut DayCells> = cube.days.values_mut().collect();
        let half = days.len() / 2;
        let (first, second) = days.split_at_mut(half);
        std::thread::scope(|scope| {
            scope.spawn(|| second.iter_mut().for_each(|d| d.finish()));
            first.iter_mut().for_each(|d| d.finish());
        });
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
        let (seconds, protocols) = (ints(&columns[0])?, ints(&columns[1])?);
        let ports = arrow::compute::cast(&columns[2], &DataType::UInt16)?;
        let ports = ports.as_primitive::<UInt16Type>();
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
            let day = seconds[row].div_euclid(SECONDS_PER_DAY);
            let day = self.days.entry(day).or_insert_with(|| DayCells {
                day,
                ..DayCells::default()
            });
            day.hour.push(seconds[row].div_euclid(3600) as i32);
            let port = ports.is_valid(row).then(|| ports.value(row));
            day.port.push(port_code(protocols[row] as u8, port));
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
    /// packets of every cell in `[start, end)` (Unix seconds) that `selection` admits, on two
    /// threads (see [`Cube::scan_cells`]); both accumulators are returned, for the caller to
    /// merge.
    pub fn scan<A: Send>(
        &self,
        span: (i64, i64),
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
        if nothing {
            return [new(), new()];
        }
        self.scan_cells(span, new, |sums, cells, i| {
            if cells.admits(selection, i) {
                each(sums, cells.hour_secs(i), cells.key(by, i), cells.packets[i]);
            }
        })
    }

    /// Hands `each` an accumulator and every cell (its day's cells and its index there) of an
    /// hour in `[start, end)` (Unix seconds), on two threads (see [`Cube::scan_days`]).
    pub fn scan_cells<A: Send>(
        &self,
        (start, end): (i64, i64),
        new: impl Fn() -> A + Sync,
        each: impl Fn(&mut A, &DayCells, usize) + Sync,
    ) -> [A; 2] {
        self.scan_days((start, end), new, |sums, cells| {
            for i in 0..cells.packets.len() {
                let secs = cells.hour_secs(i);
                if secs >= start && secs < end {
                    each(sums, cells, i);
                }
            }
        })
    }

    /// Hands `each` an accumulator and every UTC day that overlaps `[start, end)` (Unix
    /// seconds). The days are scanned in two halves on two threads, each with its own
    /// accumulator from `new`; both are returned, for the caller to merge.
    pub fn scan_days<A: Send>(
        &self,
        (start, end): (i64, i64),
        new: impl Fn() -> A + Sync,
        each: impl Fn(&mut A, &DayCells) + Sync,
    ) -> [A; 2] {
        let days: Vec<&DayCells> = match end <= start {
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
            half.iter().for_each(|cells| each(&mut sums, cells));
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
            Dimension::Port => parse_port_key(name).map(|(p, port)| port_code(p, Some(port))),
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
            Dimension::Port => {
                let protocol = protocol_name((code >> 16) as u8);
                match code & NO_PORT {
                    0 => port_key(protocol, code as u16),
                    _ => format!("none/{protocol}"),
                }
            }
            Dimension::Country => label(&self.countries),
            Dimension::Sensor => label(&self.sensors),
            Dimension::Tool => label(&self.tools),
            Dimension::Kind => label(&self.kinds),
            Dimension::Total => "total".into(),
        }
    }
}

impl DayCells {
    /// Sorts the cells by port (then hour), so that a port's cells are one run, and sums
    /// them into [`DaySums`].
    fn finish(&mut self) {
        let mut order: Vec<u32> = (0..self.packets.len() as u32).collect();
        order.sort_unstable_by_key(|&i| (self.port[i as usize], self.hour[i as usize]));
        permute(&mut self.hour, &order);
        permute(&mut self.port, &order);
        permute(&mut self.sensor, &order);
        permute(&mut self.country, &order);
        permute(&mut self.tool, &order);
        permute(&mut self.kind, &order);
        permute(&mut self.packets, &order);
        let mut sums = DaySums::default();
        let mut labels: HashMap<(i32, u16, u16, u16), u64, foldhash::fast::RandomState> =
            HashMap::default();
        for i in 0..self.packets.len() {
            let n = self.packets[i];
            if sums.ports.last() == Some(&self.port[i]) {
                *sums.port_packets.last_mut().expect("a port") += n;
            } else {
                sums.ports.push(self.port[i]);
                sums.port_packets.push(n);
            }
            let key = (self.hour[i], self.country[i], self.kind[i], self.tool[i]);
            *labels.entry(key).or_default() += n;
        }
        sums.labels = labels
            .into_iter()
            .map(|((hour, country, kind, tool), packets)| LabelCell {
                hour,
                country,
                kind,
                tool,
                packets,
            })
            .collect();
        self.sums = sums;
    }

    /// The indices of the cells of port `code`.
    pub fn port_cells(&self, code: u32) -> std::ops::Range<usize> {
        let start = self.port.partition_point(|p| *p < code);
        start..start + self.port[start..].partition_point(|p| *p == code)
    }

    /// The Unix second at which cell `i`'s hour starts.
    pub fn hour_secs(&self, i: usize) -> i64 {
        i64::from(self.hour[i]) * 3600
    }

    fn admits(&self, selection: &Selection, i: usize) -> bool {
        selection
            .port
            .is_none_or(|(protocol, port)| port_code(protocol, Some(port)) == self.port[i])
            && selection.sensor.admits(self.sensor[i])
            && selection.country.admits(self.country[i])
            && selection.tool.admits(self.tool[i])
            && selection.kind.admits(self.kind[i])
    }

    fn key(&self, by: Dimension, i: usize) -> u32 {
        match by {
            Dimension::Port => self.port[i],
            Dimension::Country => self.country[i].into(),
            Dimension::Sensor => self.sensor[i].into(),
            Dimension::Tool => self.tool[i].into(),
            Dimension::Kind => self.kind[i].into(),
            Dimension::Total => 0,
        }
    }
}

/// Puts `values` in `order` (indices into it).
fn permute<T: Copy>(values: &mut Vec<T>, order: &[u32]) {
    *values = order.iter().map(|&i| values[i as usize]).collect();
}
