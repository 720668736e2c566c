//! Column accumulators for the `packets` columns ([`crate::schema`]).
//!
//! Written by hand rather than with Arrow's builders because these are on ingest's per-packet
//! path: a plain `Vec` push and one validity bit cost about a fifth of Arrow's generic
//! `append_option`, and addresses are formatted straight into the value buffer (measured:
//! Arrow's builders and `Display` made batch building as slow as Parquet encoding).

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;

use arrow::array::{ArrayRef, PrimitiveArray, StringArray};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::ArrowPrimitiveType;

/// Validity bits of a nullable column, gathered a 64-bit word at a time: Arrow's
/// `BooleanBufferBuilder` checks and grows its buffer at every bit, which made building the
/// nullable columns a tenth of ingest's CPU.
struct Validity {
    words: Vec<u64>,
    /// The bits not yet in `words`, the first in the lowest bit (Arrow's order).
    current: u64,
    len: usize,
    nulls: usize,
}

impl Validity {
    fn with_capacity(rows: usize) -> Self {
        Validity {
            words: Vec::with_capacity(rows.div_ceil(64)),
            current: 0,
            len: 0,
            nulls: 0,
        }
    }

    #[inline]
    fn push(&mut self, valid: bool) {
        self.current |= u64::from(valid) << (self.len % 64);
        self.len += 1;
        self.nulls += usize::from(!valid);
        if self.len.is_multiple_of(64) {
            self.words.push(self.current.to_le());
            self.current = 0;
        }
    }

    /// The null buffer, or None when every value is valid.
    fn finish(mut self) -> Option<NullBuffer> {
        if self.nulls == 0 {
            return None;
        }
        if !self.len.is_multiple_of(64) {
            self.words.push(self.current.to_le());
        }
        let bits = BooleanBuffer::new(Buffer::from_vec(self.words), 0, self.len);
        Some(NullBuffer::new(bits))
    }
}

/// A nullable fixed-width column.
pub(crate) struct Fixed<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    validity: Validity,
}

impl<T: ArrowPrimitiveType> Fixed<T> {
    pub(crate) fn nullable(rows: usize) -> Self {
        Fixed {
            values: Vec::with_capacity(rows),
            validity: Validity::with_capacity(rows),
        }
    }

    #[inline]
    pub(crate) fn push_option(&mut self, value: Option<T::Native>) {
        self.values.push(value.unwrap_or_default());
        self.validity.push(value.is_some());
    }

    pub(crate) fn finish(self) -> ArrayRef {
        let nulls = self.validity.finish();
        Arc::new(PrimitiveArray::<T>::new(
            ScalarBuffer::from(self.values),
            nulls,
        ))
    }
}

/// A UTF-8 column written byte by byte; with validity bits when nullable.
pub(crate) struct Text {
    offsets: Vec<i32>,
    bytes: Vec<u8>,
    validity: Option<Validity>,
}

impl Text {
    pub(crate) fn required(rows: usize, bytes: usize) -> Self {
        Self::new(rows, bytes, None)
    }

    pub(crate) fn nullable(rows: usize, bytes: usize) -> Self {
        Self::new(rows, bytes, Some(Validity::with_capacity(rows)))
    }

    fn new(rows: usize, bytes: usize, validity: Option<Validity>) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Text {
            offsets,
            bytes: Vec::with_capacity(bytes),
            validity,
        }
    }

    /// Ends the value whose bytes were just appended.
    #[inline]
    fn end_value(&mut self, valid: bool) {
        let end = i32::try_from(self.bytes.len()).expect("a batch holds under 2 GiB of text");
        self.offsets.push(end);
        if let Some(validity) = &mut self.validity {
            validity.push(valid);
        }
    }

    #[inline]
    pub(crate) fn push_str(&mut self, value: &str) {
        self.bytes.extend_from_slice(value.as_bytes());
        self.end_value(true);
    }

    #[inline]
    pub(crate) fn push_option(&mut self, value: Option<&str>) {
        match value {
            Some(v) => self.push_str(v),
            None => {
                debug_assert!(self.validity.is_some(), "a null in a required column");
                self.end_value(false)
            }
        }
    }

    /// Appends an address in its usual text form (dotted quad, RFC 5952 for IPv6).
    #[inline]
    pub(crate) fn push_addr(&mut self, addr: IpAddr) {
        match addr {
            IpAddr::V4(v4) => {
                // Composed on the stack and appended once: one capacity check per address
                // instead of one per character.
                let mut text = [0u8; 15];
                let mut len = 0;
                for (i, octet) in v4.octets().into_iter().enumerate() {
                    len += write_decimal(&mut text[len..], octet);
                    if i < 3 {
                        text[len] = b'.';
                        len += 1;
                    }
                }
                self.bytes.extend_from_slice(&text[..len]);
                self.end_value(true);
            }
            IpAddr::V6(v6) => self.push_ipv6(v6),
        }
    }

    #[cold]
    fn push_ipv6(&mut self, v6: Ipv6Addr) {
        use std::io::Write as _;
        let _ = write!(self.bytes, "{v6}");
        self.end_value(true);
    }

    /// Appends small numbers joined by commas (`2,4,8,1,3`).
    #[inline]
    pub(crate) fn push_list(&mut self, values: &[u8]) {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.bytes.push(b',');
            }
            push_decimal(&mut self.bytes, *value);
        }
        self.end_value(true);
    }

    pub(crate) fn finish(self) -> ArrayRef {
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let nulls = self.validity.and_then(Validity::finish);
        let values = Buffer::from_vec(self.bytes);
        // SAFETY: every value was appended whole from a `&str` or as ASCII digits, dots and
        // commas (or `Display` of an address), so the bytes are UTF-8 at every offset; the
        // offsets rise from 0 to the buffer's length. Skipping the check saves a pass over
        // every string column of every batch.
        Arc::new(unsafe { StringArray::new_unchecked(offsets, values, nulls) })
    }
}

/// Decimal digits of a byte, most significant first, without leading zeros.
#[inline]
fn push_decimal(out: &mut Vec<u8>, value: u8) {
    let mut digits = [0u8; 3];
    let len = write_decimal(&mut digits, value);
    out.extend_from_slice(&digits[..len]);
}

/// Writes the decimal digits of `value` at the start of `out` (which must have room for
/// three); returns how many there are.
#[inline]
fn write_decimal(out: &mut [u8], value: u8) -> usize {
    let (digits, len) = DECIMAL[usize::from(value)];
    out[..3].copy_from_slice(&digits);
    usize::from(len)
}

/// The decimal text of every byte value, padded to three bytes, and its length: a table
/// look-up instead of two divisions per digit.
static DECIMAL: [([u8; 3], u8); 256] = {
    let mut table = [([0u8; 3], 0u8); 256];
    let mut value = 0;
    while value < 256 {
        let v = value as u8;
        table[value] = match v {
            0..=9 => ([b'0' + v, 0, 0], 1),
            10..=99 => ([b'0' + v / 10, b'0' + v % 10, 0], 2),
            _ => ([b'0' + v / 100, b'0' + v / 10 % 10, b'0' + v % 10], 3),
        };
        value += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, UInt16Array};
    use arrow::datatypes::UInt16Type;

    fn strings(array: &ArrayRef) -> Vec<Option<&str>> {
        array
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap()
            .iter()
            .collect()
    }

    #[test]
    fn addresses_format_like_std() {
        let samples = [
            "0.0.0.0",
            "255.255.255.255",
            "10.0.100.9",
            "192.168.1.20",
            "2001:db8::1",
            "::",
        ];
        let mut text = Text::required(4, 16);
        for s in samples {
            text.push_addr(s.parse().unwrap());
        }
        let array = text.finish();
        assert_eq!(array.null_count(), 0);
        let got: Vec<&str> = strings(&array).into_iter().map(Option::unwrap).collect();
        assert_eq!(got, samples);
    }

    #[test]
    fn every_octet_formats_like_std() {
        let addrs: Vec<std::net::Ipv4Addr> = (0..=255u8)
            .map(|v| [v, 255 - v, v / 2, v.wrapping_mul(7)].into())
            .collect();
        let mut text = Text::required(addrs.len(), 0);
        addrs.iter().for_each(|&a| text.push_addr(a.into()));
        let array = text.finish();
        let want: Vec<String> = addrs.iter().map(ToString::to_string).collect();
        let got: Vec<&str> = strings(&array).into_iter().map(Option::unwrap).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn nulls_and_lists() {
        let mut text = Text::nullable(2, 8);
        text.push_list(&[2, 4, 8, 1, 3]);
        text.push_option(None);
        text.push_list(&[]);
        text.push_str("x");
        let array = text.finish();
        assert_eq!(array.null_count(), 1);
        assert_eq!(
            strings(&array),
            [Some("2,4,8,1,3"), None, Some(""), Some("x")]
        );
    }

    #[test]
    fn validity_spans_words() {
        let values: Vec<Option<u16>> = (0..200u16).map(|i| (i % 3 != 0).then_some(i)).collect();
        let mut column = Fixed::<UInt16Type>::nullable(values.len());
        values.iter().for_each(|&v| column.push_option(v));
        let array = column.finish();
        let array = array.as_any().downcast_ref::<UInt16Array>().unwrap();
        assert_eq!(array.iter().collect::<Vec<_>>(), values);
        assert_eq!(array.null_count(), 67);
    }

    #[test]
    fn fixed_columns_keep_nulls_in_place() {
        let mut ports = Fixed::<UInt16Type>::nullable(4);
        ports.push_option(Some(23));
        ports.push_option(None);
        ports.push_option(Some(445));
        let array = ports.finish();
        let array = array.as_any().downcast_ref::<UInt16Array>().unwrap();
        assert_eq!(
            array.iter().collect::<Vec<_>>(),
            [Some(23), None, Some(445)]
        );
        let mut ports = Fixed::<UInt16Type>::nullable(1);
        ports.push_option(Some(1));
        assert_eq!(ports.finish().null_count(), 0);
    }
}
