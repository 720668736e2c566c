//! Dictionary-encoded column chunks for the label columns (`sensor`, `file_hash`,
//! `fragment`, `src_country`, `src_as_name`, `service`, `traffic_kind`, `tool`), written
//! without Arrow strings.
//!
//! Parquet's Arrow writer takes a label column as a string array, then hashes and compares
//! every value to find its dictionary index and compares every value again for the column's
//! min/max. A label comes from a small set that stays put (a static name, a two-letter
//! country code, an AS name held by the enricher), so here each row costs one look-up of a
//! word-sized key, and the dictionary and the statistics are made once per row group: the
//! chunk is the same Parquet (a PLAIN dictionary page, RLE_DICTIONARY data pages, Snappy),
//! spliced into the row group beside the Arrow writer's chunks. Written by hand because parquet's own dictionary encoder is
//! reachable only through that per-value path.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use bytes::Bytes;
use parquet::basic::{Compression, Encoding, PageType};
use parquet::column::page::{CompressedPage, Page, PageWriteSpec, PageWriter};
use parquet::column::writer::ColumnCloseResult;
use parquet::data_type::ByteArray;
use parquet::errors::Result;
use parquet::file::metadata::{ColumnChunkMetaData, OffsetIndexBuilder};
use parquet::file::statistics::{Statistics, ValueStatistics};
use parquet::file::writer::{SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnDescPtr;

/// Rows per data page: readers skip and decompress a page at a time.
const PAGE_ROWS: usize = 64 * 1024;

/// Keys below this are small numbers, looked up in a table: no name's address is this low.
pub(crate) const SMALL_KEYS: u64 = 1 << 16;

/// One row group's values of a label column: the dictionary so far, the data pages encoded
/// so far, and the rows of the page being filled.
pub(crate) struct LabelChunk {
    nullable: bool,
    /// Dictionary index + 1 of each small key seen (0: not yet), by key.
    small: Vec<u32>,
    /// Dictionary index of each other key seen.
    index: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// The dictionary, in order of first appearance.
    values: Vec<Box<[u8]>>,
    /// The open page: the dictionary index of each non-null row...
    indices: Vec<u32>,
    /// ...and 1 for a row with a value, 0 for NULL (Parquet's definition levels).
    levels: Vec<u32>,
    /// Finished data pages, with their rows.
    pages: Vec<(CompressedPage, usize)>,
    rows: usize,
    nulls: u64,
}

impl LabelChunk {
    pub(crate) fn new(nullable: bool) -> LabelChunk {
        LabelChunk {
            nullable,
            small: Vec::new(),
            index: HashMap::default(),
            values: Vec::new(),
            indices: Vec::with_capacity(PAGE_ROWS),
            levels: Vec::with_capacity(PAGE_ROWS),
            pages: Vec::new(),
            rows: 0,
            nulls: 0,
        }
    }

    /// Appends the label known by `key` (a key always comes with the same text). `text` is
    /// asked for only when the key is new to the chunk. A key below [`SMALL_KEYS`] (a label's
    /// number in its own small set: a service, a country, a traffic kind) is an index into a
    /// table; any other (a name's [`address_key`]) is hashed.
    #[inline]
    pub(crate) fn push<'v>(&mut self, key: u64, text: impl FnOnce() -> &'v str) {
        let index = if key < SMALL_KEYS {
            self.small_key_index(key as usize, text)
        } else {
            self.hashed_key_index(key, text)
        };
        self.indices.push(index);
        self.push_level(1);
    }

    /// Appends the label known by the key (see [`push`](Self::push)), or NULL.
    #[inline]
    pub(crate) fn push_label<'v>(&mut self, label: Option<(u64, impl FnOnce() -> &'v str)>) {
        match label {
            Some((key, text)) => self.push(key, text),
            None => self.push_null(),
        }
    }

    /// Appends a name that stays where it is while the chunk is written, known by its
    /// [`address_key`], or NULL.
    #[inline]
    pub(crate) fn push_name(&mut self, name: Option<&str>) {
        self.push_label(name.map(|name| (address_key(name), move || name)));
    }

    #[inline]
    pub(crate) fn push_null(&mut self) {
        self.nulls += 1;
        self.push_level(0);
    }

    /// Ends the row: 1 for a row with a value, 0 for NULL.
    #[inline]
    fn push_level(&mut self, level: u32) {
        self.levels.push(level);
        if self.levels.len() == PAGE_ROWS {
            self.finish_page();
        }
    }

    #[inline]
    fn small_key_index<'v>(&mut self, key: usize, text: impl FnOnce() -> &'v str) -> u32 {
        if let Some(&known @ 1..) = self.small.get(key) {
            return known - 1;
        }
        if self.small.len() <= key {
            self.small.resize(key + 1, 0);
        }
        let index = self.add_value(text());
        self.small[key] = index + 1;
        index
    }

    #[inline]
    fn hashed_key_index<'v>(&mut self, key: u64, text: impl FnOnce() -> &'v str) -> u32 {
        if let Some(&known) = self.index.get(&key) {
            return known;
        }
        let index = self.add_value(text());
        self.index.insert(key, index);
        index
    }

    /// Adds `value` to the dictionary; returns its index.
    fn add_value(&mut self, value: &str) -> u32 {
        self.values.push(value.as_bytes().into());
        self.values.len() as u32 - 1
    }

    /// Appends `rows` copies of `value`.
    pub(crate) fn push_repeated(&mut self, value: &str, rows: usize) {
        let index = match self.values.iter().position(|v| **v == *value.as_bytes()) {
            Some(i) => i as u32,
            None => self.add_value(value),
        };
        let mut left = rows;
        while left > 0 {
            let n = left.min(PAGE_ROWS - self.levels.len());
            self.indices.extend(std::iter::repeat_n(index, n));
            self.levels.extend(std::iter::repeat_n(1, n));
            left -= n;
            if self.levels.len() == PAGE_ROWS {
                self.finish_page();
            }
        }
    }

    /// Encodes the open page's rows. Each page has its own index bit width: the dictionary
    /// as it is when the page ends.
    fn finish_page(&mut self) {
        if self.levels.is_empty() {
            return;
        }
        let page = self.data_page();
        self.rows += self.levels.len();
        self.pages.push((page, self.levels.len()));
        self.indices.clear();
        self.levels.clear();
    }

    /// Encodes the chunk for its column, described by `descr`: its bytes, and what the row
    /// group needs to splice them in.
    pub(crate) fn close(mut self, descr: ColumnDescPtr) -> Result<(Bytes, ColumnCloseResult)> {
        debug_assert_eq!(self.nullable, descr.max_def_level() > 0);
        self.finish_page();
        let mut sink = TrackedWrite::new(Vec::new());
        let mut specs: Vec<PageWriteSpec> = Vec::new();
        // Where each data page starts and its first row: the file's offset index.
        let mut offsets = OffsetIndexBuilder::new();
        {
            let mut writer = SerializedPageWriter::new(&mut sink);
            if !self.values.is_empty() {
                specs.push(writer.write_page(self.dictionary_page())?);
            }
            for (page, rows) in std::mem::take(&mut self.pages) {
                let spec = writer.write_page(page)?;
                offsets.append_offset_and_size(spec.offset as i64, spec.compressed_size as i32);
                offsets.append_row_count(rows as i64);
                specs.push(spec);
            }
            writer.close()?;
        }
        let bytes = Bytes::from(sink.into_inner()?);
        let metadata = chunk_metadata(descr, &specs, self.rows, self.statistics())?;
        let close = ColumnCloseResult {
            bytes_written: bytes.len() as u64,
            rows_written: self.rows as u64,
            metadata,
            bloom_filter: None,
            column_index: None,
            offset_index: Some(offsets.build()),
        };
        Ok((bytes, close))
    }

    /// The dictionary, PLAIN-encoded: each value's length (4 bytes, little-endian), then it.
    fn dictionary_page(&self) -> CompressedPage {
        let mut plain = Vec::new();
        for value in &self.values {
            plain.extend_from_slice(&(value.len() as u32).to_le_bytes());
            plain.extend_from_slice(value);
        }
        let (buf, uncompressed) = snappy(&plain);
        let page = Page::DictionaryPage {
            buf,
            num_values: self.values.len() as u32,
            encoding: Encoding::PLAIN,
            is_sorted: false,
        };
        CompressedPage::new(page, uncompressed)
    }

    /// The open page (data page format v1): the definition levels of a nullable column (their
    /// byte length, then the levels), then the bit width and the dictionary indices. A page of
    /// NULLs only has no index to store, so it is PLAIN with no values.
    fn data_page(&self) -> CompressedPage {
        let mut body = Vec::with_capacity(self.indices.len() * 2 + 16);
        if self.nullable {
            let mut encoded = Vec::new();
            encode_hybrid(&self.levels, 1, &mut encoded);
            body.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
            body.extend_from_slice(&encoded);
        }
        let encoding = if self.indices.is_empty() {
            Encoding::PLAIN
        } else {
            let bit_width = bits_for(self.values.len());
            body.push(bit_width);
            encode_hybrid(&self.indices, bit_width, &mut body);
            Encoding::RLE_DICTIONARY
        };
        let (buf, uncompressed) = snappy(&body);
        let page = Page::DataPage {
            buf,
            num_values: self.levels.len() as u32,
            encoding,
            def_level_encoding: Encoding::RLE,
            rep_level_encoding: Encoding::RLE,
            statistics: None,
        };
        CompressedPage::new(page, uncompressed)
    }

    /// The chunk's min and max (byte order, as Parquet compares strings) and NULL count.
    fn statistics(&self) -> Statistics {
        let min = self
            .values
            .iter()
            .min()
            .map(|v| ByteArray::from(v.to_vec()));
        let max = self
            .values
            .iter()
            .max()
            .map(|v| ByteArray::from(v.to_vec()));
        Statistics::ByteArray(ValueStatistics::new(
            min,
            max,
            None,
            Some(self.nulls),
            false,
        ))
    }
}

/// The column chunk's metadata, its page offsets relative to the chunk's own bytes (the row
/// group moves them to where the chunk lands in the file).
fn chunk_metadata(
    descr: ColumnDescPtr,
    specs: &[PageWriteSpec],
    rows: usize,
    statistics: Statistics,
) -> Result<ColumnChunkMetaData> {
    let is_dictionary = |s: &&PageWriteSpec| s.page_type == PageType::DICTIONARY_PAGE;
    let has_dictionary = specs.first().is_some_and(|s| is_dictionary(&s));
    let first_data = specs
        .iter()
        .find(|s| !is_dictionary(s))
        .map_or(0, |s| s.offset);
    let mut encodings = vec![Encoding::PLAIN, Encoding::RLE];
    if has_dictionary {
        encodings.push(Encoding::RLE_DICTIONARY);
    }
    ColumnChunkMetaData::builder(descr)
        .set_compression(Compression::SNAPPY)
        .set_encodings(encodings)
        .set_num_values(rows as i64)
        .set_total_compressed_size(specs.iter().map(|s| s.compressed_size as i64).sum())
        .set_total_uncompressed_size(specs.iter().map(|s| s.uncompressed_size as i64).sum())
        .set_data_page_offset(first_data as i64)
        .set_dictionary_page_offset(has_dictionary.then_some(0))
        .set_statistics(statistics)
        .build()
}

/// Raw Snappy, as Parquet's SNAPPY codec stores a page; also returns the uncompressed size.
fn snappy(data: &[u8]) -> (Bytes, usize) {
    let compressed = snap::raw::Encoder::new()
        .compress_vec(data)
        .expect("a page is far below Snappy's size limit");
    (Bytes::from(compressed), data.len())
}

/// Bits needed to write the indices of a dictionary of `len` values.
fn bits_for(len: usize) -> u8 {
    (usize::BITS - len.saturating_sub(1).leading_zeros()) as u8
}

/// Appends `values` (each below 2^`bit_width`) in Parquet's RLE / bit-packed hybrid
/// encoding: a group of 8 equal values and the equal values after it form an RLE run; other
/// values are bit-packed 8 at a time (the last group padded with zeros, which the page's
/// value count tells a reader to ignore).
fn encode_hybrid(values: &[u32], bit_width: u8, out: &mut Vec<u8>) {
    let mut packed: Vec<u8> = Vec::new();
    let mut groups = 0usize;
    let mut pos = 0;
    while pos < values.len() {
        let first = values[pos];
        if values.len() - pos >= 8 && values[pos..pos + 8].iter().all(|&v| v == first) {
            let run = values[pos..].iter().take_while(|&&v| v == first).count();
            flush_packed(&mut packed, &mut groups, out);
            write_uleb128((run as u64) << 1, out);
            out.extend_from_slice(&first.to_le_bytes()[..usize::from(bit_width).div_ceil(8)]);
            pos += run;
        } else {
            let end = (pos + 8).min(values.len());
            let mut group = [0u32; 8];
            group[..end - pos].copy_from_slice(&values[pos..end]);
            pack_group(&group, bit_width, &mut packed);
            groups += 1;
            pos = end;
        }
    }
    flush_packed(&mut packed, &mut groups, out);
}

fn flush_packed(packed: &mut Vec<u8>, groups: &mut usize, out: &mut Vec<u8>) {
    if *groups > 0 {
        write_uleb128(((*groups as u64) << 1) | 1, out);
        out.append(packed);
        *groups = 0;
    }
}

/// Eight values of `bit_width` bits, the first in the lowest bits: `bit_width` bytes.
fn pack_group(group: &[u32; 8], bit_width: u8, out: &mut Vec<u8>) {
    if bit_width <= 16 {
        // The usual case (dictionaries below 65,536 values): the group fits one u128.
        let shift = |i: usize| i as u32 * u32::from(bit_width);
        let acc = (0..8).fold(0u128, |acc, i| acc | u128::from(group[i]) << shift(i));
        out.extend_from_slice(&acc.to_le_bytes()[..usize::from(bit_width)]);
        return;
    }
    let mut acc: u64 = 0;
    let mut bits = 0u32;
    for &value in group {
        acc |= u64::from(value) << bits;
        bits += u32::from(bit_width);
        while bits >= 8 {
            out.push(acc as u8);
            acc >>= 8;
            bits -= 8;
        }
    }
}

fn write_uleb128(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Hashed keys are addresses of strings: a folded multiply spreads them
/// over the table's bits at a fraction of a general-purpose hash's cost.
#[derive(Default)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(self.0 ^ u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, key: u64) {
        let product = u128::from(key) * 0x9E37_79B9_7F4A_7C15;
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The key of a name that stays where it is while the chunk is written (a static name, or
/// one held by the transaction's enricher): its address and length (two names may share an
/// address when one is a prefix of the other). Equal names at two addresses only make two
/// equal dictionary entries.
#[inline]
fn address_key(name: &str) -> u64 {
    (name.as_ptr() as u64) ^ ((name.len() as u64) << 48)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use arrow::array::{Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    use parquet::arrow::ArrowSchemaConverter;
    use parquet::file::properties::WriterProperties;
    use parquet::file::writer::SerializedFileWriter;

    /// Writes `rows` as one label column through [`LabelChunk`] in two row groups, known by
    /// their addresses, and reads them back with parquet's Arrow reader.
    fn round_trip(rows: &[Option<&'static str>], nullable: bool) -> Vec<Option<String>> {
        round_trip_with(rows, nullable, LabelChunk::push_name)
    }

    fn round_trip_with(
        rows: &[Option<&'static str>],
        nullable: bool,
        push: impl Fn(&mut LabelChunk, Option<&'static str>),
    ) -> Vec<Option<String>> {
        let schema = Schema::new(vec![Field::new("label", DataType::Utf8, nullable)]);
        let parquet_schema = ArrowSchemaConverter::new().convert(&schema).unwrap();
        let props = Arc::new(WriterProperties::builder().build());
        let mut writer =
            SerializedFileWriter::new(Vec::new(), parquet_schema.root_schema_ptr(), props).unwrap();
        let half = rows.len() / 2;
        for part in [&rows[..half], &rows[half..]] {
            let mut chunk = LabelChunk::new(nullable);
            for value in part {
                push(&mut chunk, *value);
            }
            let (bytes, close) = chunk.close(parquet_schema.column(0)).unwrap();
            let mut group = writer.next_row_group().unwrap();
            group.append_column(&bytes, close).unwrap();
            group.close().unwrap();
        }
        let file = Bytes::from(writer.into_inner().unwrap());
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .build()
            .unwrap();
        let mut out = Vec::new();
        for batch in reader {
            let batch = batch.unwrap();
            let column = batch
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            for i in 0..column.len() {
                out.push(column.is_valid(i).then(|| column.value(i).to_owned()));
            }
        }
        out
    }

    fn owned(rows: &[Option<&str>]) -> Vec<Option<String>> {
        rows.iter().map(|r| r.map(str::to_owned)).collect()
    }

    #[test]
    fn labels_read_back_as_written() {
        let names = [
            "telnet",
            "microsoft-ds",
            "ms-sql-s",
            "http",
            "ssh",
            "domain",
        ];
        // Runs longer than 8, runs of every length below, NULLs in and across groups, and
        // more than a page of rows.
        let mut rows = Vec::new();
        let mut state = 7u64;
        while rows.len() < 150_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let name = (state % 7 < 6).then(|| names[(state >> 33) as usize % names.len()]);
            let run = 1 + (state >> 40) as usize % 20;
            rows.extend(std::iter::repeat_n(name, run));
        }
        assert_eq!(round_trip(&rows, true), owned(&rows));
    }

    #[test]
    fn one_value_all_nulls_and_required_columns_read_back() {
        let one = vec![Some("tokyo-1"); 1000];
        assert_eq!(round_trip(&one, false), owned(&one));
        let none: Vec<Option<&'static str>> = vec![None; 70_000];
        assert_eq!(round_trip(&none, true), owned(&none));
        let mixed = [Some("a"), None, Some("b"), Some("a"), None];
        assert_eq!(round_trip(&mixed, true), owned(&mixed));
    }

    #[test]
    fn pages_keep_their_own_bit_width_as_the_dictionary_grows() {
        // In each row group: a page of one value (0 bits), a page of NULLs (PLAIN), then
        // pages of six values (3 bits).
        let six = ["a", "b", "c", "d", "e", "f"];
        let group: Vec<Option<&'static str>> = std::iter::repeat_n(Some("a"), PAGE_ROWS)
            .chain(std::iter::repeat_n(None, PAGE_ROWS))
            .chain((0..PAGE_ROWS + 100).map(|i| Some(six[i % 6])))
            .collect();
        let rows = [group.clone(), group].concat();
        assert_eq!(round_trip(&rows, true), owned(&rows));
    }

    #[test]
    fn small_keys_are_named_once_per_chunk() {
        let names = ["first", "later", "tcp_syn_probe", "US", "telnet"];
        let asked = std::cell::Cell::new(0);
        // Keys spread over the table, the largest first and last.
        let key_of = |name: &str| {
            let i = names.iter().position(|n| *n == name).unwrap() as u64;
            SMALL_KEYS - 1 - i * 1000
        };
        let push = |chunk: &mut LabelChunk, name: Option<&'static str>| match name {
            Some(name) => chunk.push(key_of(name), || {
                asked.set(asked.get() + 1);
                name
            }),
            None => chunk.push_null(),
        };
        let rows: Vec<Option<&'static str>> = (0..200_000)
            .map(|i: usize| (!i.is_multiple_of(11)).then(|| names[i * 7 % names.len()]))
            .collect();
        assert_eq!(round_trip_with(&rows, true, push), owned(&rows));
        // Two row groups, each asking each name once.
        assert_eq!(asked.get(), 2 * names.len());
    }

    #[test]
    fn statistics_are_the_dictionary_extremes() {
        let mut chunk = LabelChunk::new(true);
        for name in [
            Some("udp-probe"),
            None,
            Some("backscatter"),
            Some("tcp-syn-probe"),
        ] {
            chunk.push_name(name);
        }
        let schema = Schema::new(vec![Field::new("label", DataType::Utf8, true)]);
        let parquet_schema = ArrowSchemaConverter::new().convert(&schema).unwrap();
        let (_, close) = chunk.close(parquet_schema.column(0)).unwrap();
        let Some(Statistics::ByteArray(stats)) = close.metadata.statistics() else {
            panic!("byte array statistics");
        };
        assert_eq!(stats.min_opt().unwrap().data(), b"backscatter");
        assert_eq!(stats.max_opt().unwrap().data(), b"udp-probe");
        assert_eq!(stats.null_count_opt(), Some(1));
    }

    #[test]
    fn groups_pack_to_their_bit_width_lowest_bits_first() {
        for width in 1..=24u8 {
            let group: [u32; 8] =
                std::array::from_fn(|i| (i as u32 + 1).wrapping_mul(0x9E37_79B9) >> (32 - width));
            let mut out = Vec::new();
            pack_group(&group, width, &mut out);
            assert_eq!(out.len(), usize::from(width));
            let bit = |i: usize| u32::from(out[i / 8] >> (i % 8) & 1);
            let width = usize::from(width);
            let read: Vec<u32> = (0..8)
                .map(|v| (0..width).map(|b| bit(v * width + b) << b).sum())
                .collect();
            assert_eq!(read, group, "width {width}");
        }
    }

    #[test]
    fn bit_widths() {
        assert_eq!(
            [0, 1, 2, 3, 4, 5, 256, 257].map(bits_for),
            [0, 0, 1, 2, 2, 3, 8, 9]
        );
    }
}
