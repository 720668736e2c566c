//! The converted form of an ASN CSV: its ranges and names in a little-endian binary file,
//! loaded in milliseconds. Written by hand because it is four arrays and a magic number;
//! a serialisation crate would add a dependency for that.
//!
//! Layout: `HIRUNDO-ASN-1\n`, then the IPv4 ranges (count, then first, last, AS number and
//! name id as u32 each), the IPv6 ranges (count, then first and last as u128, number and
//! name id as u32), the names (count, then length and UTF-8 bytes each). Counts are u64.

use std::io::{self, Write};
use std::path::Path;

use super::Parsed;

const MAGIC: &[u8] = b"HIRUNDO-ASN-1\n";

/// The ranges cached at `path`, or None when there is no usable cache (absent, from
/// another version, damaged): the caller then converts the CSV again.
pub(super) fn load(path: &Path) -> Option<Parsed> {
    let bytes = std::fs::read(path).ok()?;
    let mut input = bytes.strip_prefix(MAGIC)?;
    let parsed = Parsed {
        v4: list(&mut input, |i| {
            Some((u32_(i)?, u32_(i)?, u32_(i)?, u32_(i)?))
        })?,
        v6: list(&mut input, |i| {
            Some((u128_(i)?, u128_(i)?, u32_(i)?, u32_(i)?))
        })?,
        names: list(&mut input, |i| {
            let len = u32_(i)? as usize;
            let text = take(i, len)?;
            String::from_utf8(text.to_vec()).ok()
        })?,
    };
    let names = parsed.names.len() as u32;
    let sound = input.is_empty()
        && parsed.v4.iter().all(|r| r.0 <= r.1 && r.3 < names)
        && parsed.v6.iter().all(|r| r.0 <= r.1 && r.3 < names)
        && parsed.v4.windows(2).all(|w| w[0].1 < w[1].0)
        && parsed.v6.windows(2).all(|w| w[0].1 < w[1].0);
    sound.then_some(parsed)
}

/// Writes the cache: to a temporary name first, so a reader never sees half of it.
pub(super) fn store(path: &Path, parsed: &Parsed) -> io::Result<()> {
    let mut out = MAGIC.to_vec();
    out.extend((parsed.v4.len() as u64).to_le_bytes());
    for &(first, last, number, name) in &parsed.v4 {
        for value in [first, last, number, name] {
            out.extend(value.to_le_bytes());
        }
    }
    out.extend((parsed.v6.len() as u64).to_le_bytes());
    for &(first, last, number, name) in &parsed.v6 {
        out.extend(first.to_le_bytes());
        out.extend(last.to_le_bytes());
        out.extend(number.to_le_bytes());
        out.extend(name.to_le_bytes());
    }
    out.extend((parsed.names.len() as u64).to_le_bytes());
    for name in &parsed.names {
        out.extend((name.len() as u32).to_le_bytes());
        out.extend(name.as_bytes());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(&out)?;
    file.sync_all()?;
    std::fs::rename(&temp, path)
}

fn list<T>(input: &mut &[u8], item: impl Fn(&mut &[u8]) -> Option<T>) -> Option<Vec<T>> {
    let count = u64::from_le_bytes(take(input, 8)?.try_into().ok()?);
    // A damaged count must not reserve gigabytes: each item is at least 4 bytes.
    let count = usize::try_from(count).ok()?;
    if count > input.len() / 4 {
        return None;
    }
    (0..count).map(|_| item(input)).collect()
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, rest) = input.split_at(n);
    *input = rest;
    Some(head)
}

fn u32_(input: &mut &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(take(input, 4)?.try_into().ok()?))
}

fn u128_(input: &mut &[u8]) -> Option<u128> {
    Some(u128::from_le_bytes(take(input, 16)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let parsed = Parsed {
            v4: vec![(1, 5, 13335, 0), (9, 9, 2500, 1)],
            v6: vec![(1 << 100, (1 << 100) + 7, 2500, 1)],
            names: vec!["Cloudflare, Inc.".into(), "WIDE 日本".into()],
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/asn.bin");
        store(&path, &parsed).unwrap();
        assert_eq!(load(&path), Some(parsed));
        let bytes = std::fs::read(&path).unwrap();
        for cut in [0, 5, MAGIC.len() + 3, bytes.len() - 1] {
            std::fs::write(&path, &bytes[..cut]).unwrap();
            assert_eq!(load(&path), None, "cut at {cut}");
        }
        let mut wrong_name = bytes.clone();
        wrong_name[MAGIC.len() + 8 + 12] = 9; // the first range's name id
        std::fs::write(&path, &wrong_name).unwrap();
        assert_eq!(load(&path), None);
    }
}
