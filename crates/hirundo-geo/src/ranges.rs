//! [`Ipv4Map`]: every IPv4 address to an optional value, for look-ups on ingest's per-packet
//! path.
//!
//! Written by hand because the crates that map ranges (`rangemap`, `iprange`, prefix tries)
//! answer through a tree or a binary search over all ranges: 19 dependent cache misses for
//! a database's 400 k ranges, no faster than walking the MaxMind tree itself (~180 ns).
//! Here a /16 index narrows the search to the one or two ranges that usually share a /16.

use std::ops::RangeInclusive;

/// Entries of the /16 index: one per /16 and one past the end.
const INDEX_LEN: usize = (1 << 16) + 1;

/// A map from every IPv4 address to `Option<V>`, as sorted ranges plus a /16 index.
#[derive(Debug, Clone)]
pub struct Ipv4Map<V> {
    /// First address of each range; `starts[0] == 0`, strictly increasing.
    starts: Vec<u32>,
    /// The value of each range (None for the gaps between the given ranges).
    values: Vec<Option<V>>,
    /// `index[p]` is the range holding address `p << 16`; `index[1 << 16]` the last range.
    index: Box<[u32]>,
}

impl<V: Copy + PartialEq> Ipv4Map<V> {
    /// Builds the map from ranges in ascending address order that do not overlap;
    /// adjacent ranges with equal values are merged. Returns None if the ranges are out of
    /// order or overlap.
    pub fn from_sorted(ranges: impl IntoIterator<Item = (RangeInclusive<u32>, V)>) -> Option<Self> {
        let mut starts = vec![0];
        let mut values = vec![None];
        // The first address not yet covered (u64: past u32::MAX once the last is covered).
        let mut next: u64 = 0;
        for (range, value) in ranges {
            let (first, last) = (u64::from(*range.start()), u64::from(*range.end()));
            if first < next || last < first {
                return None;
            }
            if first > next {
                push_range(&mut starts, &mut values, next as u32, None);
            }
            push_range(&mut starts, &mut values, first as u32, Some(value));
            next = last + 1;
        }
        if next <= u64::from(u32::MAX) {
            push_range(&mut starts, &mut values, next as u32, None);
        }
        let index = build_index(&starts);
        Some(Ipv4Map {
            starts,
            values,
            index,
        })
    }

    /// The value of the range holding `addr`.
    #[inline]
    pub fn get(&self, addr: u32) -> Option<V> {
        let slash16 = (addr >> 16) as usize;
        let first = self.index[slash16] as usize;
        let last = self.index[slash16 + 1] as usize;
        // The last range of first..=last that starts at or before addr; `first` qualifies.
        let within = &self.starts[first + 1..=last];
        let i = first + within.partition_point(|&start| start <= addr);
        self.values[i]
    }

    /// Ranges stored, gaps included (a measure of the map's size).
    pub fn len(&self) -> usize {
        self.starts.len()
    }

    /// Never true: a map covers the whole address space, if only with one gap.
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Appends a range starting at `start`, or extends the last one when the value is the same.
fn push_range<V: PartialEq>(
    starts: &mut Vec<u32>,
    values: &mut Vec<Option<V>>,
    start: u32,
    value: Option<V>,
) {
    if values.last() == Some(&value) {
        return;
    }
    if starts.last() == Some(&start) {
        // Replaces the empty gap the map began with.
        *values.last_mut().expect("values parallel starts") = value;
        return;
    }
    starts.push(start);
    values.push(value);
}

fn build_index(starts: &[u32]) -> Box<[u32]> {
    let mut index = Vec::with_capacity(INDEX_LEN);
    let mut range = 0;
    for slash16 in 0..1u32 << 16 {
        let addr = slash16 << 16;
        while range + 1 < starts.len() && starts[range + 1] <= addr {
            range += 1;
        }
        index.push(range as u32);
    }
    index.push((starts.len() - 1) as u32);
    index.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(ranges: &[(u32, u32, u8)]) -> Ipv4Map<u8> {
        Ipv4Map::from_sorted(ranges.iter().map(|&(a, b, v)| (a..=b, v))).unwrap()
    }

    #[test]
    fn gaps_edges_and_merges() {
        let m = map(&[
            (10, 20, 1),
            (21, 30, 1),
            (0x0001_0000, 0x0001_0000, 2),
            (0xffff_fff0, u32::MAX, 3),
        ]);
        let cases = [
            (0, None),
            (9, None),
            (10, Some(1)),
            (30, Some(1)),
            (31, None),
            (0xffff, None),
            (0x0001_0000, Some(2)),
            (0x0001_0001, None),
            (0xffff_ffef, None),
            (0xffff_fff0, Some(3)),
            (u32::MAX, Some(3)),
        ];
        for (addr, want) in cases {
            assert_eq!(m.get(addr), want, "address {addr:#x}");
        }
        // 10..=30 merged: gap, 1, gap, 2, gap, 3.
        assert_eq!(m.len(), 6);
    }

    #[test]
    fn whole_space_and_empty() {
        assert_eq!(map(&[(0, u32::MAX, 7)]).get(123_456), Some(7));
        let empty = map(&[]);
        assert_eq!((empty.get(0), empty.get(u32::MAX)), (None, None));
    }

    #[test]
    fn rejects_overlap_and_disorder() {
        assert!(Ipv4Map::from_sorted([(5..=10, 1), (10..=12, 2)]).is_none());
        assert!(Ipv4Map::from_sorted([(5..=10, 1), (0..=2, 2)]).is_none());
    }

    #[test]
    fn agrees_with_a_linear_scan() {
        // Many small ranges inside few /16s, with gaps: the index's narrow case and its
        // wide one.
        let ranges: Vec<(u32, u32, u8)> = (0..5000u32)
            .map(|i| {
                (
                    i * 97 + 0x0a00_0000,
                    i * 97 + 0x0a00_0000 + 50,
                    (i % 7) as u8,
                )
            })
            .collect();
        let m = map(&ranges);
        for addr in (0x09ff_ff00..0x0a08_0000).step_by(13) {
            let want = ranges
                .iter()
                .find(|&&(a, b, _)| (a..=b).contains(&addr))
                .map(|r| r.2);
            assert_eq!(m.get(addr), want, "address {addr:#x}");
        }
    }
}
